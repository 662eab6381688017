/* cp_sim_cli.c — `confpool sim`: loads a model, runs it once per policy on
 * the same workload, prints the comparison table and writes summary.json,
 * per-minute CSV, and SVG plots to --out. */
#include "sim/cp_sim_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cp_sim.h"
#include "sim/cp_sim_dc.h"
#include "sim/cp_sim_io.h"
#include "sim/cp_sim_plot.h"
#include "sim/cp_sim_report.h"
#include "util/base/cp_alloc.h"
#include "util/base/cp_time.h"
#include "util/cp_clock.h"

static void cp__usage(FILE *f) {
    fprintf(f,
            "usage: confpool sim [--model lync2013|FILE] [--set SECTION.KEY=VALUE]...\n"
            "                    [--servers N | --pool FILE] [--policy P | --policies A,B,...|all]\n"
            "                    [--duration 1d] [--seed S] [--start TIME] [--out DIR]\n"
            "                    [--instances K] [--report-mode other|cpu|none]\n"
            "                    [--report-interval 10s] [--staleness 2s]\n"
            "                    [--csv | --no-csv] [--no-plots] [--progress | --no-progress]\n"
            "                    [--pools N [--threads T]] [--quiet] [--dump-model]\n"
            "       confpool sim --replay TRACE [--servers N [--capacity U]] [--policy P]\n"
            "                    [--placements FILE] [--out DIR]\n"
            "policies: least_utilization power_of_two round_robin random least_meetings\n"
            "          best_fit clairvoyant (simulator only)\n");
}

typedef struct cp__opts {
    const char *model, *pool, *out, *policies;
    const char **sets;
    size_t nsets;
    long servers, pools, threads;
    cp_sim_opts_t run;
    int csv;      /* -1 off, 0 auto, 1 on */
    bool plots, quiet, dump;
    int progress; /* -1, 0, 1 */
    const char *instances, *report_mode, *report_interval, *staleness;
} cp__opts_t;

static int cp__parse(int argc, char **argv, cp__opts_t *o) {
    enum { O_SET = 256, O_POLICIES, O_CSV, O_NOCSV, O_NOPLOTS, O_PROGRESS, O_NOPROGRESS,
           O_QUIET, O_DUMP, O_INSTANCES, O_RMODE, O_RINT, O_STALE, O_START, O_POOL,
           O_POOLS, O_THREADS };
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},      {"set", required_argument, NULL, O_SET},
        {"servers", required_argument, NULL, 'n'},    {"pool", required_argument, NULL, O_POOL},
        {"policy", required_argument, NULL, 'p'},     {"policies", required_argument, NULL, O_POLICIES},
        {"duration", required_argument, NULL, 'd'},   {"seed", required_argument, NULL, 's'},
        {"start", required_argument, NULL, O_START},  {"out", required_argument, NULL, 'o'},
        {"instances", required_argument, NULL, O_INSTANCES},
        {"report-mode", required_argument, NULL, O_RMODE},
        {"report-interval", required_argument, NULL, O_RINT},
        {"staleness", required_argument, NULL, O_STALE},
        {"csv", no_argument, NULL, O_CSV},           {"no-csv", no_argument, NULL, O_NOCSV},
        {"no-plots", no_argument, NULL, O_NOPLOTS},  {"progress", no_argument, NULL, O_PROGRESS},
        {"no-progress", no_argument, NULL, O_NOPROGRESS},
        {"quiet", no_argument, NULL, O_QUIET},       {"dump-model", no_argument, NULL, O_DUMP},
        {"pools", required_argument, NULL, O_POOLS}, {"threads", required_argument, NULL, O_THREADS},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->model = "lync2013";
    o->plots = true;
    o->servers = -1;
    o->pools = 1;
    o->threads = sysconf(_SC_NPROCESSORS_ONLN);
    cp_sim_opts_defaults(&o->run);
    o->sets = cp_calloc((size_t)argc + 1, sizeof *o->sets);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:n:p:d:s:o:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': o->model = optarg; break;
        case O_SET: o->sets[o->nsets++] = optarg; break;
        case 'n':
            errno = 0;
            o->servers = strtol(optarg, &end, 10);
            if (*end || errno || o->servers < 1 || o->servers > 1000000) {
                fprintf(stderr, "confpool sim: --servers expects 1 to 1000000\n");
                return -1;
            }
            break;
        case O_POOL: o->pool = optarg; break;
        case O_POOLS:
        case O_THREADS: {
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (*end || errno || v < 1 || v > 1000000) {
                fprintf(stderr, "confpool sim: --%s expects 1 to 1000000\n",
                        c == O_POOLS ? "pools" : "threads");
                return -1;
            }
            *(c == O_POOLS ? &o->pools : &o->threads) = v;
            break;
        }
        case 'p':
        case O_POLICIES: o->policies = optarg; break;
        case 'd': {
            int64_t ms;
            if (!cp_duration_parse(optarg, &ms) || ms < 60000) {
                fprintf(stderr, "confpool sim: --duration expects at least 1m (e.g. 1d, 6h)\n");
                return -1;
            }
            o->run.duration = ms;
            break;
        }
        case 's':
            errno = 0;
            o->run.seed = strtoull(optarg, &end, 10);
            if (*end || errno || optarg[0] == '-') {
                fprintf(stderr, "confpool sim: --seed expects an unsigned integer\n");
                return -1;
            }
            break;
        case O_START: {
            int64_t t;
            if (!cp_time_parse(optarg, strlen(optarg), &t)) {
                fprintf(stderr, "confpool sim: --start expects an RFC 3339 time\n");
                return -1;
            }
            o->run.t0 = t;
            break;
        }
        case 'o': o->out = optarg; break;
        case O_INSTANCES: o->instances = optarg; break;
        case O_RMODE: o->report_mode = optarg; break;
        case O_RINT: o->report_interval = optarg; break;
        case O_STALE: o->staleness = optarg; break;
        case O_CSV: o->csv = 1; break;
        case O_NOCSV: o->csv = -1; break;
        case O_NOPLOTS: o->plots = false; break;
        case O_PROGRESS: o->progress = 1; break;
        case O_NOPROGRESS: o->progress = -1; break;
        case O_QUIET: o->quiet = true; break;
        case O_DUMP: o->dump = true; break;
        case 'h': cp__usage(stdout); exit(0);
        default: cp__usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "confpool sim: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* Loads the model and applies every override, in the order: model file,
 * pool file, --servers, --set, then the dedicated flags. */
