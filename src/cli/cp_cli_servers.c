/* cp_cli_servers.c — confpool servers list|show|add|drain|resume|down|remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cp_cli.h"
#include "cli/cp_cli_int.h"

/* Prints a server object as "key  value" lines. */
static void cp__print_server(const json_t *s) {
    const json_t *load = json_object_get(s, "load");
    char a[32], b[32], c[32], d[32];
    cp_table_t *t = cp_table_new(2, NULL, "ll");
#define KV(k, ...)                                                                                 \
    do {                                                                                           \
        cp_table_row(t);                                                                           \
        cp_table_cell(t, "%s", k);                                                                 \
        cp_table_cell(t, __VA_ARGS__);                                                             \
    } while (0)
    KV("id", "%s", cp_cli_str(s, "id"));
    KV("address", "%s", cp_cli_str(s, "address"));
    KV("pool", "%s", cp_cli_str(s, "pool"));
    if (*cp_cli_str(s, "region"))
        KV("region", "%s", cp_cli_str(s, "region"));
    KV("state", "%s", cp_cli_str(s, "state"));
    KV("capacity", "%s", cp_cli_fmt_num(cp_cli_num(s, "capacity"), a, sizeof a));
    KV("load", "%s other + %s conference = %s", cp_cli_fmt_num(cp_cli_num(load, "other"), b, sizeof b),
       cp_cli_fmt_num(cp_cli_num(load, "conference"), c, sizeof c),
       cp_cli_fmt_num(cp_cli_num(load, "total"), d, sizeof d));
    KV("utilization", "%.1f%%", cp_cli_num(load, "utilization") * 100);
    KV("meetings", "%.0f", cp_cli_num(s, "meetings"));
    KV("participants", "%.0f", cp_cli_num(s, "participants"));
    KV("last report", "%s", *cp_cli_str(s, "last_report") ? cp_cli_str(s, "last_report") : "never");
    if (*cp_cli_str(s, "empty_since"))
        KV("empty since", "%s", cp_cli_str(s, "empty_since"));
    if (*cp_cli_str(s, "down_reason"))
        KV("down", "%s since %s", cp_cli_str(s, "down_reason"), cp_cli_str(s, "down_since"));
    if (json_is_true(json_object_get(s, "held")))
        KV("held", "%s", "yes: takes no new meetings (a large meeting is planned on it)");
    const json_t *holds = json_object_get(s, "holds");
    if (json_array_size(holds)) {
        cp_buf_t ids = CP_BUF_INIT;
        size_t i;
        const json_t *x;
        json_array_foreach(holds, i, x) {
            if (i)
                cp_buf_puts(&ids, ", ");
            cp_buf_puts(&ids, json_string_value(x) ? json_string_value(x) : "?");
        }
        KV("planned", "%s", ids.data);
        cp_buf_free(&ids);
    }
#undef KV
    cp_table_print(t, stdout);
}

/* Runs one request on /v1/servers/{id}[suffix] and prints the server. */
static int cp__server_call(cp_cli_t *cli, const char *method, const char *id, const char *suffix,
                           const json_t *body, const char *done) {
    return cp_cli_object_call(cli, method, "/v1/servers/", id, suffix, body, done,
                              cp__print_server);
}

/* ---- list ----------------------------------------------------------------------- */

static bool cp__list_opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    (void)cli;
    if (opt == 'p') {
        *(const char **)ctx = arg;
        return true;
    }
    return false;
}

