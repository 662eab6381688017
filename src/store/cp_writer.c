/* cp_writer.c — group commit on a background thread.
 *
 * The loop appends (batch, seq) to a queue under a mutex. The thread takes
 * the whole queue at once, commits it as one transaction (one fsync), then
 * publishes the highest seq it covered and bumps an eventfd. The queue is
 * double-buffered: the thread swaps in its empty array, so the loop never
 * waits for a commit to submit. */
#include "store/cp_writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "store/cp_store_int.h"
#include "util/base/cp_alloc.h"
#include "util/cp_clock.h"

/* Committed batches kept for reuse; more would only hold memory. */
#define CP__FREE_MAX 8
/* EX_SOFTWARE: the exit status of a failed commit. */
#define CP__EXIT_COMMIT_FAILED 70

typedef struct cp__queue {
    cp_batch_t **batches;
    uint64_t *seqs;
    size_t len, cap;
} cp__queue_t;

struct cp_writer {
    cp_store_t *st;
    int efd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    cp__queue_t queue; /* submitted, not yet taken by the thread */
    cp_batch_t *free[CP__FREE_MAX];
    size_t nfree;
    uint64_t last_submitted;
    bool stopping;
    /* the thread's own */
    cp__queue_t work;
    cp_histogram_t *_Atomic commit_hist; /* commit durations, or NULL */
    /* read by any thread */
    _Atomic uint64_t durable;
    _Atomic uint64_t n_batches, n_transactions, n_ops;
};

static void cp__die(const char *what, int e) {
    fprintf(stderr, "confpool: fatal: writer: %s: %s\n", what, strerror(e));
    abort();
}

static void cp__queue_push(cp__queue_t *q, cp_batch_t *b, uint64_t seq) {
    if (q->len == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->batches = cp_reallocarray(q->batches, q->cap, sizeof *q->batches);
        q->seqs = cp_reallocarray(q->seqs, q->cap, sizeof *q->seqs);
    }
    q->batches[q->len] = b;
    q->seqs[q->len] = seq;
    q->len++;
}

static void cp__queue_free(cp__queue_t *q) {
    for (size_t i = 0; i < q->len; i++)
        cp_batch_free(q->batches[i]);
    cp_free(q->batches);
    cp_free(q->seqs);
}

/* Commits every batch in w->work as one transaction; a failure is fatal,
 * since replies wait on these batches and must never be released. */
static void cp__commit_work(cp_writer_t *w) {
    cp__queue_t *q = &w->work;
    size_t ops = 0;
    for (size_t i = 0; i < q->len; i++)
        ops += cp_batch_len(q->batches[i]);
    if (ops) {
        char err[512];
        uint64_t t0 = cp_clock_mono_ns();
        if (cp_store_commit_many(w->st, (const cp_batch_t *const *)q->batches, q->len, err,
                                 sizeof err) != 0) {
            fprintf(stderr, "confpool: fatal: store commit failed: %s\n", err);
            _exit(CP__EXIT_COMMIT_FAILED);
        }
        cp_histogram_t *h = atomic_load_explicit(&w->commit_hist, memory_order_acquire);
        if (h)
            cp_histogram_observe(h, (double)(cp_clock_mono_ns() - t0) * 1e-9);
        atomic_fetch_add(&w->n_transactions, 1);
        atomic_fetch_add(&w->n_ops, ops);
    }
    atomic_fetch_add(&w->n_batches, q->len);
}

/* Puts committed batches, reset, on the free list before durable is
 * published, so a loop that wakes on the eventfd finds them there. Returns
 * how many are left over (at the front of w->work) for cp__drop_extra. */
static size_t cp__recycle(cp_writer_t *w) {
    cp__queue_t *q = &w->work;
    size_t n = q->len;
    pthread_mutex_lock(&w->mu);
    while (n > 0 && w->nfree < CP__FREE_MAX) {
        cp_batch_reset(q->batches[--n]);
        w->free[w->nfree++] = q->batches[n];
    }
    pthread_mutex_unlock(&w->mu);
    return n;
}

static void cp__publish(cp_writer_t *w, uint64_t seq) {
    /* The release store pairs with the acquire in cp_writer_durable: a
     * reader woken by the eventfd sees the new value. */
    atomic_store_explicit(&w->durable, seq, memory_order_release);
    uint64_t one = 1;
    while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void *cp__main(void *arg) {
    cp_writer_t *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->queue.len == 0 && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->queue.len == 0) { /* stopping, and everything is committed */
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        cp__queue_t taken = w->queue; /* take all: group commit */
        w->queue = w->work;
        w->work = taken;
        pthread_mutex_unlock(&w->mu);
        cp__commit_work(w);
        uint64_t seq = w->work.seqs[w->work.len - 1]; /* seqs increase: the highest */
        size_t extra = cp__recycle(w);
        cp__publish(w, seq);
        for (size_t i = 0; i < extra; i++) /* freeing can wait until after the signal */
            cp_batch_free(w->work.batches[i]);
        w->work.len = 0;
    }
}

cp_writer_t *cp_writer_start(cp_store_t *st) {
    cp_writer_t *w = cp_calloc(1, sizeof *w);
    w->st = st;
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0)
        cp__die("eventfd", errno);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    /* The thread inherits the mask: block everything while creating it. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, cp__main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        cp__die("pthread_create", rc);
    return w;
}

int cp_writer_fd(const cp_writer_t *w) { return w->efd; }

void cp_writer_submit(cp_writer_t *w, cp_batch_t *b, uint64_t seq) {
    pthread_mutex_lock(&w->mu);
    if (seq <= w->last_submitted) {
        fprintf(stderr, "confpool: fatal: writer: batch %llu submitted after %llu\n",
                (unsigned long long)seq, (unsigned long long)w->last_submitted);
        abort();
    }
    w->last_submitted = seq;
    cp__queue_push(&w->queue, b, seq);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

uint64_t cp_writer_durable(cp_writer_t *w) {
    uint64_t n;
    /* Clear first: a commit that lands after this read sets the fd again. */
    while (read(w->efd, &n, sizeof n) < 0 && errno == EINTR)
        ;
    return atomic_load_explicit(&w->durable, memory_order_acquire);
}

cp_batch_t *cp_writer_batch(cp_writer_t *w) {
    cp_batch_t *b = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->nfree)
        b = w->free[--w->nfree];
    pthread_mutex_unlock(&w->mu);
    return b ? b : cp_batch_new();
}

void cp_writer_stop(cp_writer_t *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    for (size_t i = 0; i < w->nfree; i++)
        cp_batch_free(w->free[i]);
    cp__queue_free(&w->queue);
    cp__queue_free(&w->work);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    close(w->efd);
    cp_free(w);
}

void cp_writer_stats(const cp_writer_t *w, cp_writer_stats_t *out) {
    out->batches = atomic_load(&w->n_batches);
    out->transactions = atomic_load(&w->n_transactions);
    out->ops = atomic_load(&w->n_ops);
}

void cp_writer_set_commit_histogram(cp_writer_t *w, cp_histogram_t *h) {
    atomic_store_explicit(&w->commit_hist, h, memory_order_release);
}