static int cp__model(cp__opts_t *o, cp_sim_model_t *m) {
    char err[512];
    if (cp_sim_model_load(m, o->model, err, sizeof err) != 0 ||
        (o->pool && cp_sim_model_load_pool(m, o->pool, err, sizeof err) != 0)) {
        fprintf(stderr, "confpool sim: %s\n", err);
        return -1;
    }
    if (o->servers > 0)
        cp_sim_model_uniform_pool(m, (unsigned)o->servers);
    for (size_t i = 0; i < o->nsets; i++)
        if (cp_sim_model_set_kv(m, o->sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "confpool sim: --set %s\n", err);
            return -1;
        }
    if ((o->instances && cp_sim_model_set(m, "report", "instances", o->instances, err, sizeof err)) ||
        (o->report_mode && cp_sim_model_set(m, "report", "mode", o->report_mode, err, sizeof err)) ||
        (o->report_interval &&
         cp_sim_model_set(m, "report", "interval", o->report_interval, err, sizeof err)) ||
        (o->staleness && cp_sim_model_set(m, "report", "staleness", o->staleness, err, sizeof err)) ||
        cp_sim_model_check(m, err, sizeof err)) {
        fprintf(stderr, "confpool sim: %s\n", err);
        return -1;
    }
    /* Instances only see each other through CPU reports. */
    if (m->instances > 1 && m->report_mode == CP_SIM_REPORT_OTHER)
        m->report_mode = CP_SIM_REPORT_CPU;
    return 0;
}

/* "a,b,c" or "all" -> policy list. */
static int cp__policies(const char *spec, int *out, size_t *n) {
    *n = 0;
    if (spec == NULL) {
        out[(*n)++] = CP_POLICY_LEAST_UTILIZATION;
        return 0;
    }
    if (strcmp(spec, "all") == 0) {
        for (int p = 0; p < CP_SIM_NPOLICIES; p++)
            out[(*n)++] = p;
        return 0;
    }
    const char *p = spec;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name) {
            fprintf(stderr, "confpool sim: bad policy list '%s'\n", spec);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int pol;
        if (!cp_sim_policy_parse(name, &pol)) {
            fprintf(stderr, "confpool sim: unknown policy '%s'\n", name);
            return -1;
        }
        if (*n == CP_SIM_NPOLICIES * 2) {
            fprintf(stderr, "confpool sim: too many policies\n");
            return -1;
        }
        out[(*n)++] = pol;
        p = c ? c + 1 : p + len;
    }
    return 0;
}

/* Progress of a datacenter run: which policy, how many of its pools. */
typedef struct cp__dcprog {
    cp_progress_t *p;
    size_t policy, npolicies;
    const char *name;
} cp__dcprog_t;

static void cp__dc_progress(void *ctx, unsigned done, unsigned total) {
    cp__dcprog_t *d = ctx;
    char label[96];
    snprintf(label, sizeof label, "%s: pools %u/%u", d->name, done, total);
    double f = total ? (double)done / (double)total : 1.0;
    cp_progress_update(d->p, ((double)d->policy + f) / (double)d->npolicies, label);
}

