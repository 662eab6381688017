/* test_engine_large.c — large meetings: plans and holds, overlapping
 * plans, cancel and reschedule, strict refusal, the outcome at the start,
 * the lead from observed durations, and cascades over several servers. */
#include <stdlib.h>

#include "engine_fixture.h"

#define MIN(x) ((cp_ms_t)(x) * 60 * 1000)

static cp_engine_t *fx_large_engine(bool strict, bool cascade_default) {
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.plan_lead = MIN(60);
    cfg.plan_strict = strict;
    cp_engine_t *e = cp_engine_new(&cfg);
    if (cascade_default)
        cp_engine_pool_set_cascade(e, cp_engine_pool_ensure(e, "default"), true);
    return e;
}

static cp_meeting_t *fx_large(cp_engine_t *e, const char *id, uint32_t size, cp_ms_t start,
                              cp_ms_t dur, cp_ms_t now) {
    cp_meeting_spec_t spec = {.id = id, .organizer = "o", .start = start,
                              .end = dur ? start + dur : CP_TIME_NONE, .expected = size};
    cp_meeting_t *m;
    const char *why;
    assert_int_equal(cp_engine_meeting_create(e, &spec, now, &m, &why), CP_OK);
    return m;
}

static void plan_holds_its_host_from_start_minus_lead(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, false);
    /* 1300 units: a 1000-person meeting (1002 units) needs a server that
     * is nearly empty (0.80 x 1300 = 1040) */
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof id, "fe%d", i);
        fx_server(e, id, 1300, NULL, T0);
    }
    cp_ms_t start = T0 + MIN(180);
    cp_meeting_t *big = fx_large(e, "big", 1000, start, MIN(60), T0);
    assert_non_null(big->plan);
    assert_int_equal(big->plan->status, CP_PLAN_OK);
    cp_server_t *host = big->plan->host;
    assert_non_null(host);
    assert_int_equal(big->plan->hold_from, start - MIN(60));
    assert_false(cp_server_held(e, host));
    /* before the hold the host takes meetings like any other */
    int on_host = 0;
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "early%d", i);
        cp_meeting_t *m = fx_meeting(e, id, 5, 0, T0 + MIN(10));
        on_host += fx_join_ok(e, m, "p", T0 + MIN(10)) == host;
    }
    assert_true(on_host > 0);
    /* from hold_from on it takes none */
    cp_engine_advance(e, start - MIN(60));
    assert_true(cp_server_held(e, host));
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "late%d", i);
        cp_meeting_t *m = fx_meeting(e, id, 5, 0, start - MIN(30));
        assert_ptr_not_equal(fx_join_ok(e, m, "p", start - MIN(30)), host);
    }
    /* its small meetings end on their own */
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "early%d", i);
        cp_meeting_t *m = cp_engine_meeting(e, id, strlen(id));
        cp_engine_leave(e, m, "p", 1, start - MIN(20));
    }
    cp_engine_advance(e, start - MIN(5));
    assert_int_equal(host->meetings, 0);
    /* at the start it goes to its host */
    cp_join_t j;
    assert_int_equal(fx_join(e, big, "first", start, &j), CP_OK);
    assert_ptr_equal(j.server, host);
    assert_int_equal(big->plan->status, CP_PLAN_HOSTED);
    assert_false(cp_server_held(e, host)); /* released */
    cp_engine_free(e);
}

static void host_forecast_to_free_soonest_is_chosen(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, false);
    cp_server_t *a = fx_server(e, "a", 1250, NULL, T0);
    cp_server_t *b = fx_server(e, "b", 1250, NULL, T0);
    /* a hosts a meeting ending in 2 h, b one ending in 20 min */
    cp_meeting_spec_t spec = {.id = "long", .organizer = "o", .start = T0, .end = T0 + MIN(120),
                              .expected = 200};
    cp_meeting_t *m;
    const char *why;
    cp_engine_meeting_create(e, &spec, T0, &m, &why);
    cp_engine_pool_set_policy(e, cp_engine_pool(e, "default"), CP_POLICY_ROUND_ROBIN);
    assert_ptr_equal(fx_join_ok(e, m, "p", T0), a);
    spec.id = "short";
    spec.end = T0 + MIN(20);
    cp_engine_meeting_create(e, &spec, T0, &m, &why);
    assert_ptr_equal(fx_join_ok(e, m, "p", T0), b);
    /* a large meeting 30 min from now (inside the lead): b frees first */
    cp_meeting_t *big = fx_large(e, "big", 900, T0 + MIN(30), MIN(60), T0 + 1);
    assert_ptr_equal(big->plan->host, b);
    assert_int_equal(big->plan->status, CP_PLAN_OK);
    cp_engine_free(e);
}

