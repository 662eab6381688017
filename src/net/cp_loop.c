/* cp_loop.c — the epoll event loop (see cp_loop.h).
 *
 * Registrations live in a table indexed by fd. Each registration carries a
 * generation that is stored in the epoll event next to the fd, so an event
 * that was already fetched for an fd that has since been unwatched (and
 * maybe reused by a new socket) is recognised as stale and dropped. Timers
 * are a binary min-heap ordered by (deadline, id), so timers due at the same
 * millisecond fire in the order they were created. */
#include "net/cp_loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "util/base/cp_alloc.h"

#define CP__LOOP_BATCH 256

typedef struct cp__loop_reg {
    cp_loop_io_fn fn;
    void *data;
    uint32_t gen;
    unsigned events;
    bool active;
} cp__loop_reg_t;

typedef struct cp__loop_timer {
    int64_t when;
    uint64_t id;
    cp_loop_timer_fn fn;
    void *data;
} cp__loop_timer_t;

typedef struct cp__loop_hook {
    cp_loop_hook_fn fn;
    void *data;
} cp__loop_hook_t;

typedef struct cp__loop_sig {
    cp_loop_signal_fn fn;
    void *data;
} cp__loop_sig_t;

struct cp_loop {
    int epfd;
    bool stop;
    int64_t now;

    cp__loop_reg_t *regs; /* indexed by fd */
    size_t nregs;

    cp__loop_timer_t *heap;
    size_t nheap, capheap;
    uint64_t next_timer_id;

    cp__loop_hook_t *hooks;
    size_t nhooks;

    int sigfd;
    sigset_t sigmask;
    cp__loop_sig_t sigs[NSIG];

    struct epoll_event events[CP__LOOP_BATCH];
};

static int64_t cp__loop_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cp_loop_t *cp_loop_new(void) {
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return NULL;
    cp_loop_t *loop = cp_calloc(1, sizeof *loop);
    loop->epfd = epfd;
    loop->sigfd = -1;
    loop->next_timer_id = 1;
    sigemptyset(&loop->sigmask);
    loop->now = cp__loop_clock();
    return loop;
}

void cp_loop_free(cp_loop_t *loop) {
    if (!loop)
        return;
    /* Signals registered with cp_loop_signal stay blocked: unblocking them
     * now could deliver a pending one to its default action. */
    if (loop->sigfd >= 0)
        close(loop->sigfd);
    close(loop->epfd);
    cp_free(loop->regs);
    cp_free(loop->heap);
    cp_free(loop->hooks);
    cp_free(loop);
}

/* ---- file descriptors ---------------------------------------------------- */

static uint32_t cp__loop_epoll_events(unsigned events) {
    uint32_t ev = 0;
    if (events & CP_LOOP_READ)
        ev |= EPOLLIN;
    if (events & CP_LOOP_WRITE)
        ev |= EPOLLOUT;
    return ev;
}

static uint64_t cp__loop_tag(int fd, uint32_t gen) { return ((uint64_t)gen << 32) | (uint32_t)fd; }

int cp_loop_watch(cp_loop_t *loop, int fd, unsigned events, cp_loop_io_fn fn, void *data) {
    if (fd < 0 || !fn)
        return -EINVAL;
    if ((size_t)fd >= loop->nregs) {
        size_t n = loop->nregs ? loop->nregs : 64;
        while (n <= (size_t)fd)
            n *= 2;
        loop->regs = cp_reallocarray(loop->regs, n, sizeof *loop->regs);
        memset(loop->regs + loop->nregs, 0, (n - loop->nregs) * sizeof *loop->regs);
        loop->nregs = n;
    }
    cp__loop_reg_t *r = &loop->regs[fd];
    if (r->active)
        return -EEXIST;
    struct epoll_event ev = {.events = cp__loop_epoll_events(events),
                             .data.u64 = cp__loop_tag(fd, r->gen)};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    r->fn = fn;
    r->data = data;
    r->events = events & (CP_LOOP_READ | CP_LOOP_WRITE);
    r->active = true;
    return 0;
}

int cp_loop_modify(cp_loop_t *loop, int fd, unsigned events) {
    if (fd < 0 || (size_t)fd >= loop->nregs || !loop->regs[fd].active)
        return -ENOENT;
    cp__loop_reg_t *r = &loop->regs[fd];
    events &= CP_LOOP_READ | CP_LOOP_WRITE;
    if (events == r->events)
        return 0;
    struct epoll_event ev = {.events = cp__loop_epoll_events(events),
                             .data.u64 = cp__loop_tag(fd, r->gen)};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return -errno;
    r->events = events;
    return 0;
}

void cp_loop_unwatch(cp_loop_t *loop, int fd) {
    if (fd < 0 || (size_t)fd >= loop->nregs || !loop->regs[fd].active)
        return;
    cp__loop_reg_t *r = &loop->regs[fd];
    /* Fails harmlessly when the fd was already closed. */
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    r->active = false;
    r->fn = NULL;
    r->data = NULL;
    r->events = 0;
    r->gen++; /* events already fetched for the old registration are stale */
}

/* ---- timers -------------------------------------------------------------- */

