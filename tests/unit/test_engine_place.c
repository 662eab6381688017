/* test_engine_place.c — placement and admission: even spreading, mixed
 * capacities, thresholds, stickiness, idempotent joins, bursts, policies. */
#include <math.h>

#include "engine_fixture.h"

static double fx_util_spread(cp_engine_t *e, double *mean_out) {
    size_t it = 0;
    cp_server_t *s;
    double sum = 0, max = 0, min = 1e9;
    int n = 0;
    while ((s = cp_engine_server_next(e, &it))) {
        double u = cp_server_utilization(s);
        sum += u;
        n++;
        if (u > max)
            max = u;
        if (u < min)
            min = u;
    }
    double mean = sum / n;
    *mean_out = mean;
    double dev = fmax(max - mean, mean - min);
    return dev / mean;
}

static void equal_servers_get_equal_load(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    char id[32];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "fe%02d", i);
        fx_server(e, id, 1250, NULL, T0);
    }
    for (int i = 0; i < 1200; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cp_meeting_t *m = fx_meeting(e, id, 0, 0, T0);
        fx_join_ok(e, m, "p", T0 + i);
    }
    double mean;
    double spread = fx_util_spread(e, &mean);
    assert_true(spread <= 0.05);
    assert_true(mean > 0.3);
    cp_engine_free(e);
}

static void mixed_capacities_are_even_by_utilization(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "big", 2500, NULL, T0);
    fx_server(e, "mid", 1250, NULL, T0);
    fx_server(e, "small", 625, NULL, T0);
    char id[32];
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cp_meeting_t *m = fx_meeting(e, id, 0, 0, T0);
        fx_join_ok(e, m, "p", T0);
    }
    double mean;
    assert_true(fx_util_spread(e, &mean) <= 0.05);
    cp_server_t *big = cp_engine_server(e, "big", 3), *small = cp_engine_server(e, "small", 5);
    /* four times the capacity, about four times the meetings */
    assert_true(big->meetings > 3.5 * small->meetings && big->meetings < 4.5 * small->meetings);
    cp_engine_free(e);
}

static void other_load_counts_against_capacity(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *busy = fx_server(e, "busy", 1000, NULL, T0);
    cp_server_t *idle = fx_server(e, "idle", 1000, NULL, T0);
    cp_report_t r = {.has_other_load = true, .other_load = U(500)};
    cp_engine_server_report(e, busy, &r, T0);
    char id[32];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cp_meeting_t *m = fx_meeting(e, id, 0, 0, T0);
        assert_ptr_equal(fx_join_ok(e, m, "p", T0), idle);
    }
    cp_engine_free(e);
}

static void later_joins_stick_to_the_first_server(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof id, "fe%d", i);
        fx_server(e, id, 1000, NULL, T0);
    }
    cp_meeting_t *m = fx_meeting(e, "m1", 5, 0, T0);
    cp_server_t *first = fx_join_ok(e, m, "p0", T0);
    /* load the others differently; the meeting must not move */
    for (int i = 1; i < 30; i++) {
        char pid[8];
        snprintf(pid, sizeof pid, "p%d", i);
        assert_ptr_equal(fx_join_ok(e, m, pid, T0 + i), first);
    }
    assert_int_equal(m->participants, 30);
    cp_engine_free(e);
}

static void repeated_join_counts_once(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 5, 0, T0);
    cp_join_t j1, j2;
    assert_int_equal(fx_join(e, m, "bob", T0, &j1), CP_OK);
    assert_int_equal(fx_join(e, m, "bob", T0 + 5, &j2), CP_OK);
    assert_ptr_equal(j1.server, j2.server);
    assert_true(j1.new_participant);
    assert_false(j2.new_participant);
    assert_int_equal(m->participants, 1);
    assert_int_equal(j2.participants, 1);
    cp_engine_free(e);
}

