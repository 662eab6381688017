/* sim_fixture.h — helpers shared by the simulator's unit tests: a model
 * with no generated workload and quiet servers, and hand-made meetings
 * whose participants join and leave at given minutes. */
#ifndef SIM_FIXTURE_H
#define SIM_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/cp_sim.h"

#define MIN(x) ((cp_ms_t)(x) * 60000)

/* lync2013 without its workload, with n servers of `capacity` units that
 * carry no other load, and no reports: only injected meetings run. */
static inline void fx_empty_model(cp_sim_model_t *m, unsigned n, double capacity) {
    cp_sim_model_lync2013(m);
    m->users = 0;
    m->large_share = 0;
    m->servers = n;
    m->capacity = capacity;
    m->other_night = m->other_peak = m->other_noise = m->other_spread = 0;
    m->report_mode = CP_SIM_REPORT_NONE;
}

/* A meeting of n audio participants who all join at join_min and leave at
 * leave_min (minutes after the start of the run), with that expected size. */
static inline cp_sim_mtg_t *fx_meeting(cp_sim_t *s, uint32_t n, double join_min, double leave_min) {
    cp_mu_t cost[8], base;
    cp_sim_costs(s, cost, &base);
    cp_sim_mtg_t *m = cp_sim_mtg_alloc(n);
    m->kind = CP_SIM_ADHOC;
    m->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
    m->mods = CP_MOD_AUDIO;
    m->start = cp_sim_start(s);
    m->create = m->start + (cp_ms_t)(join_min * 60000) - 1;
    m->expected = n;
    for (uint32_t i = 0; i < n; i++) {
        m->parts[i].join = (int32_t)(join_min * 60000);
        m->parts[i].leave = (int32_t)(leave_min * 60000);
        m->parts[i].mods = CP_MOD_AUDIO;
    }
    cp_sim_mtg_finish(m, cost, base);
    return m;
}

#endif
