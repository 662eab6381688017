/* test_store_schema.c — schema versions and migrations: a fresh database
 * gets the current version, reopening changes nothing, a newer database is
 * refused, and each step is its own transaction. */
#include "test_store_helpers.h"

#include <sqlite3.h>

#include "store/cp_schema.h"

static int setup(void **state) {
    cp_test_dir_t *d = cp_calloc(1, sizeof *d);
    cp_test_dir_make(d);
    *state = d;
    return 0;
}

static int teardown(void **state) {
    cp_test_dir_remove(*state);
    cp_free(*state);
    return 0;
}

static int64_t raw_int(const char *db, const char *sql) {
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

static void raw_exec(const char *db, const char *sql) {
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(h);
}

static bool has_table(sqlite3 *h, const char *name) {
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT 1 FROM sqlite_schema WHERE name = ?1", -1, &q,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return found;
}

static void fresh_database_gets_the_current_version(void **state) {
    cp_test_dir_t *d = *state;
    cp_store_t *st = cp_test_open(d->db);
    assert_int_equal(cp_store_schema_version(st), CP_SCHEMA_VERSION);
    cp_store_close(st);
    assert_int_equal(raw_int(d->db, "PRAGMA user_version"), CP_SCHEMA_VERSION);
    assert_int_equal(raw_int(d->db, "PRAGMA application_id"), CP_SCHEMA_APP_ID);
    assert_int_equal(raw_int(d->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                    " AND name IN ('servers', 'meetings', 'participants')"),
                     3);
}

static void reopening_is_idempotent_and_keeps_data(void **state) {
    cp_test_dir_t *d = *state;
    cp_store_t *st = cp_test_open(d->db);
    cp_batch_t *b = cp_batch_new();
    cp_server_rec_t s = cp_test_server("fe-01", 1);
    cp_batch_server(b, &s);
    cp_test_commit(st, b);
    cp_store_close(st);
    int64_t objects = raw_int(d->db, "SELECT count(*) FROM sqlite_schema");

    for (int i = 0; i < 3; i++) {
        st = cp_test_open(d->db);
        assert_int_equal(cp_store_schema_version(st), CP_SCHEMA_VERSION);
        cp_test_loaded_t got = {0};
        cp_test_load(st, &got);
        assert_int_equal(got.nservers, 1);
        cp_test_loaded_free(&got);
        cp_store_close(st);
    }
    assert_int_equal(raw_int(d->db, "SELECT count(*) FROM sqlite_schema"), objects);
    cp_batch_free(b);
}

static void newer_database_is_refused_untouched(void **state) {
    cp_test_dir_t *d = *state;
    cp_store_close(cp_test_open(d->db));
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", CP_SCHEMA_VERSION + 1);
    raw_exec(d->db, sql);

    char err[512] = "";
    assert_null(cp_store_open(d->db, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, d->db));
    assert_int_equal(raw_int(d->db, "PRAGMA user_version"), CP_SCHEMA_VERSION + 1);
}

/* Step 2 fails half-way: step 1 stays, nothing of step 2 remains, the
 * version says 1; a fixed binary then completes the migration. */
static void each_step_is_its_own_transaction(void **state) {
    cp_test_dir_t *d = *state;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(d->db, &h), SQLITE_OK);
    const char *const broken[] = {
        "CREATE TABLE a (x INTEGER)",
        "CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1)",
    };
    int version = -1;
    char err[256] = "";
    assert_int_equal(cp_schema_apply(h, broken, 2, &version, err, sizeof err), -1);
    assert_int_equal(version, 1);
    assert_non_null(strstr(err, "schema version 2"));
    assert_true(has_table(h, "a"));
    assert_false(has_table(h, "b"));

    const char *const fixed[] = {
        "CREATE TABLE a (x INTEGER)", /* would fail if run twice */
        "CREATE TABLE b (y INTEGER)",
        "ALTER TABLE b ADD COLUMN z TEXT",
    };
    assert_int_equal(cp_schema_apply(h, fixed, 3, &version, err, sizeof err), 0);
    assert_int_equal(version, 3);
    assert_true(has_table(h, "b"));
    /* running again applies nothing */
    assert_int_equal(cp_schema_apply(h, fixed, 3, &version, err, sizeof err), 0);
    assert_int_equal(version, 3);
    sqlite3_close(h);
}

/* Every meeting update sets state; its CHECK must not make SQLite build a
 * temporary b-tree per execution (as `state IN (...)` did: 3-4x slower
 * group commits). */
