/* test_engine_load.c — the load model: costs, expected size during ramp-up,
 * observed load afterwards, the peak of earlier activations, reports. */
#include "engine_fixture.h"

static void cost_of_modalities_follows_config(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    assert_int_equal(cp_engine_cost(e, CP_MOD_AUDIO), U(1));
    assert_int_equal(cp_engine_cost(e, CP_MOD_VIDEO), U(4));
    assert_int_equal(cp_engine_cost(e, CP_MOD_AUDIO | CP_MOD_VIDEO), U(5));
    assert_int_equal(cp_engine_cost(e, CP_MOD_ALL), U(7));
    cp_engine_free(e);
}

static void expected_size_counts_in_full_during_ramp_up(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 20, CP_MOD_AUDIO, T0);
    assert_ptr_equal(fx_join_ok(e, m, "p1", T0), s);
    /* base 2 + 20 expected x 1 */
    assert_int_equal(m->predicted, U(22));
    assert_int_equal(s->conf_load, U(22));
    /* a few more joins inside the expected size change nothing */
    fx_join_ok(e, m, "p2", T0 + SEC(10));
    fx_join_ok(e, m, "p3", T0 + SEC(20));
    assert_int_equal(s->conf_load, U(22));
    /* after ramp-up (15 min) the prediction follows what is observed: 2 + 3 */
    cp_engine_advance(e, T0 + SEC(900));
    assert_int_equal(m->predicted, U(5));
    assert_int_equal(s->conf_load, U(5));
    cp_engine_free(e);
}

static void observed_above_expected_wins(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 2, CP_MOD_AUDIO, T0);
    char pid[16];
    for (int i = 0; i < 6; i++) {
        snprintf(pid, sizeof pid, "p%d", i);
        fx_join_ok(e, m, pid, T0 + i);
    }
    assert_int_equal(m->predicted, U(2 + 6));
    assert_int_equal(s->participants, 6);
    cp_engine_free(e);
}

static void participant_modalities_cost_their_own(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 1, CP_MOD_AUDIO, T0);
    cp_join_t j;
    cp_engine_advance(e, T0);
    assert_int_equal(cp_engine_join(e, m, "v", 1, CP_MOD_AUDIO | CP_MOD_VIDEO, T0, &j), CP_OK);
    /* observed 2 + 5 beats expected 2 + 1 */
    assert_int_equal(m->predicted, U(7));
    cp_engine_free(e);
}

static void peak_of_earlier_activation_raises_expected(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 3, CP_MOD_AUDIO, T0);
    char pid[16];
    for (int i = 0; i < 10; i++) {
        snprintf(pid, sizeof pid, "p%d", i);
        fx_join_ok(e, m, pid, T0);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(pid, sizeof pid, "p%d", i);
        assert_int_equal(cp_engine_leave(e, m, pid, strlen(pid), T0 + SEC(1000)), CP_OK);
    }
    cp_engine_advance(e, T0 + SEC(1100)); /* past idle grace */
    assert_int_equal(m->state, CP_MEETING_SCHEDULED);
    assert_int_equal(m->peak, 10);
    assert_int_equal(s->conf_load, 0);
    fx_join_ok(e, m, "again", T0 + SEC(2000));
    assert_int_equal(m->prior_peak, 10);
    assert_int_equal(m->predicted, U(2 + 10)); /* not 2 + 3 */
    cp_engine_free(e);
}

static void report_sets_other_load_and_counts(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 5, CP_MOD_AUDIO, T0);
    fx_join_ok(e, m, "p1", T0);
    cp_engine_advance(e, T0 + SEC(1000)); /* ramp-up over */
    cp_report_meeting_t rm = {.id = "m1", .len = 2, .participants = 40};
    cp_report_t r = {.has_other_load = true, .other_load = U(120), .meetings = &rm,
                     .nmeetings = 1, .has_meetings = true};
    assert_int_equal(cp_engine_server_report(e, s, &r, T0 + SEC(1000)), CP_OK);
    assert_int_equal(s->other_load, U(120));
    assert_int_equal(m->participants, 40);
    assert_int_equal(s->participants, 40);
    assert_int_equal(m->predicted, U(2 + 40));
    assert_int_equal(s->last_report, T0 + SEC(1000));
    assert_true(cp_server_utilization(s) > 0.16 && cp_server_utilization(s) < 0.17);
    cp_engine_free(e);
}

