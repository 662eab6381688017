/* test_store_sqlite.c — the SQLite store: every field survives a commit and
 * a load, writes apply in batch order, participants follow their meeting,
 * a failed commit leaves nothing behind, and bad databases are refused. */
#include "test_store_helpers.h"

#include <fcntl.h>
#include <sqlite3.h>

typedef struct fixture {
    cp_test_dir_t dir;
    cp_store_t *st;
    cp_batch_t *b;
    cp_test_loaded_t got;
} fixture_t;

static int setup(void **state) {
    fixture_t *f = cp_calloc(1, sizeof *f);
    cp_test_dir_make(&f->dir);
    f->st = cp_test_open(f->dir.db);
    f->b = cp_batch_new();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    cp_test_loaded_free(&f->got);
    cp_batch_free(f->b);
    cp_store_close(f->st);
    cp_test_dir_remove(&f->dir);
    cp_free(f);
    return 0;
}

/* Commits f->b, resets it, and reloads everything into f->got. */
static void commit_and_reload(fixture_t *f) {
    cp_test_commit(f->st, f->b);
    cp_batch_reset(f->b);
    cp_test_load(f->st, &f->got);
}

/* Closes and reopens the store, so values come from disk, not a cache. */
static void reopen(fixture_t *f) {
    cp_store_close(f->st);
    f->st = cp_test_open(f->dir.db);
}

static int64_t raw_count(const char *db, const char *sql) {
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return n;
}

/* ---- round trips ---------------------------------------------------------- */

static void every_server_field_round_trips(void **state) {
    fixture_t *f = *state;
    cp_server_rec_t full = {
        .id = "fe-01.example.com", .address = "[2001:db8::1]:5061", .pool = "large",
        .region = "eu-west-1", .capacity = INT64_MAX, .other_load = -123456789,
        .state = CP_SERVER_DRAINING, .cpu = 0.8125, .created = -86400000,
        .last_report = INT64_MAX, .empty_since = INT64_MIN + 1, .seq = 1,
    };
    cp_server_rec_t bare = cp_test_server("fe-02", 2); /* region NULL, cpu -1, times NONE */
    bare.state = CP_SERVER_DOWN, bare.capacity = 0, bare.other_load = INT64_MIN;
    cp_server_rec_t up = cp_test_server("fe-03", (uint64_t)INT64_MAX);
    up.cpu = 0.0; /* zero is a reading, not "unknown" */
    cp_batch_server(f->b, &up);
    cp_batch_server(f->b, &bare);
    cp_batch_server(f->b, &full);
    cp_test_commit(f->st, f->b);
    reopen(f);
    cp_test_load(f->st, &f->got);

    assert_int_equal(f->got.nservers, 3);
    cp_test_assert_server_eq(&f->got.servers[0], &full); /* in seq order */
    cp_test_assert_server_eq(&f->got.servers[1], &bare);
    cp_test_assert_server_eq(&f->got.servers[2], &up);
    /* "unknown" is stored as SQL NULL, not as a sentinel number */
    assert_int_equal(raw_count(f->dir.db, "SELECT count(*) FROM servers WHERE id = 'fe-02'"
                                          " AND region IS NULL AND cpu IS NULL"
                                          " AND last_report IS NULL AND empty_since IS NULL"),
                     1);
    assert_int_equal(raw_count(f->dir.db, "SELECT count(*) FROM servers WHERE cpu = 0.0"), 1);
}

