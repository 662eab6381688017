/* cp_sim_dc.h — a datacenter: many independent pools of one model (each
 * with the model's servers and users), simulated on worker threads and
 * aggregated into one result. Pools share nothing, so each is a plain
 * run with its own seed; memory holds one pool per worker, and the
 * aggregate does not depend on which thread ran which pool. */
#ifndef CP_SIM_DC_H
#define CP_SIM_DC_H

#include "sim/cp_sim.h"

typedef void (*cp_sim_dc_progress_fn)(void *ctx, unsigned done, unsigned total);

/** Seed of pool k in a run seeded with seed (pool 0 uses seed itself). */
uint64_t cp_sim_dc_seed(uint64_t seed, unsigned k);
/** Runs `pools` pools on `threads` threads (1 = this thread only) and
 *  aggregates into out (counts summed; peaks and per-pool maxima are the
 *  largest over pools; ratio percentiles are over every busy pool-minute).
 *  progress, if given, is called from this thread only. Free out with
 *  cp_sim_result_free. */
void cp_sim_dc_run(const cp_sim_model_t *model, const cp_sim_opts_t *opts, unsigned pools,
                   unsigned threads, cp_sim_result_t *out, cp_sim_dc_progress_fn progress,
                   void *ctx);
/** Releases what a result owns. */
void cp_sim_result_free(cp_sim_result_t *r);

#endif
