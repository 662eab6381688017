/* test_sim_large.c — large meetings in the simulator: the planner sees the
 * servers' report history, so a meeting booked at the start of a run is
 * planned against the other load of its own hour, not of midnight; and on
 * a lync2013 day, planned room admits a meeting that fits only on a nearly
 * empty server, where unplanned placement refuses all of it. */
#include "sim_fixture.h"

/* Two servers of 1000 units, no workload, other load 0.04 at night and
 * 0.30 of capacity at the day's peak, the same on both. */
static void fx_quiet_day(cp_sim_model_t *m) {
    fx_empty_model(m, 2, 1000);
    m->other_night = 0.04;
    m->other_peak = 0.30;
    m->report_mode = CP_SIM_REPORT_OTHER;
}

/* The plan a 600-person audio meeting at 10:00 gets at the start of the
 * run (602 units: it fits beside midnight's other load under the 0.80
 * new-meeting limit, not beside 10:00's). */
static cp_plan_status_t fx_plan_at_start(const cp_sim_model_t *m, cp_mu_t *other_now) {
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_sim_t *s = cp_sim_new(m, &o);
    cp_engine_t *e = cp_sim_engine(s, 0);
    cp_meeting_spec_t spec = {.id = "big", .organizer = "o", .start = o.t0 + MIN(600),
                              .end = o.t0 + MIN(660), .expected = 600,
                              .modalities = CP_MOD_AUDIO};
    cp_plan_t plan;
    assert_int_equal(cp_engine_plan(e, &spec, o.t0, &plan), CP_OK);
    size_t it = 0;
    *other_now = cp_engine_server_next(e, &it)->other_load;
    cp_sim_free(s);
    return plan.status;
}

static void report_history_warms_the_planners_forecast(void **state) {
    (void)state;
    cp_sim_model_t m;
    fx_quiet_day(&m);
    cp_mu_t other;
    /* a day of history (the default): 10:00 is known to carry ~300 units */
    assert_float_equal(m.report_history, 1440, 0);
    assert_int_equal(fx_plan_at_start(&m, &other), CP_PLAN_IMPOSSIBLE);
    /* the engine also starts with the other load of the minute before */
    assert_true(other > (cp_mu_t)(0.03 * 1000 * CP_MU_PER_UNIT));
    /* a cold start knows nothing yet and says ok */
    m.report_history = 0;
    assert_int_equal(fx_plan_at_start(&m, &other), CP_PLAN_OK);
    assert_int_equal(other, 0);
    cp_sim_model_free(&m);
}

/* History reports are not part of the run: the same run with and without
 * them counts the same reports and engine calls. */
static void report_history_is_not_counted(void **state) {
    (void)state;
    cp_sim_model_t m;
    fx_quiet_day(&m);
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.duration = MIN(60);
    uint64_t reports[2], calls[2];
    for (int k = 0; k < 2; k++) {
        m.report_history = k ? 0 : 1440;
        cp_sim_t *s = cp_sim_new(&m, &o);
        while (cp_sim_run(s, cp_sim_end(s)))
            ;
        reports[k] = cp_sim_result(s)->reports;
        calls[k] = cp_sim_result(s)->engine_calls;
        cp_sim_free(s);
    }
    assert_true(reports[0] > 0);
    assert_int_equal(reports[0], reports[1]);
    assert_int_equal(calls[0], calls[1]);
    cp_sim_model_free(&m);
}

/* A 1000-person audio meeting booked at the start of the day for 10:00,
 * its people joining over its first three minutes. */
static cp_sim_mtg_t *fx_large(cp_sim_t *s) {
    cp_mu_t cost[8], base;
    cp_sim_costs(s, cost, &base);
    cp_sim_mtg_t *m = cp_sim_mtg_alloc(1000);
    m->kind = CP_SIM_LARGE;
    m->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
    m->mods = CP_MOD_AUDIO;
    m->create = cp_sim_start(s);
    m->start = m->sched_start = cp_sim_start(s) + MIN(600);
    m->sched_end = m->start + MIN(60);
    m->expected = 1000;
    for (uint32_t i = 0; i < m->n; i++) {
        m->parts[i].join = (int32_t)(i * 180);
        m->parts[i].leave = (int32_t)MIN(60);
        m->parts[i].mods = CP_MOD_AUDIO;
    }
    cp_sim_mtg_finish(m, cost, base);
    return m;
}

typedef struct fx_outcome {
    uint32_t admitted;
    char server[CP_ID_MAX + 1], plan_host[CP_ID_MAX + 1];
    double others_peak; /* over the day, servers other than its host */
} fx_outcome_t;

static void fx_day_with_large(const cp_sim_model_t *m, fx_outcome_t *out) {
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_sim_t *s = cp_sim_new(m, &o);
    cp_sim_inject(s, fx_large(s));
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    const cp_sim_result_t *r = cp_sim_result(s);
    assert_int_equal(r->nlarge, 1);
    out->admitted = r->large[0].admitted;
    memcpy(out->server, r->large[0].server, sizeof out->server);
    memcpy(out->plan_host, r->large[0].plan_host, sizeof out->plan_host);
    out->others_peak = 0;
    for (size_t i = 0; i < cp_sim_server_count(s); i++)
        if (strcmp(cp_sim_server_id(s, i), out->server) != 0 &&
            cp_sim_server_peak(s, i) > out->others_peak)
            out->others_peak = cp_sim_server_peak(s, i);
    cp_sim_free(s);
}

static void planned_room_admits_a_large_meeting(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    m.large_share = 0;     /* only the meeting asked about */
    m.capacity = 1750;     /* 0.80 x 1750 - ~350 other at 10:00 ~ 1050 >= 1002 */
    m.engine.plan_lead = MIN(90);
    fx_outcome_t with, without;
    fx_day_with_large(&m, &with);
    print_message("planned: %u admitted on %s (planned %s); others' peak %.3f\n", with.admitted,
                  with.server, with.plan_host, with.others_peak);
    assert_int_equal(with.admitted, 1000);
    assert_string_equal(with.server, with.plan_host);
    assert_true(with.others_peak < 0.95);
    m.engine.plan_large = false;
    fx_day_with_large(&m, &without);
    print_message("unplanned: %u admitted; peak %.3f\n", without.admitted, without.others_peak);
    assert_int_equal(without.admitted, 0);
    assert_string_equal(without.plan_host, "");
    assert_true(without.others_peak < 0.95);
    cp_sim_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_history_warms_the_planners_forecast),
        cmocka_unit_test(report_history_is_not_counted),
        cmocka_unit_test(planned_room_admits_a_large_meeting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
