/* test_engine_failure.c — failure detection and re-homing: a watched
 * server that stops reporting goes down and takes nothing new; its
 * meetings move on their next join (or at once when eager); when it comes
 * back its report is answered with the meetings it must end; static
 * servers never time out; an admin's down sticks. */
#include "engine_fixture.h"

static cp_server_t *fx_watched(cp_engine_t *e, const char *id, cp_ms_t interval, cp_ms_t now) {
    cp_server_spec_t spec = {.id = id, .address = "a:1", .capacity = U(1000),
                             .report_interval = interval};
    cp_server_t *s;
    bool created;
    assert_int_equal(cp_engine_server_put(e, &spec, now, &s, &created), CP_OK);
    return s;
}

static void fx_report(cp_engine_t *e, cp_server_t *s, cp_ms_t now) {
    cp_report_t r = {0};
    assert_int_equal(cp_engine_server_report(e, s, &r, now), CP_OK);
}

static void silent_server_goes_down_after_timeout(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine(); /* report_timeout 30 s */
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    fx_report(e, a, T0 + SEC(5));
    cp_engine_advance(e, T0 + SEC(34));
    assert_int_equal(a->state, CP_SERVER_UP);
    cp_engine_advance(e, T0 + SEC(35));
    assert_int_equal(a->state, CP_SERVER_DOWN);
    assert_int_equal(a->down_reason, CP_DOWN_TIMEOUT);
    assert_int_equal(a->down_since, T0 + SEC(35));
    /* no placements on it */
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0 + SEC(40));
    assert_int_equal(fx_join(e, m, "p", T0 + SEC(40), NULL), CP_E_POOL_FULL);
    cp_engine_free(e);
}

static void static_servers_never_time_out(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *s = fx_server(e, "static", 1000, NULL, T0);
    fx_report(e, s, T0 + 1);
    cp_engine_advance(e, T0 + SEC(86400));
    assert_int_equal(s->state, CP_SERVER_UP);
    assert_int_equal(cp_engine_next_deadline(e), CP_TIME_NONE);
    cp_engine_free(e);
}

static void meetings_rehome_on_next_join(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    assert_ptr_equal(fx_join_ok(e, m, "p1", T0), a);
    cp_server_t *b = fx_server(e, "b", 1000, NULL, T0 + 1);
    cp_engine_advance(e, T0 + SEC(31)); /* a never reported: down */
    assert_int_equal(a->state, CP_SERVER_DOWN);
    assert_ptr_equal(m->server, a); /* lazy: still recorded on a */
    cp_join_t j;
    assert_int_equal(fx_join(e, m, "p2", T0 + SEC(32), &j), CP_OK);
    assert_ptr_equal(j.server, b);
    assert_ptr_equal(m->server, b);
    assert_string_equal(m->rehomed_from, "a");
    assert_int_equal(m->participants, 2); /* the people came along */
    assert_int_equal(a->meetings, 0);
    assert_int_equal(a->conf_load, 0);
    assert_int_equal(b->meetings, 1);
    cp_engine_free(e);
}

static void eager_rehome_moves_meetings_at_once(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.rehome_eager = true;
    cp_engine_t *e = cp_engine_new(&cfg);
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    char id[8];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "m%d", i);
        fx_join_ok(e, fx_meeting(e, id, 5, 0, T0), "p", T0);
    }
    cp_server_t *b = fx_server(e, "b", 1000, NULL, T0 + 1);
    cp_engine_advance(e, T0 + SEC(31));
    assert_int_equal(a->meetings, 0);
    assert_int_equal(b->meetings, 5);
    assert_string_equal(cp_engine_meeting(e, "m3", 2)->rehomed_from, "a");
    cp_engine_free(e);
}

