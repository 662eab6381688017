/* cp_cli_int.h — shared pieces of the admin CLI: the connection context
 * and option parsing, HTTP requests, the API's errors, tables. */
#ifndef CP_CLI_INT_H
#define CP_CLI_INT_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/base/cp_buf.h"

/** Exit codes; documented in docs/OPERATIONS.md and cp_cli.h. */
enum {
    CP_CLI_OK = 0,
    CP_CLI_API_ERROR = 1,   /* the API answered with an error */
    CP_CLI_USAGE = 2,       /* bad command line */
    CP_CLI_UNREACHABLE = 3, /* no connection, timeout, or a reply that is not the API's */
    CP_CLI_NOT_FOUND = 4,   /* 404: no such server, meeting, pool or endpoint */
    CP_CLI_REFUSED = 5,     /* 503: pool_full or meeting_full; retry later */
};

/** Flags every verb takes; with getopt_long, values >= 0x100. */
enum { CP_CLI_OPT_URL = 0x100, CP_CLI_OPT_TOKEN, CP_CLI_OPT_JSON, CP_CLI_OPT_HELP };
#define CP_CLI_COMMON_OPTIONS                                                                      \
    {"url", required_argument, NULL, CP_CLI_OPT_URL},                                              \
        {"token", required_argument, NULL, CP_CLI_OPT_TOKEN},                                      \
        {"json", no_argument, NULL, CP_CLI_OPT_JSON}, {"help", no_argument, NULL, CP_CLI_OPT_HELP}

typedef struct cp_cli {
    const char *prog;  /* "confpool servers add", for messages */
    const char *url;   /* without a trailing slash */
    const char *token; /* NULL for none */
    bool json;
    bool help;
    char url_buf[1024];
} cp_cli_t;

/** A reply: status, raw body, and the body parsed when it is JSON. */
typedef struct cp_cli_resp {
    long status;
    cp_buf_t body;
    json_t *json; /* NULL unless the body is JSON */
} cp_cli_resp_t;

/* cp_cli_common.c */
/** Sets prog, and url and token from the environment. */
void cp_cli_init(cp_cli_t *cli, const char *prog);
/** Handles a common option from getopt_long; false if opt is not one. */
bool cp_cli_common_opt(cp_cli_t *cli, int opt, const char *arg);
/** Prints "prog: message" to stderr and returns CP_CLI_USAGE. */
int cp_cli_usage_error(const cp_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** For an error reply: prints the API's message (and with --json the
 *  error body on stdout) and returns the exit code for its status. */
int cp_cli_api_error(const cp_cli_t *cli, const cp_cli_resp_t *r);
/** Prints the raw body of r on stdout, ending with a newline. */
void cp_cli_print_raw(const cp_cli_resp_t *r);
/** Dumps j compactly on stdout with reals as the API writes them. */
void cp_cli_print_json(const json_t *j);
/** Reads a string member ("" when absent or null). */
const char *cp_cli_str(const json_t *obj, const char *key);
/** Reads a number member (0 when absent or null). */
double cp_cli_num(const json_t *obj, const char *key);
/** Formats a load or count: integers plainly, else up to 3 decimals. */
const char *cp_cli_fmt_num(double v, char *buf, size_t n);
/** Appends s to b with URL percent-encoding of everything but ids' bytes. */
void cp_cli_path_escape(cp_buf_t *b, const char *s);
/** Runs method on COLLECTION/{id}SUFFIX (e.g. "/v1/servers/", "fe1",
 *  "/drain") with an optional JSON body. On success prints the reply: raw
 *  with --json; else "ID DONE" when done is given, then the object through
 *  print, or "ID done" when there is neither. Returns the exit code. */
int cp_cli_object_call(cp_cli_t *cli, const char *method, const char *collection, const char *id,
                       const char *suffix, const json_t *body, const char *done,
                       void (*print)(const json_t *obj));
/** Prints the common flags for a usage text. */
void cp_cli_print_common_usage(FILE *f);

/** Handles one verb-specific option; returns false (after printing) for a
 *  bad value. */
typedef bool (*cp_cli_opt_fn)(cp_cli_t *cli, void *ctx, int opt, const char *arg);
/** Parses argv (argv[0] is the verb) with the common flags plus extra
 *  (terminated by a zero entry; may be NULL), passing extra options to fn.
 *  Positional arguments go to pos; exactly npos_min..npos_max are allowed.
 *  Returns -1 when --help was printed (exit 0), 0 to go on, or
 *  CP_CLI_USAGE after printing the problem. */
int cp_cli_parse(cp_cli_t *cli, int argc, char **argv, const struct option *extra,
                 cp_cli_opt_fn fn, void *ctx, const char *usage, const char **pos,
                 int npos_min, int npos_max, int *npos);
/** Runs the verb named argv[0] among verbs (a NULL-terminated table), or
 *  prints the group's usage. */
typedef struct cp_cli_verb {
    const char *name;
    const char *summary;
    int (*run)(cp_cli_t *cli, int argc, char **argv);
} cp_cli_verb_t;
int cp_cli_dispatch(const char *group, const cp_cli_verb_t *verbs, int argc, char **argv);

/* cp_cli_http.c */
/** Sends method path (with query) and body (may be NULL) to the API.
 *  Returns 0 with *out filled (any HTTP status), or CP_CLI_UNREACHABLE
 *  after printing why. Release out with cp_cli_resp_free. */
int cp_cli_request(const cp_cli_t *cli, const char *method, const char *path,
                   const json_t *body, cp_cli_resp_t *out);
void cp_cli_resp_free(cp_cli_resp_t *r);

/* cp_cli_table.c */
typedef struct cp_table cp_table_t;
/** A table with columns named in heads (ncols of them; NULL for no
 *  header line); align holds one 'l' or 'r' per column. */
cp_table_t *cp_table_new(size_t ncols, const char *const *heads, const char *align);
/** Starts a row; then one cp_table_cell per column. */
void cp_table_row(cp_table_t *t);
void cp_table_cell(cp_table_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Prints the table with columns padded to their widest cell (counted in
 *  characters, so UTF-8 bars align) and frees it. */
void cp_table_print(cp_table_t *t, FILE *f);
/** Frees t without printing it. */
void cp_table_free(cp_table_t *t);

#endif
