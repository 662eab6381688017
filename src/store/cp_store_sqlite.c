/* cp_store_sqlite.c — the SQLite backend of the store.
 *
 * One connection in WAL mode with synchronous=FULL: COMMIT returns only once
 * the WAL is fsynced, so a committed batch survives a power cut, not only a
 * killed process. Every statement is prepared once and kept for the life
 * of the connection; values are always bound, never spliced into SQL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "store/cp_schema.h"
#include "store/cp_store_int.h"
#include "util/base/cp_alloc.h"

/* How long a write waits for a lock held by another connection (a backup
 * or an admin's sqlite3 shell) before it fails. */
#define CP__BUSY_MS 5000

typedef enum cp__stmt_id {
    CP__BEGIN,
    CP__BEGIN_READ,
    CP__COMMIT,
    CP__ROLLBACK,
    CP__SERVER_PUT,
    CP__SERVER_DEL,
    CP__MEETING_PUT,
    CP__MEETING_DEL,
    CP__PART_PUT,
    CP__PART_DEL,
    CP__PART_CLEAR,
    CP__LOAD_SERVERS,
    CP__LOAD_MEETINGS,
    CP__LOAD_PARTS,
    CP__STMT_COUNT
} cp__stmt_id_t;

/* Upserts update in place (ON CONFLICT DO UPDATE). INSERT OR REPLACE would
 * delete the old meeting row first, and the delete would cascade to its
 * participants. */
static const char *const cp__sql[CP__STMT_COUNT] = {
    [CP__BEGIN] = "BEGIN IMMEDIATE",
    [CP__BEGIN_READ] = "BEGIN DEFERRED",
    [CP__COMMIT] = "COMMIT",
    [CP__ROLLBACK] = "ROLLBACK",
    [CP__SERVER_PUT] =
        "INSERT INTO servers (id, address, pool, region, capacity, other_load, state, cpu,"
        " created, last_report, empty_since, seq, report_interval, watch_since, down_since,"
        " down_reason, state_before_down)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        " ON CONFLICT (id) DO UPDATE SET address = excluded.address, pool = excluded.pool,"
        " region = excluded.region, capacity = excluded.capacity,"
        " other_load = excluded.other_load, state = excluded.state, cpu = excluded.cpu,"
        " created = excluded.created, last_report = excluded.last_report,"
        " empty_since = excluded.empty_since, seq = excluded.seq,"
        " report_interval = excluded.report_interval, watch_since = excluded.watch_since,"
        " down_since = excluded.down_since, down_reason = excluded.down_reason,"
        " state_before_down = excluded.state_before_down",
    [CP__SERVER_DEL] = "DELETE FROM servers WHERE id = ?1",
    [CP__MEETING_PUT] =
        "INSERT INTO meetings (id, seq, organizer, subject, pool, state, server, start, \"end\","
        " created, activated, ended, empty_since, last_active, expected, peak, prior_peak,"
        " participants, modalities, rehomed_from, legs, plan_status, plan_host, plan_reason,"
        " plan_hold_from, plan_hold_until, plan_busy_until, plan_lead, plan_free_at,"
        " plan_suggested_start, plan_load, plan_cascade_servers, expected_given)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
        " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)"
        " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, organizer = excluded.organizer,"
        " subject = excluded.subject, pool = excluded.pool, state = excluded.state,"
        " server = excluded.server, start = excluded.start, \"end\" = excluded.\"end\","
        " created = excluded.created, activated = excluded.activated, ended = excluded.ended,"
        " empty_since = excluded.empty_since, last_active = excluded.last_active,"
        " expected = excluded.expected, peak = excluded.peak, prior_peak = excluded.prior_peak,"
        " participants = excluded.participants, modalities = excluded.modalities,"
        " rehomed_from = excluded.rehomed_from, legs = excluded.legs,"
        " plan_status = excluded.plan_status, plan_host = excluded.plan_host,"
        " plan_reason = excluded.plan_reason, plan_hold_from = excluded.plan_hold_from,"
        " plan_hold_until = excluded.plan_hold_until, plan_busy_until = excluded.plan_busy_until,"
        " plan_lead = excluded.plan_lead, plan_free_at = excluded.plan_free_at,"
        " plan_suggested_start = excluded.plan_suggested_start, plan_load = excluded.plan_load,"
        " plan_cascade_servers = excluded.plan_cascade_servers,"
        " expected_given = excluded.expected_given",
    [CP__MEETING_DEL] = "DELETE FROM meetings WHERE id = ?1",
    [CP__PART_PUT] = "INSERT INTO participants (meeting, participant, modalities, leg)"
                     " VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT (meeting, participant) DO UPDATE"
                     " SET modalities = excluded.modalities, leg = excluded.leg",
    [CP__PART_DEL] = "DELETE FROM participants WHERE meeting = ?1 AND participant = ?2",
    [CP__PART_CLEAR] = "DELETE FROM participants WHERE meeting = ?1",
    [CP__LOAD_SERVERS] = "SELECT id, address, pool, region, capacity, other_load, state, cpu,"
                         " created, last_report, empty_since, seq, report_interval,"
                         " watch_since, down_since, down_reason, state_before_down"
                         " FROM servers ORDER BY seq, id",
    [CP__LOAD_MEETINGS] =
        "SELECT id, seq, organizer, subject, pool, state, server, start, \"end\", created,"
        " activated, ended, empty_since, last_active, expected, peak, prior_peak,"
        " participants, modalities, rehomed_from, legs, plan_status, plan_host, plan_reason,"
        " plan_hold_from, plan_hold_until, plan_busy_until, plan_lead, plan_free_at,"
        " plan_suggested_start, plan_load, plan_cascade_servers, expected_given"
        " FROM meetings ORDER BY seq",
    [CP__LOAD_PARTS] = "SELECT meeting, participant, modalities, leg FROM participants"
                       " ORDER BY meeting, participant",
};

