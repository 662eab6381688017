/* cp_sim_metrics.c — per-minute samples and their summary (see
 * cp_sim_metrics.h). */
#include "sim/cp_sim_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/base/cp_alloc.h"

double cp_sim_lstar(cp_mu_t total_load, cp_mu_t total_cap, cp_mu_t max_meeting, cp_mu_t max_cap) {
    double avg = total_cap > 0 ? (double)total_load / (double)total_cap : 0.0;
    double one = max_cap > 0 ? (double)max_meeting / (double)max_cap : 0.0;
    return avg > one ? avg : one;
}

void cp_sim_metrics_init(cp_sim_metrics_t *m, size_t nservers, bool keep_servers) {
    memset(m, 0, sizeof *m);
    m->nservers = nservers;
    m->keep_servers = keep_servers && nservers <= CP_SIM_PLOT_SERVERS;
}

void cp_sim_metrics_free(cp_sim_metrics_t *m) {
    cp_free(m->min);
    cp_free(m->server_util);
    memset(m, 0, sizeof *m);
}

const cp_sim_minute_t *cp_sim_metrics_sample(cp_sim_metrics_t *m, const cp_mu_t *load,
                                             const cp_mu_t *cap, const uint32_t *parts,
                                             uint32_t meetings, cp_mu_t max_meeting) {
    if (m->nmin == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1536;
        m->min = cp_reallocarray(m->min, m->cap, sizeof *m->min);
        if (m->keep_servers)
            m->server_util =
                cp_reallocarray(m->server_util, m->cap * (m->nservers ? m->nservers : 1),
                                sizeof *m->server_util);
    }
    cp_sim_minute_t *r = &m->min[m->nmin];
    memset(r, 0, sizeof *r);
    cp_mu_t tl = 0, tc = 0, mc = 0;
    double maxu = 0, minu = INFINITY, sumu = 0;
    size_t n = 0;
    uint64_t hot = 0, total = 0;
    for (size_t i = 0; i < m->nservers; i++) {
        double u = cap[i] > 0 ? (double)load[i] / (double)cap[i] : 0.0;
        if (m->keep_servers)
            m->server_util[m->nmin * m->nservers + i] = (float)u;
        if (cap[i] <= 0)
            continue;
        tl += load[i];
        tc += cap[i];
        if (cap[i] > mc)
            mc = cap[i];
        if (u > maxu)
            maxu = u;
        if (u < minu)
            minu = u;
        sumu += u;
        n++;
        total += parts[i];
        if (u > CP_SIM_HOT_UTIL)
            hot += parts[i];
    }
    r->pool_util = tc > 0 ? (float)((double)tl / (double)tc) : 0.0f;
    r->max_util = (float)maxu;
    r->min_util = n ? (float)minu : 0.0f;
    r->mean_util = n ? (float)(sumu / (double)n) : 0.0f;
    r->lstar = (float)cp_sim_lstar(tl, tc, max_meeting, mc);
    r->hot_parts = (uint32_t)hot;
    r->participants = (uint32_t)total;
    r->meetings = meetings;
    m->hot_pmin += (double)hot;
    m->nmin++;
    return r;
}

static int cp__dcmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cp_sim_percentile(double *v, size_t n, double p) {
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cp__dcmp);
    double rank = ceil(p * (double)n);
    size_t i = rank < 1 ? 0 : (size_t)rank - 1;
    if (i >= n)
        i = n - 1;
    return v[i];
}

size_t cp_sim_metrics_busy(const cp_sim_metrics_t *m, double *ratio, double *imb) {
    size_t nb = 0;
    for (size_t i = 0; i < m->nmin; i++) {
        const cp_sim_minute_t *r = &m->min[i];
        if (r->pool_util >= (float)CP_SIM_BUSY_UTIL && r->lstar > 0) {
            ratio[nb] = (double)r->max_util / (double)r->lstar;
            imb[nb] = r->mean_util > 0 ? (double)r->max_util / (double)r->mean_util : 1.0;
            nb++;
        }
    }
    return nb;
}

void cp_sim_stats_ratios(cp_sim_stats_t *out, double *ratio, double *imb, size_t nb) {
    out->busy_minutes = nb;
    out->ratio_p50 = cp_sim_percentile(ratio, nb, 0.50);
    out->ratio_p99 = cp_sim_percentile(ratio, nb, 0.99);
    out->ratio_max = nb ? ratio[nb - 1] : NAN;
    out->imbalance_p50 = cp_sim_percentile(imb, nb, 0.50);
    out->imbalance_p99 = cp_sim_percentile(imb, nb, 0.99);
}

void cp_sim_metrics_summarize(const cp_sim_metrics_t *m, cp_sim_stats_t *out) {
    memset(out, 0, sizeof *out);
    out->minutes = m->nmin;
    out->hot_pmin = m->hot_pmin;
    for (size_t i = 0; i < m->nmin; i++) {
        const cp_sim_minute_t *r = &m->min[i];
        if (r->pool_util > out->pool_util_peak)
            out->pool_util_peak = r->pool_util;
        if (r->max_util > out->max_util_sampled)
            out->max_util_sampled = r->max_util;
        if (r->participants > out->peak_participants)
            out->peak_participants = r->participants;
        if (r->meetings > out->peak_meetings)
            out->peak_meetings = r->meetings;
    }
    double *ratio = cp_malloc((m->nmin ? m->nmin : 1) * sizeof *ratio);
    double *imb = cp_malloc((m->nmin ? m->nmin : 1) * sizeof *imb);
    cp_sim_stats_ratios(out, ratio, imb, cp_sim_metrics_busy(m, ratio, imb));
    cp_free(ratio);
    cp_free(imb);
}
