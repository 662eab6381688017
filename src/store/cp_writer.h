/* cp_writer.h — group commit on a background thread.
 *
 * The event loop submits one batch per iteration, tagged with an
 * increasing sequence number, and keeps serving while the thread commits.
 * Batches queued while a commit runs are merged into the next transaction,
 * so one fsync covers many requests. When a commit finishes the writer
 * signals an eventfd; the loop then reads the durable sequence number and
 * releases the replies that waited for it.
 *
 * A commit that fails is fatal: the process exits without releasing the
 * replies of that batch, and a restart reloads the last durable state. No
 * reply ever reports a change that is not on disk. */
#ifndef CP_WRITER_H
#define CP_WRITER_H

#include <stdint.h>

#include "store/cp_store.h"
#include "util/cp_metrics.h"

typedef struct cp_writer cp_writer_t;

/** Starts the writer thread on st (the writer does not own st; nothing else
 *  may use st until cp_writer_stop). The thread blocks every signal, so
 *  they reach the loop thread. Never returns NULL: failing to create the
 *  eventfd or the thread aborts, like running out of memory. */
cp_writer_t *cp_writer_start(cp_store_t *st);
/** An eventfd that becomes readable when more batches are durable. */
int cp_writer_fd(const cp_writer_t *w);
/** Queues b (the writer takes ownership) as batch number seq. Sequence
 *  numbers start above 0 and must increase (anything else aborts). A batch
 *  without writes still advances the durable number, without a
 *  transaction. */
void cp_writer_submit(cp_writer_t *w, cp_batch_t *b, uint64_t seq);
/** Clears the eventfd and returns the highest durable sequence number (0
 *  before the first commit). */
uint64_t cp_writer_durable(cp_writer_t *w);
/** A batch to fill: a recycled one if available, else a new one. The
 *  caller owns it until it is submitted (or cp_batch_free'd). */
cp_batch_t *cp_writer_batch(cp_writer_t *w);
/** Commits what is queued, stops the thread and frees w. */
void cp_writer_stop(cp_writer_t *w);

/** Counters since start, for /metrics and for tests of the group commit. */
typedef struct cp_writer_stats {
    uint64_t batches;      /* batches made durable */
    uint64_t transactions; /* transactions committed (batches without writes need none) */
    uint64_t ops;          /* writes committed */
} cp_writer_stats_t;

/** Reads the counters (any thread). */
void cp_writer_stats(const cp_writer_t *w, cp_writer_stats_t *out);
/** Records the duration of each transaction the thread commits into h
 *  (borrowed; NULL stops recording). Commits that need no transaction are
 *  not recorded. */
void cp_writer_set_commit_histogram(cp_writer_t *w, cp_histogram_t *h);

#endif
