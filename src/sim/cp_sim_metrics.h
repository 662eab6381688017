/* cp_sim_metrics.h — what a simulated run is judged by, sampled once a
 * minute: server utilizations, the lower bound L*(t), hot participants.
 *
 *   L*(t) = max( sum of load / sum of capacity,
 *                largest single meeting's load / largest capacity )
 *
 * No placement can keep every server below L*(t): the pool's average is
 * a floor for its busiest server, and the largest meeting must sit whole
 * on one server. max-utilization / L*(t) therefore measures how far a
 * policy is from the best any policy could do at that minute. Minutes
 * count as busy when pool utilization is at least 0.55. Pure arithmetic,
 * no I/O: the simulator core and the replay feed it. */
#ifndef CP_SIM_METRICS_H
#define CP_SIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cp_types.h"

#define CP_SIM_BUSY_UTIL 0.55
#define CP_SIM_HOT_UTIL 0.90
/** Runs with at most this many servers keep each server's utilization per
 *  minute (for the per-server plot); larger runs keep min/mean/max. */
#define CP_SIM_PLOT_SERVERS 64

/** The lower bound L* for one instant. */
double cp_sim_lstar(cp_mu_t total_load, cp_mu_t total_cap, cp_mu_t max_meeting, cp_mu_t max_cap);

/** One minute, as sampled. */
typedef struct cp_sim_minute {
    float pool_util, max_util, mean_util, min_util, lstar;
    uint32_t hot_parts;    /* participants on servers above CP_SIM_HOT_UTIL */
    uint32_t participants; /* present in the pool */
    uint32_t meetings;     /* hosted in the pool */
} cp_sim_minute_t;

typedef struct cp_sim_metrics {
    size_t nservers;
    bool keep_servers;
    cp_sim_minute_t *min; /* one per sampled minute */
    size_t nmin, cap;
    float *server_util; /* nmin x nservers, if keep_servers */
    double hot_pmin;    /* participant-minutes on hot servers */
} cp_sim_metrics_t;

/** Summary over a run. Ratios and imbalance are over busy minutes only
 *  (NaN when there is none); percentiles are nearest-rank. */
typedef struct cp_sim_stats {
    size_t minutes, busy_minutes;
    double ratio_p50, ratio_p99, ratio_max;
    double imbalance_p50, imbalance_p99;
    double pool_util_peak, max_util_sampled;
    double hot_pmin;
    uint32_t peak_participants, peak_meetings;
} cp_sim_stats_t;

void cp_sim_metrics_init(cp_sim_metrics_t *m, size_t nservers, bool keep_servers);
void cp_sim_metrics_free(cp_sim_metrics_t *m);
/** Adds one minute. load, cap and parts have nservers entries (servers
 *  with capacity 0 are skipped); meetings is how many are hosted;
 *  max_meeting is the load of the largest meeting. Returns the record. */
const cp_sim_minute_t *cp_sim_metrics_sample(cp_sim_metrics_t *m, const cp_mu_t *load,
                                             const cp_mu_t *cap, const uint32_t *parts,
                                             uint32_t meetings, cp_mu_t max_meeting);
void cp_sim_metrics_summarize(const cp_sim_metrics_t *m, cp_sim_stats_t *out);
/** Copies max-util / L* and imbalance of each busy minute into ratio and
 *  imb (nmin entries each, at least); returns how many. */
size_t cp_sim_metrics_busy(const cp_sim_metrics_t *m, double *ratio, double *imb);
/** Fills the ratio and imbalance fields of out from busy-minute arrays
 *  (sorts them). */
void cp_sim_stats_ratios(cp_sim_stats_t *out, double *ratio, double *imb, size_t nb);
/** The nearest-rank p-quantile (0 < p <= 1) of v; sorts v. NaN if n is 0. */
double cp_sim_percentile(double *v, size_t n, double p);

#endif