typedef struct cp__sqlite {
    cp_store_t base;
    sqlite3 *db;
    sqlite3_stmt *stmt[CP__STMT_COUNT]; /* prepared on first use */
    int version;
} cp__sqlite_t;

static cp__sqlite_t *cp__self(cp_store_t *st) { return (cp__sqlite_t *)st; }

/* The cached statement id, or NULL (see sqlite3_errmsg). */
static sqlite3_stmt *cp__stmt(cp__sqlite_t *s, cp__stmt_id_t id) {
    if (!s->stmt[id] && sqlite3_prepare_v3(s->db, cp__sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                           &s->stmt[id], NULL) != SQLITE_OK)
        return NULL;
    return s->stmt[id];
}

/* Steps st to the end and readies it for reuse. */
static int cp__finish(sqlite3_stmt *st) {
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int cp__run(cp__sqlite_t *s, cp__stmt_id_t id) {
    sqlite3_stmt *st = cp__stmt(s, id);
    return st ? cp__finish(st) : sqlite3_errcode(s->db);
}

/* ---- binding -------------------------------------------------------------- */

/* Binds parameters in turn and keeps the first error. Strings are bound
 * without a copy: they live in the batch for the whole statement. */
typedef struct cp__binder {
    sqlite3_stmt *st;
    int rc;
} cp__binder_t;

static void cp__text(cp__binder_t *b, int i, const char *v) {
    if (b->rc == SQLITE_OK)
        b->rc = v ? sqlite3_bind_text(b->st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(b->st, i);
}

static void cp__int(cp__binder_t *b, int i, int64_t v) {
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_int64(b->st, i, v);
}

/* Sequence numbers are stored as their 64 bits reinterpreted as signed. */
static void cp__u64(cp__binder_t *b, int i, uint64_t v) { cp__int(b, i, (int64_t)v); }

static void cp__time(cp__binder_t *b, int i, cp_ms_t v) {
    if (b->rc == SQLITE_OK)
        b->rc = v == CP_TIME_NONE ? sqlite3_bind_null(b->st, i) : sqlite3_bind_int64(b->st, i, v);
}

static void cp__cpu(cp__binder_t *b, int i, double v) {
    if (b->rc == SQLITE_OK)
        b->rc = v < 0 ? sqlite3_bind_null(b->st, i) : sqlite3_bind_double(b->st, i, v);
}

static void cp__bind_server(cp__binder_t *b, const cp_server_rec_t *r) {
    cp__text(b, 1, r->id);
    cp__text(b, 2, r->address);
    cp__text(b, 3, r->pool);
    cp__text(b, 4, r->region);
    cp__int(b, 5, r->capacity);
    cp__int(b, 6, r->other_load);
    cp__text(b, 7, cp_server_state_name(r->state));
    cp__cpu(b, 8, r->cpu);
    cp__time(b, 9, r->created);
    cp__time(b, 10, r->last_report);
    cp__time(b, 11, r->empty_since);
    cp__u64(b, 12, r->seq);
    cp__int(b, 13, r->report_interval);
    cp__time(b, 14, r->watch_since);
    cp__time(b, 15, r->down_since);
    cp__text(b, 16, cp_down_reason_name(r->down_reason));
    cp__text(b, 17, cp_server_state_name(r->state_before_down == CP_SERVER_DRAINING
                                              ? CP_SERVER_DRAINING
                                              : CP_SERVER_UP));
}

static void cp__bind_meeting(cp__binder_t *b, const cp_meeting_rec_t *r) {
    cp__text(b, 1, r->id);
    cp__u64(b, 2, r->seq);
    cp__text(b, 3, r->organizer);
    cp__text(b, 4, r->subject);
    cp__text(b, 5, r->pool);
    cp__text(b, 6, cp_meeting_state_name(r->state));
    cp__text(b, 7, r->server);
    cp__time(b, 8, r->start);
    cp__time(b, 9, r->end);
    cp__time(b, 10, r->created);
    cp__time(b, 11, r->activated);
    cp__time(b, 12, r->ended);
    cp__time(b, 13, r->empty_since);
    cp__time(b, 14, r->last_active);
    cp__int(b, 15, r->expected);
    cp__int(b, 16, r->peak);
    cp__int(b, 17, r->prior_peak);
    cp__int(b, 18, r->participants);
    cp__int(b, 19, r->modalities);
    cp__text(b, 20, r->rehomed_from);
    cp__text(b, 21, r->legs);
    cp__text(b, 22, cp_plan_status_name(r->plan_status));
    cp__text(b, 23, r->plan_host);
    cp__text(b, 24, r->plan_reason);
    cp__time(b, 25, r->plan_hold_from);
    cp__time(b, 26, r->plan_hold_until);
    cp__time(b, 27, r->plan_busy_until);
    cp__int(b, 28, r->plan_lead);
    cp__time(b, 29, r->plan_free_at);
    cp__time(b, 30, r->plan_suggested_start);
    cp__int(b, 31, r->plan_load);
    cp__int(b, 32, r->plan_cascade_servers);
    cp__int(b, 33, r->expected_given ? 1 : 0);
}

/* ---- commit ----------------------------------------------------------------- */

static const cp__stmt_id_t cp__stmt_of[] = {
    [CP_OP_SERVER] = CP__SERVER_PUT,
    [CP_OP_SERVER_DELETED] = CP__SERVER_DEL,
    [CP_OP_MEETING] = CP__MEETING_PUT,
    [CP_OP_MEETING_DELETED] = CP__MEETING_DEL,
    [CP_OP_PARTICIPANT_JOINED] = CP__PART_PUT,
    [CP_OP_PARTICIPANT_LEFT] = CP__PART_DEL,
    [CP_OP_PARTICIPANTS_CLEARED] = CP__PART_CLEAR,
};

static int cp__apply(cp__sqlite_t *s, const cp_op_t *op) {
    cp__binder_t b = {cp__stmt(s, cp__stmt_of[op->kind]), SQLITE_OK};
    if (!b.st)
        return sqlite3_errcode(s->db);
    switch (op->kind) {
    case CP_OP_SERVER: cp__bind_server(&b, &op->u.server); break;
    case CP_OP_MEETING: cp__bind_meeting(&b, &op->u.meeting); break;
    case CP_OP_PARTICIPANT_JOINED:
        cp__text(&b, 1, op->u.part.mid);
        cp__text(&b, 2, op->u.part.pid);
        cp__int(&b, 3, op->u.part.mods);
        cp__int(&b, 4, op->u.part.leg);
        break;
    case CP_OP_PARTICIPANT_LEFT:
        cp__text(&b, 1, op->u.part.mid);
        cp__text(&b, 2, op->u.part.pid);
        break;
    case CP_OP_SERVER_DELETED:
    case CP_OP_MEETING_DELETED:
    case CP_OP_PARTICIPANTS_CLEARED: cp__text(&b, 1, op->u.id); break;
    }
    if (b.rc != SQLITE_OK) {
        sqlite3_clear_bindings(b.st);
        return b.rc;
    }
    return cp__finish(b.st);
}

/* The id an operation is about, for error messages. */
static const char *cp__op_key(const cp_op_t *op) {
    switch (op->kind) {
    case CP_OP_SERVER: return op->u.server.id;
    case CP_OP_MEETING: return op->u.meeting.id;
    case CP_OP_PARTICIPANT_JOINED:
    case CP_OP_PARTICIPANT_LEFT: return op->u.part.mid;
    default: return op->u.id;
    }
}

static int cp__commit(cp_store_t *st, const cp_batch_t *const *bs, size_t n, char *err,
                      size_t errlen) {
    cp__sqlite_t *s = cp__self(st);
    if (cp__run(s, CP__BEGIN) != SQLITE_OK)
        return cp_store_errf(err, errlen, "sqlite: BEGIN: %s", sqlite3_errmsg(s->db));
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0, len = cp_batch_len(bs[k]); i < len; i++) {
            cp_op_t op;
            cp_batch_op(bs[k], i, &op);
            if (cp__apply(s, &op) != SQLITE_OK) {
                const char *key = cp__op_key(&op);
                cp_store_errf(err, errlen, "sqlite: batch %zu of %zu, write %zu (%s '%s'): %s",
                              k + 1, n, i + 1, cp_op_kind_name(op.kind), key ? key : "(null)",
                              sqlite3_errmsg(s->db));
                goto rollback;
            }
        }
    }
    /* Deferred foreign keys are checked here: COMMIT can fail too. */
    if (cp__run(s, CP__COMMIT) != SQLITE_OK) {
        cp_store_errf(err, errlen, "sqlite: COMMIT: %s", sqlite3_errmsg(s->db));
        goto rollback;
    }
    return 0;
rollback:
    if (!sqlite3_get_autocommit(s->db))
        cp__run(s, CP__ROLLBACK);
    return -1;
}