static void every_meeting_field_round_trips(void **state) {
    fixture_t *f = *state;
    cp_server_rec_t s = cp_test_server("fe-01", 1);
    cp_meeting_rec_t full = {
        .id = "m.all-fields_1", .organizer = "O'Brien\"; DROP TABLE meetings; --",
        .subject = "Ünïcødé ☃ planning", .pool = "large", .server = "fe-01",
        .state = CP_MEETING_ACTIVE, .start = 1764147600000, .end = 1764151200000,
        .created = -1, .activated = 0, .ended = INT64_MAX, .empty_since = INT64_MIN + 1,
        .last_active = 42, .expected = UINT32_MAX, .peak = 1000, .prior_peak = 999,
        .participants = 17, .modalities = CP_MOD_ALL, .seq = 5, .rehomed_from = "fe-09",
        .legs = "fe-01/998/17,-/998/0", .plan_status = CP_PLAN_MOVED, .plan_host = "fe-02",
        .plan_reason = "planned host fe-02 had no room", .plan_hold_from = 1764144000000,
        .plan_hold_until = 1764148500000, .plan_busy_until = 1764151200000,
        .plan_lead = 3600000, .plan_free_at = 1764147600000, .plan_suggested_start = 1,
        .plan_load = 1002000, .plan_cascade_servers = 3, .expected_given = true,
    };
    cp_meeting_rec_t bare = cp_test_meeting("m-bare", 6); /* NULL strings, NONE times */
    bare.state = CP_MEETING_ENDED, bare.created = CP_TIME_NONE, bare.expected = 0;
    bare.modalities = 0;
    cp_meeting_rec_t sched = cp_test_meeting("m-sched", 4);
    sched.start = 1, sched.end = 2;
    cp_batch_server(f->b, &s);
    cp_batch_meeting(f->b, &bare);
    cp_batch_meeting(f->b, &full);
    cp_batch_meeting(f->b, &sched);
    cp_test_commit(f->st, f->b);
    reopen(f);
    cp_test_load(f->st, &f->got);

    assert_int_equal(f->got.nmeetings, 3);
    cp_test_assert_meeting_eq(&f->got.meetings[0], &sched); /* creation order */
    cp_test_assert_meeting_eq(&f->got.meetings[1], &full);
    cp_test_assert_meeting_eq(&f->got.meetings[2], &bare);
    assert_int_equal(raw_count(f->dir.db, "SELECT count(*) FROM meetings WHERE id = 'm-bare'"
                                          " AND subject IS NULL AND server IS NULL"
                                          " AND start IS NULL AND \"end\" IS NULL"
                                          " AND created IS NULL AND rehomed_from IS NULL"),
                     1);
    assert_int_equal(raw_count(f->dir.db, "SELECT count(*) FROM sqlite_schema"
                                          " WHERE name = 'meetings'"),
                     1); /* the quote in organizer was data, not SQL */
}

static void participants_round_trip(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_meeting(f->b, &m);
    cp_batch_participant_joined(f->b, "m1", "alice@example.com", CP_MOD_AUDIO, 0);
    cp_batch_participant_joined(f->b, "m1", "bob", CP_MOD_AUDIO | CP_MOD_VIDEO | CP_MOD_SHARING, 0);
    commit_and_reload(f);
    assert_int_equal(f->got.nparts, 2);
    assert_int_equal(cp_test_find_part(&f->got, "m1", "alice@example.com")->mods, CP_MOD_AUDIO);
    assert_int_equal(cp_test_find_part(&f->got, "m1", "bob")->mods, CP_MOD_ALL);
    assert_int_equal(cp_test_find_part(&f->got, "m1", "bob")->leg, 0);
    cp_batch_participant_joined(f->b, "m1", "carol", CP_MOD_AUDIO, 3);
    commit_and_reload(f);
    assert_int_equal(cp_test_find_part(&f->got, "m1", "carol")->leg, 3);
}

/* ---- order and semantics of writes ------------------------------------------- */

