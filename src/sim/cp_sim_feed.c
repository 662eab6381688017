/* cp_sim_feed.c — load reports from the simulated servers to the engines.
 *
 * Every server reports once per interval, the servers spread evenly over
 * the interval. A report is measured at one instant and reaches the
 * engines `staleness` later, so the engines always act on information
 * that is a little old. In `other` mode a server reports its
 * non-conferencing load; in `cpu` mode its total CPU, from which each
 * engine infers other load as CPU minus the conference load it predicts
 * itself: with several distributor instances, the other instances'
 * meetings show up there, as stale as the report.
 *
 * Before the run the servers have already been reporting for `history`
 * (a day by default): the engines start with the other load of each hour
 * of the day before, which the large-meeting planner forecasts from, as in
 * a daemon that has been running. Without it, a meeting booked at the
 * start of a one-day run (large meetings are booked a day ahead) would be
 * planned against the other load of midnight. */
#include "sim/cp_sim_int.h"

#include <math.h>
#include <string.h>

#include "util/base/cp_alloc.h"

static cp_ms_t cp__compute_next(const cp_sim_t *s);

void cp__sim_feed_init(cp_sim_t *s) {
    const cp_sim_model_t *m = &s->model;
    s->rep_next = CP_TIME_NONE;
    if (m->report_mode == CP_SIM_REPORT_NONE || s->ns == 0)
        return;
    s->rep_interval = (cp_ms_t)llround(m->report_interval * 60000.0);
    if (s->rep_interval < 1)
        s->rep_interval = 1;
    s->rep_stale = (cp_ms_t)llround(m->report_staleness * 60000.0);
    s->rep_next = cp__compute_next(s);
}

void cp__sim_feed_free(cp_sim_t *s) {
    for (size_t k = 0; k < s->snap_len; k++) {
        cp_sim_snap_t *sn = &s->snaps[(s->snap_head + k) % s->snap_cap];
        cp_free(sn->ids);
        cp_free(sn->counts);
    }
    cp_free(s->snaps);
}

static cp_ms_t cp__snap_time(const cp_sim_t *s) {
    return s->t0 + s->rep_round * s->rep_interval +
           (cp_ms_t)((double)s->rep_interval * (double)s->rep_server / (double)s->ns);
}

static cp_ms_t cp__compute_next(const cp_sim_t *s) {
    if (s->rep_interval == 0)
        return CP_TIME_NONE;
    cp_ms_t ts = cp__snap_time(s);
    if (ts >= s->t_end)
        ts = CP_TIME_NONE;
    if (s->snap_len == 0)
        return ts;
    cp_ms_t td = s->snaps[s->snap_head].deliver;
    return ts == CP_TIME_NONE || td <= ts ? td : ts;
}

cp_ms_t cp__sim_feed_next(const cp_sim_t *s) { return s->rep_next; }

cp_ms_t cp__sim_feed_since(const cp_sim_t *s) {
    if (s->model.report_mode == CP_SIM_REPORT_NONE)
        return s->t0;
    return s->t0 - (cp_ms_t)llround(s->model.report_history * 60000.0);
}

void cp__sim_feed_history(cp_sim_t *s) {
    bool cpu = s->model.report_mode == CP_SIM_REPORT_CPU;
    for (cp_ms_t t = cp__sim_feed_since(s); t < s->t0; t += 60000) {
        for (size_t i = 0; i < s->ns; i++) {
            cp_mu_t other = cp_sim_other_load(s, i, t);
            double u = (double)other / (double)s->cap[i];
            cp_report_t r = {.has_cpu = cpu, .cpu = cpu ? (u > 1 ? 1 : u) : 0,
                             .has_other_load = !cpu, .other_load = cpu ? 0 : other};
            for (unsigned k = 0; k < s->ninst; k++)
                cp_engine_server_report(s->eng[k], s->esrv[k * s->ns + i], &r, t);
        }
    }
}

static void cp__snapshot(cp_sim_t *s) {
    const cp_sim_model_t *m = &s->model;
    size_t i = s->rep_server;
    if (++s->rep_server == s->ns) {
        s->rep_server = 0;
        s->rep_round++;
    }
    if (s->snap_len == s->snap_cap) {
        size_t ncap = s->snap_cap ? s->snap_cap * 2 : 64;
        cp_sim_snap_t *nq = cp_malloc(ncap * sizeof *nq);
        for (size_t k = 0; k < s->snap_len; k++)
            nq[k] = s->snaps[(s->snap_head + k) % s->snap_cap];
        cp_free(s->snaps);
        s->snaps = nq;
        s->snap_cap = ncap;
        s->snap_head = 0;
    }
    cp_sim_snap_t *sn = &s->snaps[(s->snap_head + s->snap_len++) % s->snap_cap];
    memset(sn, 0, sizeof *sn);
    sn->deliver = s->now + s->rep_stale;
    sn->server = (uint32_t)i;
    cp_mu_t other = cp__sim_other_now(s, i);
    if (m->report_mode == CP_SIM_REPORT_CPU) {
        double cpu = (double)(other + s->conf[i]) / (double)s->cap[i];
        sn->cpu = true;
        sn->value = cpu < 0 ? 0 : cpu > 1 ? 1 : cpu;
    } else {
        sn->value = (double)other;
    }
    if (m->report_meetings && s->mtgs[i]) {
        size_t n = 0;
        sn->ids = cp_malloc(s->mtgs[i] * sizeof *sn->ids);
        sn->counts = cp_malloc(s->mtgs[i] * sizeof *sn->counts);
        for (const cp_sim_mtg_t *mt = s->hosted[i]; mt && n < s->mtgs[i]; mt = mt->srv_next) {
            memcpy(sn->ids[n], mt->eid, sizeof sn->ids[n]);
            sn->counts[n] = mt->present;
            n++;
        }
        sn->n = n;
    }
}

static void cp__deliver(cp_sim_t *s) {
    cp_sim_snap_t sn = s->snaps[s->snap_head];
    s->snap_head = (s->snap_head + 1) % s->snap_cap;
    s->snap_len--;
    cp_report_meeting_t stack[64];
    cp_report_meeting_t *rm = sn.n <= 64 ? stack : cp_malloc(sn.n * sizeof *rm);
    for (size_t k = 0; k < sn.n; k++) {
        rm[k].id = sn.ids[k];
        rm[k].len = strlen(sn.ids[k]);
        rm[k].participants = sn.counts[k];
    }
    cp_report_t r = {.has_cpu = sn.cpu, .cpu = sn.cpu ? sn.value : 0,
                     .has_other_load = !sn.cpu, .other_load = sn.cpu ? 0 : (cp_mu_t)sn.value,
                     .meetings = rm, .nmeetings = sn.n, .has_meetings = s->model.report_meetings};
    for (unsigned k = 0; k < s->ninst; k++) {
        cp_engine_server_report(s->eng[k], s->esrv[k * s->ns + sn.server], &r, s->now);
        s->res.engine_calls++;
    }
    s->res.reports++;
    if (rm != stack)
        cp_free(rm);
    cp_free(sn.ids);
    cp_free(sn.counts);
}

void cp__sim_feed_step(cp_sim_t *s) {
    if (s->snap_len && s->snaps[s->snap_head].deliver <= s->now)
        cp__deliver(s);
    else
        cp__snapshot(s);
    s->rep_next = cp__compute_next(s);
}