/* ---- load ----------------------------------------------------------------- */

static const char *cp__col_text(sqlite3_stmt *st, int i) {
    return (const char *)sqlite3_column_text(st, i);
}

static cp_ms_t cp__col_time(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? CP_TIME_NONE : sqlite3_column_int64(st, i);
}

static int cp__row_server(sqlite3_stmt *st, cp_server_rec_t *r, char *err, size_t errlen) {
    *r = (cp_server_rec_t){
        .id = cp__col_text(st, 0),
        .address = cp__col_text(st, 1),
        .pool = cp__col_text(st, 2),
        .region = cp__col_text(st, 3),
        .capacity = sqlite3_column_int64(st, 4),
        .other_load = sqlite3_column_int64(st, 5),
        .cpu = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1.0 : sqlite3_column_double(st, 7),
        .created = cp__col_time(st, 8),
        .last_report = cp__col_time(st, 9),
        .empty_since = cp__col_time(st, 10),
        .seq = (uint64_t)sqlite3_column_int64(st, 11),
        .report_interval = sqlite3_column_int64(st, 12),
        .watch_since = cp__col_time(st, 13),
        .down_since = cp__col_time(st, 14),
    };
    const char *state = cp__col_text(st, 6), *why = cp__col_text(st, 15),
               *before = cp__col_text(st, 16);
    if (!state || !cp_server_state_parse(state, &r->state) ||
        !cp_down_reason_parse(why ? why : "", &r->down_reason) || !before ||
        !cp_server_state_parse(before, &r->state_before_down))
        return cp_store_errf(err, errlen, "sqlite: server '%s' has an unknown state", r->id);
    return 0;
}