static int cp__list(cp_cli_t *cli, int argc, char **argv) {
    static const struct option extra[] = {{"pool", required_argument, NULL, 'p'}, {0, 0, 0, 0}};
    const char *pool = NULL, *pos[1];
    int rc = cp_cli_parse(cli, argc, argv, extra, cp__list_opt, &pool,
                          "usage: confpool servers list [--pool POOL]\n", pos, 0, 0, NULL);
    if (rc)
        return rc;
    cp_cli_resp_t r;
    if ((rc = cp_cli_request(cli, "GET", "/v1/servers", NULL, &r)))
        return rc;
    if (r.status != 200) {
        rc = cp_cli_api_error(cli, &r);
        cp_cli_resp_free(&r);
        return rc;
    }
    const json_t *all = json_object_get(r.json, "servers");
    if (cli->json && pool == NULL) {
        cp_cli_print_raw(&r);
    } else if (cli->json) {
        json_t *out = json_object(), *arr = json_array();
        size_t i;
        const json_t *s;
        json_array_foreach(all, i, s) if (strcmp(cp_cli_str(s, "pool"), pool) == 0)
            json_array_append(arr, (json_t *)s);
        json_object_set_new(out, "servers", arr);
        cp_cli_print_json(out);
        json_decref(out);
    } else {
        static const char *const heads[] = {"ID",   "POOL", "STATE",    "CAPACITY",     "OTHER",
                                            "CONF", "UTIL", "MEETINGS", "PARTICIPANTS", "ADDRESS"};
        cp_table_t *t = cp_table_new(10, heads, "lllrrrrrrl");
        size_t i;
        const json_t *s;
        char a[32], b[32], c[32];
        json_array_foreach(all, i, s) {
            if (pool && strcmp(cp_cli_str(s, "pool"), pool) != 0)
                continue;
            const json_t *load = json_object_get(s, "load");
            cp_table_row(t);
            cp_table_cell(t, "%s", cp_cli_str(s, "id"));
            cp_table_cell(t, "%s", cp_cli_str(s, "pool"));
            cp_table_cell(t, "%s", cp_cli_str(s, "state"));
            cp_table_cell(t, "%s", cp_cli_fmt_num(cp_cli_num(s, "capacity"), a, sizeof a));
            cp_table_cell(t, "%s", cp_cli_fmt_num(cp_cli_num(load, "other"), b, sizeof b));
            cp_table_cell(t, "%s", cp_cli_fmt_num(cp_cli_num(load, "conference"), c, sizeof c));
            cp_table_cell(t, "%.1f%%", cp_cli_num(load, "utilization") * 100);
            cp_table_cell(t, "%.0f", cp_cli_num(s, "meetings"));
            cp_table_cell(t, "%.0f", cp_cli_num(s, "participants"));
            cp_table_cell(t, "%s", cp_cli_str(s, "address"));
        }
        cp_table_print(t, stdout);
    }
    cp_cli_resp_free(&r);
    return CP_CLI_OK;
}

/* ---- show, drain, resume, down, remove ------------------------------------------------ */

static int cp__one(cp_cli_t *cli, int argc, char **argv, const char *usage, const char **id) {
    return cp_cli_parse(cli, argc, argv, NULL, NULL, NULL, usage, id, 1, 1, NULL);
}

static int cp__show(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp__one(cli, argc, argv, "usage: confpool servers show ID\n", &id);
    return rc ? rc : cp__server_call(cli, "GET", id, "", NULL, NULL);
}

static int cp__drain(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp__one(cli, argc, argv,
                     "usage: confpool servers drain ID\n"
                     "Stops new meetings on ID; its meetings and joins to them go on.\n",
                     &id);
    return rc ? rc : cp__server_call(cli, "POST", id, "/drain", NULL, "draining");
}

static int cp__resume(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp__one(cli, argc, argv,
                     "usage: confpool servers resume ID\n"
                     "Returns a draining or down server to up.\n",
                     &id);
    return rc ? rc : cp__server_call(cli, "POST", id, "/resume", NULL, "resumed");
}

static int cp__down(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp__one(cli, argc, argv,
                     "usage: confpool servers down ID\n"
                     "Marks ID down: it gets no placements and its meetings are re-homed.\n",
                     &id);
    return rc ? rc : cp__server_call(cli, "POST", id, "/down", NULL, "marked down");
}