static void new_meeting_refused_above_080(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 100, NULL, T0);
    cp_report_t r = {.has_other_load = true, .other_load = U(72)};
    cp_engine_server_report(e, s, &r, T0);
    /* a meeting of 5 expected costs 7: 72 + 7 = 79 <= 80 fits */
    cp_meeting_t *a = fx_meeting(e, "a", 5, 0, T0);
    fx_join_ok(e, a, "p", T0);
    /* another 7 would make 86 > 80 */
    cp_meeting_t *b = fx_meeting(e, "b", 5, 0, T0);
    cp_join_t j;
    assert_int_equal(fx_join(e, b, "p", T0, &j), CP_E_POOL_FULL);
    assert_int_equal(b->state, CP_MEETING_SCHEDULED);
    assert_int_equal(s->conf_load, U(7)); /* the refusal changed nothing */
    assert_int_equal(s->meetings, 1);
    cp_engine_free(e);
}

static void joins_admitted_below_095_then_meeting_full(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 100, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 1, 0, T0);
    fx_join_ok(e, m, "p0", T0); /* 2 + 1 = 3 */
    cp_report_t r = {.has_other_load = true, .other_load = U(88)};
    cp_engine_server_report(e, s, &r, T0); /* 91 */
    char pid[8];
    int admitted = 0;
    for (int i = 1; i < 10; i++) {
        snprintf(pid, sizeof pid, "p%d", i);
        cp_join_t j;
        cp_status_t st = fx_join(e, m, pid, T0, &j);
        if (st == CP_OK) {
            admitted++;
        } else {
            assert_int_equal(st, CP_E_MEETING_FULL);
            assert_true(j.util_after >= 0.95);
            break;
        }
    }
    /* 91 -> 92, 93, 94 are < 95; the join that would reach 95 is refused */
    assert_int_equal(admitted, 3);
    assert_true(cp_server_utilization(s) < 0.95);
    /* a participant already in keeps getting its server */
    assert_int_equal(fx_join(e, m, "p1", T0, NULL), CP_OK);
    cp_engine_free(e);
}

static void burst_of_activations_without_reports_spreads(void **state) {
    (void)state;
    /* No report arrives during the burst: optimistic accounting alone must
     * keep every server under the new-meeting threshold and even. */
    cp_engine_t *e = fx_engine();
    char id[32];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "fe%d", i);
        fx_server(e, id, 1250, NULL, T0);
    }
    int refused = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cp_meeting_t *m = fx_meeting(e, id, 0, 0, T0);
        if (fx_join(e, m, "p", T0, NULL) != CP_OK)
            refused++;
    }
    size_t it = 0;
    cp_server_t *s;
    while ((s = cp_engine_server_next(e, &it)))
        assert_true(cp_server_utilization(s) <= 0.80);
    /* 12 x 1000 units of room, 7 per meeting: 1714 fit, the rest refused */
    assert_int_equal(refused, 5000 - 12 * (1000 / 7));
    cp_engine_free(e);
}

static void drained_server_takes_no_new_meetings(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_server(e, "a", 1000, NULL, T0);
    cp_server_t *b = fx_server(e, "b", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    cp_server_t *host = fx_join_ok(e, m, "p0", T0);
    cp_server_t *other = host == a ? b : a;
    cp_engine_server_drain(e, host, T0);
    for (int i = 0; i < 20; i++) {
        char id[8];
        snprintf(id, sizeof id, "n%d", i);
        assert_ptr_equal(fx_join_ok(e, fx_meeting(e, id, 5, 0, T0), "p", T0), other);
    }
    /* joins to its existing meeting go on */
    assert_ptr_equal(fx_join_ok(e, m, "p1", T0), host);
    assert_int_equal(host->empty_since, CP_TIME_NONE);
    cp_engine_leave(e, m, "p0", 2, T0 + 1);
    cp_engine_leave(e, m, "p1", 2, T0 + 2);
    cp_engine_advance(e, T0 + SEC(61) + 2);
    assert_int_equal(host->meetings, 0);
    assert_int_equal(host->empty_since, T0 + SEC(60) + 2);
    cp_engine_server_resume(e, host, T0 + SEC(100));
    assert_int_equal(host->state, CP_SERVER_UP);
    cp_engine_free(e);
}

static void pool_without_room_is_pool_full(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0); /* no servers at all */
    assert_int_equal(fx_join(e, m, "p", T0, NULL), CP_E_POOL_FULL);
    cp_engine_free(e);
}

