/* cp_config.c — INI configuration (see cp_config.h). */
#include "util/cp_config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base/cp_alloc.h"
#include "util/base/cp_time.h"

static const char *const cp__roles[CP_ROLE_COUNT] = {"admin", "scheduler", "client", "server"};

const char *cp_role_name(int role) {
    return role >= 0 && role < CP_ROLE_COUNT ? cp__roles[role] : "none";
}

void cp_config_defaults(cp_config_t *cfg) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8080");
    snprintf(cfg->db, sizeof cfg->db, "var/confpool.db");
    cfg->max_header_bytes = 16 * 1024;
    cfg->max_body_bytes = 64 * 1024;
    cfg->max_connections = 4096;
    cfg->idle_timeout_ms = 60 * 1000;
    cp_engine_config_defaults(&cfg->engine);
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
}

void cp_config_free(cp_config_t *cfg) {
    for (int i = 0; i < CP_ROLE_COUNT; i++) {
        cp_free(cfg->tokens[i]);
        cfg->tokens[i] = NULL;
    }
    cp_free(cfg->pools);
    cfg->pools = NULL;
    cfg->npools = 0;
}

/* ---- value parsers ------------------------------------------------------------ */

static bool cp__num(const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || errno || !isfinite(d) || d < lo || d > hi)
        return false;
    *out = d;
    return true;
}

