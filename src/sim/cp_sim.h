/* cp_sim.h — the simulator core: drives the real engine with a workload on
 * a virtual clock and measures what the servers go through.
 *
 * The core keeps the truth (who is really in which meeting on which
 * server, the real non-conferencing load) next to the engine, which only
 * knows what it is told: joins, leaves and load reports that arrive at an
 * interval, late by a configurable staleness. Several distributor
 * instances can be emulated: each has its own engine, takes its share of
 * the meetings, and sees the others' work only through reports (CPU), as
 * stale as reports are. Everything here is free of I/O and of the wall
 * clock, so a run is a pure function of (model, options, seed). */
#ifndef CP_SIM_H
#define CP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cp_engine.h"
#include "sim/cp_sim_gen.h"
#include "sim/cp_sim_metrics.h"
#include "sim/cp_sim_model.h"

/** Policies the simulator runs: the engine's, plus `clairvoyant`, a
 *  reference that exists only here. It knows each meeting's true peak load
 *  when placing it and reserves that peak for the meeting's whole life
 *  (the engine runs least_utilization with expected size = true peak and a
 *  ramp-up longer than any meeting). The service never offers it. */
#define CP_SIM_CLAIRVOYANT ((int)CP_POLICY_COUNT)
#define CP_SIM_NPOLICIES (CP_SIM_CLAIRVOYANT + 1)
#define CP_SIM_MAX_INSTANCES 64

const char *cp_sim_policy_name(int policy);
bool cp_sim_policy_parse(const char *s, int *out);

typedef struct cp_sim_opts {
    int policy;
    uint64_t seed;
    cp_ms_t t0;       /* start of the run: midnight of the simulated day */
    cp_ms_t duration; /* length of the run */
    double scale;     /* arrival rate scale; 0 = calibrate from the model */
    bool keep_servers; /* keep each server's utilization per minute (plots) */
} cp_sim_opts_t;

/** Fills o with defaults: least_utilization, seed 1, one day from
 *  2026-03-02T00:00:00Z. */
void cp_sim_opts_defaults(cp_sim_opts_t *o);

/** The outcome of one large meeting. */
typedef struct cp_sim_large {
    char id[24];
    cp_ms_t start;
    uint32_t n, expected, admitted, refused;
    char server[CP_ID_MAX + 1]; /* "" if it was never hosted */
    char plan_status[16];       /* the engine's plan when scheduled, "" if none */
    char plan_host[CP_ID_MAX + 1];
} cp_sim_large_t;

/** The engine's plan for a large meeting, noted when it is scheduled. */
struct cp_sim_plan_note {
    char status[16];
    char host[CP_ID_MAX + 1];
};

typedef struct cp_sim_result {
    int policy;
    /* meetings (occurrences) that saw at least one join attempt */
    uint64_t meetings, meetings_hosted, meetings_refused;
    uint64_t join_attempts, joins_ok, joins_refused, refused_pool_full, refused_meeting_full;
    uint64_t engine_calls, reports;
    double peak_util; /* highest true utilization of any server, at any event */
    size_t peak_server;
    char peak_server_id[CP_ID_MAX + 1];
    cp_ms_t peak_at;
    cp_sim_stats_t stats;
    cp_sim_large_t *large; /* each large meeting (not kept for datacenter runs) */
    size_t nlarge;
    uint64_t large_total, large_hosted;
    uint64_t large_attempts, large_refused; /* joins to large meetings */
    unsigned pools; /* independent pools aggregated (1 for a plain run) */
    /* what the workload looked like (to check the model) */
    double scale;
    uint64_t generated;
    double mean_size, mean_duration_min;
    double share_under_20, share_under_100, share_over_250;
} cp_sim_result_t;

/** What the minute hook sees: per server, true load and the engine's view
 *  (instance 0). Arrays have cp_sim_server_count() entries. */
typedef struct cp_sim_view {
    const cp_mu_t *load, *cap;
    const uint32_t *parts, *meetings;
    const double *engine_util;
} cp_sim_view_t;

typedef void (*cp_sim_minute_fn)(void *ctx, cp_ms_t t, const cp_sim_minute_t *row,
                                 const cp_sim_view_t *view);

typedef struct cp_sim cp_sim_t;

/** Builds a run: engines, servers, the generator. Never NULL. */
cp_sim_t *cp_sim_new(const cp_sim_model_t *model, const cp_sim_opts_t *opts);
void cp_sim_free(cp_sim_t *s);
/** Adds a hand-made meeting (ownership passes). Call cp_sim_mtg_finish on
 *  it first, with cp_sim_costs(). Its create time must not be in the past. */
void cp_sim_inject(cp_sim_t *s, cp_sim_mtg_t *m);
/** The participant costs and meeting base the engine uses. */
void cp_sim_costs(const cp_sim_t *s, cp_mu_t cost[8], cp_mu_t *base);
void cp_sim_set_minute_hook(cp_sim_t *s, cp_sim_minute_fn fn, void *ctx);
/** Runs every event before `until` (capped at the end of the run).
 *  Returns false once the run is complete. */
bool cp_sim_run(cp_sim_t *s, cp_ms_t until);
cp_ms_t cp_sim_now(const cp_sim_t *s);
cp_ms_t cp_sim_start(const cp_sim_t *s);
cp_ms_t cp_sim_end(const cp_sim_t *s);
/** The result; complete once cp_sim_run returned false. */
const cp_sim_result_t *cp_sim_result(const cp_sim_t *s);
const cp_sim_metrics_t *cp_sim_metrics(const cp_sim_t *s);
size_t cp_sim_server_count(const cp_sim_t *s);
const char *cp_sim_server_id(const cp_sim_t *s, size_t i);
/** Engine of instance k (0 unless several instances are emulated). */
cp_engine_t *cp_sim_engine(const cp_sim_t *s, unsigned k);
/** True non-conferencing load of server i at time t. */
cp_mu_t cp_sim_other_load(const cp_sim_t *s, size_t i, cp_ms_t t);
/** True total load of server i now. */
cp_mu_t cp_sim_server_load(const cp_sim_t *s, size_t i);
/** Capacity of server i. */
cp_mu_t cp_sim_server_capacity(const cp_sim_t *s, size_t i);
/** Highest true utilization of server i so far (checked at every join and
 *  every minute, like the result's peak_util). */
double cp_sim_server_peak(const cp_sim_t *s, size_t i);

#endif