static void overlapping_plans_never_share_headroom(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, false);
    fx_server(e, "a", 1250, NULL, T0);
    fx_server(e, "b", 1250, NULL, T0);
    cp_ms_t start = T0 + MIN(600);
    cp_meeting_t *m1 = fx_large(e, "m1", 700, start, MIN(60), T0);
    cp_meeting_t *m2 = fx_large(e, "m2", 700, start + MIN(30), MIN(60), T0);
    assert_int_equal(m1->plan->status, CP_PLAN_OK);
    assert_int_equal(m2->plan->status, CP_PLAN_OK);
    assert_ptr_not_equal(m1->plan->host, m2->plan->host);
    /* a third overlapping one has no server left */
    cp_meeting_t *m3 = fx_large(e, "m3", 700, start + MIN(15), MIN(60), T0);
    assert_int_equal(m3->plan->status, CP_PLAN_IMPOSSIBLE);
    assert_null(m3->plan->host);
    /* the nearest start that fits is after m1 (ends start+60) with a 60 min lead */
    assert_int_equal(m3->plan->suggested_start, start + MIN(120));
    /* two small-enough large meetings may share a host when both fit */
    cp_meeting_t *s1 = fx_large(e, "s1", 300, start + MIN(2000), MIN(60), T0);
    cp_meeting_t *s2 = fx_large(e, "s2", 300, start + MIN(2000), MIN(60), T0);
    assert_int_equal(s2->plan->status, CP_PLAN_OK);
    (void)s1;
    cp_engine_free(e);
}

static void cancel_releases_and_reschedule_moves_the_hold(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, false);
    cp_server_t *a = fx_server(e, "a", 1250, NULL, T0);
    cp_ms_t start = T0 + MIN(30); /* the hold starts at once */
    cp_meeting_t *big = fx_large(e, "big", 900, start, MIN(60), T0);
    assert_ptr_equal(big->plan->host, a);
    assert_true(cp_server_held(e, a));
    /* reschedule to tomorrow: the hold moves with it */
    cp_meeting_update_t u = {.has_start = true, .start = start + MIN(1440), .has_end = true,
                             .end = start + MIN(1500)};
    const char *why;
    assert_int_equal(cp_engine_meeting_update(e, big, &u, T0 + 1, &why), CP_OK);
    assert_false(cp_server_held(e, a));
    assert_int_equal(big->plan->hold_from, start + MIN(1440) - MIN(60));
    cp_engine_advance(e, start + MIN(1440) - MIN(60));
    assert_true(cp_server_held(e, a));
    /* cancel: released at once */
    assert_int_equal(cp_engine_meeting_end(e, big, start + MIN(1400)), CP_OK);
    assert_false(cp_server_held(e, a));
    assert_int_equal(a->nholds, 0);
    cp_engine_free(e);
}

static void strict_mode_refuses_an_impossible_plan(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(true, false);
    fx_server(e, "a", 1250, NULL, T0);
    cp_ms_t start = T0 + MIN(600);
    fx_large(e, "m1", 900, start, MIN(60), T0);
    cp_meeting_spec_t spec = {.id = "m2", .organizer = "o", .start = start,
                              .end = start + MIN(60), .expected = 900};
    cp_meeting_t *m;
    const char *why = NULL;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_E_CAPACITY);
    assert_non_null(why);
    assert_null(cp_engine_meeting(e, "m2", 2));
    cp_plan_t p;
    assert_int_equal(cp_engine_plan(e, &spec, T0, &p), CP_OK);
    assert_int_equal(p.status, CP_PLAN_IMPOSSIBLE);
    assert_int_equal(p.suggested_start, start + MIN(120));
    /* too big for any server: impossible without a suggestion */
    spec.expected = 5000;
    assert_int_equal(cp_engine_plan(e, &spec, T0, &p), CP_OK);
    assert_int_equal(p.status, CP_PLAN_IMPOSSIBLE);
    assert_int_equal(p.suggested_start, CP_TIME_NONE);
    /* a dry run stores nothing */
    assert_int_equal(cp_engine_meeting_count(e), 1);
    cp_engine_free(e);
}