static int cp__row_meeting(sqlite3_stmt *st, cp_meeting_rec_t *r, char *err, size_t errlen) {
    *r = (cp_meeting_rec_t){
        .id = cp__col_text(st, 0),
        .seq = (uint64_t)sqlite3_column_int64(st, 1),
        .organizer = cp__col_text(st, 2),
        .subject = cp__col_text(st, 3),
        .pool = cp__col_text(st, 4),
        .server = cp__col_text(st, 6),
        .start = cp__col_time(st, 7),
        .end = cp__col_time(st, 8),
        .created = cp__col_time(st, 9),
        .activated = cp__col_time(st, 10),
        .ended = cp__col_time(st, 11),
        .empty_since = cp__col_time(st, 12),
        .last_active = cp__col_time(st, 13),
        .expected = (uint32_t)sqlite3_column_int64(st, 14),
        .peak = (uint32_t)sqlite3_column_int64(st, 15),
        .prior_peak = (uint32_t)sqlite3_column_int64(st, 16),
        .participants = (uint32_t)sqlite3_column_int64(st, 17),
        .modalities = (unsigned)sqlite3_column_int64(st, 18),
        .rehomed_from = cp__col_text(st, 19),
        .legs = cp__col_text(st, 20),
        .plan_host = cp__col_text(st, 22),
        .plan_reason = cp__col_text(st, 23),
        .plan_hold_from = cp__col_time(st, 24),
        .plan_hold_until = cp__col_time(st, 25),
        .plan_busy_until = cp__col_time(st, 26),
        .plan_lead = sqlite3_column_int64(st, 27),
        .plan_free_at = cp__col_time(st, 28),
        .plan_suggested_start = cp__col_time(st, 29),
        .plan_load = sqlite3_column_int64(st, 30),
        .plan_cascade_servers = (uint32_t)sqlite3_column_int64(st, 31),
        .expected_given = sqlite3_column_int64(st, 32) != 0,
    };
    const char *state = cp__col_text(st, 5), *plan = cp__col_text(st, 21);
    if (!state || !cp_meeting_state_parse(state, &r->state))
        return cp_store_errf(err, errlen, "sqlite: meeting '%s' has an unknown state", r->id);
    r->plan_status = CP_PLAN_NONE;
    if (plan && !cp_plan_status_parse(plan, &r->plan_status))
        return cp_store_errf(err, errlen, "sqlite: meeting '%s' has an unknown plan status",
                             r->id);
    return 0;
}

