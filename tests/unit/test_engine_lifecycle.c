/* test_engine_lifecycle.c — meeting states over time: deactivation after
 * the idle grace, ending, expiry, forgetting; server removal and re-homing;
 * timers that do not depend on how often time is advanced. */
#include "engine_fixture.h"

static void empty_meeting_deactivates_after_grace(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    fx_join_ok(e, m, "a", T0);
    assert_int_equal(cp_engine_leave(e, m, "a", 1, T0 + SEC(10)), CP_OK);
    cp_engine_advance(e, T0 + SEC(69));
    assert_int_equal(m->state, CP_MEETING_ACTIVE); /* grace not over */
    cp_engine_advance(e, T0 + SEC(70));
    assert_int_equal(m->state, CP_MEETING_SCHEDULED);
    assert_null(m->server);
    assert_int_equal(m->last_active, T0 + SEC(70));
    assert_int_equal(s->meetings, 0);
    assert_int_equal(s->conf_load, 0);
    assert_int_equal(s->participants, 0);
    cp_engine_free(e);
}

static void rejoin_within_grace_keeps_the_meeting(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    cp_server_t *s = fx_join_ok(e, m, "a", T0);
    cp_engine_leave(e, m, "a", 1, T0 + SEC(10));
    assert_ptr_equal(fx_join_ok(e, m, "a", T0 + SEC(40)), s);
    cp_engine_advance(e, T0 + SEC(200));
    assert_int_equal(m->state, CP_MEETING_ACTIVE);
    cp_engine_free(e);
}

static void leave_is_idempotent(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    fx_join_ok(e, m, "a", T0);
    fx_join_ok(e, m, "b", T0);
    assert_int_equal(cp_engine_leave(e, m, "a", 1, T0), CP_OK);
    assert_int_equal(cp_engine_leave(e, m, "a", 1, T0), CP_OK);
    assert_int_equal(cp_engine_leave(e, m, "zz", 2, T0), CP_OK);
    assert_int_equal(m->participants, 1);
    cp_engine_free(e);
}

static void ended_meeting_is_gone_and_frees_its_server(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    fx_join_ok(e, m, "a", T0);
    assert_int_equal(cp_engine_meeting_end(e, m, T0 + 1), CP_OK);
    assert_int_equal(m->state, CP_MEETING_ENDED);
    assert_int_equal(s->conf_load, 0);
    assert_int_equal(s->meetings, 0);
    assert_int_equal(fx_join(e, m, "b", T0 + 2, NULL), CP_E_GONE);
    assert_int_equal(cp_engine_leave(e, m, "a", 1, T0 + 2), CP_E_GONE);
    assert_int_equal(cp_engine_meeting_end(e, m, T0 + 3), CP_E_GONE);
    cp_engine_free(e);
}

static void scheduled_meeting_expires_then_is_forgotten(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.expire_after = SEC(100);
    cfg.retain_ended = SEC(50);
    cp_engine_t *e = cp_engine_new(&cfg);
    cp_meeting_spec_t spec = {.id = "m", .organizer = "o", .start = T0 + SEC(10),
                              .end = T0 + SEC(20)};
    cp_meeting_t *m;
    const char *why;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_OK);
    cp_engine_advance(e, T0 + SEC(119));
    assert_int_equal(m->state, CP_MEETING_SCHEDULED);
    cp_engine_advance(e, T0 + SEC(120));
    assert_int_equal(m->state, CP_MEETING_ENDED);
    assert_int_equal(m->ended, T0 + SEC(120));
    cp_engine_advance(e, T0 + SEC(170));
    assert_null(cp_engine_meeting(e, "m", 1));
    assert_null(cp_engine_meeting_after(e, 0));
    assert_int_equal(cp_engine_meeting_count(e), 0);
    cp_engine_free(e);
}

static void end_before_start_is_invalid(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_meeting_spec_t spec = {.id = "m", .organizer = "o", .start = T0 + 10, .end = T0 + 10};
    cp_meeting_t *m;
    const char *why = NULL;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_E_INVALID);
    assert_non_null(why);
    spec.end = T0 + 11;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_OK);
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &m, &why), CP_E_CONFLICT);
    cp_engine_free(e);
}