static bool cp__timer_less(const cp__loop_timer_t *a, const cp__loop_timer_t *b) {
    return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void cp__heap_up(cp__loop_timer_t *h, size_t i) {
    cp__loop_timer_t t = h[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!cp__timer_less(&t, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = t;
}

static void cp__heap_down(cp__loop_timer_t *h, size_t n, size_t i) {
    cp__loop_timer_t t = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && cp__timer_less(&h[c + 1], &h[c]))
            c++;
        if (!cp__timer_less(&h[c], &t))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = t;
}

static void cp__heap_remove(cp_loop_t *loop, size_t i) {
    loop->nheap--;
    if (i == loop->nheap)
        return;
    loop->heap[i] = loop->heap[loop->nheap];
    cp__heap_down(loop->heap, loop->nheap, i);
    cp__heap_up(loop->heap, i);
}

uint64_t cp_loop_timer(cp_loop_t *loop, int64_t after_ms, cp_loop_timer_fn fn, void *data) {
    if (after_ms < 0)
        after_ms = 0;
    if (loop->nheap == loop->capheap) {
        loop->capheap = loop->capheap ? loop->capheap * 2 : 16;
        loop->heap = cp_reallocarray(loop->heap, loop->capheap, sizeof *loop->heap);
    }
    uint64_t id = loop->next_timer_id++;
    loop->heap[loop->nheap] =
        (cp__loop_timer_t){.when = loop->now + after_ms, .id = id, .fn = fn, .data = data};
    cp__heap_up(loop->heap, loop->nheap);
    loop->nheap++;
    return id;
}

void cp_loop_timer_cancel(cp_loop_t *loop, uint64_t id) {
    /* A linear scan: the loop holds a handful of timers (sweeps, retries),
     * not one per request. */
    for (size_t i = 0; i < loop->nheap; i++) {
        if (loop->heap[i].id == id) {
            cp__heap_remove(loop, i);
            return;
        }
    }
}

static void cp__loop_run_timers(cp_loop_t *loop) {
    /* Timers created while this runs (even with a zero delay) wait for the
     * next iteration, so a timer that re-arms itself cannot starve I/O. */
    uint64_t last_id = loop->next_timer_id - 1;
    while (loop->nheap > 0) {
        cp__loop_timer_t t = loop->heap[0];
        if (t.when > loop->now || t.id > last_id)
            break;
        cp__heap_remove(loop, 0);
        t.fn(loop, t.data);
    }
}

static int cp__loop_timeout(const cp_loop_t *loop, int64_t now) {
    if (loop->nheap == 0)
        return -1;
    int64_t d = loop->heap[0].when - now;
    if (d <= 0)
        return 0;
    return d > 1000000000 ? 1000000000 : (int)d;
}

/* ---- hooks and signals --------------------------------------------------- */

void cp_loop_before_wait(cp_loop_t *loop, cp_loop_hook_fn fn, void *data) {
    loop->hooks = cp_reallocarray(loop->hooks, loop->nhooks + 1, sizeof *loop->hooks);
    loop->hooks[loop->nhooks++] = (cp__loop_hook_t){fn, data};
}

static void cp__loop_on_signal(cp_loop_t *loop, int fd, unsigned events, void *data) {
    (void)events;
    (void)data;
    struct signalfd_siginfo si[8];
    for (;;) {
        ssize_t n = read(fd, si, sizeof si);
        if (n <= 0)
            return; /* EAGAIN: drained */
        for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
            int signo = (int)si[i].ssi_signo;
            if (signo > 0 && signo < NSIG && loop->sigs[signo].fn)
                loop->sigs[signo].fn(loop, signo, loop->sigs[signo].data);
        }
    }
}

int cp_loop_signal(cp_loop_t *loop, int signo, cp_loop_signal_fn fn, void *data) {
    if (signo <= 0 || signo >= NSIG || !fn)
        return -EINVAL;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
        return -errno;
    sigaddset(&loop->sigmask, signo);
    int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (loop->sigfd < 0) {
        int rc = cp_loop_watch(loop, fd, CP_LOOP_READ, cp__loop_on_signal, NULL);
        if (rc < 0) {
            close(fd);
            return rc;
        }
        loop->sigfd = fd;
    }
    loop->sigs[signo] = (cp__loop_sig_t){fn, data};
    return 0;
}

/* ---- running ------------------------------------------------------------- */

static void cp__loop_dispatch(cp_loop_t *loop, int n) {
    for (int i = 0; i < n; i++) {
        uint64_t tag = loop->events[i].data.u64;
        int fd = (int)(uint32_t)tag;
        uint32_t gen = (uint32_t)(tag >> 32);
        if ((size_t)fd >= loop->nregs)
            continue;
        cp__loop_reg_t *r = &loop->regs[fd];
        if (!r->active || r->gen != gen)
            continue; /* unwatched earlier in this batch */
        uint32_t ev = loop->events[i].events;
        unsigned events = 0;
        if (ev & EPOLLIN)
            events |= CP_LOOP_READ;
        if (ev & EPOLLOUT)
            events |= CP_LOOP_WRITE;
        events &= r->events; /* the watch may have changed since the wait */
        if (ev & (EPOLLERR | EPOLLHUP))
            events |= CP_LOOP_ERROR;
        if (events)
            r->fn(loop, fd, events, r->data);
    }
}

void cp_loop_run(cp_loop_t *loop) {
    loop->stop = false;
    loop->now = cp__loop_clock();
    while (!loop->stop) {
        int n = epoll_wait(loop->epfd, loop->events, CP__LOOP_BATCH,
                           cp__loop_timeout(loop, cp__loop_clock()));
        loop->now = cp__loop_clock();
        if (n > 0)
            cp__loop_dispatch(loop, n);
        cp__loop_run_timers(loop);
        /* Hooks added by a hook run in the same pass (the count is re-read). */
        for (size_t i = 0; i < loop->nhooks; i++)
            loop->hooks[i].fn(loop, loop->hooks[i].data);
    }
}

void cp_loop_stop(cp_loop_t *loop) { loop->stop = true; }

int64_t cp_loop_now(const cp_loop_t *loop) { return loop->now; }
