/* test_net_loop.c — the event loop: timer order and cancellation,
 * before-wait hooks, fd watching (including unwatch of events already
 * fetched), signal delivery and the cached clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/cp_loop.h"

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- timers ---------------------------------------------------------------- */

typedef struct order_log {
    int fired[16];
    int n;
    cp_loop_t *loop;
} order_log_t;

typedef struct order_item {
    order_log_t *log;
    int tag;
} order_item_t;

static void record_fire(cp_loop_t *loop, void *data) {
    (void)loop;
    order_item_t *it = data;
    it->log->fired[it->log->n++] = it->tag;
}

static void stop_loop(cp_loop_t *loop, void *data) {
    (void)data;
    cp_loop_stop(loop);
}

static void test_timers_fire_in_deadline_order(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    assert_non_null(loop);
    order_log_t log = {.n = 0};
    order_item_t items[] = {{&log, 30}, {&log, 10}, {&log, 20}, {&log, 151}, {&log, 152}};
    uint64_t ids[5];
    ids[0] = cp_loop_timer(loop, 30, record_fire, &items[0]);
    ids[1] = cp_loop_timer(loop, 10, record_fire, &items[1]);
    ids[2] = cp_loop_timer(loop, 20, record_fire, &items[2]);
    /* Same deadline: creation order. */
    ids[3] = cp_loop_timer(loop, 15, record_fire, &items[3]);
    ids[4] = cp_loop_timer(loop, 15, record_fire, &items[4]);
    for (int i = 0; i < 5; i++)
        assert_int_not_equal(ids[i], 0);
    cp_loop_timer(loop, 40, stop_loop, NULL);
    int64_t t0 = mono_ms();
    cp_loop_run(loop);
    int64_t elapsed = mono_ms() - t0;
    assert_int_equal(log.n, 5);
    assert_int_equal(log.fired[0], 10);
    assert_int_equal(log.fired[1], 151);
    assert_int_equal(log.fired[2], 152);
    assert_int_equal(log.fired[3], 20);
    assert_int_equal(log.fired[4], 30);
    /* The loop slept until the timers were due, not past them by much. */
    assert_true(elapsed >= 39);
    assert_true(elapsed < 1000);
    cp_loop_free(loop);
}

static void cancel_other(cp_loop_t *loop, void *data) {
    uint64_t *id = data;
    cp_loop_timer_cancel(loop, *id);
}

static void test_timer_cancel(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    order_log_t log = {.n = 0};
    order_item_t a = {&log, 1}, b = {&log, 2}, c = {&log, 3};
    uint64_t ia = cp_loop_timer(loop, 5, record_fire, &a);
    uint64_t ib = cp_loop_timer(loop, 10, record_fire, &b);
    uint64_t ic = cp_loop_timer(loop, 30, record_fire, &c);
    cp_loop_timer_cancel(loop, ib);
    cp_loop_timer_cancel(loop, 999999); /* unknown: ignored */
    /* A timer cancelled from another timer's callback does not fire. */
    cp_loop_timer(loop, 20, cancel_other, &ic);
    cp_loop_timer(loop, 50, stop_loop, NULL);
    cp_loop_run(loop);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.fired[0], 1);
    cp_loop_timer_cancel(loop, ia); /* already fired: ignored */
    cp_loop_free(loop);
}

typedef struct iter_state {
    int hooks;
    int hook_at_zero_timer; /* hook count when the zero-delay timer ran */
    int hook_at_rearm;
} iter_state_t;

static void count_hook(cp_loop_t *loop, void *data) {
    (void)loop;
    iter_state_t *s = data;
    s->hooks++;
}

static void zero_delay_fired(cp_loop_t *loop, void *data) {
    iter_state_t *s = data;
    s->hook_at_zero_timer = s->hooks;
    cp_loop_stop(loop);
}

static void arm_zero_delay(cp_loop_t *loop, void *data) {
    iter_state_t *s = data;
    s->hook_at_rearm = s->hooks;
    cp_loop_timer(loop, 0, zero_delay_fired, s);
}

static void test_zero_delay_timer_waits_for_next_iteration(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    iter_state_t s = {0, -1, -1};
    cp_loop_before_wait(loop, count_hook, &s);
    cp_loop_timer(loop, 5, arm_zero_delay, &s);
    cp_loop_run(loop);
    /* The hooks ran between the timer that armed it and the zero-delay one. */
    assert_true(s.hook_at_rearm >= 0);
    assert_int_equal(s.hook_at_zero_timer, s.hook_at_rearm + 1);
    /* ...and once more in the iteration where the loop was stopped. */
    assert_int_equal(s.hooks, s.hook_at_zero_timer + 1);
    cp_loop_free(loop);
}