static void meetings_stay_in_their_pool(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "d1", 1000, NULL, T0);
    cp_server_t *l1 = fx_server(e, "l1", 1000, "large", T0);
    cp_meeting_spec_t spec = {.id = "big", .organizer = "o", .pool = "large",
                              .start = CP_TIME_NONE, .end = CP_TIME_NONE, .expected = 100};
    cp_meeting_t *m;
    const char *why;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_OK);
    assert_ptr_equal(fx_join_ok(e, m, "p", T0), l1);
    spec.id = "x";
    spec.pool = "nosuch";
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_E_INVALID);
    assert_non_null(why);
    cp_engine_free(e);
}

/* Activates n meetings of 5 on 4 servers of 1000 under a policy and
 * returns the meetings per server. */
static void fx_policy_run(cp_policy_t policy, int n, uint32_t counts[4]) {
    cp_engine_t *e = fx_engine();
    cp_server_t *s[4];
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof id, "s%d", i);
        s[i] = fx_server(e, id, 1000, NULL, T0);
    }
    cp_engine_pool_set_policy(e, cp_engine_pool(e, "default"), policy);
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        fx_join_ok(e, fx_meeting(e, id, 5, 0, T0), "p", T0);
    }
    for (int i = 0; i < 4; i++) {
        counts[i] = s[i]->meetings;
        assert_true(cp_server_utilization(s[i]) <= 0.80);
    }
    cp_engine_free(e);
}

static void policies_behave_as_named(void **state) {
    (void)state;
    uint32_t c[4];
    fx_policy_run(CP_POLICY_ROUND_ROBIN, 10, c);
    assert_int_equal(c[0], 3);
    assert_int_equal(c[1], 3);
    assert_int_equal(c[2], 2);
    assert_int_equal(c[3], 2);
    fx_policy_run(CP_POLICY_BEST_FIT, 10, c);
    assert_int_equal(c[0], 10); /* packs the first server */
    fx_policy_run(CP_POLICY_LEAST_MEETINGS, 10, c);
    assert_int_equal(c[0] + c[1] + c[2] + c[3], 10);
    assert_true(c[0] <= 3 && c[3] >= 2);
    fx_policy_run(CP_POLICY_RANDOM, 200, c);
    assert_int_equal(c[0] + c[1] + c[2] + c[3], 200);
    for (int i = 0; i < 4; i++)
        assert_true(c[i] > 20);
    fx_policy_run(CP_POLICY_POWER_OF_TWO, 200, c);
    for (int i = 0; i < 4; i++)
        assert_true(c[i] >= 45 && c[i] <= 55);
    /* best fit still refuses nothing while anything fits: fill to the brim */
    fx_policy_run(CP_POLICY_BEST_FIT, 4 * (800 / 7), c);
    for (int i = 0; i < 4; i++)
        assert_int_equal(c[i], 800 / 7);
}

static void same_seed_same_decisions(void **state) {
    (void)state;
    uint32_t a[4], b[4];
    fx_policy_run(CP_POLICY_RANDOM, 100, a);
    fx_policy_run(CP_POLICY_RANDOM, 100, b);
    assert_memory_equal(a, b, sizeof a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(equal_servers_get_equal_load),
        cmocka_unit_test(mixed_capacities_are_even_by_utilization),
        cmocka_unit_test(other_load_counts_against_capacity),
        cmocka_unit_test(later_joins_stick_to_the_first_server),
        cmocka_unit_test(repeated_join_counts_once),
        cmocka_unit_test(new_meeting_refused_above_080),
        cmocka_unit_test(joins_admitted_below_095_then_meeting_full),
        cmocka_unit_test(burst_of_activations_without_reports_spreads),
        cmocka_unit_test(drained_server_takes_no_new_meetings),
        cmocka_unit_test(pool_without_room_is_pool_full),
        cmocka_unit_test(meetings_stay_in_their_pool),
        cmocka_unit_test(policies_behave_as_named),
        cmocka_unit_test(same_seed_same_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