static void host_not_free_at_start_moves_or_cascades(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, false);
    cp_server_t *a = fx_server(e, "a", 1250, NULL, T0);
    cp_server_t *b = fx_server(e, "b", 1250, NULL, T0);
    cp_ms_t start = T0 + MIN(120);
    cp_meeting_t *big = fx_large(e, "big", 600, start, MIN(60), T0);
    cp_server_t *host = big->plan->host;
    cp_server_t *other = host == a ? b : a;
    /* the host gets busy with other work the forecast did not know */
    cp_report_t r = {.has_other_load = true, .other_load = U(700)};
    cp_engine_server_report(e, host, &r, start - MIN(1));
    cp_join_t j;
    assert_int_equal(fx_join(e, big, "p", start, &j), CP_OK);
    assert_ptr_equal(j.server, other);
    assert_int_equal(big->plan->status, CP_PLAN_MOVED);
    assert_non_null(strstr(big->plan->reason, host->id));
    cp_engine_free(e);
}

static void lead_follows_observed_durations(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cp_engine_t *e = cp_engine_new(&cfg);
    fx_server(e, "a", 1250, NULL, T0);
    cp_pool_t *p = cp_engine_pool(e, "default");
    assert_int_equal(cp_engine_pool_lead(e, p), MIN(90)); /* too few seen */
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        cp_ms_t t = T0 + MIN(200) * i;
        cp_meeting_t *m = fx_meeting(e, id, 3, 0, t);
        fx_join_ok(e, m, "p", t);
        /* 40-minute meetings, one in twenty of 100 minutes */
        cp_engine_meeting_end(e, m, t + MIN(i % 20 == 19 ? 100 : 40));
    }
    /* 95% end within the 40-50 min bucket; 5 minutes for early joiners */
    assert_int_equal(cp_engine_pool_lead(e, p), MIN(55));
    /* with one in ten long, the 95th percentile is a long one */
    for (int i = 40; i < 44; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        cp_ms_t t = T0 + MIN(200) * i;
        cp_meeting_t *m = fx_meeting(e, id, 3, 0, t);
        fx_join_ok(e, m, "p", t);
        cp_engine_meeting_end(e, m, t + MIN(100));
    }
    assert_int_equal(cp_engine_pool_lead(e, p), MIN(115));
    cp_engine_free(e);
}

static void cascade_spreads_3000_over_the_fewest_servers(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, true);
    cp_server_t *s[6];
    for (int i = 0; i < 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "fe%d", i);
        s[i] = fx_server(e, id, 1250, NULL, T0);
    }
    cp_report_t r = {.has_other_load = true, .other_load = U(100)};
    cp_engine_server_report(e, s[5], &r, T0); /* the busiest comes last */
    cp_meeting_spec_t spec = {.id = "town", .organizer = "o", .start = CP_TIME_NONE,
                              .end = CP_TIME_NONE, .expected = 3000};
    cp_meeting_t *m;
    const char *why;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_OK);
    cp_join_t j;
    assert_int_equal(fx_join(e, m, "p0", T0, &j), CP_OK);
    assert_true(j.cascaded);
    /* room is 1000 units each (0.80 x 1250), minus the base: 998 people per
     * leg; 3000 people need 4 legs */
    uint32_t legs = 0, cap = 0;
    for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++) {
        cp_leg_t *l = cp_meeting_leg(m, i);
        if (l->server) {
            legs++;
            cap += l->cap;
            assert_ptr_not_equal(l->server, s[5]);
        }
    }
    assert_int_equal(legs, 4);
    assert_true(cap >= 3000);
    /* joins fill the legs in order */
    cp_server_t *first = m->leg0.server;
    int n_first = 0;
    char pid[16];
    for (int i = 1; i < 3000; i++) {
        snprintf(pid, sizeof pid, "p%d", i);
        assert_int_equal(fx_join(e, m, pid, T0 + i, &j), CP_OK);
        n_first += j.server == first;
    }
    assert_int_equal(n_first + 1, (int)m->leg0.cap);
    assert_int_equal(m->participants, 3000);
    uint32_t total = 0;
    for (int i = 0; i < 6; i++) {
        assert_true(cp_server_utilization(s[i]) < 0.95);
        total += s[i]->participants;
    }
    assert_int_equal(total, 3000);
    /* a report from one server changes that leg only */
    cp_server_t *second = cp_meeting_leg(m, 1)->server;
    cp_report_meeting_t rm = {"town", 4, 10};
    uint8_t end[1];
    cp_report_t rr = {.meetings = &rm, .nmeetings = 1, .end = end};
    cp_engine_server_report(e, second, &rr, T0 + MIN(20));
    assert_int_equal(end[0], 0);
    assert_int_equal(cp_meeting_leg(m, 1)->participants, 10);
    assert_int_equal(second->participants, 10);
    /* a leg that empties is given back after the idle grace; the meeting goes on */
    rm.participants = 0;
    cp_engine_server_report(e, second, &rr, T0 + MIN(21));
    cp_engine_advance(e, T0 + MIN(23));
    assert_null(cp_meeting_leg(m, 1)->server);
    assert_int_equal(second->meetings, 0);
    assert_int_equal(m->state, CP_MEETING_ACTIVE);
    cp_engine_free(e);
}

