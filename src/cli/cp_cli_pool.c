/* cp_cli_pool.c — confpool pool status: the pool's figures and one bar per
 * server, other load and conference load against capacity, with the
 * admission thresholds marked. */
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cp_cli.h"
#include "cli/cp_cli_int.h"

#define CP__BAR 40

typedef struct cp__glyphs {
    const char *other, *conf, *empty, *mark, *over;
} cp__glyphs_t;

static const cp__glyphs_t cp__utf8 = {"\u2592", "\u2588", "\u00b7", "\u2502", "\u25b6"};
static const cp__glyphs_t cp__ascii = {"=", "#", ".", "|", ">"};

/* other and conference as shares of capacity; marks before the cells at
 * the thresholds; an arrow when the load is past capacity. */
static void cp__bar(cp_buf_t *b, const cp__glyphs_t *g, double other, double conf, double t_new,
                    double t_join) {
    int o = (int)lround(fmin(fmax(other, 0), 1) * CP__BAR);
    int oc = (int)lround(fmin(fmax(other + conf, 0), 1) * CP__BAR);
    int m1 = (int)lround(t_new * CP__BAR), m2 = (int)lround(t_join * CP__BAR);
    for (int i = 0; i < CP__BAR; i++) {
        if (i == m1 || i == m2)
            cp_buf_puts(b, g->mark);
        cp_buf_puts(b, i < o ? g->other : i < oc ? g->conf : g->empty);
    }
    cp_buf_puts(b, other + conf > 1 ? g->over : " ");
}

static bool cp__pool_opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    (void)cli;
    const char **pool = ctx;
    if (opt == 'p') {
        pool[0] = arg;
        return true;
    }
    if (opt == 'A') {
        pool[1] = "ascii";
        return true;
    }
    return false;
}

/* GET path into *r; on an error reply prints it and returns its code. */
static int cp__get(cp_cli_t *cli, const char *path, cp_cli_resp_t *r) {
    int rc = cp_cli_request(cli, "GET", path, NULL, r);
    if (rc)
        return rc;
    if (r->status != 200 || !json_is_object(r->json)) {
        rc = cp_cli_api_error(cli, r);
        cp_cli_resp_free(r);
    }
    return rc;
}

static int cp__status(cp_cli_t *cli, int argc, char **argv) {
    static const struct option extra[] = {{"pool", required_argument, NULL, 'p'},
                                          {"ascii", no_argument, NULL, 'A'},
                                          {0, 0, 0, 0}};
    const char *o[2] = {"default", NULL}, *pos[1];
    int rc = cp_cli_parse(cli, argc, argv, extra, cp__pool_opt, o,
                          "usage: confpool pool status [--pool POOL] [--ascii]\n"
                          "The pool's load, and one bar per server: other load and conference\n"
                          "load against capacity, with the admission thresholds marked.\n",
                          pos, 0, 0, NULL);
    if (rc)
        return rc;
    const char *pool = o[0];
    cp_buf_t path = CP_BUF_INIT;
    cp_buf_puts(&path, "/v1/pool?pool=");
    cp_cli_path_escape(&path, pool);
    cp_cli_resp_t rp, rs, rd;
    rc = cp__get(cli, path.data, &rp);
    cp_buf_free(&path);
    if (rc)
        return rc;
    if ((rc = cp__get(cli, "/v1/servers", &rs))) {
        cp_cli_resp_free(&rp);
        return rc;
    }
    /* Thresholds come with the decisions; an older service lacks them. */
    double t_new = 0.80, t_join = 0.95;
    json_t *thr = NULL;
    if (cp_cli_request(cli, "GET", "/v1/decisions?limit=1", NULL, &rd) == 0) {
        thr = json_object_get(rd.json, "thresholds");
        if (rd.status == 200 && json_is_object(thr)) {
            t_new = cp_cli_num(thr, "new_meeting");
            t_join = cp_cli_num(thr, "join");
            json_incref(thr);
        } else {
            thr = NULL;
        }
        cp_cli_resp_free(&rd);
    }
    json_t *servers = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rs.json, "servers"), i, s)
        if (strcmp(cp_cli_str(s, "pool"), pool) == 0)
            json_array_append(servers, s);

    if (cli->json) {
        json_t *out = json_object();
        json_object_set(out, "pool", rp.json);
        json_object_set_new(out, "thresholds", thr ? json_incref(thr) : json_null());
        json_object_set(out, "servers", servers);
        cp_cli_print_json(out);
        json_decref(out);
    } else {
        setlocale(LC_CTYPE, "");
        const cp__glyphs_t *g =
            !o[1] && strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? &cp__utf8 : &cp__ascii;
        const json_t *p = rp.json;
        char a[32], b[32];
        printf("pool %s   policy %s   %.0f servers, %.0f up   %.0f active meetings   %.0f "
               "participants\n",
               cp_cli_str(p, "pool"), cp_cli_str(p, "policy"), cp_cli_num(p, "servers"),
               cp_cli_num(p, "up"), cp_cli_num(p, "active_meetings"),
               cp_cli_num(p, "participants"));
        printf("utilization %.1f%% (%s / %s units over up servers)   imbalance %.3f\n\n",
               cp_cli_num(p, "utilization") * 100, cp_cli_fmt_num(cp_cli_num(p, "load"), a, sizeof a),
               cp_cli_fmt_num(cp_cli_num(p, "capacity"), b, sizeof b), cp_cli_num(p, "imbalance"));
        static const char *const heads[] = {"SERVER", "STATE", "LOAD / CAPACITY", "UTIL",
                                            "MEETINGS", "PARTICIPANTS"};
        cp_table_t *t = cp_table_new(6, heads, "llllrr");
        json_array_foreach(servers, i, s) {
            const json_t *load = json_object_get(s, "load");
            double cap = cp_cli_num(s, "capacity");
            cap = cap > 0 ? cap : 1;
            cp_buf_t bar = CP_BUF_INIT;
            cp__bar(&bar, g, cp_cli_num(load, "other") / cap, cp_cli_num(load, "conference") / cap,
                    t_new, t_join);
            cp_table_row(t);
            cp_table_cell(t, "%s", cp_cli_str(s, "id"));
            cp_table_cell(t, "%s%s", cp_cli_str(s, "state"),
                          json_is_true(json_object_get(s, "held")) ? ", held" : "");
            cp_table_cell(t, "%s", bar.data);
            cp_table_cell(t, "%5.1f%%", cp_cli_num(load, "utilization") * 100);
            cp_table_cell(t, "%.0f", cp_cli_num(s, "meetings"));
            cp_table_cell(t, "%.0f", cp_cli_num(s, "participants"));
            cp_buf_free(&bar);
        }
        cp_table_print(t, stdout);
        printf("\n%s other load   %s conference load   %s at %.2f: new meetings only below, "
               "at %.2f: full\n",
               g->other, g->conf, g->mark, t_new, t_join);
    }
    if (thr)
        json_decref(thr);
    json_decref(servers);
    cp_cli_resp_free(&rp);
    cp_cli_resp_free(&rs);
    return CP_CLI_OK;
}

int cp_cli_pool_main(int argc, char **argv) {
    static const cp_cli_verb_t verbs[] = {
        {"status", "the pool's load, one bar per server", cp__status},
        {NULL, NULL, NULL},
    };
    return cp_cli_dispatch("pool", verbs, argc, argv);
}