/* Feeds every row of one table to the loader. */
static int cp__load_table(cp__sqlite_t *s, cp__stmt_id_t id, const cp_store_loader_t *l,
                          void *ctx, char *err, size_t errlen) {
    sqlite3_stmt *st = cp__stmt(s, id);
    if (!st)
        return cp_store_errf(err, errlen, "sqlite: load: %s", sqlite3_errmsg(s->db));
    int rc, bad = 0;
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (id == CP__LOAD_SERVERS) {
            cp_server_rec_t r;
            bad = cp__row_server(st, &r, err, errlen);
            if (!bad && l->server)
                l->server(ctx, &r);
        } else if (id == CP__LOAD_MEETINGS) {
            cp_meeting_rec_t r;
            bad = cp__row_meeting(st, &r, err, errlen);
            if (!bad && l->meeting)
                l->meeting(ctx, &r);
        } else if (l->participant) {
            l->participant(ctx, cp__col_text(st, 0), cp__col_text(st, 1),
                           (unsigned)sqlite3_column_int64(st, 2),
                           (unsigned)sqlite3_column_int64(st, 3));
        }
    }
    if (!bad && rc != SQLITE_DONE)
        bad = cp_store_errf(err, errlen, "sqlite: load: %s", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return bad;
}

/* One read transaction, so the three tables are one consistent snapshot. */
static int cp__load(cp_store_t *st, const cp_store_loader_t *l, void *ctx, char *err,
                    size_t errlen) {
    cp__sqlite_t *s = cp__self(st);
    if (cp__run(s, CP__BEGIN_READ) != SQLITE_OK)
        return cp_store_errf(err, errlen, "sqlite: BEGIN: %s", sqlite3_errmsg(s->db));
    int rc = cp__load_table(s, CP__LOAD_SERVERS, l, ctx, err, errlen);
    if (rc == 0)
        rc = cp__load_table(s, CP__LOAD_MEETINGS, l, ctx, err, errlen);
    if (rc == 0)
        rc = cp__load_table(s, CP__LOAD_PARTS, l, ctx, err, errlen);
    cp__run(s, rc == 0 ? CP__COMMIT : CP__ROLLBACK);
    return rc;
}

/* ---- check, version, close -------------------------------------------------- */

