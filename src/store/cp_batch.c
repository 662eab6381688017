/* cp_batch.c — an ordered list of writes that owns copies of its strings.
 *
 * Writes are kept in an array of slots; every string goes into one arena
 * (a cp_buf) and the slot remembers its offset, since the arena may move
 * while it grows. Appending is a memcpy, reset keeps both allocations, so
 * a recycled batch allocates nothing in the steady state. */
#include <stdlib.h>
#include <string.h>

#include "store/cp_store_int.h"
#include "util/base/cp_alloc.h"
#include "util/base/cp_buf.h"

/* Strings per write at most (a meeting: id, organizer, subject, pool,
 * server, rehomed_from, legs, plan host, plan reason). */
#define CP__MAX_STRS 9
/* A reset batch that grew past these gives its memory back. */
#define CP__KEEP_STRING_BYTES (1u << 20)
#define CP__KEEP_OPS 8192u

typedef struct cp__slot {
    cp_op_t op;                /* string pointers are NULL here */
    uint32_t str[CP__MAX_STRS]; /* offset + 1 into strings; 0 for NULL */
} cp__slot_t;

struct cp_batch {
    cp__slot_t *slots;
    size_t len, cap;
    cp_buf_t strings;
};

/* The string fields of op, in a fixed order per kind. */
static size_t cp__fields(cp_op_t *op, const char **f[CP__MAX_STRS]) {
    switch (op->kind) {
    case CP_OP_SERVER:
        f[0] = &op->u.server.id;
        f[1] = &op->u.server.address;
        f[2] = &op->u.server.pool;
        f[3] = &op->u.server.region;
        return 4;
    case CP_OP_MEETING:
        f[0] = &op->u.meeting.id;
        f[1] = &op->u.meeting.organizer;
        f[2] = &op->u.meeting.subject;
        f[3] = &op->u.meeting.pool;
        f[4] = &op->u.meeting.server;
        f[5] = &op->u.meeting.rehomed_from;
        f[6] = &op->u.meeting.legs;
        f[7] = &op->u.meeting.plan_host;
        f[8] = &op->u.meeting.plan_reason;
        return 9;
    case CP_OP_PARTICIPANT_JOINED:
    case CP_OP_PARTICIPANT_LEFT:
        f[0] = &op->u.part.mid;
        f[1] = &op->u.part.pid;
        return 2;
    case CP_OP_SERVER_DELETED:
    case CP_OP_MEETING_DELETED:
    case CP_OP_PARTICIPANTS_CLEARED:
        f[0] = &op->u.id;
        return 1;
    }
    abort();
}

static uint32_t cp__intern(cp_batch_t *b, const char *s) {
    if (!s)
        return 0;
    size_t off = b->strings.len, n = strlen(s) + 1;
    if (n > UINT32_MAX - 1 - off)
        abort(); /* 4 GiB of strings in one batch: a runaway caller */
    cp_buf_append(&b->strings, s, n);
    return (uint32_t)off + 1;
}

/* Appends op, copying the strings it points to. */
static void cp__push(cp_batch_t *b, const cp_op_t *op) {
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->slots = cp_reallocarray(b->slots, b->cap, sizeof *b->slots);
    }
    cp__slot_t *s = &b->slots[b->len++];
    s->op = *op;
    const char **f[CP__MAX_STRS];
    size_t n = cp__fields(&s->op, f);
    for (size_t i = 0; i < n; i++) {
        s->str[i] = cp__intern(b, *f[i]);
        *f[i] = NULL;
    }
}

void cp_batch_op(const cp_batch_t *b, size_t i, cp_op_t *out) {
    const cp__slot_t *s = &b->slots[i];
    *out = s->op;
    const char **f[CP__MAX_STRS];
    size_t n = cp__fields(out, f);
    for (size_t k = 0; k < n; k++)
        *f[k] = s->str[k] ? b->strings.data + s->str[k] - 1 : NULL;
}

const char *cp_op_kind_name(cp_op_kind_t k) {
    switch (k) {
    case CP_OP_SERVER: return "server";
    case CP_OP_SERVER_DELETED: return "server deleted";
    case CP_OP_MEETING: return "meeting";
    case CP_OP_MEETING_DELETED: return "meeting deleted";
    case CP_OP_PARTICIPANT_JOINED: return "participant joined";
    case CP_OP_PARTICIPANT_LEFT: return "participant left";
    case CP_OP_PARTICIPANTS_CLEARED: return "participants cleared";
    }
    return "unknown";
}