static bool cp__remove_opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    (void)cli;
    (void)arg;
    if (opt == 'f') {
        *(bool *)ctx = true;
        return true;
    }
    return false;
}

static int cp__remove(cp_cli_t *cli, int argc, char **argv) {
    static const struct option extra[] = {{"force", no_argument, NULL, 'f'}, {0, 0, 0, 0}};
    bool force = false;
    const char *id;
    int rc = cp_cli_parse(cli, argc, argv, extra, cp__remove_opt, &force,
                          "usage: confpool servers remove ID [--force]\n"
                          "Refused while ID hosts meetings, unless --force re-homes them now.\n",
                          &id, 1, 1, NULL);
    return rc ? rc : cp__server_call(cli, "DELETE", id, force ? "?force=1" : "", NULL, "removed");
}

/* ---- add ------------------------------------------------------------------------ */

typedef struct cp__add {
    const char *address, *pool, *region;
    double capacity, interval;
    bool has_capacity, has_interval;
} cp__add_t;

static bool cp__number(cp_cli_t *cli, const char *what, const char *arg, double *out) {
    char *end;
    *out = strtod(arg, &end);
    if (end == arg || *end) {
        cp_cli_usage_error(cli, "%s must be a number, not '%s'", what, arg);
        return false;
    }
    return true;
}

static bool cp__add_opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    cp__add_t *a = ctx;
    switch (opt) {
    case 'a': a->address = arg; return true;
    case 'p': a->pool = arg; return true;
    case 'r': a->region = arg; return true;
    case 'c': return (a->has_capacity = cp__number(cli, "--capacity", arg, &a->capacity));
    case 'i': return (a->has_interval = cp__number(cli, "--report-interval", arg, &a->interval));
    }
    return false;
}

static int cp__add(cp_cli_t *cli, int argc, char **argv) {
    static const struct option extra[] = {{"address", required_argument, NULL, 'a'},
                                          {"capacity", required_argument, NULL, 'c'},
                                          {"pool", required_argument, NULL, 'p'},
                                          {"region", required_argument, NULL, 'r'},
                                          {"report-interval", required_argument, NULL, 'i'},
                                          {0, 0, 0, 0}};
    cp__add_t a = {0};
    const char *id;
    int rc = cp_cli_parse(cli, argc, argv, extra, cp__add_opt, &a,
                          "usage: confpool servers add ID --address HOST:PORT --capacity UNITS\n"
                          "                            [--pool POOL] [--region REGION]\n"
                          "                            [--report-interval SECONDS]\n"
                          "Registers server ID, or updates it if it exists.\n",
                          &id, 1, 1, NULL);
    if (rc)
        return rc;
    if (!a.address || !a.has_capacity)
        return cp_cli_usage_error(cli, "--address and --capacity are required");
    json_t *body = json_object();
    json_object_set_new(body, "address", json_string(a.address));
    json_object_set_new(body, "capacity", json_real(a.capacity));
    if (a.pool)
        json_object_set_new(body, "pool", json_string(a.pool));
    if (a.region)
        json_object_set_new(body, "region", json_string(a.region));
    if (a.has_interval)
        json_object_set_new(body, "report_interval", json_real(a.interval));
    rc = cp__server_call(cli, "PUT", id, "", body, "saved");
    json_decref(body);
    return rc;
}

int cp_cli_servers_main(int argc, char **argv) {
    static const cp_cli_verb_t verbs[] = {
        {"list", "list the servers with their load", cp__list},
        {"show", "show one server", cp__show},
        {"add", "register a server, or update one", cp__add},
        {"drain", "stop new meetings on a server (for maintenance)", cp__drain},
        {"resume", "return a draining or down server to service", cp__resume},
        {"down", "mark a server down: its meetings move elsewhere", cp__down},
        {"remove", "remove a server (--force re-homes its meetings)", cp__remove},
        {NULL, NULL, NULL},
    };
    return cp_cli_dispatch("servers", verbs, argc, argv);
}