/* ---- hooks ------------------------------------------------------------------ */

typedef struct hook_order {
    int seq[256];
    int n;
} hook_order_t;

static void hook_a(cp_loop_t *loop, void *data) {
    (void)loop;
    hook_order_t *h = data;
    if (h->n < 250)
        h->seq[h->n++] = 'A';
}

static void hook_b(cp_loop_t *loop, void *data) {
    (void)loop;
    hook_order_t *h = data;
    if (h->n < 250)
        h->seq[h->n++] = 'B';
}

static void timer_mark(cp_loop_t *loop, void *data) {
    hook_order_t *h = data;
    h->seq[h->n++] = 'T';
    cp_loop_stop(loop);
}

static void test_before_wait_hooks_run_after_timers(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    hook_order_t h = {.n = 0};
    cp_loop_before_wait(loop, hook_a, &h);
    cp_loop_before_wait(loop, hook_b, &h);
    cp_loop_timer(loop, 1, timer_mark, &h);
    cp_loop_run(loop);
    /* Every iteration runs A then B; the last one ran the timer first. */
    assert_true(h.n >= 3);
    assert_int_equal(h.seq[h.n - 3], 'T');
    assert_int_equal(h.seq[h.n - 2], 'A');
    assert_int_equal(h.seq[h.n - 1], 'B');
    cp_loop_free(loop);
}

/* ---- file descriptors ------------------------------------------------------- */

typedef struct pipe_test {
    int a[2], b[2], c[2];
    int calls_a, calls_b, calls_c;
    int events_a;
    int old_b_fd;
    int first; /* 'a' or 'b' */
    char got[8];
} pipe_test_t;

static void on_c(cp_loop_t *loop, int fd, unsigned events, void *data) {
    (void)loop;
    (void)fd;
    (void)events;
    pipe_test_t *t = data;
    t->calls_c++;
}

/* Whichever of a and b runs first unwatches and closes the other one, whose
 * event is already fetched in the same batch, then opens a pipe that reuses
 * its fd number: neither the stale event nor the new watch may fire. */
static void on_ab(cp_loop_t *loop, int fd, unsigned events, void *data) {
    pipe_test_t *t = data;
    bool is_a = fd == t->a[0];
    if (is_a)
        t->calls_a++;
    else
        t->calls_b++;
    if (t->first)
        return;
    t->first = is_a ? 'a' : 'b';
    assert_true(events & CP_LOOP_READ);
    char ch;
    assert_int_equal(read(fd, &ch, 1), 1);
    int *other = is_a ? t->b : t->a;
    t->old_b_fd = other[0];
    cp_loop_unwatch(loop, other[0]);
    close(other[0]);
    close(other[1]);
    assert_int_equal(pipe2(t->c, O_NONBLOCK), 0);
    assert_int_equal(cp_loop_watch(loop, t->c[0], CP_LOOP_READ, on_c, t), 0);
    /* And unwatching itself inside its own callback is fine. */
    cp_loop_unwatch(loop, fd);
}

static void test_unwatch_drops_pending_events(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    pipe_test_t t;
    memset(&t, 0, sizeof t);
    assert_int_equal(pipe2(t.a, O_NONBLOCK), 0);
    assert_int_equal(pipe2(t.b, O_NONBLOCK), 0);
    assert_int_equal(write(t.a[1], "x", 1), 1);
    assert_int_equal(write(t.b[1], "y", 1), 1);
    assert_int_equal(cp_loop_watch(loop, t.a[0], CP_LOOP_READ, on_ab, &t), 0);
    assert_int_equal(cp_loop_watch(loop, t.b[0], CP_LOOP_READ, on_ab, &t), 0);
    assert_int_equal(cp_loop_watch(loop, t.a[0], CP_LOOP_READ, on_ab, &t), -EEXIST);
    cp_loop_timer(loop, 50, stop_loop, NULL);
    cp_loop_run(loop);
    assert_int_equal(t.calls_a + t.calls_b, 1);
    assert_int_equal(t.c[0], t.old_b_fd); /* the fd number was reused */
    assert_int_equal(t.calls_c, 0);
    cp_loop_unwatch(loop, t.c[0]);
    close(t.c[0]);
    close(t.c[1]);
    int *first = t.first == 'a' ? t.a : t.b;
    close(first[0]);
    close(first[1]);
    cp_loop_free(loop);
}