typedef struct cp__csv {
    FILE *minutes, *servers;
    cp_buf_t bm, bs;
    cp_ms_t t0;
    const cp_sim_t *sim;
} cp__csv_t;

static void cp__on_minute(void *ctx, cp_ms_t t, const cp_sim_minute_t *row,
                          const cp_sim_view_t *v) {
    cp__csv_t *c = ctx;
    if (c->minutes) {
        cp_sim_csv_minutes_row(&c->bm, t, c->t0, row);
        cp_sim_flush_buf(c->minutes, &c->bm, 1 << 16);
    }
    if (c->servers) {
        cp_sim_csv_servers_rows(&c->bs, t, c->t0, c->sim, v);
        cp_sim_flush_buf(c->servers, &c->bs, 1 << 16);
    }
}

static void cp__csv_close(cp__csv_t *c) {
    cp_sim_flush_buf(c->minutes, &c->bm, 0);
    cp_sim_flush_buf(c->servers, &c->bs, 0);
    if (c->minutes)
        fclose(c->minutes);
    if (c->servers)
        fclose(c->servers);
    cp_buf_free(&c->bm);
    cp_buf_free(&c->bs);
}

int cp_sim_main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--replay") == 0 || strncmp(argv[i], "--replay=", 9) == 0)
            return cp_sim_replay_main(argc, argv);
    cp__opts_t o;
    if (cp__parse(argc, argv, &o) != 0)
        return 2;
    cp_sim_model_t model;
    int pols[CP_SIM_NPOLICIES * 2];
    size_t npol;
    if (cp__model(&o, &model) != 0 || cp__policies(o.policies, pols, &npol) != 0) {
        cp_free(o.sets);
        return 2;
    }
    int rc = 0;
    char err[512];
    if (o.dump) {
        cp_buf_t b = CP_BUF_INIT;
        cp_sim_model_dump(&model, &b);
        fwrite(b.data, 1, b.len, stdout);
        cp_buf_free(&b);
        goto done;
    }
    if (o.out && cp_sim_mkdirs(o.out) != 0) {
        fprintf(stderr, "confpool sim: cannot create %s: %s\n", o.out, strerror(errno));
        rc = 1;
        goto done;
    }
    size_t nservers = model.nserver_list ? model.nserver_list : model.servers;
    bool dc = o.pools > 1;
    bool csv = !dc && o.out && (o.csv > 0 || (o.csv == 0 && nservers <= 1000));
    cp_sim_result_t *dcres = dc ? cp_calloc(npol, sizeof *dcres) : NULL;
    cp_sim_t **sims = cp_calloc(npol, sizeof *sims);
    const cp_sim_result_t **res = cp_calloc(npol, sizeof *res);
    cp_progress_t prog;
    cp_progress_init(&prog, o.progress);
    uint64_t t_start = cp_clock_mono_ns();
    double scale = 0;
    for (size_t i = 0; i < npol && rc == 0; i++) {
        cp_sim_opts_t ro = o.run;
        ro.policy = pols[i];
        ro.keep_servers = o.plots;
        ro.scale = scale; /* calibrated once, shared by every policy */
        if (dc) {
            if (scale <= 0) {
                cp_mu_t cost[8], base;
                cp_sim_t *probe = cp_sim_new(&model, &ro);
                cp_sim_costs(probe, cost, &base);
                scale = ro.scale = cp_sim_result(probe)->scale;
                cp_sim_free(probe);
            }
            cp__dcprog_t dp = {&prog, i, npol, cp_sim_policy_name(pols[i])};
            cp_sim_dc_run(&model, &ro, (unsigned)o.pools, (unsigned)o.threads, &dcres[i],
                          cp__dc_progress, &dp);
            res[i] = &dcres[i];
            continue;
        }
        cp_sim_t *s = sims[i] = cp_sim_new(&model, &ro);
        scale = cp_sim_result(s)->scale;
        cp__csv_t c = {.t0 = ro.t0, .sim = s};
        if (csv) {
            char name[96];
            snprintf(name, sizeof name, "minutes-%s.csv", cp_sim_policy_name(pols[i]));
            c.minutes = cp_sim_open(o.out, name, err, sizeof err);
            snprintf(name, sizeof name, "servers-%s.csv", cp_sim_policy_name(pols[i]));
            c.servers = c.minutes ? cp_sim_open(o.out, name, err, sizeof err) : NULL;
            if (c.minutes == NULL || c.servers == NULL) {
                fprintf(stderr, "confpool sim: %s\n", err);
                cp__csv_close(&c);
                rc = 1;
                break;
            }
            cp_sim_csv_minutes_header(&c.bm);
            cp_sim_csv_servers_header(&c.bs);
            cp_sim_set_minute_hook(s, cp__on_minute, &c);
        }
        cp_ms_t t = cp_sim_start(s), end = cp_sim_end(s);
        const cp_ms_t chunk = 10 * 60000;
        char label[96];
        snprintf(label, sizeof label, "%s (%zu/%zu)", cp_sim_policy_name(pols[i]), i + 1, npol);
        while (cp_sim_run(s, t += chunk))
            cp_progress_update(&prog,
                               ((double)i + (double)(t - cp_sim_start(s)) /
                                                (double)(end - cp_sim_start(s))) / (double)npol,
                               label);
        cp__csv_close(&c);
        cp_sim_set_minute_hook(s, NULL, NULL);
        res[i] = cp_sim_result(s);
    }
    cp_progress_done(&prog);
    double wall = (double)(cp_clock_mono_ns() - t_start) / 1e9;
    if (rc == 0) {
        cp_mu_t cap = 0;
        for (size_t k = 0; k < nservers; k++)
            cap += (cp_mu_t)(model.nserver_list ? model.server_list[k].capacity * CP_MU_PER_UNIT
                                                : model.capacity * CP_MU_PER_UNIT);
        cp_sim_run_info_t info = {.model = &model, .model_source = o.model, .seed = o.run.seed,
                                  .t0 = o.run.t0, .duration = o.run.duration,
                                  .servers = nservers, .capacity = cap};
        cp_buf_t b = CP_BUF_INIT;
        if (!o.quiet) {
            if (dc)
                printf("model %s, %ld pools of %zu servers and %.0f users, seed %llu, %.4g h "
                       "simulated, %ld threads\n",
                       model.name, o.pools, nservers, model.users, (unsigned long long)o.run.seed,
                       (double)o.run.duration / 3600000.0, o.threads);
            else
                printf("model %s, %zu servers, %.0f users, seed %llu, %.4g h simulated\n",
                       model.name, nservers, model.users, (unsigned long long)o.run.seed,
                       (double)o.run.duration / 3600000.0);
            cp_sim_report_table(&b, res, npol);
            fwrite(b.data, 1, b.len, stdout);
            cp_buf_clear(&b);
            double simulated = (double)o.run.duration / 1000.0 * (double)npol * (double)o.pools;
            uint64_t meetings = 0;
            for (size_t i = 0; i < npol; i++)
                meetings += res[i]->generated;
            printf("wall time %.2fs for %zu run(s) of %ld pool(s): %.0f simulated pool-seconds "
                   "per second, %.0f meetings per second\n",
                   wall, npol, o.pools, simulated / (wall > 0 ? wall : 1e-9),
                   (double)meetings / (wall > 0 ? wall : 1e-9));
        }
        if (o.out) {
            cp_sim_report_json(&b, &info, res, npol);
            rc |= cp_sim_write_file(o.out, "summary.json", &b, err, sizeof err);
            cp_buf_clear(&b);
            cp_sim_model_dump(&model, &b);
            rc |= cp_sim_write_file(o.out, "model.ini", &b, err, sizeof err);
            if (o.plots && rc == 0) {
                for (size_t i = 0; i < npol && rc == 0 && !dc; i++) {
                    char title[160], name[96];
                    snprintf(title, sizeof title, "%s, %zu servers, %s: utilization per server",
                             model.name, nservers, cp_sim_policy_name(pols[i]));
                    cp_buf_clear(&b);
                    cp_sim_plot_servers(&b, cp_sim_metrics(sims[i]), title);
                    snprintf(name, sizeof name, "util-%s.svg", cp_sim_policy_name(pols[i]));
                    rc |= cp_sim_write_file(o.out, name, &b, err, sizeof err);
                }
                char title[160];
                snprintf(title, sizeof title, "%s, %zu servers, seed %llu: policies compared",
                         model.name, nservers, (unsigned long long)o.run.seed);
                cp_buf_clear(&b);
                cp_sim_plot_policies(&b, title, res, npol);
                rc |= cp_sim_write_file(o.out, "policies.svg", &b, err, sizeof err);
            }
            if (rc)
                fprintf(stderr, "confpool sim: %s\n", err);
        }
        cp_buf_free(&b);
    }
    for (size_t i = 0; i < npol; i++) {
        cp_sim_free(sims[i]);
        if (dcres)
            cp_sim_result_free(&dcres[i]);
    }
    cp_free(sims);
    cp_free(dcres);
    cp_free(res);
done:
    cp_sim_model_free(&model);
    cp_free(o.sets);
    return rc ? 1 : 0;
}