static void listing_follows_creation_order(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    const char *ids[] = {"zeta", "alpha", "mid"};
    for (int i = 0; i < 3; i++)
        fx_meeting(e, ids[i], 0, 0, T0 + i);
    uint64_t cursor = 0;
    for (int i = 0; i < 3; i++) {
        cp_meeting_t *m = cp_engine_meeting_after(e, cursor);
        assert_non_null(m);
        assert_string_equal(m->id, ids[i]);
        cursor = m->seq;
    }
    assert_null(cp_engine_meeting_after(e, cursor));
    cp_engine_free(e);
}

static void force_remove_rehomes_meetings(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_server(e, "a", 1000, NULL, T0);
    cp_server_t *b = fx_server(e, "b", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    cp_server_t *host = fx_join_ok(e, m, "p", T0);
    cp_server_t *other = host == a ? b : a;
    assert_int_equal(cp_engine_server_remove(e, host, false, T0), CP_E_CONFLICT);
    assert_int_equal(cp_engine_server_remove(e, host, true, T0), CP_OK);
    assert_ptr_equal(m->server, other);
    assert_string_equal(m->rehomed_from, other == a ? "b" : "a");
    assert_int_equal(other->meetings, 1);
    assert_int_equal(m->participants, 1);
    assert_int_equal(cp_engine_server_count(e), 1);
    cp_engine_free(e);
}

static void timers_do_not_depend_on_advance_granularity(void **state) {
    (void)state;
    /* Same events, one engine advanced every second, one only at events:
     * identical placements and loads. */
    cp_engine_t *e1 = fx_engine(), *e2 = fx_engine();
    cp_engine_t *es[2] = {e1, e2};
    for (int k = 0; k < 2; k++) {
        fx_server(es[k], "a", 200, NULL, T0);
        fx_server(es[k], "b", 200, NULL, T0);
    }
    char id[16];
    for (int i = 0; i < 60; i++) {
        cp_ms_t t = T0 + SEC(i * 37);
        snprintf(id, sizeof id, "m%d", i);
        for (int k = 0; k < 2; k++) {
            if (k == 0)
                for (cp_ms_t x = t - SEC(37); x < t; x += SEC(1))
                    cp_engine_advance(es[k], x);
            cp_meeting_t *m = fx_meeting(es[k], id, (uint32_t)(i % 7 + 1), 0, t);
            fx_join_ok(es[k], m, "p", t);
            if (i >= 3) {
                snprintf(id, sizeof id, "m%d", i - 3);
                cp_meeting_t *old = cp_engine_meeting(es[k], id, strlen(id));
                cp_engine_leave(es[k], old, "p", 1, t);
                snprintf(id, sizeof id, "m%d", i);
            }
        }
        assert_string_equal(cp_engine_meeting(e1, id, strlen(id))->server->id,
                            cp_engine_meeting(e2, id, strlen(id))->server->id);
    }
    cp_engine_advance(e1, T0 + SEC(3000));
    cp_engine_advance(e2, T0 + SEC(3000));
    assert_int_equal(cp_engine_server(e1, "a", 1)->conf_load, cp_engine_server(e2, "a", 1)->conf_load);
    cp_engine_free(e1);
    cp_engine_free(e2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_meeting_deactivates_after_grace),
        cmocka_unit_test(rejoin_within_grace_keeps_the_meeting),
        cmocka_unit_test(leave_is_idempotent),
        cmocka_unit_test(ended_meeting_is_gone_and_frees_its_server),
        cmocka_unit_test(scheduled_meeting_expires_then_is_forgotten),
        cmocka_unit_test(end_before_start_is_invalid),
        cmocka_unit_test(listing_follows_creation_order),
        cmocka_unit_test(force_remove_rehomes_meetings),
        cmocka_unit_test(timers_do_not_depend_on_advance_granularity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
