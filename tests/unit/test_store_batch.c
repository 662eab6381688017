/* test_store_batch.c — batches keep their writes in order, own copies of
 * every string, and are reusable after a reset; cp_batch_sink appends. */
#include "test_store_helpers.h"

#include "store/cp_store_int.h"

static void batch_copies_strings_so_the_caller_may_reuse_them(void **state) {
    (void)state;
    cp_batch_t *b = cp_batch_new();
    char id[16] = "srv-1", addr[32] = "10.1.1.1:5061", pool[16] = "large";
    cp_server_rec_t r = cp_test_server(id, 7);
    r.address = addr, r.pool = pool, r.region = "eu-west";
    cp_batch_server(b, &r);
    char mid[16] = "m-1", pid[16] = "p-1";
    cp_batch_participant_joined(b, mid, pid, CP_MOD_VIDEO, 0);
    strcpy(id, "XXXXX"), strcpy(addr, "YYYY"), strcpy(pool, "ZZ");
    strcpy(mid, "QQQ"), strcpy(pid, "RRR");

    cp_op_t op;
    cp_batch_op(b, 0, &op);
    assert_int_equal(op.kind, CP_OP_SERVER);
    assert_string_equal(op.u.server.id, "srv-1");
    assert_string_equal(op.u.server.address, "10.1.1.1:5061");
    assert_string_equal(op.u.server.pool, "large");
    assert_string_equal(op.u.server.region, "eu-west");
    assert_true(op.u.server.seq == 7);
    cp_batch_op(b, 1, &op);
    assert_int_equal(op.kind, CP_OP_PARTICIPANT_JOINED);
    assert_string_equal(op.u.part.mid, "m-1");
    assert_string_equal(op.u.part.pid, "p-1");
    assert_int_equal(op.u.part.mods, CP_MOD_VIDEO);
    cp_batch_free(b);
}

static void batch_keeps_null_strings_null(void **state) {
    (void)state;
    cp_batch_t *b = cp_batch_new();
    cp_server_rec_t s = cp_test_server("s", 1);
    cp_meeting_rec_t m = cp_test_meeting("m", 1);
    cp_batch_server(b, &s);
    cp_batch_meeting(b, &m);
    cp_op_t op;
    cp_batch_op(b, 0, &op);
    assert_null(op.u.server.region);
    cp_batch_op(b, 1, &op);
    assert_null(op.u.meeting.subject);
    assert_null(op.u.meeting.server);
    assert_null(op.u.meeting.rehomed_from);
    cp_test_assert_meeting_eq(&op.u.meeting, &m);
    cp_batch_free(b);
}

static void batch_keeps_the_order_of_writes(void **state) {
    (void)state;
    cp_batch_t *b = cp_batch_new();
    cp_server_rec_t s = cp_test_server("s1", 1);
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_server(b, &s);
    cp_batch_meeting(b, &m);
    cp_batch_participant_joined(b, "m1", "p1", 3, 0);
    cp_batch_participant_left(b, "m1", "p1");
    cp_batch_participants_cleared(b, "m1");
    cp_batch_meeting_deleted(b, "m1");
    cp_batch_server_deleted(b, "s1");
    static const cp_op_kind_t want[] = {
        CP_OP_SERVER,           CP_OP_MEETING,          CP_OP_PARTICIPANT_JOINED,
        CP_OP_PARTICIPANT_LEFT, CP_OP_PARTICIPANTS_CLEARED, CP_OP_MEETING_DELETED,
        CP_OP_SERVER_DELETED,
    };
    assert_int_equal(cp_batch_len(b), 7);
    for (size_t i = 0; i < 7; i++) {
        cp_op_t op;
        cp_batch_op(b, i, &op);
        assert_int_equal(op.kind, want[i]);
    }
    cp_op_t op;
    cp_batch_op(b, 4, &op);
    assert_string_equal(op.u.id, "m1");
    cp_batch_op(b, 6, &op);
    assert_string_equal(op.u.id, "s1");
    cp_batch_free(b);
}