static void on_server(void *ctx, const cp_server_rec_t *r) {
    cp_server_rec_t *out = ctx;
    *out = *r;
    out->id = out->address = out->pool = out->region = NULL; /* only scalars are kept */
}

/* A version 1 database written before failure detection existed keeps its
 * servers; they come back static (no report interval) and up. */
static void version_1_database_is_migrated_with_its_data(void **state) {
    cp_test_dir_t *d = *state;
    raw_exec(d->db,
             "PRAGMA application_id = 1129336652;"
             "CREATE TABLE servers (id TEXT PRIMARY KEY NOT NULL, address TEXT NOT NULL,"
             " pool TEXT NOT NULL, region TEXT, capacity INTEGER NOT NULL,"
             " other_load INTEGER NOT NULL, state TEXT NOT NULL"
             " CHECK (state = 'up' OR state = 'draining' OR state = 'down'), cpu REAL,"
             " created INTEGER NOT NULL, last_report INTEGER, empty_since INTEGER,"
             " seq INTEGER NOT NULL) STRICT;"
             "CREATE TABLE meetings (id TEXT PRIMARY KEY NOT NULL, seq INTEGER UNIQUE NOT NULL,"
             " organizer TEXT NOT NULL, subject TEXT, pool TEXT NOT NULL, state TEXT NOT NULL,"
             " server TEXT, start INTEGER, \"end\" INTEGER, created INTEGER, activated INTEGER,"
             " ended INTEGER, empty_since INTEGER, last_active INTEGER,"
             " expected INTEGER NOT NULL, peak INTEGER NOT NULL, prior_peak INTEGER NOT NULL,"
             " participants INTEGER NOT NULL, modalities INTEGER NOT NULL, rehomed_from TEXT)"
             " STRICT;"
             "CREATE TABLE participants (meeting TEXT NOT NULL REFERENCES meetings(id)"
             " ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, participant TEXT NOT NULL,"
             " modalities INTEGER NOT NULL, PRIMARY KEY (meeting, participant))"
             " WITHOUT ROWID, STRICT;"
             "INSERT INTO servers VALUES ('old', 'a:1', 'default', NULL, 5000, 7, 'draining',"
             " NULL, 1, NULL, NULL, 1);"
             "PRAGMA user_version = 1;");
    cp_store_t *st = cp_test_open(d->db);
    assert_int_equal(cp_store_schema_version(st), CP_SCHEMA_VERSION);
    cp_server_rec_t got;
    memset(&got, 0xab, sizeof got);
    cp_store_loader_t loader = {.server = on_server};
    char err[256];
    assert_int_equal(cp_store_load(st, &loader, &got, err, sizeof err), 0);
    assert_int_equal(got.capacity, 5000);
    assert_int_equal(got.state, CP_SERVER_DRAINING);
    assert_int_equal(got.report_interval, 0);
    assert_int_equal(got.down_reason, CP_DOWN_NONE);
    assert_int_equal(got.down_since, CP_TIME_NONE);
    assert_int_equal(got.state_before_down, CP_SERVER_UP);
    cp_store_close(st);
}

static void state_checks_cost_no_temporary_btree(void **state) {
    cp_test_dir_t *d = *state;
    cp_store_close(cp_test_open(d->db));
    sqlite3 *h;
    assert_int_equal(sqlite3_open(d->db, &h), SQLITE_OK);
    static const char *const updates[] = {
        "EXPLAIN UPDATE meetings SET state = ?1 WHERE id = ?2",
        "EXPLAIN UPDATE servers SET state = ?1 WHERE id = ?2",
    };
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(h, updates[i], -1, &q, NULL), SQLITE_OK);
        int checks = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *opcode = (const char *)sqlite3_column_text(q, 1);
            if (strcmp(opcode, "OpenEphemeral") == 0)
                fail_msg("%s builds a temporary b-tree", updates[i] + 8);
            checks += strcmp(opcode, "Halt") == 0 && sqlite3_column_int(q, 2) == 275;
        }
        sqlite3_finalize(q);
        assert_true(checks > 0); /* SQLITE_CONSTRAINT_CHECK: the CHECK is still there */
    }
    sqlite3_close(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fresh_database_gets_the_current_version, setup, teardown),
        cmocka_unit_test_setup_teardown(reopening_is_idempotent_and_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_database_is_refused_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(each_step_is_its_own_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(state_checks_cost_no_temporary_btree, setup, teardown),
        cmocka_unit_test_setup_teardown(version_1_database_is_migrated_with_its_data, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