typedef struct rw_test {
    int p[2];
    int reads, writes;
    char buf[16];
} rw_test_t;

static void on_rw(cp_loop_t *loop, int fd, unsigned events, void *data) {
    rw_test_t *t = data;
    if (events & CP_LOOP_WRITE) {
        t->writes++;
        assert_int_equal(fd, t->p[1]);
        assert_int_equal(write(fd, "hello", 5), 5);
        /* Level-triggered: without this it would fire again and again. */
        assert_int_equal(cp_loop_modify(loop, fd, 0), 0);
    }
    if (events & CP_LOOP_READ) {
        t->reads++;
        assert_int_equal(fd, t->p[0]);
        assert_int_equal(read(fd, t->buf, sizeof t->buf), 5);
        cp_loop_stop(loop);
    }
}

static void test_watch_read_and_write(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    rw_test_t t;
    memset(&t, 0, sizeof t);
    assert_int_equal(pipe2(t.p, O_NONBLOCK), 0);
    assert_int_equal(cp_loop_watch(loop, t.p[0], CP_LOOP_READ, on_rw, &t), 0);
    assert_int_equal(cp_loop_watch(loop, t.p[1], 0, on_rw, &t), 0);
    assert_int_equal(cp_loop_modify(loop, t.p[1], CP_LOOP_WRITE), 0);
    assert_int_equal(cp_loop_modify(loop, 12345, CP_LOOP_WRITE), -ENOENT);
    cp_loop_timer(loop, 2000, stop_loop, NULL); /* safety net */
    cp_loop_run(loop);
    assert_int_equal(t.writes, 1);
    assert_int_equal(t.reads, 1);
    assert_memory_equal(t.buf, "hello", 5);
    cp_loop_unwatch(loop, t.p[0]);
    cp_loop_unwatch(loop, t.p[1]);
    close(t.p[0]);
    close(t.p[1]);
    cp_loop_free(loop);
}

/* ---- signals ---------------------------------------------------------------- */

typedef struct sig_test {
    int signo;
    int count;
} sig_test_t;

static void on_signal(cp_loop_t *loop, int signo, void *data) {
    sig_test_t *s = data;
    s->signo = signo;
    s->count++;
    cp_loop_stop(loop);
}

static void raise_usr1(cp_loop_t *loop, void *data) {
    (void)loop;
    (void)data;
    raise(SIGUSR1);
}

static void test_signal_delivered_through_loop(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    sig_test_t s = {0, 0};
    assert_int_equal(cp_loop_signal(loop, SIGUSR1, on_signal, &s), 0);
    assert_int_equal(cp_loop_signal(loop, 0, on_signal, &s), -EINVAL);
    /* Raised from inside the loop: had it not been blocked, SIGUSR1's default
     * action would kill the test. */
    cp_loop_timer(loop, 5, raise_usr1, NULL);
    cp_loop_timer(loop, 2000, stop_loop, NULL);
    cp_loop_run(loop);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.signo, SIGUSR1);
    cp_loop_free(loop);
}

/* ---- clock ------------------------------------------------------------------ */

typedef struct now_test {
    int64_t before, after, prev;
    int rounds;
    bool monotonic;
} now_test_t;

static void check_now(cp_loop_t *loop, void *data) {
    now_test_t *t = data;
    t->before = cp_loop_now(loop);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    t->after = cp_loop_now(loop);
    if (t->before < t->prev)
        t->monotonic = false;
    t->prev = t->before;
    if (++t->rounds < 3)
        cp_loop_timer(loop, 2, check_now, t);
    else
        cp_loop_stop(loop);
}

static void test_now_is_cached_per_iteration(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    now_test_t t = {.monotonic = true};
    int64_t start = mono_ms();
    cp_loop_timer(loop, 1, check_now, &t);
    cp_loop_run(loop);
    assert_int_equal(t.rounds, 3);
    assert_int_equal(t.before, t.after); /* unchanged while the callback slept */
    assert_true(t.monotonic);
    assert_true(t.prev >= start && t.prev <= mono_ms());
    cp_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_deadline_order),
        cmocka_unit_test(test_timer_cancel),
        cmocka_unit_test(test_zero_delay_timer_waits_for_next_iteration),
        cmocka_unit_test(test_before_wait_hooks_run_after_timers),
        cmocka_unit_test(test_unwatch_drops_pending_events),
        cmocka_unit_test(test_watch_read_and_write),
        cmocka_unit_test(test_signal_delivered_through_loop),
        cmocka_unit_test(test_now_is_cached_per_iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
