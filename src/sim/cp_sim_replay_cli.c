/* cp_sim_replay_cli.c — `confpool sim --replay TRACE`: reads the event log
 * of `confpool serve` line by line and replays it (cp_sim_replay.c); prints
 * how many placements came out the same, the usual table, and writes
 * --placements and --out files. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/cp_sim_cli.h"
#include "sim/cp_sim_io.h"
#include "sim/cp_sim_plot.h"
#include "sim/cp_sim_replay.h"
#include "sim/cp_sim_report.h"
#include "util/base/cp_jw.h"

static void cp__usage(FILE *f) {
    fprintf(f, "usage: confpool sim --replay TRACE [--servers N [--capacity UNITS]] [--policy P]\n"
               "                    [--placements FILE] [--out DIR] [--check] [--quiet]\n"
               "                    [--progress | --no-progress]\n"
               "  TRACE is the event log of confpool serve ([log] events=PATH).\n"
               "  As recorded, the daemon's placements are made again; --check exits 1 if\n"
               "  any join comes out differently. --servers/--policy ask \"what if\".\n");
}

typedef struct cp__pl {
    FILE *f;
    cp_buf_t b;
} cp__pl_t;

static void cp__on_join(void *ctx, const cp_replay_join_t *j) {
    cp__pl_t *p = ctx;
    if (p->f == NULL)
        return;
    cp_jw_t w;
    cp_jw_init(&w, &p->b);
    cp_jw_obj(&w);
    cp_jw_key(&w, "t");
    cp_jw_int(&w, j->t);
    cp_jw_key(&w, "meeting");
    cp_jw_str(&w, j->meeting);
    cp_jw_key(&w, "participant");
    cp_jw_str(&w, j->participant);
    cp_jw_key(&w, "status");
    cp_jw_str(&w, cp_status_name(j->status));
    cp_jw_key(&w, "server");
    cp_jw_str_or_null(&w, j->server);
    cp_jw_key(&w, "recorded_status");
    cp_jw_str_or_null(&w, j->recorded_status);
    cp_jw_key(&w, "recorded_server");
    cp_jw_str_or_null(&w, j->recorded_server);
    cp_jw_key(&w, "match");
    cp_jw_bool(&w, j->match);
    cp_jw_obj_end(&w);
    cp_buf_putc(&p->b, '\n');
    cp_sim_flush_buf(p->f, &p->b, 1 << 16);
}

int cp_sim_replay_main(int argc, char **argv) {
    enum { O_REPLAY = 256, O_CAP, O_PLACEMENTS, O_CHECK, O_QUIET, O_PROGRESS, O_NOPROGRESS };
    static const struct option opts[] = {
        {"replay", required_argument, NULL, O_REPLAY},
        {"servers", required_argument, NULL, 'n'},
        {"capacity", required_argument, NULL, O_CAP},
        {"policy", required_argument, NULL, 'p'},
        {"placements", required_argument, NULL, O_PLACEMENTS},
        {"out", required_argument, NULL, 'o'},
        {"check", no_argument, NULL, O_CHECK},
        {"quiet", no_argument, NULL, O_QUIET},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"no-progress", no_argument, NULL, O_NOPROGRESS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *trace = NULL, *placements = NULL, *out = NULL;
    cp_replay_opts_t ro = {.servers = 0, .capacity = 0, .policy = -1};
    bool check = false, quiet = false;
    int progress = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:p:o:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case O_REPLAY: trace = optarg; break;
        case 'n': {
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (*end || errno || n < 1 || n > 100000) {
                fprintf(stderr, "confpool sim: --servers expects 1 to 100000\n");
                return 2;
            }
            ro.servers = (unsigned)n;
            break;
        }
        case O_CAP:
            errno = 0;
            ro.capacity = strtod(optarg, &end);
            if (*end || errno || !(ro.capacity > 0)) {
                fprintf(stderr, "confpool sim: --capacity expects load units > 0\n");
                return 2;
            }
            break;
        case 'p': {
            cp_policy_t p;
            if (!cp_policy_parse(optarg, &p)) {
                fprintf(stderr, "confpool sim: unknown policy '%s' (a replay runs the "
                                "engine's policies)\n", optarg);
                return 2;
            }
            ro.policy = (int)p;
            break;
        }
        case O_PLACEMENTS: placements = optarg; break;
        case 'o': out = optarg; break;
        case O_CHECK: check = true; break;
        case O_QUIET: quiet = true; break;
        case O_PROGRESS: progress = 1; break;
        case O_NOPROGRESS: progress = -1; break;
        case 'h': cp__usage(stdout); return 0;
        default: cp__usage(stderr); return 2;
        }
    }
    if (trace == NULL || optind < argc) {
        cp__usage(stderr);
        return 2;
    }
    FILE *in = fopen(trace, "r");
    if (in == NULL) {
        fprintf(stderr, "confpool sim: cannot read %s: %s\n", trace, strerror(errno));
        return 1;
    }
    struct stat stbuf;
    double total = fstat(fileno(in), &stbuf) == 0 && stbuf.st_size > 0 ? (double)stbuf.st_size : 1;
    cp__pl_t pl = {.b = CP_BUF_INIT};
    if (placements && (pl.f = fopen(placements, "w")) == NULL) {
        fprintf(stderr, "confpool sim: cannot write %s: %s\n", placements, strerror(errno));
        fclose(in);
        return 1;
    }
    if (out && cp_sim_mkdirs(out) != 0) {
        fprintf(stderr, "confpool sim: cannot create %s: %s\n", out, strerror(errno));
        fclose(in);
        if (pl.f)
            fclose(pl.f);
        return 1;
    }
    cp_replay_t *r = cp_replay_new(&ro);
    cp_replay_set_join_hook(r, cp__on_join, &pl);
    cp_progress_t prog;
    cp_progress_init(&prog, progress);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0, bad = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (n == 1 && line[0] == '\n')
            continue;
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)n, 0, &jerr);
        char err[160];
        if (o == NULL || cp_replay_line(r, o, err, sizeof err) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "confpool sim: %s:%lu: %s\n", trace, lineno,
                        o ? err : jerr.text);
        }
        json_decref(o);
        if ((lineno & 1023) == 0)
            cp_progress_update(&prog, (double)ftell(in) / total, "replaying");
    }
    cp_progress_done(&prog);
    free(line);
    fclose(in);
    cp_sim_result_t res;
    cp_replay_finish(r, &res);
    cp_sim_flush_buf(pl.f, &pl.b, 0);
    if (pl.f)
        fclose(pl.f);
    cp_buf_free(&pl.b);
    const cp_replay_stats_t *st = cp_replay_stats(r);
    bool whatif = ro.servers > 0 || ro.policy >= 0;
    if (!quiet) {
        printf("replayed %s: %llu events, %llu starts, %llu joins", trace,
               (unsigned long long)st->lines, (unsigned long long)st->starts,
               (unsigned long long)st->joins);
        if (whatif)
            printf(" (what if: %s%s%s)\n", ro.servers ? "other servers" : "",
                   ro.servers && ro.policy >= 0 ? ", " : "",
                   ro.policy >= 0 ? cp_policy_name((cp_policy_t)ro.policy) : "");
        else
            printf("; placements reproduced: %llu of %llu (%llu differ)\n",
                   (unsigned long long)st->joins_match, (unsigned long long)st->joins,
                   (unsigned long long)st->joins_differ);
        if (st->restored_servers || st->restored_meetings || st->starts > 1)
            printf("note: the daemon restarted or restored %llu servers and %llu meetings from "
                   "its database; that state is not in the trace, so later placements may "
                   "differ\n",
                   (unsigned long long)st->restored_servers,
                   (unsigned long long)st->restored_meetings);
        if (st->unknown_meetings)
            printf("note: %llu joins to meetings the trace never created\n",
                   (unsigned long long)st->unknown_meetings);
        cp_buf_t b = CP_BUF_INIT;
        const cp_sim_result_t *rp = &res;
        cp_sim_report_table(&b, &rp, 1);
        fwrite(b.data, 1, b.len, stdout);
        cp_buf_free(&b);
        printf("(utilization as the engine saw it: a trace carries no other truth)\n");
    }
    int rc = 0;
    if (out) {
        cp_buf_t b = CP_BUF_INIT;
        cp_jw_t w;
        cp_jw_init(&w, &b);
        cp_jw_obj(&w);
        cp_jw_key(&w, "trace");
        cp_jw_str(&w, trace);
        cp_jw_key(&w, "events");
        cp_jw_int(&w, (int64_t)st->lines);
        cp_jw_key(&w, "joins");
        cp_jw_int(&w, (int64_t)st->joins);
        cp_jw_key(&w, "placements_reproduced");
        cp_jw_int(&w, (int64_t)st->joins_match);
        cp_jw_key(&w, "placements_differ");
        cp_jw_int(&w, (int64_t)st->joins_differ);
        cp_jw_key(&w, "policy");
        cp_jw_str(&w, cp_policy_name((cp_policy_t)res.policy));
        cp_jw_key(&w, "peak_util");
        cp_jw_fixed(&w, res.peak_util, 4);
        cp_jw_key(&w, "max_util_over_lstar_p99");
        cp_jw_fixed(&w, res.stats.ratio_p99, 4);
        cp_jw_key(&w, "hot_participant_minutes");
        cp_jw_fixed(&w, res.stats.hot_pmin, 0);
        cp_jw_key(&w, "joins_refused");
        cp_jw_int(&w, (int64_t)res.joins_refused);
        cp_jw_obj_end(&w);
        cp_buf_putc(&b, '\n');
        char err[256];
        rc = cp_sim_write_file(out, "summary.json", &b, err, sizeof err);
        if (rc == 0 && cp_replay_metrics(r)->nmin) {
            cp_buf_clear(&b);
            cp_sim_plot_servers(&b, cp_replay_metrics(r), "replay: utilization (engine view)");
            rc = cp_sim_write_file(out, "util-replay.svg", &b, err, sizeof err);
        }
        if (rc)
            fprintf(stderr, "confpool sim: %s\n", err);
        cp_buf_free(&b);
    }
    if (check && !whatif && st->joins_differ > 0) {
        fprintf(stderr, "confpool sim: %llu placements differ from the trace\n",
                (unsigned long long)st->joins_differ);
        rc = 1;
    }
    cp_replay_free(r);
    return rc ? 1 : 0;
}
