/* cp_sim_report.h — a run's results as text: the readable table printed by
 * `confpool sim`, summary.json, and the per-minute CSV rows. Output only
 * depends on the results, never on the wall clock, so the same seed gives
 * byte-identical files. */
#ifndef CP_SIM_REPORT_H
#define CP_SIM_REPORT_H

#include <stddef.h>

#include "sim/cp_sim.h"
#include "util/base/cp_buf.h"

/** What the run was, for the summary's header. */
typedef struct cp_sim_run_info {
    const cp_sim_model_t *model;
    const char *model_source; /* "lync2013" or the file given */
    uint64_t seed;
    cp_ms_t t0, duration;
    size_t servers;
    cp_mu_t capacity; /* sum over servers */
} cp_sim_run_info_t;

/** The readable comparison table, one row per policy. */
void cp_sim_report_table(cp_buf_t *b, const cp_sim_result_t *const *res, size_t n);
/** summary.json. */
void cp_sim_report_json(cp_buf_t *b, const cp_sim_run_info_t *info,
                        const cp_sim_result_t *const *res, size_t n);
/** Header and one row of minutes-<policy>.csv (pool level). */
void cp_sim_csv_minutes_header(cp_buf_t *b);
void cp_sim_csv_minutes_row(cp_buf_t *b, cp_ms_t t, cp_ms_t t0, const cp_sim_minute_t *r);
/** Header and the rows of one minute of servers-<policy>.csv. */
void cp_sim_csv_servers_header(cp_buf_t *b);
void cp_sim_csv_servers_rows(cp_buf_t *b, cp_ms_t t, cp_ms_t t0, const cp_sim_t *s,
                             const cp_sim_view_t *v);

#endif