static void large_pool_hosts_large_meetings(void **state) {
    (void)state;
    cp_engine_t *e = fx_large_engine(false, false);
    fx_server(e, "d1", 1250, NULL, T0);
    cp_server_t *l1 = fx_server(e, "l1", 2500, "large", T0);
    cp_ms_t start = T0 + MIN(120);
    cp_meeting_t *big = fx_large(e, "big", 1000, start, MIN(60), T0);
    assert_ptr_equal(big->plan->host, l1);
    assert_ptr_equal(fx_join_ok(e, big, "p", start), l1);
    assert_int_equal(big->plan->status, CP_PLAN_HOSTED);
    cp_engine_free(e);
}

static void plan_forecasts_the_hosts_other_load_at_its_time(void **state) {
    (void)state;
    /* Night reports show little other load, yesterday's midday reports much
     * more: a plan for midday must count the midday load. */
    cp_engine_t *e = fx_large_engine(false, false);
    cp_server_t *a = fx_server(e, "a", 1250, NULL, T0);
    cp_ms_t day0 = T0 - T0 % (86400 * 1000LL) + 86400 * 1000LL; /* the day after T0 */
    cp_ms_t noon = day0 + 13 * 3600 * 1000LL;
    cp_report_t r = {.has_other_load = true, .other_load = U(175)};
    cp_engine_server_report(e, a, &r, noon);
    r.other_load = U(50);
    cp_engine_server_report(e, a, &r, noon + 12 * 3600 * 1000LL); /* at night */
    /* 286 people with sharing (3 units each): 860 units; 860 + 175 > 1000 */
    cp_meeting_spec_t spec = {.id = "m", .organizer = "o", .start = noon + 86400 * 1000LL,
                              .end = noon + 86400 * 1000LL + MIN(60), .expected = 286,
                              .modalities = CP_MOD_AUDIO | CP_MOD_SHARING};
    cp_plan_t p;
    assert_int_equal(cp_engine_plan(e, &spec, noon + 12 * 3600 * 1000LL + 1, &p), CP_OK);
    assert_int_equal(p.status, CP_PLAN_IMPOSSIBLE);
    assert_non_null(strstr(p.reason, "forecast other load"));
    /* a night meeting of that size fits */
    spec.start = noon + 86400 * 1000LL + 12 * 3600 * 1000LL;
    spec.end = spec.start + MIN(60);
    assert_int_equal(cp_engine_plan(e, &spec, noon + 12 * 3600 * 1000LL + 1, &p), CP_OK);
    assert_int_equal(p.status, CP_PLAN_OK);
    cp_engine_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_holds_its_host_from_start_minus_lead),
        cmocka_unit_test(host_forecast_to_free_soonest_is_chosen),
        cmocka_unit_test(overlapping_plans_never_share_headroom),
        cmocka_unit_test(cancel_releases_and_reschedule_moves_the_hold),
        cmocka_unit_test(strict_mode_refuses_an_impossible_plan),
        cmocka_unit_test(host_not_free_at_start_moves_or_cascades),
        cmocka_unit_test(lead_follows_observed_durations),
        cmocka_unit_test(cascade_spreads_3000_over_the_fewest_servers),
        cmocka_unit_test(large_pool_hosts_large_meetings),
        cmocka_unit_test(plan_forecasts_the_hosts_other_load_at_its_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