static void writes_apply_in_batch_order(void **state) {
    fixture_t *f = *state;
    cp_server_rec_t v1 = cp_test_server("fe-01", 1);
    cp_batch_server(f->b, &v1);
    commit_and_reload(f);

    /* delete then insert the same id: the server exists, with the new values */
    cp_server_rec_t v2 = cp_test_server("fe-01", 2);
    v2.address = "10.9.9.9:5061", v2.capacity = 7;
    cp_batch_server_deleted(f->b, "fe-01");
    cp_batch_server(f->b, &v2);
    /* insert then delete: the server does not exist */
    cp_server_rec_t gone = cp_test_server("fe-02", 3);
    cp_batch_server(f->b, &gone);
    cp_batch_server_deleted(f->b, "fe-02");
    commit_and_reload(f);

    assert_int_equal(f->got.nservers, 1);
    cp_test_assert_server_eq(&f->got.servers[0], &v2);
    assert_null(cp_test_find_server(&f->got, "fe-02"));
}

static void a_later_upsert_in_the_same_batch_wins(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_meeting(f->b, &m);
    m.state = CP_MEETING_ACTIVE, m.server = "fe-01", m.participants = 3;
    cp_batch_meeting(f->b, &m);
    commit_and_reload(f);
    assert_int_equal(f->got.nmeetings, 1);
    cp_test_assert_meeting_eq(&f->got.meetings[0], &m);
}

static void meeting_upsert_keeps_its_participants(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_meeting(f->b, &m);
    cp_batch_participant_joined(f->b, "m1", "p1", CP_MOD_AUDIO, 0);
    cp_batch_participant_joined(f->b, "m1", "p2", CP_MOD_AUDIO, 0);
    cp_batch_participant_joined(f->b, "m1", "p3", CP_MOD_VIDEO, 0);
    commit_and_reload(f);
    assert_int_equal(cp_test_count_parts(&f->got, "m1"), 3);

    m.state = CP_MEETING_ACTIVE, m.server = "fe-01", m.participants = 3, m.peak = 3;
    cp_batch_meeting(f->b, &m);
    commit_and_reload(f);
    cp_test_assert_meeting_eq(&f->got.meetings[0], &m);
    assert_int_equal(cp_test_count_parts(&f->got, "m1"), 3);
}

static void participant_left_removes_only_that_participant(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_meeting(f->b, &m);
    cp_batch_participant_joined(f->b, "m1", "p1", CP_MOD_AUDIO, 0);
    cp_batch_participant_joined(f->b, "m1", "p2", CP_MOD_AUDIO, 0);
    cp_batch_participant_left(f->b, "m1", "p1");
    cp_batch_participant_left(f->b, "m1", "never-joined"); /* a no-op, not an error */
    commit_and_reload(f);
    assert_int_equal(f->got.nparts, 1);
    assert_non_null(cp_test_find_part(&f->got, "m1", "p2"));
}

static void rejoin_updates_modalities(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_meeting(f->b, &m);
    cp_batch_participant_joined(f->b, "m1", "p1", CP_MOD_AUDIO, 0);
    commit_and_reload(f);
    cp_batch_participant_joined(f->b, "m1", "p1", CP_MOD_AUDIO | CP_MOD_SHARING, 0);
    commit_and_reload(f);
    assert_int_equal(f->got.nparts, 1);
    assert_int_equal(f->got.parts[0].mods, CP_MOD_AUDIO | CP_MOD_SHARING);
}

static void participants_cleared_empties_only_that_meeting(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m1 = cp_test_meeting("m1", 1), m2 = cp_test_meeting("m2", 2);
    cp_batch_meeting(f->b, &m1);
    cp_batch_meeting(f->b, &m2);
    cp_batch_participant_joined(f->b, "m1", "a", 1, 0);
    cp_batch_participant_joined(f->b, "m1", "b", 1, 0);
    cp_batch_participant_joined(f->b, "m2", "a", 1, 0);
    commit_and_reload(f);
    cp_batch_participants_cleared(f->b, "m1");
    commit_and_reload(f);
    assert_int_equal(cp_test_count_parts(&f->got, "m1"), 0);
    assert_int_equal(cp_test_count_parts(&f->got, "m2"), 1);
    assert_int_equal(f->got.nmeetings, 2); /* the meeting record stays */
}

