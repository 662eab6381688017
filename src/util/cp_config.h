/* cp_config.h — the daemon's configuration: an INI file (libinih), then
 * environment variables for tokens, then command-line flags.
 *
 * Every key has a documented default (docs/OPERATIONS.md); unknown sections
 * and keys are errors, so a typo never silently falls back to a default.
 * Durations are seconds, or a number with a unit (500ms, 15m, 1h, 1d). */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cp_engine.h"

enum { CP_ROLE_ADMIN = 0, CP_ROLE_SCHEDULER, CP_ROLE_CLIENT, CP_ROLE_SERVER, CP_ROLE_COUNT };

typedef struct cp_pool_config {
    char name[CP_ID_MAX + 1];
    cp_policy_t policy;
    bool cascade;
} cp_pool_config_t;

typedef struct cp_config {
    /* [serve] */
    char listen[256]; /* "127.0.0.1:8080" */
    char db[1024];    /* "var/confpool.db" */
    /* [http] */
    size_t max_header_bytes, max_body_bytes;
    unsigned max_connections;
    long long idle_timeout_ms;
    /* [auth] and CONFPOOL_*_TOKEN */
    char *tokens[CP_ROLE_COUNT]; /* NULL when not set */
    /* [load] [meetings] [servers] [pool] */
    cp_engine_config_t engine;
    /* [pool.NAME] */
    cp_pool_config_t *pools;
    size_t npools;
    /* [log] */
    char log_level[16];
    char events[1024]; /* event log path, "" for none */
} cp_config_t;

/** Fills cfg with every default. */
void cp_config_defaults(cp_config_t *cfg);
/** Reads an INI file over the current values. Returns 0, or -1 with
 *  "file:line: message" in err. */
int cp_config_load(cp_config_t *cfg, const char *path, char *err, size_t errlen);
/** Reads INI text (NUL-terminated) over the current values, exactly as
 *  cp_config_load reads a file; name stands for the file in messages.
 *  Returns 0, or -1 with "name:line: message" in err. */
int cp_config_load_string(cp_config_t *cfg, const char *name, const char *text, char *err,
                          size_t errlen);
/** Applies one key as if it came from the file (for --set section.key=value
 *  style overrides and tests). Returns 0, or -1 with a message in err. */
int cp_config_set(cp_config_t *cfg, const char *section, const char *key, const char *value,
                  char *err, size_t errlen);
/** Takes tokens from CONFPOOL_ADMIN_TOKEN etc. where set. */
void cp_config_env(cp_config_t *cfg);
/** True if any token is configured. */
bool cp_config_has_tokens(const cp_config_t *cfg);
/** Releases what cfg owns. */
void cp_config_free(cp_config_t *cfg);
/** Name of a role: "admin", "scheduler", "client", "server". */
const char *cp_role_name(int role);

#endif
