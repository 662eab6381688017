/* cp_sim_plot.h — the simulator's two plots, as SVG: utilization of every
 * server over the run, and a bar comparison of policies. */
#ifndef CP_SIM_PLOT_H
#define CP_SIM_PLOT_H

#include <stddef.h>

#include "sim/cp_sim.h"
#include "util/base/cp_buf.h"

/** Utilization per server (one line each; a min-max band for more than
 *  CP_SIM_PLOT_SERVERS servers), with pool utilization, L* and the 0.80 /
 *  0.95 admission thresholds. */
void cp_sim_plot_servers(cp_buf_t *b, const cp_sim_metrics_t *m, const char *title);
/** Side-by-side bars per policy: peak utilization, p99 max-util / L*, hot
 *  participant-minutes and refused joins. */
void cp_sim_plot_policies(cp_buf_t *b, const char *title, const cp_sim_result_t *const *res,
                          size_t n);

#endif