static void meeting_delete_takes_its_participants(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m1 = cp_test_meeting("m1", 1), m2 = cp_test_meeting("m2", 2);
    cp_batch_meeting(f->b, &m1);
    cp_batch_meeting(f->b, &m2);
    cp_batch_participant_joined(f->b, "m1", "a", 1, 0);
    cp_batch_participant_joined(f->b, "m2", "b", 1, 0);
    commit_and_reload(f);
    cp_batch_meeting_deleted(f->b, "m1");
    commit_and_reload(f);
    assert_int_equal(f->got.nmeetings, 1);
    assert_string_equal(f->got.meetings[0].id, "m2");
    assert_int_equal(f->got.nparts, 1);
    assert_string_equal(f->got.parts[0].mid, "m2");
    assert_int_equal(cp_store_check(f->st, NULL, 0), 0);
}

/* Foreign keys are checked at COMMIT: a participant may be written before
 * its meeting within one transaction. */
static void participant_before_its_meeting_in_one_batch_is_fine(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_participant_joined(f->b, "m1", "a", 1, 0);
    cp_batch_meeting(f->b, &m);
    commit_and_reload(f);
    assert_int_equal(f->got.nparts, 1);
}

static void commit_many_applies_batches_in_order_in_one_go(void **state) {
    fixture_t *f = *state;
    cp_batch_t *b2 = cp_batch_new(), *empty = cp_batch_new();
    cp_server_rec_t s = cp_test_server("fe-01", 1);
    cp_batch_server(f->b, &s);
    cp_batch_server_deleted(b2, "fe-01");
    s = cp_test_server("fe-02", 2);
    cp_batch_server(b2, &s);
    const cp_batch_t *bs[] = {f->b, empty, b2};
    char err[256] = "";
    assert_int_equal(cp_store_commit_many(f->st, bs, 3, err, sizeof err), 0);
    cp_test_load(f->st, &f->got);
    assert_int_equal(f->got.nservers, 1);
    assert_string_equal(f->got.servers[0].id, "fe-02");
    cp_batch_free(b2);
    cp_batch_free(empty);
}

static void empty_batch_commits_as_a_no_op(void **state) {
    fixture_t *f = *state;
    char err[64] = "";
    assert_int_equal(cp_store_commit(f->st, f->b, err, sizeof err), 0);
    assert_int_equal(cp_store_commit_many(f->st, NULL, 0, err, sizeof err), 0);
}

/* ---- failures ------------------------------------------------------------------ */

static void failed_commit_applies_nothing_and_says_why(void **state) {
    fixture_t *f = *state;
    cp_server_rec_t s = cp_test_server("fe-01", 1);
    cp_batch_server(f->b, &s);
    cp_batch_participant_joined(f->b, "no-such-meeting", "a", 1, 0);
    char err[256] = "";
    assert_int_equal(cp_store_commit(f->st, f->b, err, sizeof err), -1);
    assert_non_null(strstr(err, "FOREIGN KEY"));
    cp_batch_reset(f->b);
    cp_test_load(f->st, &f->got);
    assert_int_equal(f->got.nservers, 0);

    /* a bad value mid-batch names the write; the store stays usable */
    cp_server_rec_t bad = cp_test_server("fe-bad", 2);
    bad.state = (cp_server_state_t)9;
    cp_batch_server(f->b, &s);
    cp_batch_server(f->b, &bad);
    assert_int_equal(cp_store_commit(f->st, f->b, err, sizeof err), -1);
    assert_non_null(strstr(err, "write 2 (server 'fe-bad'): CHECK constraint failed"));
    cp_batch_reset(f->b);
    cp_batch_server(f->b, &s);
    commit_and_reload(f);
    assert_int_equal(f->got.nservers, 1);
    assert_int_equal(cp_store_check(f->st, NULL, 0), 0);
}

