/* cp_plan.c — `confpool plan`: capacity questions answered by simulated
 * days on the real engine.
 *
 *   plan size     the smallest pool (number of servers) whose simulated
 *                 days refuse no more than --max-refused of the joins to
 *                 ordinary meetings; large meetings are reported apart,
 *                 since room for them is planned, not bought by the pool
 *   plan meeting  whether a meeting of --size people fits at --at on an
 *                 ordinary simulated day: where the engine puts (or plans)
 *                 it, how many joins it refuses, how hot its host gets,
 *                 over --seeds days */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cp_sim.h"
#include "sim/cp_sim_cli.h"
#include "sim/cp_sim_dc.h"
#include "sim/cp_sim_dist.h"
#include "util/base/cp_alloc.h"
#include "util/base/cp_rng.h"
#include "util/base/cp_time.h"

#define CP__MIN 60000LL

static void cp__usage(FILE *f) {
    fprintf(f,
            "usage: confpool plan size --users N [--max-refused 0.1%%] [--model M] [--set K=V]...\n"
            "                          [--policy P] [--seeds K] [--duration 1d] [--seed S]\n"
            "                          [--include-large] [--threads T]\n"
            "       confpool plan meeting --size N --at HH:MM|TIME [--model M] [--servers N]\n"
            "                          [--set K=V]... [--policy P] [--seeds K] [--seed S]\n"
            "                          [--length 1h] [--notice 1d] [--modalities audio,sharing]\n"
            "                          [--audio-only SHARE]\n");
}

typedef struct cp__args {
    const char *model;
    const char **sets;
    size_t nsets;
    int policy;
    unsigned seeds, threads;
    uint64_t seed;
    cp_ms_t duration;
    double users, max_refused, audio_only;
    long servers;
    bool include_large;
    uint32_t size;
    const char *at;
    cp_ms_t length, notice;
    unsigned mods;
} cp__args_t;

