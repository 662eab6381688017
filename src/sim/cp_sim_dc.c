/* cp_sim_dc.c — many independent pools on worker threads (see cp_sim_dc.h). */
#include "sim/cp_sim_dc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/base/cp_alloc.h"

typedef struct cp__pool_out {
    cp_sim_result_t r;
    double *ratio, *imb;
    size_t nb;
} cp__pool_out_t;

typedef struct cp__dc {
    const cp_sim_model_t *model;
    const cp_sim_opts_t *opts;
    unsigned pools;
    atomic_uint next, done;
    cp__pool_out_t *out;
} cp__dc_t;

uint64_t cp_sim_dc_seed(uint64_t seed, unsigned k) {
    return seed + (uint64_t)k * 0x9e3779b97f4a7c15ULL;
}

static void cp__run_pool(cp__dc_t *dc, unsigned k) {
    cp_sim_opts_t o = *dc->opts;
    o.seed = cp_sim_dc_seed(dc->opts->seed, k);
    o.keep_servers = false;
    cp_sim_t *s = cp_sim_new(dc->model, &o);
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    cp__pool_out_t *po = &dc->out[k];
    po->r = *cp_sim_result(s);
    po->r.large = NULL; /* not kept: a datacenter has one or more per pool */
    po->r.nlarge = 0;
    const cp_sim_metrics_t *m = cp_sim_metrics(s);
    po->ratio = cp_malloc((m->nmin ? m->nmin : 1) * sizeof *po->ratio);
    po->imb = cp_malloc((m->nmin ? m->nmin : 1) * sizeof *po->imb);
    po->nb = cp_sim_metrics_busy(m, po->ratio, po->imb);
    cp_sim_free(s);
}

static void *cp__worker(void *arg) {
    cp__dc_t *dc = arg;
    for (;;) {
        unsigned k = atomic_fetch_add(&dc->next, 1);
        if (k >= dc->pools)
            break;
        cp__run_pool(dc, k);
        atomic_fetch_add(&dc->done, 1);
    }
    return NULL;
}

static void cp__aggregate(cp__dc_t *dc, cp_sim_result_t *out) {
    memset(out, 0, sizeof *out);
    size_t nb = 0;
    double wsize = 0, wdur = 0, u20 = 0, u100 = 0, o250 = 0;
    for (unsigned k = 0; k < dc->pools; k++)
        nb += dc->out[k].nb;
    double *ratio = cp_malloc((nb ? nb : 1) * sizeof *ratio);
    double *imb = cp_malloc((nb ? nb : 1) * sizeof *imb);
    nb = 0;
    for (unsigned k = 0; k < dc->pools; k++) {
        const cp_sim_result_t *r = &dc->out[k].r;
        if (k == 0) {
            out->policy = r->policy;
            out->scale = r->scale;
            out->stats.minutes = r->stats.minutes;
        }
        out->meetings += r->meetings;
        out->meetings_hosted += r->meetings_hosted;
        out->meetings_refused += r->meetings_refused;
        out->join_attempts += r->join_attempts;
        out->joins_ok += r->joins_ok;
        out->joins_refused += r->joins_refused;
        out->refused_pool_full += r->refused_pool_full;
        out->refused_meeting_full += r->refused_meeting_full;
        out->engine_calls += r->engine_calls;
        out->reports += r->reports;
        out->large_total += r->large_total;
        out->large_hosted += r->large_hosted;
        out->large_attempts += r->large_attempts;
        out->large_refused += r->large_refused;
        out->generated += r->generated;
        if (r->peak_util > out->peak_util) {
            out->peak_util = r->peak_util;
            out->peak_at = r->peak_at;
            char id[32];
            snprintf(id, sizeof id, "pool%u/", k);
            size_t n = strlen(id);
            snprintf(out->peak_server_id, sizeof out->peak_server_id, "%s%.*s", id,
                     (int)(sizeof out->peak_server_id - 1 - n), r->peak_server_id);
        }
        const cp_sim_stats_t *st = &r->stats;
        out->stats.hot_pmin += st->hot_pmin;
        if (st->pool_util_peak > out->stats.pool_util_peak)
            out->stats.pool_util_peak = st->pool_util_peak;
        if (st->max_util_sampled > out->stats.max_util_sampled)
            out->stats.max_util_sampled = st->max_util_sampled;
        if (st->peak_participants > out->stats.peak_participants)
            out->stats.peak_participants = st->peak_participants;
        if (st->peak_meetings > out->stats.peak_meetings)
            out->stats.peak_meetings = st->peak_meetings;
        double g = (double)r->generated;
        wsize += r->mean_size * g;
        wdur += r->mean_duration_min * g;
        u20 += r->share_under_20 * g;
        u100 += r->share_under_100 * g;
        o250 += r->share_over_250 * g;
        memcpy(ratio + nb, dc->out[k].ratio, dc->out[k].nb * sizeof *ratio);
        memcpy(imb + nb, dc->out[k].imb, dc->out[k].nb * sizeof *imb);
        nb += dc->out[k].nb;
    }
    if (out->generated) {
        double g = (double)out->generated;
        out->mean_size = wsize / g;
        out->mean_duration_min = wdur / g;
        out->share_under_20 = u20 / g;
        out->share_under_100 = u100 / g;
        out->share_over_250 = o250 / g;
    }
    cp_sim_stats_ratios(&out->stats, ratio, imb, nb);
    out->stats.minutes *= dc->pools; /* pool-minutes */
    out->pools = dc->pools;
    cp_free(ratio);
    cp_free(imb);
}

void cp_sim_dc_run(const cp_sim_model_t *model, const cp_sim_opts_t *opts, unsigned pools,
                   unsigned threads, cp_sim_result_t *out, cp_sim_dc_progress_fn progress,
                   void *ctx) {
    cp__dc_t dc = {.model = model, .opts = opts, .pools = pools};
    atomic_init(&dc.next, 0);
    atomic_init(&dc.done, 0);
    dc.out = cp_calloc(pools ? pools : 1, sizeof *dc.out);
    if (threads < 1)
        threads = 1;
    if (threads > pools)
        threads = pools ? pools : 1;
    pthread_t *tid = cp_calloc(threads, sizeof *tid);
    unsigned started = 0;
    for (unsigned i = 0; i < threads && threads > 1; i++)
        if (pthread_create(&tid[started], NULL, cp__worker, &dc) == 0)
            started++;
    if (started == 0) {
        /* no extra threads: do it all here, reporting after each pool */
        for (unsigned k = 0; k < pools; k++) {
            cp__run_pool(&dc, k);
            atomic_fetch_add(&dc.done, 1);
            if (progress)
                progress(ctx, k + 1, pools);
        }
    } else {
        /* This thread only reports progress while the workers run. */
        while (atomic_load(&dc.done) < pools) {
            if (progress)
                progress(ctx, atomic_load(&dc.done), pools);
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (progress)
        progress(ctx, pools, pools);
    cp__aggregate(&dc, out);
    for (unsigned k = 0; k < pools; k++) {
        cp_free(dc.out[k].ratio);
        cp_free(dc.out[k].imb);
    }
    cp_free(dc.out);
    cp_free(tid);
}

void cp_sim_result_free(cp_sim_result_t *r) {
    cp_free(r->large);
    r->large = NULL;
    r->nlarge = 0;
}