static bool cp__uint(const char *v, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out) {
    char *end;
    errno = 0;
    if (*v == '-')
        return false;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end != '\0' || errno || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool cp__units(const char *v, cp_mu_t *out) {
    double d;
    if (!cp__num(v, 0, 1e9, &d))
        return false;
    *out = (cp_mu_t)llround(d * CP_MU_PER_UNIT);
    return true;
}

static bool cp__dur(const char *v, cp_ms_t *out) {
    int64_t ms;
    if (!cp_duration_parse(v, &ms))
        return false;
    *out = ms;
    return true;
}

static bool cp__flag(const char *v, bool *out) {
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
        *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
        *out = false;
    else
        return false;
    return true;
}

static int cp__bad(char *err, size_t errlen, const char *section, const char *key, const char *what) {
    snprintf(err, errlen, "[%s] %s: %s", section, key, what);
    return -1;
}

static cp_pool_config_t *cp__pool_conf(cp_config_t *cfg, const char *name) {
    for (size_t i = 0; i < cfg->npools; i++)
        if (strcmp(cfg->pools[i].name, name) == 0)
            return &cfg->pools[i];
    cfg->pools = cp_reallocarray(cfg->pools, cfg->npools + 1, sizeof *cfg->pools);
    cp_pool_config_t *p = &cfg->pools[cfg->npools++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->policy = cfg->engine.policy;
    return p;
}

#define KEY(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)

int cp_config_set(cp_config_t *cfg, const char *section, const char *key, const char *value,
                  char *err, size_t errlen) {
    cp_engine_config_t *e = &cfg->engine;
    unsigned long long u;
    double d;
    if (KEY("serve", "listen")) {
        if (strlen(value) >= sizeof cfg->listen || strchr(value, ':') == NULL)
            return cp__bad(err, errlen, section, key, "expected ADDR:PORT");
        snprintf(cfg->listen, sizeof cfg->listen, "%s", value);
    } else if (KEY("serve", "db")) {
        if (strlen(value) == 0 || strlen(value) >= sizeof cfg->db)
            return cp__bad(err, errlen, section, key, "expected a path");
        snprintf(cfg->db, sizeof cfg->db, "%s", value);
    } else if (KEY("http", "max_header_bytes")) {
        if (!cp__uint(value, 1024, 1 << 24, &u))
            return cp__bad(err, errlen, section, key, "expected bytes between 1024 and 16777216");
        cfg->max_header_bytes = u;
    } else if (KEY("http", "max_body_bytes")) {
        if (!cp__uint(value, 1024, 1 << 26, &u))
            return cp__bad(err, errlen, section, key, "expected bytes between 1024 and 67108864");
        cfg->max_body_bytes = u;
    } else if (KEY("http", "max_connections")) {
        if (!cp__uint(value, 1, 1000000, &u))
            return cp__bad(err, errlen, section, key, "expected 1 to 1000000");
        cfg->max_connections = (unsigned)u;
    } else if (KEY("http", "idle_timeout")) {
        cp_ms_t ms;
        if (!cp__dur(value, &ms) || ms < 100)
            return cp__bad(err, errlen, section, key, "expected a duration of at least 100ms");
        cfg->idle_timeout_ms = ms;
    } else if (strcmp(section, "auth") == 0) {
        for (int r = 0; r < CP_ROLE_COUNT; r++) {
            char name[32];
            snprintf(name, sizeof name, "%s_token", cp__roles[r]);
            if (strcmp(key, name) == 0) {
                if (strlen(value) < 8)
                    return cp__bad(err, errlen, section, key, "tokens must be at least 8 characters");
                cp_free(cfg->tokens[r]);
                cfg->tokens[r] = cp_strdup(value);
                return 0;
            }
        }
        return cp__bad(err, errlen, section, key, "unknown key");
    } else if (KEY("load", "meeting_base")) {
        if (!cp__units(value, &e->meeting_base))
            return cp__bad(err, errlen, section, key, "expected load units >= 0");
    } else if (KEY("load", "audio")) {
        if (!cp__units(value, &e->cost_audio))
            return cp__bad(err, errlen, section, key, "expected load units >= 0");
    } else if (KEY("load", "video")) {
        if (!cp__units(value, &e->cost_video))
            return cp__bad(err, errlen, section, key, "expected load units >= 0");
    } else if (KEY("load", "sharing")) {
        if (!cp__units(value, &e->cost_sharing))
            return cp__bad(err, errlen, section, key, "expected load units >= 0");
    } else if (KEY("load", "new_meeting_below")) {
        if (!cp__num(value, 0.01, 1.0, &d))
            return cp__bad(err, errlen, section, key, "expected a fraction in (0, 1]");
        e->new_meeting_below = d;
    } else if (KEY("load", "join_below")) {
        if (!cp__num(value, 0.01, 1.5, &d))
            return cp__bad(err, errlen, section, key, "expected a fraction in (0, 1.5]");
        e->join_below = d;
    } else if (KEY("load", "ramp_up")) {
        if (!cp__dur(value, &e->ramp_up))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("load", "learn_attendance")) {
        if (!cp__flag(value, &e->learn_attendance))
            return cp__bad(err, errlen, section, key, "expected 0 or 1");
    } else if (KEY("load", "retry_after")) {
        if (!cp__uint(value, 1, 86400, &u))
            return cp__bad(err, errlen, section, key, "expected seconds between 1 and 86400");
        e->retry_after = (uint32_t)u;
    } else if (KEY("meetings", "default_size")) {
        if (!cp__uint(value, 1, 1000000, &u))
            return cp__bad(err, errlen, section, key, "expected 1 to 1000000");
        e->default_size = (uint32_t)u;
    } else if (KEY("meetings", "idle_grace")) {
        if (!cp__dur(value, &e->idle_grace))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("meetings", "large_threshold")) {
        if (!cp__uint(value, 1, 1000000, &u))
            return cp__bad(err, errlen, section, key, "expected 1 to 1000000");
        e->large_threshold = (uint32_t)u;
    } else if (KEY("meetings", "expire_after")) {
        if (!cp__dur(value, &e->expire_after))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("meetings", "adhoc_expire")) {
        if (!cp__dur(value, &e->adhoc_expire))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("meetings", "retain_ended")) {
        if (!cp__dur(value, &e->retain_ended))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("servers", "report_timeout")) {
        if (!cp__dur(value, &e->report_timeout))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("servers", "rehome")) {
        if (strcmp(value, "eager") == 0)
            e->rehome_eager = true;
        else if (strcmp(value, "lazy") == 0)
            e->rehome_eager = false;
        else
            return cp__bad(err, errlen, section, key, "expected lazy or eager");
    } else if (KEY("pool", "policy")) {
        if (!cp_policy_parse(value, &e->policy))
            return cp__bad(err, errlen, section, key,
                           "expected least_utilization, power_of_two, round_robin, random, "
                           "least_meetings or best_fit");
    } else if (KEY("pool", "seed")) {
        if (!cp__uint(value, 0, UINT64_MAX, &u))
            return cp__bad(err, errlen, section, key, "expected an unsigned integer");
        e->seed = u;
    } else if (strncmp(section, "pool.", 5) == 0) {
        const char *name = section + 5;
        if (!cp_id_valid(name, strlen(name)))
            return cp__bad(err, errlen, section, key, "pool names match [A-Za-z0-9._-]{1,64}");
        cp_pool_config_t *p = cp__pool_conf(cfg, name);
        if (strcmp(key, "policy") == 0) {
            if (!cp_policy_parse(value, &p->policy))
                return cp__bad(err, errlen, section, key, "unknown policy");
        } else if (strcmp(key, "cascade") == 0) {
            if (!cp__flag(value, &p->cascade))
                return cp__bad(err, errlen, section, key, "expected 0 or 1");
        } else {
            return cp__bad(err, errlen, section, key, "unknown key");
        }
    } else if (KEY("large", "plan")) {
        if (!cp__flag(value, &e->plan_large))
            return cp__bad(err, errlen, section, key, "expected 0 or 1");
    } else if (KEY("large", "strict")) {
        if (!cp__flag(value, &e->plan_strict))
            return cp__bad(err, errlen, section, key, "expected 0 or 1");
    } else if (KEY("large", "lead")) {
        if (!cp__dur(value, &e->plan_lead))
            return cp__bad(err, errlen, section, key, "expected a duration (0: from observed durations)");
    } else if (KEY("large", "duration")) {
        if (!cp__dur(value, &e->plan_duration) || e->plan_duration <= 0)
            return cp__bad(err, errlen, section, key, "expected a positive duration");
    } else if (KEY("large", "hold_after_start")) {
        if (!cp__dur(value, &e->hold_after_start))
            return cp__bad(err, errlen, section, key, "expected a duration");
    } else if (KEY("log", "level")) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") &&
            strcmp(value, "error"))
            return cp__bad(err, errlen, section, key, "expected debug, info, warn or error");
        snprintf(cfg->log_level, sizeof cfg->log_level, "%s", value);
    } else if (KEY("log", "events")) {
        if (strlen(value) >= sizeof cfg->events)
            return cp__bad(err, errlen, section, key, "path too long");
        snprintf(cfg->events, sizeof cfg->events, "%s", value);
    } else {
        return cp__bad(err, errlen, section, key, "unknown section or key");
    }
    return 0;
}