static int cp__parse(int argc, char **argv, cp__args_t *a) {
    enum { O_SET = 256, O_USERS, O_MAXREF, O_SEEDS, O_INCL, O_THREADS, O_SIZE, O_AT, O_LENGTH,
           O_NOTICE, O_AUDIO, O_MODS };
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},      {"set", required_argument, NULL, O_SET},
        {"policy", required_argument, NULL, 'p'},     {"seeds", required_argument, NULL, O_SEEDS},
        {"seed", required_argument, NULL, 's'},       {"duration", required_argument, NULL, 'd'},
        {"users", required_argument, NULL, O_USERS},  {"max-refused", required_argument, NULL, O_MAXREF},
        {"include-large", no_argument, NULL, O_INCL}, {"threads", required_argument, NULL, O_THREADS},
        {"servers", required_argument, NULL, 'n'},    {"size", required_argument, NULL, O_SIZE},
        {"at", required_argument, NULL, O_AT},        {"length", required_argument, NULL, O_LENGTH},
        {"notice", required_argument, NULL, O_NOTICE},
        {"audio-only", required_argument, NULL, O_AUDIO},
        {"modalities", required_argument, NULL, O_MODS},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->model = "lync2013";
    a->policy = CP_POLICY_LEAST_UTILIZATION;
    a->seeds = 3;
    a->seed = 1;
    a->duration = 1440 * CP__MIN;
    a->max_refused = 0.001;
    a->audio_only = -1;
    a->servers = -1;
    a->length = 60 * CP__MIN;
    a->notice = 1440 * CP__MIN;
    a->threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    a->mods = CP_MOD_AUDIO | CP_MOD_SHARING;
    a->sets = cp_calloc((size_t)argc + 1, sizeof *a->sets);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:s:d:n:h", opts, NULL)) != -1) {
        char *end;
        errno = 0;
        switch (c) {
        case 'm': a->model = optarg; break;
        case O_SET: a->sets[a->nsets++] = optarg; break;
        case 'p':
            if (!cp_sim_policy_parse(optarg, &a->policy)) {
                fprintf(stderr, "confpool plan: unknown policy '%s'\n", optarg);
                return -1;
            }
            break;
        case O_SEEDS: {
            long v = strtol(optarg, &end, 10);
            if (*end || errno || v < 1 || v > 1000) {
                fprintf(stderr, "confpool plan: --seeds expects 1 to 1000\n");
                return -1;
            }
            a->seeds = (unsigned)v;
            break;
        }
        case O_THREADS: {
            long v = strtol(optarg, &end, 10);
            if (*end || errno || v < 1 || v > 1024) {
                fprintf(stderr, "confpool plan: --threads expects 1 to 1024\n");
                return -1;
            }
            a->threads = (unsigned)v;
            break;
        }
        case 's':
            a->seed = strtoull(optarg, &end, 10);
            if (*end || errno || optarg[0] == '-') {
                fprintf(stderr, "confpool plan: --seed expects an unsigned integer\n");
                return -1;
            }
            break;
        case 'd':
        case O_LENGTH:
        case O_NOTICE: {
            int64_t ms;
            if (!cp_duration_parse(optarg, &ms) || ms < (c == O_NOTICE ? 0 : 60000)) {
                fprintf(stderr, "confpool plan: expected a duration (1d, 90m, ...): '%s'\n",
                        optarg);
                return -1;
            }
            *(c == 'd' ? &a->duration : c == O_LENGTH ? &a->length : &a->notice) = ms;
            break;
        }
        case O_USERS:
            a->users = strtod(optarg, &end);
            if (*end || errno || !(a->users > 0)) {
                fprintf(stderr, "confpool plan: --users expects a positive number\n");
                return -1;
            }
            break;
        case O_MAXREF: {
            a->max_refused = strtod(optarg, &end);
            bool pct = *end == '%';
            if (pct)
                end++;
            if (*end || errno || a->max_refused < 0) {
                fprintf(stderr, "confpool plan: --max-refused expects a share (0.001 or 0.1%%)\n");
                return -1;
            }
            if (pct)
                a->max_refused /= 100.0;
            break;
        }
        case O_INCL: a->include_large = true; break;
        case 'n':
            a->servers = strtol(optarg, &end, 10);
            if (*end || errno || a->servers < 1 || a->servers > 100000) {
                fprintf(stderr, "confpool plan: --servers expects 1 to 100000\n");
                return -1;
            }
            break;
        case O_SIZE: {
            long v = strtol(optarg, &end, 10);
            if (*end || errno || v < 1 || v > 1000000) {
                fprintf(stderr, "confpool plan: --size expects 1 to 1000000\n");
                return -1;
            }
            a->size = (uint32_t)v;
            break;
        }
        case O_AT: a->at = optarg; break;
        case O_AUDIO:
            a->audio_only = strtod(optarg, &end);
            if (*end || errno || a->audio_only < 0 || a->audio_only > 1) {
                fprintf(stderr, "confpool plan: --audio-only expects a share from 0 to 1\n");
                return -1;
            }
            break;
        case O_MODS: {
            a->mods = 0;
            for (const char *p = optarg; *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                unsigned bit = cp_modality_parse(p, len);
                if (bit == 0) {
                    fprintf(stderr, "confpool plan: --modalities lists audio, video, sharing\n");
                    return -1;
                }
                a->mods |= bit;
                p += len + (comma != NULL);
            }
            break;
        }
        case 'h': cp__usage(stdout); exit(0);
        default: cp__usage(stderr); return -1;
        }
    }
    return 0;
}