cp_batch_t *cp_batch_new(void) { return cp_calloc(1, sizeof(cp_batch_t)); }

void cp_batch_free(cp_batch_t *b) {
    if (!b)
        return;
    cp_free(b->slots);
    cp_buf_free(&b->strings);
    cp_free(b);
}

void cp_batch_reset(cp_batch_t *b) {
    b->len = 0;
    cp_buf_clear(&b->strings);
    if (b->cap > CP__KEEP_OPS) {
        cp_free(b->slots);
        b->slots = NULL;
        b->cap = 0;
    }
    if (b->strings.cap > CP__KEEP_STRING_BYTES)
        cp_buf_free(&b->strings);
}

size_t cp_batch_len(const cp_batch_t *b) { return b->len; }

/* The records are copied field by field rather than as a whole, so a field
 * the engine adds later arrives here as zero/NULL instead of as a borrowed
 * pointer that would dangle. */
void cp_batch_server(cp_batch_t *b, const cp_server_rec_t *r) {
    cp_op_t op = {.kind = CP_OP_SERVER};
    op.u.server = (cp_server_rec_t){
        .id = r->id,
        .address = r->address,
        .pool = r->pool,
        .region = r->region,
        .capacity = r->capacity,
        .other_load = r->other_load,
        .state = r->state,
        .cpu = r->cpu,
        .created = r->created,
        .last_report = r->last_report,
        .empty_since = r->empty_since,
        .seq = r->seq,
        .report_interval = r->report_interval,
        .watch_since = r->watch_since,
        .down_since = r->down_since,
        .down_reason = r->down_reason,
        .state_before_down = r->state_before_down,
    };
    cp__push(b, &op);
}

void cp_batch_meeting(cp_batch_t *b, const cp_meeting_rec_t *r) {
    cp_op_t op = {.kind = CP_OP_MEETING};
    op.u.meeting = (cp_meeting_rec_t){
        .id = r->id,
        .organizer = r->organizer,
        .subject = r->subject,
        .pool = r->pool,
        .server = r->server,
        .state = r->state,
        .start = r->start,
        .end = r->end,
        .created = r->created,
        .activated = r->activated,
        .ended = r->ended,
        .empty_since = r->empty_since,
        .last_active = r->last_active,
        .expected = r->expected,
        .peak = r->peak,
        .prior_peak = r->prior_peak,
        .participants = r->participants,
        .modalities = r->modalities,
        .seq = r->seq,
        .rehomed_from = r->rehomed_from,
        .legs = r->legs,
        .plan_status = r->plan_status,
        .plan_host = r->plan_host,
        .plan_reason = r->plan_reason,
        .plan_hold_from = r->plan_hold_from,
        .plan_hold_until = r->plan_hold_until,
        .plan_busy_until = r->plan_busy_until,
        .plan_lead = r->plan_lead,
        .plan_free_at = r->plan_free_at,
        .plan_suggested_start = r->plan_suggested_start,
        .plan_load = r->plan_load,
        .plan_cascade_servers = r->plan_cascade_servers,
        .expected_given = r->expected_given,
    };
    cp__push(b, &op);
}

static void cp__push_id(cp_batch_t *b, cp_op_kind_t kind, const char *id) {
    cp_op_t op = {.kind = kind};
    op.u.id = id;
    cp__push(b, &op);
}

void cp_batch_server_deleted(cp_batch_t *b, const char *id) {
    cp__push_id(b, CP_OP_SERVER_DELETED, id);
}

void cp_batch_meeting_deleted(cp_batch_t *b, const char *id) {
    cp__push_id(b, CP_OP_MEETING_DELETED, id);
}

void cp_batch_participants_cleared(cp_batch_t *b, const char *mid) {
    cp__push_id(b, CP_OP_PARTICIPANTS_CLEARED, mid);
}

void cp_batch_participant_joined(cp_batch_t *b, const char *mid, const char *pid, unsigned mods,
                                 unsigned leg) {
    cp_op_t op = {.kind = CP_OP_PARTICIPANT_JOINED};
    op.u.part.mid = mid;
    op.u.part.pid = pid;
    op.u.part.mods = mods;
    op.u.part.leg = leg;
    cp__push(b, &op);
}

void cp_batch_participant_left(cp_batch_t *b, const char *mid, const char *pid) {
    cp_op_t op = {.kind = CP_OP_PARTICIPANT_LEFT};
    op.u.part.mid = mid;
    op.u.part.pid = pid;
    cp__push(b, &op);
}