static void batch_reset_empties_it_for_reuse(void **state) {
    (void)state;
    cp_batch_t *b = cp_batch_new();
    cp_batch_server_deleted(b, "old");
    cp_batch_server_deleted(b, "older");
    cp_batch_reset(b);
    assert_int_equal(cp_batch_len(b), 0);
    cp_batch_meeting_deleted(b, "new");
    assert_int_equal(cp_batch_len(b), 1);
    cp_op_t op;
    cp_batch_op(b, 0, &op);
    assert_int_equal(op.kind, CP_OP_MEETING_DELETED);
    assert_string_equal(op.u.id, "new");
    cp_batch_free(b);
}

/* The string arena moves as it grows; earlier strings must still resolve. */
static void batch_survives_growth(void **state) {
    (void)state;
    cp_batch_t *b = cp_batch_new();
    char id[32], pid[32];
    for (int round = 0; round < 2; round++) { /* the second round reuses memory */
        for (int i = 0; i < 20000; i++) {
            snprintf(id, sizeof id, "m-%d", i);
            snprintf(pid, sizeof pid, "participant-%d", i * 7);
            cp_batch_participant_joined(b, id, pid, (unsigned)i & 7u, 0);
        }
        assert_int_equal(cp_batch_len(b), 20000);
        for (int i = 0; i < 20000; i += 997) {
            cp_op_t op;
            cp_batch_op(b, (size_t)i, &op);
            snprintf(id, sizeof id, "m-%d", i);
            snprintf(pid, sizeof pid, "participant-%d", i * 7);
            assert_string_equal(op.u.part.mid, id);
            assert_string_equal(op.u.part.pid, pid);
            assert_int_equal(op.u.part.mods, (unsigned)i & 7u);
        }
        cp_batch_reset(b);
    }
    cp_batch_free(b);
}

static void sink_appends_every_change_to_the_batch(void **state) {
    (void)state;
    cp_batch_t *b = cp_batch_new();
    cp_server_rec_t s = cp_test_server("s1", 3);
    s.region = "us", s.cpu = 0.5, s.state = CP_SERVER_DRAINING;
    cp_meeting_rec_t m = cp_test_meeting("m1", 9);
    m.server = "s1", m.state = CP_MEETING_ACTIVE, m.subject = "standup";
    cp_batch_sink.server(b, &s);
    cp_batch_sink.meeting(b, &m);
    cp_batch_sink.participant_joined(b, "m1", "bob", CP_MOD_AUDIO | CP_MOD_VIDEO, 2);
    cp_batch_sink.participant_left(b, "m1", "bob");
    cp_batch_sink.participants_cleared(b, "m1");
    cp_batch_sink.meeting_deleted(b, "m1");
    cp_batch_sink.server_deleted(b, "s1");
    assert_int_equal(cp_batch_len(b), 7);

    cp_op_t op;
    cp_batch_op(b, 0, &op);
    assert_int_equal(op.kind, CP_OP_SERVER);
    cp_test_assert_server_eq(&op.u.server, &s);
    cp_batch_op(b, 1, &op);
    assert_int_equal(op.kind, CP_OP_MEETING);
    cp_test_assert_meeting_eq(&op.u.meeting, &m);
    cp_batch_op(b, 2, &op);
    assert_int_equal(op.kind, CP_OP_PARTICIPANT_JOINED);
    assert_string_equal(op.u.part.pid, "bob");
    assert_int_equal(op.u.part.mods, CP_MOD_AUDIO | CP_MOD_VIDEO);
    assert_int_equal(op.u.part.leg, 2);
    cp_batch_op(b, 3, &op);
    assert_int_equal(op.kind, CP_OP_PARTICIPANT_LEFT);
    cp_batch_op(b, 4, &op);
    assert_int_equal(op.kind, CP_OP_PARTICIPANTS_CLEARED);
    cp_batch_op(b, 5, &op);
    assert_int_equal(op.kind, CP_OP_MEETING_DELETED);
    cp_batch_op(b, 6, &op);
    assert_int_equal(op.kind, CP_OP_SERVER_DELETED);
    cp_batch_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_copies_strings_so_the_caller_may_reuse_them),
        cmocka_unit_test(batch_keeps_null_strings_null),
        cmocka_unit_test(batch_keeps_the_order_of_writes),
        cmocka_unit_test(batch_reset_empties_it_for_reuse),
        cmocka_unit_test(batch_survives_growth),
        cmocka_unit_test(sink_appends_every_change_to_the_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
