/* cp_plan.c — `confpool plan`: capacity questions answered by simulated
 * days on the real engine.
 *
 *   plan size     the smallest pool (number of servers) whose simulated
 *                 days refuse no more than --max-refused of the joins to
 *                 ordinary meetings; large meetings are reported apart,
 *                 since room for them is planned, not bought by the pool
 *   plan meeting  whether a meeting of --size people fits at --at on an
 *                 ordinary simulated day (cp_plan_meeting.c)
 *
 * This file parses the command line and runs `plan size`. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cp_plan_int.h"
#include "sim/cp_sim_cli.h"
#include "sim/cp_sim_dc.h"
#include "util/base/cp_alloc.h"
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


/* Reads optarg as an integer in [lo, hi]; says so on stderr if it is not. */
static bool cp__int_opt(const char *flag, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(optarg, &end, 10);
    if (*end || errno || end == optarg || v < lo || v > hi) {
        fprintf(stderr, "confpool plan: %s expects %ld to %ld\n", flag, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

static int cp__parse(int argc, char **argv, cp__plan_args_t *a) {
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
        long v;
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
        case O_SEEDS:
            if (!cp__int_opt("--seeds", 1, 1000, &v))
                return -1;
            a->seeds = (unsigned)v;
            break;
        case O_THREADS:
            if (!cp__int_opt("--threads", 1, 1024, &v))
                return -1;
            a->threads = (unsigned)v;
            break;
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
            if (!cp__int_opt("--servers", 1, 100000, &v))
                return -1;
            a->servers = v;
            break;
        case O_SIZE:
            if (!cp__int_opt("--size", 1, 1000000, &v))
                return -1;
            a->size = (uint32_t)v;
            break;
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

int cp__plan_model(const cp__plan_args_t *a, cp_sim_model_t *m) {
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

static void cp__try(const cp__plan_args_t *a, const cp_sim_model_t *base, double scale, unsigned n,
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

static int cp__size(const cp__plan_args_t *a) {
    if (a->users <= 0) {
        fprintf(stderr, "confpool plan size: --users is required\n");
        return 2;
    }
    cp_sim_model_t m;
    if (cp__plan_model(a, &m) != 0)
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

int cp_plan_main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cp__usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *what = argv[1];
    cp__plan_args_t a;
    if (cp__parse(argc - 1, argv + 1, &a) != 0) {
        cp_free(a.sets);
        return 2;
    }
    int rc;
    if (strcmp(what, "size") == 0)
        rc = cp__size(&a);
    else if (strcmp(what, "meeting") == 0)
        rc = cp__plan_meeting(&a);
    else {
        fprintf(stderr, "confpool plan: unknown question '%s' (size or meeting)\n", what);
        rc = 2;
    }
    cp_free(a.sets);
    return rc;
}