static int cp__model(const cp__args_t *a, cp_sim_model_t *m) {
    char err[512];
    if (cp_sim_model_load(m, a->model, err, sizeof err) != 0) {
        fprintf(stderr, "confpool plan: %s\n", err);
        return -1;
    }
    if (a->servers > 0)
        cp_sim_model_uniform_pool(m, (unsigned)a->servers);
    if (a->users > 0)
        m->users = a->users;
    for (size_t i = 0; i < a->nsets; i++)
        if (cp_sim_model_set_kv(m, a->sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "confpool plan: --set %s\n", err);
            return -1;
        }
    if (cp_sim_model_check(m, err, sizeof err) != 0) {
        fprintf(stderr, "confpool plan: %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- plan size ------------------------------------------------------------------------ */

typedef struct cp__trial {
    unsigned servers;
    double refused, refused_all, peak, p99;
    uint64_t large_total, large_hosted;
} cp__trial_t;

static void cp__try(const cp__args_t *a, const cp_sim_model_t *base, double scale, unsigned n,
                    cp__trial_t *t) {
    cp_sim_model_t m;
    cp_sim_model_copy(&m, base);
    cp_sim_model_uniform_pool(&m, n);
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.policy = a->policy;
    o.seed = a->seed;
    o.duration = a->duration;
    o.scale = scale;
    cp_sim_result_t r;
    /* Each simulated day is a "pool" of the datacenter runner: K days with
     * seeds derived from --seed, in parallel. */
    cp_sim_dc_run(&m, &o, a->seeds, a->threads, &r, NULL, NULL);
    uint64_t att = r.join_attempts - r.large_attempts, ref = r.joins_refused - r.large_refused;
    t->servers = n;
    t->refused = att ? (double)ref / (double)att : 0;
    t->refused_all = r.join_attempts ? (double)r.joins_refused / (double)r.join_attempts : 0;
    t->peak = r.peak_util;
    t->p99 = r.stats.ratio_p99;
    t->large_total = r.large_total;
    t->large_hosted = r.large_hosted;
    cp_sim_result_free(&r);
    cp_sim_model_free(&m);
}

static int cp__size(const cp__args_t *a) {
    if (a->users <= 0) {
        fprintf(stderr, "confpool plan size: --users is required\n");
        return 2;
    }
    cp_sim_model_t m;
    if (cp__model(a, &m) != 0)
        return 2;
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_sim_t *probe = cp_sim_new(&m, &o);
    double scale = cp_sim_result(probe)->scale;
    cp_sim_free(probe);
    printf("plan size: model %s, %.0f users, %s, %u simulated day(s) per size, "
           "target: at most %.4g%% of joins to ordinary meetings refused%s\n",
           m.name, m.users, cp_sim_policy_name(a->policy), a->seeds, a->max_refused * 100,
           a->include_large ? " (large meetings included)" : "");
    printf("%8s  %12s  %12s  %9s  %10s  %s\n", "servers", "refused", "all joins", "peak util",
           "p99 max/L*", "large hosted");
    cp__trial_t *tried = cp_calloc(64, sizeof *tried);
    size_t ntried = 0;
    bool found = false;
    unsigned lo = 0, hi = 1;
    cp__trial_t best = {0};
    /* Grow until a size meets the target, then bisect (refusals fall as
     * servers are added). */
    for (;;) {
        cp__trial_t t;
        cp__try(a, &m, scale, hi, &t);
        if (ntried < 64)
            tried[ntried++] = t;
        printf("%8u  %11.4f%%  %11.4f%%  %9.3f  %10.3f  %llu/%llu\n", t.servers, t.refused * 100,
               t.refused_all * 100, t.peak, t.p99, (unsigned long long)t.large_hosted,
               (unsigned long long)t.large_total);
        fflush(stdout);
        double v = a->include_large ? t.refused_all : t.refused;
        if (v <= a->max_refused) {
            best = t;
            found = true;
            break;
        }
        lo = hi;
        if (hi >= 100000)
            break;
        hi *= 2;
    }
    while (found && hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        cp__trial_t t;
        cp__try(a, &m, scale, mid, &t);
        printf("%8u  %11.4f%%  %11.4f%%  %9.3f  %10.3f  %llu/%llu\n", t.servers, t.refused * 100,
               t.refused_all * 100, t.peak, t.p99, (unsigned long long)t.large_hosted,
               (unsigned long long)t.large_total);
        fflush(stdout);
        double v = a->include_large ? t.refused_all : t.refused;
        if (v <= a->max_refused) {
            hi = mid;
            best = t;
        } else {
            lo = mid;
        }
    }
    cp_free(tried);
    cp_sim_model_free(&m);
    if (!found) {
        printf("no pool size up to 100000 servers meets the target\n");
        return 1;
    }
    printf("answer: %u servers (refused %.4f%% of joins to ordinary meetings, %.4f%% of all; "
           "peak utilization %.3f)\n",
           best.servers, best.refused * 100, best.refused_all * 100, best.peak);
    return 0;
}

/* ---- plan meeting ------------------------------------------------------------------- */

/* "10:00" (time of day on the simulated day) or an RFC 3339 time. */
static bool cp__parse_at(const char *s, cp_ms_t t0, cp_ms_t *out) {
    unsigned h, mi;
    char tail;
    if (sscanf(s, "%u:%u%c", &h, &mi, &tail) == 2 && h < 24 && mi < 60) {
        *out = t0 + ((cp_ms_t)h * 60 + mi) * CP__MIN;
        return true;
    }
    return cp_time_parse(s, strlen(s), out);
}

/* The meeting asked about: `size` people who join over the first minutes
 * as the model's participants do, for `length`. */
static cp_sim_mtg_t *cp__meeting(const cp__args_t *a, const cp_sim_model_t *m, cp_sim_t *s,
                                 cp_ms_t start, uint64_t seed) {
    cp_mu_t cost[8], base;
    cp_sim_costs(s, cost, &base);
    cp_rng_t rng;
    cp_rng_seed(&rng, seed ^ 0x706c616eULL);
    cp_sim_mtg_t *mt = cp_sim_mtg_alloc(a->size);
    mt->kind = CP_SIM_LARGE;
    mt->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
    mt->mods = (uint8_t)(a->mods ? a->mods : CP_MOD_AUDIO);
    mt->start = mt->sched_start = start;
    mt->sched_end = start + a->length;
    mt->create = start - a->notice;
    mt->expected = a->size;
    double D = (double)a->length / 60000.0;
    double audio_only = a->audio_only >= 0 ? a->audio_only : m->large_audio_only;
    for (uint32_t i = 0; i < a->size; i++) {
        double u = cp_rng_unit(&rng), j;
        if (u < m->early_share)
            j = -cp_dist_uniform(&rng, 0, m->early_window);
        else if (u < m->early_share + m->late_share)
            j = cp_dist_uniform(&rng, 3, D / 2 > 3 ? D / 2 : 3);
        else
            j = cp_dist_exp(&rng, m->ontime_mean);
        double l = cp_rng_unit(&rng) < m->leave_early_share
                       ? cp_dist_uniform(&rng, (j > 0 ? j : 0) + 1, D > j + 1 ? D : j + 2)
                       : D + m->leave_spread * cp_dist_normal(&rng);
        if (l < j + 0.5)
            l = j + 0.5;
        mt->parts[i].join = (int32_t)llround(j * 60000.0);
        mt->parts[i].leave = (int32_t)llround(l * 60000.0);
        mt->parts[i].mods = cp_rng_unit(&rng) < audio_only ? CP_MOD_AUDIO : mt->mods;
    }
    cp_sim_mtg_finish(mt, cost, base);
    return mt;
}

typedef struct cp__day {
    bool hosted;
    uint32_t admitted, refused;
    char server[CP_ID_MAX + 1], plan[16], plan_host[CP_ID_MAX + 1];
    double host_peak, others_peak;
} cp__day_t;

static void cp__one_day(const cp__args_t *a, const cp_sim_model_t *m, double scale, cp_ms_t at,
                        unsigned k, cp__day_t *d) {
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.policy = a->policy;
    o.seed = cp_sim_dc_seed(a->seed, k);
    o.scale = scale;
    memset(d, 0, sizeof *d);
    cp_sim_t *s = cp_sim_new(m, &o);
    cp_sim_mtg_t *mt = cp__meeting(a, m, s, at, o.seed);
    cp_sim_inject(s, mt); /* owned by the simulator from here; not processed yet */
    char eid[sizeof mt->eid];
    memcpy(eid, mt->eid, sizeof eid);
    /* Run to the start, then minute by minute through the meeting, noting
     * how hot its host and the other servers get. */
    cp_sim_run(s, at);
    cp_engine_t *e = cp_sim_engine(s, 0);
    size_t ns = cp_sim_server_count(s);
    for (cp_ms_t t = at; t < at + a->length && t < cp_sim_end(s); t += CP__MIN) {
        cp_sim_run(s, t + CP__MIN);
        cp_meeting_t *em = cp_engine_meeting(e, eid, strlen(eid));
        const char *host = em && em->state == CP_MEETING_ACTIVE && em->server ? em->server->id
                                                                             : NULL;
        for (size_t i = 0; i < ns; i++) {
            double u = (double)cp_sim_server_load(s, i) / (double)cp_sim_server_capacity(s, i);
            if (host && strcmp(host, cp_sim_server_id(s, i)) == 0) {
                if (u > d->host_peak)
                    d->host_peak = u;
            } else if (u > d->others_peak) {
                d->others_peak = u;
            }
        }
    }
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    const cp_sim_result_t *r = cp_sim_result(s);
    for (size_t i = 0; i < r->nlarge; i++) {
        const cp_sim_large_t *l = &r->large[i];
        if (strcmp(l->id, eid) != 0)
            continue;
        d->hosted = l->server[0] != '\0';
        d->admitted = l->admitted;
        d->refused = l->refused;
        memcpy(d->server, l->server, sizeof d->server);
        memcpy(d->plan, l->plan_status, sizeof d->plan);
        memcpy(d->plan_host, l->plan_host, sizeof d->plan_host);
    }
    cp_sim_free(s);
}

static int cp__meeting_cmd(const cp__args_t *a) {
    if (a->size == 0 || a->at == NULL) {
        fprintf(stderr, "confpool plan meeting: --size and --at are required\n");
        return 2;
    }
    cp_sim_model_t m;
    if (cp__model(a, &m) != 0)
        return 2;
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_ms_t at;
    if (!cp__parse_at(a->at, o.t0, &at) || at < o.t0 || at >= o.t0 + o.duration) {
        fprintf(stderr, "confpool plan meeting: --at must be HH:MM or a time on the simulated "
                        "day\n");
        cp_sim_model_free(&m);
        return 2;
    }
    cp_sim_t *probe = cp_sim_new(&m, &o);
    double scale = cp_sim_result(probe)->scale;
    size_t ns = cp_sim_server_count(probe);
    cp_sim_free(probe);
    char ts[CP_TIME_STRLEN];
    cp_time_format(at, ts);
    printf("plan meeting: %u people at %s (%lld min), model %s, %zu servers, %s, %u simulated "
           "day(s)\n",
           a->size, ts, (long long)(a->length / CP__MIN), m.name, ns,
           cp_sim_policy_name(a->policy), a->seeds);
    printf("%5s  %-8s  %-10s  %-8s  %9s  %8s  %9s  %11s\n", "day", "fits", "plan", "server",
           "admitted", "refused", "host peak", "others peak");
    unsigned fits = 0, refused_days = 0, hot_days = 0;
    double host_max = 0, others_max = 0;
    char common[CP_ID_MAX + 1] = "";
    unsigned common_n = 0;
    cp__day_t *days = cp_calloc(a->seeds, sizeof *days);
    for (unsigned k = 0; k < a->seeds; k++) {
        cp__day_t *d = &days[k];
        cp__one_day(a, &m, scale, at, k, d);
        bool ok = d->hosted && d->refused == 0;
        fits += ok;
        refused_days += d->refused > 0;
        hot_days += d->host_peak > 0.90;
        if (d->host_peak > host_max)
            host_max = d->host_peak;
        if (d->others_peak > others_max)
            others_max = d->others_peak;
        printf("%5u  %-8s  %-10s  %-8s  %9u  %8u  %9.3f  %11.3f\n", k + 1, ok ? "yes" : "no",
               d->plan[0] ? d->plan : "-", d->server[0] ? d->server : "-", d->admitted,
               d->refused, d->host_peak, d->others_peak);
        unsigned same = 0;
        for (unsigned j = 0; j <= k; j++)
            same += strcmp(days[j].server, d->server) == 0 && d->server[0];
        if (same > common_n) {
            common_n = same;
            memcpy(common, d->server, sizeof common);
        }
    }
    printf("answer: fits on %u of %u days", fits, a->seeds);
    if (common[0])
        printf("; most often on %s (%u days)", common, common_n);
    printf("; risk: joins refused on %u days, host above 0.90 on %u days; host peak %.3f, "
           "other servers' peak %.3f\n",
           refused_days, hot_days, host_max, others_max);
    cp_free(days);
    cp_sim_model_free(&m);
    return fits == a->seeds ? 0 : 1;
}

int cp_plan_main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cp__usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *what = argv[1];
    cp__args_t a;
    if (cp__parse(argc - 1, argv + 1, &a) != 0) {
        cp_free(a.sets);
        return 2;
    }
    int rc;
    if (strcmp(what, "size") == 0)
        rc = cp__size(&a);
    else if (strcmp(what, "meeting") == 0)
        rc = cp__meeting_cmd(&a);
    else {
        fprintf(stderr, "confpool plan: unknown question '%s' (size or meeting)\n", what);
        rc = 2;
    }
    cp_free(a.sets);
    return rc;
}