static void meeting_seq_must_be_unique(void **state) {
    fixture_t *f = *state;
    cp_meeting_rec_t a = cp_test_meeting("a", 1), b = cp_test_meeting("b", 1);
    cp_batch_meeting(f->b, &a);
    cp_batch_meeting(f->b, &b);
    char err[256] = "";
    assert_int_equal(cp_store_commit(f->st, f->b, err, sizeof err), -1);
    assert_non_null(strstr(err, "UNIQUE"));
}

static void open_fails_clearly_when_the_directory_is_missing(void **state) {
    fixture_t *f = *state;
    char path[400], err[512] = "";
    snprintf(path, sizeof path, "%s/no-such-dir/confpool.db", f->dir.path);
    assert_null(cp_store_open(path, err, sizeof err));
    assert_non_null(strstr(err, "no-such-dir does not exist"));
    assert_int_equal(access(path, F_OK), -1); /* and nothing was created */
}

static void open_refuses_a_file_that_is_not_a_database(void **state) {
    fixture_t *f = *state;
    char path[400], err[512] = "";
    snprintf(path, sizeof path, "%s/junk.db", f->dir.path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database at all. ", fp);
    fclose(fp);
    assert_null(cp_store_open(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a database"));
}

static void open_refuses_another_applications_database(void **state) {
    fixture_t *f = *state;
    char path[400], err[512] = "";
    snprintf(path, sizeof path, "%s/other.db", f->dir.path);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE accounts (id INTEGER)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_null(cp_store_open(path, err, sizeof err));
    assert_non_null(strstr(err, "not a confpool database"));
}

static void store_uses_wal_mode(void **state) {
    fixture_t *f = *state;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->dir.db, &h), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(h);
}

static void check_reports_a_dangling_participant(void **state) {
    fixture_t *f = *state;
    char err[256] = "";
    assert_int_equal(cp_store_check(f->st, err, sizeof err), 0);
    sqlite3 *h; /* a connection without foreign keys can break the rule */
    assert_int_equal(sqlite3_open(f->dir.db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "INSERT INTO participants VALUES ('ghost', 'p', 1, 0)", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(cp_store_check(f->st, err, sizeof err), -1);
    assert_non_null(strstr(err, "participants"));
}

static void in_memory_store_works(void **state) {
    (void)state;
    cp_store_t *st = cp_test_open(":memory:");
    cp_batch_t *b = cp_batch_new();
    cp_meeting_rec_t m = cp_test_meeting("m1", 1);
    cp_batch_meeting(b, &m);
    cp_test_commit(st, b);
    cp_test_loaded_t got = {0};
    cp_test_load(st, &got);
    assert_int_equal(got.nmeetings, 1);
    cp_test_loaded_free(&got);
    cp_batch_free(b);
    cp_store_close(st);
}

static void postgres_urls_are_refused_for_now(void **state) {
    (void)state;
    char err[256] = "";
    assert_null(cp_store_open("postgresql://localhost/confpool", err, sizeof err));
    assert_non_null(strstr(err, "PostgreSQL"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(every_server_field_round_trips),
        T(every_meeting_field_round_trips),
        T(participants_round_trip),
        T(writes_apply_in_batch_order),
        T(a_later_upsert_in_the_same_batch_wins),
        T(meeting_upsert_keeps_its_participants),
        T(participant_left_removes_only_that_participant),
        T(rejoin_updates_modalities),
        T(participants_cleared_empties_only_that_meeting),
        T(meeting_delete_takes_its_participants),
        T(participant_before_its_meeting_in_one_batch_is_fine),
        T(commit_many_applies_batches_in_order_in_one_go),
        T(empty_batch_commits_as_a_no_op),
        T(failed_commit_applies_nothing_and_says_why),
        T(meeting_seq_must_be_unique),
        T(open_fails_clearly_when_the_directory_is_missing),
        T(open_refuses_a_file_that_is_not_a_database),
        T(open_refuses_another_applications_database),
        T(store_uses_wal_mode),
        T(check_reports_a_dangling_participant),
        cmocka_unit_test(in_memory_store_works),
        cmocka_unit_test(postgres_urls_are_refused_for_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