typedef struct cp__ini_ctx {
    cp_config_t *cfg;
    char msg[256];
} cp__ini_ctx_t;

static int cp__ini_handler(void *user, const char *section, const char *name, const char *value) {
    cp__ini_ctx_t *ctx = user;
    if (name == NULL) /* section header alone */
        return 1;
    return cp_config_set(ctx->cfg, section, name, value, ctx->msg, sizeof ctx->msg) == 0;
}

int cp_config_load(cp_config_t *cfg, const char *path, char *err, size_t errlen) {
    cp__ini_ctx_t ctx = {.cfg = cfg};
    int rc = ini_parse(path, cp__ini_handler, &ctx);
    if (rc == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (rc > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, rc, ctx.msg[0] ? ctx.msg : "syntax error");
        return -1;
    }
    return 0;
}

int cp_config_load_string(cp_config_t *cfg, const char *name, const char *text, char *err,
                          size_t errlen) {
    cp__ini_ctx_t ctx = {.cfg = cfg};
    int rc = ini_parse_string(text, cp__ini_handler, &ctx);
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: %s", name, rc, ctx.msg[0] ? ctx.msg : "syntax error");
        return -1;
    }
    return 0;
}

void cp_config_env(cp_config_t *cfg) {
    static const char *const vars[CP_ROLE_COUNT] = {
        "CONFPOOL_ADMIN_TOKEN", "CONFPOOL_SCHEDULER_TOKEN", "CONFPOOL_CLIENT_TOKEN",
        "CONFPOOL_SERVER_TOKEN"};
    for (int r = 0; r < CP_ROLE_COUNT; r++) {
        const char *v = getenv(vars[r]);
        if (v && *v) {
            cp_free(cfg->tokens[r]);
            cfg->tokens[r] = cp_strdup(v);
        }
    }
}

bool cp_config_has_tokens(const cp_config_t *cfg) {
    for (int r = 0; r < CP_ROLE_COUNT; r++)
        if (cfg->tokens[r])
            return true;
    return false;
}
