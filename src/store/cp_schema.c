/* cp_schema.c — SQLite schema versions and the migrations between them.
 *
 * To change the schema, append a step; never edit a released one. */
#include "store/cp_schema.h"

#include <stdio.h>

#include "store/cp_store_int.h"

/* Times are ms since the epoch, NULL for CP_TIME_NONE. Load units are
 * milli-units. STRICT makes SQLite refuse a value of the wrong type.
 *
 * The state CHECKs are spelled as ORed equalities, not `state IN (...)`:
 * SQLite builds an IN list of three or more values as a temporary b-tree on
 * every execution of the statement, which made group commits 3-4x slower.
 *
 * participants.meeting is a deferred foreign key: it is checked at COMMIT,
 * so the order of writes inside a batch cannot trip it, while deleting a
 * meeting still cascades to its participants at once. meetings.server has
 * no foreign key: a meeting keeps naming the server it was on. */
static const char *const cp__steps[] = {
    /* 1: the first schema */
    "PRAGMA application_id = 1129336652;" /* CP_SCHEMA_APP_ID */
    "CREATE TABLE servers ("
    "  id          TEXT PRIMARY KEY NOT NULL,"
    "  address     TEXT NOT NULL,"
    "  pool        TEXT NOT NULL,"
    "  region      TEXT,"
    "  capacity    INTEGER NOT NULL,"
    "  other_load  INTEGER NOT NULL,"
    "  state       TEXT NOT NULL"
    "    CHECK (state = 'up' OR state = 'draining' OR state = 'down'),"
    "  cpu         REAL,"
    "  created     INTEGER NOT NULL,"
    "  last_report INTEGER,"
    "  empty_since INTEGER,"
    "  seq         INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE meetings ("
    "  id           TEXT PRIMARY KEY NOT NULL,"
    "  seq          INTEGER UNIQUE NOT NULL,"
    "  organizer    TEXT NOT NULL,"
    "  subject      TEXT,"
    "  pool         TEXT NOT NULL,"
    "  state        TEXT NOT NULL"
    "    CHECK (state = 'scheduled' OR state = 'active' OR state = 'ended'),"
    "  server       TEXT,"
    "  start        INTEGER,"
    "  \"end\"        INTEGER,"
    "  created      INTEGER,"
    "  activated    INTEGER,"
    "  ended        INTEGER,"
    "  empty_since  INTEGER,"
    "  last_active  INTEGER,"
    "  expected     INTEGER NOT NULL,"
    "  peak         INTEGER NOT NULL,"
    "  prior_peak   INTEGER NOT NULL,"
    "  participants INTEGER NOT NULL,"
    "  modalities   INTEGER NOT NULL,"
    "  rehomed_from TEXT"
    ") STRICT;"
    "CREATE TABLE participants ("
    "  meeting     TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE"
    "                DEFERRABLE INITIALLY DEFERRED,"
    "  participant TEXT NOT NULL,"
    "  modalities  INTEGER NOT NULL,"
    "  PRIMARY KEY (meeting, participant)"
    ") WITHOUT ROWID, STRICT;",
    /* 2: failure detection. A server with a report interval is watched
     * and goes down when it stops reporting; why it is down decides what
     * brings it back. */
    "ALTER TABLE servers ADD COLUMN report_interval INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE servers ADD COLUMN watch_since INTEGER;"
    "ALTER TABLE servers ADD COLUMN down_since INTEGER;"
    "ALTER TABLE servers ADD COLUMN down_reason TEXT"
    "  CHECK (down_reason IS NULL OR down_reason = 'timeout' OR down_reason = 'admin');"
    "ALTER TABLE servers ADD COLUMN state_before_down TEXT NOT NULL DEFAULT 'up'"
    "  CHECK (state_before_down = 'up' OR state_before_down = 'draining');",
    /* 3: large meetings. A cascaded meeting lists its legs
     * ("server/cap/participants,..."); each participant remembers its leg;
     * a large meeting keeps its plan. */
    "ALTER TABLE meetings ADD COLUMN legs TEXT;"
    "ALTER TABLE participants ADD COLUMN leg INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE meetings ADD COLUMN plan_status TEXT;"
    "ALTER TABLE meetings ADD COLUMN plan_host TEXT;"
    "ALTER TABLE meetings ADD COLUMN plan_reason TEXT;"
    "ALTER TABLE meetings ADD COLUMN plan_hold_from INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_hold_until INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_busy_until INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_lead INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_free_at INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_suggested_start INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_load INTEGER;"
    "ALTER TABLE meetings ADD COLUMN plan_cascade_servers INTEGER;",
    /* 4: attendance learning tells a given expected size from the default. */
    "ALTER TABLE meetings ADD COLUMN expected_given INTEGER NOT NULL DEFAULT 1"
    "  CHECK (expected_given = 0 OR expected_given = 1);",
};

_Static_assert(sizeof cp__steps / sizeof cp__steps[0] == CP_SCHEMA_VERSION,
               "one migration step per schema version");

/* Runs a one-row, one-integer query (a PRAGMA). */
static int cp__int_query(sqlite3 *db, const char *sql, int *out) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* A database we may take over: ours, or one with nothing in it. */
static int cp__check_owner(sqlite3 *db, int version, char *err, size_t errlen) {
    int app = 0, objects = 0;
    if (cp__int_query(db, "PRAGMA application_id", &app) != SQLITE_OK ||
        cp__int_query(db, "SELECT count(*) FROM sqlite_schema", &objects) != SQLITE_OK)
        return cp_store_errf(err, errlen, "cannot read the schema: %s", sqlite3_errmsg(db));
    if (app != 0 && app != CP_SCHEMA_APP_ID)
        return cp_store_errf(err, errlen, "not a confpool database (application_id %d)", app);
    if (version == 0 && objects > 0)
        return cp_store_errf(err, errlen,
                             "not a confpool database: it has tables but no schema version");
    return 0;
}

/* Runs step v (to version v) in its own transaction. */
static int cp__step(sqlite3 *db, const char *sql, int v, char *err, size_t errlen) {
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    /* Another process may have migrated while we waited for the lock. */
    int now = 0;
    if (cp__int_query(db, "PRAGMA user_version", &now) != SQLITE_OK)
        goto fail;
    if (now < v) {
        /* PRAGMA takes no bound parameters; v is our own constant. */
        char setv[48];
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v);
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, setv, NULL, NULL, &msg) != SQLITE_OK)
            goto fail;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    cp_store_errf(err, errlen, "migration to schema version %d failed: %s", v,
                  msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int cp_schema_apply(sqlite3 *db, const char *const *steps, size_t nsteps, int *version,
                    char *err, size_t errlen) {
    int v = 0;
    if (cp__int_query(db, "PRAGMA user_version", &v) != SQLITE_OK)
        return cp_store_errf(err, errlen, "cannot read the schema version: %s",
                             sqlite3_errmsg(db));
    *version = v;
    if (cp__check_owner(db, v, err, errlen) != 0)
        return -1;
    if (v < 0 || (size_t)v > nsteps)
        return cp_store_errf(err, errlen,
                             "database schema version %d is newer than this confpool "
                             "supports (%zu); upgrade confpool",
                             v, nsteps);
    for (; (size_t)v < nsteps; v++) {
        if (cp__step(db, steps[v], v + 1, err, errlen) != 0)
            return -1;
        *version = v + 1;
    }
    return 0;
}

int cp_schema_migrate(sqlite3 *db, int *version, char *err, size_t errlen) {
    return cp_schema_apply(db, cp__steps, CP_SCHEMA_VERSION, version, err, errlen);
}