static int cp__check(cp_store_t *st, char *err, size_t errlen) {
    cp__sqlite_t *s = cp__self(st);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q, NULL) != SQLITE_OK)
        return cp_store_errf(err, errlen, "sqlite: integrity_check: %s", sqlite3_errmsg(s->db));
    int rc = sqlite3_step(q), bad = 0;
    const char *res = rc == SQLITE_ROW ? cp__col_text(q, 0) : NULL;
    if (!res || strcmp(res, "ok") != 0)
        bad = cp_store_errf(err, errlen, "sqlite: integrity_check: %s",
                            res ? res : sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    if (bad)
        return -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &q, NULL) != SQLITE_OK)
        return cp_store_errf(err, errlen, "sqlite: foreign_key_check: %s", sqlite3_errmsg(s->db));
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        bad = cp_store_errf(err, errlen,
                            "sqlite: foreign_key_check: a row of %s refers to a missing row of %s",
                            cp__col_text(q, 0), cp__col_text(q, 2));
    else if (rc != SQLITE_DONE)
        bad = cp_store_errf(err, errlen, "sqlite: foreign_key_check: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    return bad;
}

static int cp__schema_version(cp_store_t *st) { return cp__self(st)->version; }

static void cp__close(cp_store_t *st) {
    cp__sqlite_t *s = cp__self(st);
    for (int i = 0; i < CP__STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    cp_free(s);
}

static const cp_store_backend_t cp__sqlite_backend = {
    .name = "sqlite",
    .close = cp__close,
    .schema_version = cp__schema_version,
    .load = cp__load,
    .commit = cp__commit,
    .check = cp__check,
};

/* ---- open ------------------------------------------------------------------- */

/* SQLite's own message for a missing directory is "unable to open database
 * file"; say what is wrong instead. */
static int cp__check_dir(const char *path, char *err, size_t errlen) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = cp_strndup(path, n);
    struct stat sb;
    int rc = 0;
    if (stat(dir, &sb) != 0)
        rc = cp_store_errf(err, errlen, "database %s: directory %s %s", path, dir,
                           errno == ENOENT ? "does not exist" : strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        rc = cp_store_errf(err, errlen, "database %s: %s is not a directory", path, dir);
    cp_free(dir);
    return rc;
}

/* Runs a PRAGMA that answers with one text row; copies the answer. */
static int cp__pragma(sqlite3 *db, const char *sql, char *out, size_t outlen) {
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *v = cp__col_text(q, 0);
        snprintf(out, outlen, "%s", v ? v : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        snprintf(out, outlen, "%s", "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc;
}

static int cp__configure(sqlite3 *db, bool in_memory, char *err, size_t errlen) {
    char v[32];
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, CP__BUSY_MS);
    /* No writable_schema tricks, even from a hostile database file. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    if (cp__pragma(db, "PRAGMA journal_mode = WAL", v, sizeof v) != SQLITE_OK)
        return cp_store_errf(err, errlen, "%s", sqlite3_errmsg(db));
    if (strcmp(v, in_memory ? "memory" : "wal") != 0)
        return cp_store_errf(err, errlen, "cannot switch to WAL mode (journal_mode is %s)", v);
    if (sqlite3_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL,
                     NULL) != SQLITE_OK)
        return cp_store_errf(err, errlen, "%s", sqlite3_errmsg(db));
    if (cp__pragma(db, "PRAGMA foreign_keys", v, sizeof v) != SQLITE_OK || strcmp(v, "1") != 0)
        return cp_store_errf(err, errlen, "this SQLite cannot enforce foreign keys");
    return 0;
}

cp_store_t *cp_store_sqlite_open(const char *path, char *err, size_t errlen) {
    bool in_memory = strcmp(path, ":memory:") == 0;
    if (!in_memory && cp__check_dir(path, err, errlen) != 0)
        return NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        cp_store_errf(err, errlen, "database %s: %s", path,
                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    char why[512];
    int version = 0;
    if (cp__configure(db, in_memory, why, sizeof why) != 0 ||
        cp_schema_migrate(db, &version, why, sizeof why) != 0) {
        cp_store_errf(err, errlen, "database %s: %s", path, why);
        sqlite3_close(db);
        return NULL;
    }
    cp__sqlite_t *s = cp_calloc(1, sizeof *s);
    s->base.be = &cp__sqlite_backend;
    s->db = db;
    s->version = version;
    return &s->base;
}
