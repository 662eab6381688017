/* cp_store.h — the conferencing database: durable servers, meetings and
 * participants.
 *
 * The engine journals its changes; the daemon copies them into a batch at
 * the end of each loop iteration and hands the batch to the writer thread
 * (cp_writer.h), which commits it in one transaction (group commit). A
 * reply that reports a change is released only once its batch is durable.
 * At start the store loads everything back into the engine.
 *
 * Backends: SQLite in WAL mode (the embedded default). The interface is
 * kept backend-neutral so PostgreSQL can slot in. */
#ifndef CP_STORE_H
#define CP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cp_engine.h"

/* ---- batches ---------------------------------------------------------------- */

/** An ordered list of writes. Every string is copied into the batch, so the
 *  engine may change or free its objects right after appending. */
typedef struct cp_batch cp_batch_t;

cp_batch_t *cp_batch_new(void);
void cp_batch_free(cp_batch_t *b);
/** Empties b, keeping its memory for reuse (a batch that grew past about
 *  1 MiB gives the excess back). */
void cp_batch_reset(cp_batch_t *b);
/** Number of writes in b. */
size_t cp_batch_len(const cp_batch_t *b);

void cp_batch_server(cp_batch_t *b, const cp_server_rec_t *r);
void cp_batch_server_deleted(cp_batch_t *b, const char *id);
void cp_batch_meeting(cp_batch_t *b, const cp_meeting_rec_t *r);
void cp_batch_meeting_deleted(cp_batch_t *b, const char *id);
void cp_batch_participant_joined(cp_batch_t *b, const char *mid, const char *pid, unsigned mods,
                                 unsigned leg);
void cp_batch_participant_left(cp_batch_t *b, const char *mid, const char *pid);
void cp_batch_participants_cleared(cp_batch_t *b, const char *mid);

/** An engine change sink that appends to the batch passed as ctx:
 *  cp_engine_drain_changes(engine, &cp_batch_sink, batch). */
extern const cp_change_sink_t cp_batch_sink;

/* ---- the store -------------------------------------------------------------- */

/** A store is used by one thread at a time: the loop thread opens and loads
 *  it, then the writer thread (cp_writer.h) is its only user until
 *  cp_writer_stop returns. */
typedef struct cp_store cp_store_t;

/** Receives the stored state at start: every server (in registration order,
 *  seq), then every meeting in creation order (seq), then every participant.
 *  Strings are valid only during the call. A NULL callback skips its rows. */
typedef struct cp_store_loader {
    void (*server)(void *ctx, const cp_server_rec_t *r);
    void (*meeting)(void *ctx, const cp_meeting_rec_t *r);
    void (*participant)(void *ctx, const char *mid, const char *pid, unsigned mods,
                        unsigned leg);
} cp_store_loader_t;

/** Opens (creating if needed) the database at path and migrates its schema
 *  to the current version. The directory must exist. ":memory:" opens a
 *  private in-memory database (for tests). A database written by a newer
 *  confpool (higher schema version) is refused. On failure returns NULL and
 *  writes a message to err. */
cp_store_t *cp_store_open(const char *path, char *err, size_t errlen);
/** Closes the database. */
void cp_store_close(cp_store_t *st);
/** The schema version the database is at. */
int cp_store_schema_version(cp_store_t *st);
/** Reads everything back. Returns 0, or -1 with a message in err. */
int cp_store_load(cp_store_t *st, const cp_store_loader_t *loader, void *ctx, char *err,
                  size_t errlen);
/** Applies b in one transaction and makes it durable before returning.
 *  Returns 0, or -1 with a message in err (nothing of b is applied). */
int cp_store_commit(cp_store_t *st, const cp_batch_t *b, char *err, size_t errlen);
/** Applies bs[0..n), in order, in one transaction made durable before
 *  returning (one fsync for all: group commit). Batches without writes cost
 *  nothing; when none has any, no transaction is run. Returns 0, or -1 with
 *  a message in err (nothing of any batch is applied). */
int cp_store_commit_many(cp_store_t *st, const cp_batch_t *const *bs, size_t n, char *err,
                         size_t errlen);
/** Runs the database's integrity and foreign key checks; returns 0 when
 *  both pass, or -1 with the first problem in err. */
int cp_store_check(cp_store_t *st, char *err, size_t errlen);

#endif
