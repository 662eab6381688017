/* cp_store_int.h — internals shared by the store's files: the write
 * operations a batch holds, and the table of functions a backend provides.
 * Not for use outside src/store (tests may read it). */
#ifndef CP_STORE_INT_H
#define CP_STORE_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "store/cp_store.h"

/* ---- operations ------------------------------------------------------------- */

typedef enum cp_op_kind {
    CP_OP_SERVER,               /* u.server: insert or update */
    CP_OP_SERVER_DELETED,       /* u.id */
    CP_OP_MEETING,              /* u.meeting: insert or update, keeps participants */
    CP_OP_MEETING_DELETED,      /* u.id; its participants go with it */
    CP_OP_PARTICIPANT_JOINED,   /* u.part: insert or update modalities */
    CP_OP_PARTICIPANT_LEFT,     /* u.part (mods unused) */
    CP_OP_PARTICIPANTS_CLEARED, /* u.id: every participant of that meeting */
} cp_op_kind_t;

/** One write, as read back from a batch. */
typedef struct cp_op {
    cp_op_kind_t kind;
    union {
        cp_server_rec_t server;
        cp_meeting_rec_t meeting;
        struct {
            const char *mid, *pid;
            unsigned mods, leg;
        } part;
        const char *id;
    } u;
} cp_op_t;

/** Fills out with the i-th write of b (i < cp_batch_len(b)). Its strings
 *  point into b and stay valid until b is changed, reset or freed. */
void cp_batch_op(const cp_batch_t *b, size_t i, cp_op_t *out);

/** "server", "meeting deleted", ...: for error messages. */
const char *cp_op_kind_name(cp_op_kind_t k);

/* ---- backends --------------------------------------------------------------- */

/** What a backend implements. The public functions in cp_store.c check
 *  arguments and dispatch here. */
typedef struct cp_store_backend {
    const char *name;
    void (*close)(cp_store_t *st);
    int (*schema_version)(cp_store_t *st);
    int (*load)(cp_store_t *st, const cp_store_loader_t *loader, void *ctx, char *err,
                size_t errlen);
    /* bs[0..n) in one durable transaction; at least one batch has writes */
    int (*commit)(cp_store_t *st, const cp_batch_t *const *bs, size_t n, char *err,
                  size_t errlen);
    int (*check)(cp_store_t *st, char *err, size_t errlen);
} cp_store_backend_t;

/** Every backend's handle starts with this. */
struct cp_store {
    const cp_store_backend_t *be;
};

/** The SQLite backend (cp_store_sqlite.c). */
cp_store_t *cp_store_sqlite_open(const char *path, char *err, size_t errlen);

/** Writes a message to err (which may be NULL or errlen 0); returns -1 so
 *  callers can `return cp_store_errf(...)`. */
int cp_store_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
