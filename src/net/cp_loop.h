/* cp_loop.h — the daemon's single-threaded event loop (epoll).
 *
 * One loop owns the engine, like Redis' ae. It watches file descriptors,
 * runs one-shot timers, delivers signals through a signalfd, and after
 * handling each batch of ready events calls the before-wait hooks: that is
 * where the daemon group-commits the iteration's changes. */
#ifndef CP_LOOP_H
#define CP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cp_loop cp_loop_t;

enum {
    CP_LOOP_READ = 1u,
    CP_LOOP_WRITE = 2u,
    CP_LOOP_ERROR = 4u, /* reported only: hang-up or error on the fd */
};

typedef void (*cp_loop_io_fn)(cp_loop_t *loop, int fd, unsigned events, void *data);
typedef void (*cp_loop_timer_fn)(cp_loop_t *loop, void *data);
typedef void (*cp_loop_hook_fn)(cp_loop_t *loop, void *data);
typedef void (*cp_loop_signal_fn)(cp_loop_t *loop, int signo, void *data);

/** Creates a loop, or returns NULL with errno set. */
cp_loop_t *cp_loop_new(void);
/** Frees the loop (it does not close watched fds). */
void cp_loop_free(cp_loop_t *loop);

/** Watches fd for events (CP_LOOP_READ and/or CP_LOOP_WRITE), level-triggered.
 *  Returns 0 or a negative errno. */
int cp_loop_watch(cp_loop_t *loop, int fd, unsigned events, cp_loop_io_fn fn, void *data);
/** Changes the events watched on fd. Returns 0 or a negative errno. */
int cp_loop_modify(cp_loop_t *loop, int fd, unsigned events);
/** Stops watching fd. Safe to call from inside its own callback. */
void cp_loop_unwatch(cp_loop_t *loop, int fd);

/** Runs fn once, after_ms from now. Returns a timer id (never 0). */
uint64_t cp_loop_timer(cp_loop_t *loop, int64_t after_ms, cp_loop_timer_fn fn, void *data);
/** Cancels a pending timer; unknown or fired ids are ignored. */
void cp_loop_timer_cancel(cp_loop_t *loop, uint64_t id);

/** Adds a hook called once per iteration, after ready events and due
 *  timers are handled and before the loop waits again. */
void cp_loop_before_wait(cp_loop_t *loop, cp_loop_hook_fn fn, void *data);

/** Delivers signo to fn from inside the loop (blocks it, reads a signalfd).
 *  The mask is per thread: call this before starting other threads, which
 *  inherit it, or they may take the signal's default action. The signal
 *  stays blocked after cp_loop_free. Returns 0 or a negative errno. */
int cp_loop_signal(cp_loop_t *loop, int signo, cp_loop_signal_fn fn, void *data);

/** Runs until cp_loop_stop. */
void cp_loop_run(cp_loop_t *loop);
/** Makes cp_loop_run return after the current iteration. */
void cp_loop_stop(cp_loop_t *loop);

/** Monotonic milliseconds, cached at the start of the current iteration. */
int64_t cp_loop_now(const cp_loop_t *loop);

#endif