static void returning_server_is_told_to_end_moved_meetings(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.rehome_eager = true;
    cp_engine_t *e = cp_engine_new(&cfg);
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    cp_meeting_t *moved = fx_meeting(e, "moved", 5, 0, T0);
    fx_join_ok(e, moved, "p", T0);
    cp_server_t *b = fx_server(e, "b", 1000, NULL, T0 + 1);
    cp_engine_advance(e, T0 + SEC(31));
    assert_ptr_equal(moved->server, b);
    /* a comes back and still believes it hosts "moved" and a stranger */
    cp_report_meeting_t rms[2] = {{"moved", 5, 3}, {"ghost", 5, 1}};
    uint8_t end[2] = {9, 9};
    cp_report_t r = {.meetings = rms, .nmeetings = 2, .has_meetings = true, .end = end};
    assert_int_equal(cp_engine_server_report(e, a, &r, T0 + SEC(40)), CP_OK);
    assert_int_equal(a->state, CP_SERVER_UP);
    assert_int_equal(a->down_reason, CP_DOWN_NONE);
    assert_int_equal(end[0], 1);
    assert_int_equal(end[1], 1);
    assert_ptr_equal(moved->server, b); /* never on two servers */
    assert_int_equal(moved->participants, 1); /* a's count is not applied */
    /* a takes meetings again */
    cp_engine_server_drain(e, b, T0 + SEC(41));
    assert_ptr_equal(fx_join_ok(e, fx_meeting(e, "new", 5, 0, T0 + SEC(41)), "p", T0 + SEC(41)), a);
    cp_engine_free(e);
}

static void report_in_time_keeps_server_up(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    for (int i = 1; i <= 20; i++)
        fx_report(e, a, T0 + SEC(25 * i));
    cp_engine_advance(e, T0 + SEC(25 * 20 + 29));
    assert_int_equal(a->state, CP_SERVER_UP);
    cp_engine_advance(e, T0 + SEC(25 * 20 + 30));
    assert_int_equal(a->state, CP_SERVER_DOWN);
    cp_engine_free(e);
}

static void admin_down_sticks_until_resume(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    fx_join_ok(e, m, "p", T0);
    assert_int_equal(cp_engine_server_down(e, a, T0 + 1), CP_OK);
    assert_int_equal(a->down_reason, CP_DOWN_ADMIN);
    uint8_t end[1] = {9};
    cp_report_meeting_t rm = {"m", 1, 1};
    cp_report_t r = {.meetings = &rm, .nmeetings = 1, .end = end};
    cp_engine_server_report(e, a, &r, T0 + 2);
    assert_int_equal(a->state, CP_SERVER_DOWN); /* a report does not undo it */
    assert_int_equal(end[0], 0); /* lazy: m is still recorded here */
    cp_engine_server_resume(e, a, T0 + 3);
    assert_int_equal(a->state, CP_SERVER_UP);
    /* the resumed server gets a fresh period to report in */
    cp_engine_advance(e, T0 + 2 + SEC(30));
    assert_int_equal(a->state, CP_SERVER_UP);
    cp_engine_advance(e, T0 + 3 + SEC(30));
    assert_int_equal(a->state, CP_SERVER_DOWN);
    cp_engine_free(e);
}

static void draining_server_returns_draining(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    cp_engine_server_drain(e, a, T0);
    cp_engine_advance(e, T0 + SEC(30));
    assert_int_equal(a->state, CP_SERVER_DOWN);
    fx_report(e, a, T0 + SEC(50));
    assert_int_equal(a->state, CP_SERVER_DRAINING);
    cp_engine_free(e);
}

static void no_room_elsewhere_leaves_meeting_scheduled(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    cp_server_t *a = fx_watched(e, "a", SEC(10), T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    fx_join_ok(e, m, "p", T0);
    cp_engine_advance(e, T0 + SEC(31));
    /* the only server is down: the join is refused, nothing is lost */
    assert_int_equal(fx_join(e, m, "p2", T0 + SEC(32), NULL), CP_E_POOL_FULL);
    assert_int_equal(m->state, CP_MEETING_SCHEDULED);
    assert_null(m->server);
    assert_int_equal(a->meetings, 0);
    fx_report(e, a, T0 + SEC(33));
    assert_ptr_equal(fx_join_ok(e, m, "p2", T0 + SEC(34)), a);
    cp_engine_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silent_server_goes_down_after_timeout),
        cmocka_unit_test(static_servers_never_time_out),
        cmocka_unit_test(meetings_rehome_on_next_join),
        cmocka_unit_test(eager_rehome_moves_meetings_at_once),
        cmocka_unit_test(returning_server_is_told_to_end_moved_meetings),
        cmocka_unit_test(report_in_time_keeps_server_up),
        cmocka_unit_test(admin_down_sticks_until_resume),
        cmocka_unit_test(draining_server_returns_draining),
        cmocka_unit_test(no_room_elsewhere_leaves_meeting_scheduled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
