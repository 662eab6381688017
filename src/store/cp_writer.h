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

typedef struct cp_writer cp_writer_t;

/** Starts the writer thread on st (the writer does not own st). */
cp_writer_t *cp_writer_start(cp_store_t *st);
/** An eventfd that becomes readable when more batches are durable. */
int cp_writer_fd(const cp_writer_t *w);
/** Queues b (the writer takes ownership) as batch number seq. Sequence
 *  numbers must increase. */
void cp_writer_submit(cp_writer_t *w, cp_batch_t *b, uint64_t seq);
/** Clears the eventfd and returns the highest durable sequence number. */
uint64_t cp_writer_durable(cp_writer_t *w);
/** A batch to fill: a recycled one if available, else a new one. */
cp_batch_t *cp_writer_batch(cp_writer_t *w);
/** Commits what is queued, stops the thread and frees w. */
void cp_writer_stop(cp_writer_t *w);

#endif