static void cpu_report_derives_other_load(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m1", 98, CP_MOD_AUDIO, T0);
    fx_join_ok(e, m, "p1", T0); /* predicted 100 */
    cp_report_t r = {.has_cpu = true, .cpu = 0.55};
    assert_int_equal(cp_engine_server_report(e, s, &r, T0 + 1), CP_OK);
    assert_int_equal(s->other_load, U(450)); /* 0.55 x 1000 - 100 */
    r.cpu = 0.05;
    assert_int_equal(cp_engine_server_report(e, s, &r, T0 + 2), CP_OK);
    assert_int_equal(s->other_load, 0); /* never negative */
    cp_engine_free(e);
}

/* Runs n meetings of `expected` (0: meet-now) that peak at `people`. */
static void fx_history(cp_engine_t *e, int n, uint32_t expected, int people, cp_ms_t *t) {
    static int serial;
    for (int i = 0; i < n; i++) {
        char id[24], pid[16];
        snprintf(id, sizeof id, "h%d", serial++);
        cp_meeting_t *m = fx_meeting(e, id, expected, 0, *t);
        for (int p = 0; p < people; p++) {
            snprintf(pid, sizeof pid, "p%d", p);
            fx_join_ok(e, m, pid, *t);
        }
        *t += SEC(1800);
        cp_engine_meeting_end(e, m, *t);
    }
}

static void expected_sizes_learn_attendance(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_ms_t t = T0;
    /* 19 meetings invited 10 and attended by 5: not enough to learn yet */
    fx_history(e, 19, 10, 5, &t);
    cp_meeting_t *m = fx_meeting(e, "probe1", 10, 0, t);
    fx_join_ok(e, m, "x", t);
    assert_int_equal(m->predicted, U(2 + 10));
    cp_engine_meeting_end(e, m, t);
    /* the 20th (and probe1, which had 1 of 10) teach the pool */
    fx_history(e, 5, 10, 5, &t);
    m = fx_meeting(e, "probe2", 10, 0, t);
    fx_join_ok(e, m, "x", t);
    cp_pool_t *p = cp_engine_pool(e, "default");
    assert_true(p->att_n >= 20);
    assert_true(p->att_factor > 0.4 && p->att_factor < 0.5);
    /* 2 + 10 x factor: about 6.6, not 12 */
    assert_true(m->predicted > U(6) && m->predicted < U(7));
    cp_engine_meeting_end(e, m, t);
    /* meet-now meetings learn their own typical peak (3 people) */
    fx_history(e, 25, 0, 3, &t);
    m = fx_meeting(e, "adhoc", 0, 0, t);
    fx_join_ok(e, m, "x", t);
    assert_int_equal(m->predicted, U(2 + 3));
    /* a meeting's own earlier peak stays a floor */
    cp_meeting_t *r = fx_meeting(e, "recurring", 10, 0, t);
    char pid[16];
    for (int i = 0; i < 9; i++) {
        snprintf(pid, sizeof pid, "r%d", i);
        fx_join_ok(e, r, pid, t);
    }
    for (int i = 0; i < 9; i++) {
        snprintf(pid, sizeof pid, "r%d", i);
        cp_engine_leave(e, r, pid, strlen(pid), t + 1);
    }
    cp_engine_advance(e, t + SEC(120));
    assert_int_equal(r->state, CP_MEETING_SCHEDULED);
    fx_join_ok(e, r, "again", t + SEC(200));
    assert_int_equal(r->predicted, U(2 + 9));
    /* large meetings keep their given size */
    cp_meeting_t *big = fx_meeting(e, "big", 300, 0, t + SEC(300));
    fx_join_ok(e, big, "x", t + SEC(300));
    assert_int_equal(big->predicted, U(2 + 300));
    cp_engine_free(e);
}

static void learning_can_be_switched_off(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.learn_attendance = false;
    cp_engine_t *e = cp_engine_new(&cfg);
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_ms_t t = T0;
    fx_history(e, 30, 10, 5, &t);
    cp_meeting_t *m = fx_meeting(e, "probe", 10, 0, t);
    fx_join_ok(e, m, "x", t);
    assert_int_equal(m->predicted, U(2 + 10));
    cp_engine_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cost_of_modalities_follows_config),
        cmocka_unit_test(expected_size_counts_in_full_during_ramp_up),
        cmocka_unit_test(observed_above_expected_wins),
        cmocka_unit_test(participant_modalities_cost_their_own),
        cmocka_unit_test(peak_of_earlier_activation_raises_expected),
        cmocka_unit_test(report_sets_other_load_and_counts),
        cmocka_unit_test(cpu_report_derives_other_load),
        cmocka_unit_test(expected_sizes_learn_attendance),
        cmocka_unit_test(learning_can_be_switched_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
