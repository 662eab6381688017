/* test_store_writer.c — the group-commit writer: batches become durable in
 * order and the eventfd says so, batches queued during a commit share the
 * next transaction, empty batches cost no transaction, stop drains the
 * queue, and a failed commit ends the process before anything is released. */
#include "test_store_helpers.h"

#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

#include "store/cp_writer.h"

typedef struct fixture {
    cp_test_dir_t dir;
    cp_store_t *st;
} fixture_t;

static int setup(void **state) {
    fixture_t *f = cp_calloc(1, sizeof *f);
    cp_test_dir_make(&f->dir);
    f->st = cp_test_open(f->dir.db);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    cp_store_close(f->st);
    cp_test_dir_remove(&f->dir);
    cp_free(f);
    return 0;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits on the eventfd, as the loop does, until seq is durable. */
static void wait_durable(cp_writer_t *w, uint64_t seq) {
    int64_t deadline = now_ms() + 10000;
    while (cp_writer_durable(w) < seq) {
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            fail_msg("batch %llu not durable in time", (unsigned long long)seq);
        struct pollfd p = {.fd = cp_writer_fd(w), .events = POLLIN};
        poll(&p, 1, left);
    }
}

static cp_batch_t *server_batch(cp_writer_t *w, uint64_t i) {
    char id[32];
    snprintf(id, sizeof id, "fe-%04llu", (unsigned long long)i);
    cp_batch_t *b = cp_writer_batch(w);
    cp_server_rec_t s = cp_test_server(id, i);
    cp_batch_server(b, &s);
    return b;
}

static size_t stored_servers(fixture_t *f) {
    cp_store_close(f->st);
    f->st = cp_test_open(f->dir.db);
    cp_test_loaded_t got = {0};
    cp_test_load(f->st, &got);
    size_t n = got.nservers;
    cp_test_loaded_free(&got);
    return n;
}

static void submitted_batches_become_durable_and_the_fd_says_so(void **state) {
    fixture_t *f = *state;
    cp_writer_t *w = cp_writer_start(f->st);
    assert_int_equal(cp_writer_durable(w), 0);
    for (uint64_t i = 1; i <= 50; i++)
        cp_writer_submit(w, server_batch(w, i), i * 10); /* seqs need not be dense */
    wait_durable(w, 500);
    assert_int_equal(cp_writer_durable(w), 500);
    /* reading cleared the fd: nothing new, so it is not readable */
    struct pollfd p = {.fd = cp_writer_fd(w), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    cp_writer_stats_t stats;
    cp_writer_stats(w, &stats);
    assert_int_equal(stats.batches, 50);
    assert_int_equal(stats.ops, 50);
    assert_in_range(stats.transactions, 1, 50);
    cp_writer_stop(w);
    assert_int_equal(stored_servers(f), 50);
}

/* A second connection holds the write lock, so the writer's first commit
 * waits; everything submitted meanwhile must go into one more transaction. */
static void batches_queued_during_a_commit_share_one_transaction(void **state) {
    fixture_t *f = *state;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->dir.db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    cp_writer_t *w = cp_writer_start(f->st);
    for (uint64_t i = 1; i <= 100; i++)
        cp_writer_submit(w, server_batch(w, i), i);
    usleep(50 * 1000);
    assert_int_equal(cp_writer_durable(w), 0); /* nothing is durable while blocked */
    assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);

    wait_durable(w, 100);
    cp_writer_stats_t stats;
    cp_writer_stats(w, &stats);
    assert_int_equal(stats.batches, 100);
    assert_int_equal(stats.ops, 100);
    assert_in_range(stats.transactions, 1, 2);
    cp_writer_stop(w);
    assert_int_equal(stored_servers(f), 100);
}

static void empty_batches_advance_durable_without_a_transaction(void **state) {
    fixture_t *f = *state;
    cp_writer_t *w = cp_writer_start(f->st);
    for (uint64_t i = 1; i <= 5; i++)
        cp_writer_submit(w, cp_writer_batch(w), i);
    wait_durable(w, 5);
    cp_writer_stats_t stats;
    cp_writer_stats(w, &stats);
    assert_int_equal(stats.batches, 5);
    assert_int_equal(stats.transactions, 0);
    cp_writer_stop(w);
}

static void committed_batches_come_back_empty(void **state) {
    fixture_t *f = *state;
    cp_writer_t *w = cp_writer_start(f->st);
    cp_batch_t *sent[4];
    for (uint64_t i = 1; i <= 4; i++) {
        sent[i - 1] = server_batch(w, i);
        cp_writer_submit(w, sent[i - 1], i);
    }
    wait_durable(w, 4);
    cp_batch_t *b = cp_writer_batch(w);
    assert_int_equal(cp_batch_len(b), 0);
    bool recycled = false;
    for (int i = 0; i < 4; i++)
        recycled |= b == sent[i];
    assert_true(recycled);
    cp_batch_free(b); /* the caller owns an unsubmitted batch */
    cp_writer_stop(w);
}

static void stop_commits_everything_queued(void **state) {
    fixture_t *f = *state;
    cp_writer_t *w = cp_writer_start(f->st);
    for (uint64_t i = 1; i <= 200; i++)
        cp_writer_submit(w, server_batch(w, i), i);
    cp_writer_stop(w); /* no wait */
    assert_int_equal(stored_servers(f), 200);
}

/* The child's writer gets a batch that cannot commit. It must exit 70 with
 * the documented message, and never report the batch durable. */
static void failed_commit_exits_70_without_releasing(void **state) {
    fixture_t *f = *state;
    int errp[2];
    assert_int_equal(pipe(errp), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(errp[1], 2);
        close(errp[0]);
        /* a connection must not cross fork(): the child opens its own */
        cp_writer_t *w = cp_writer_start(cp_test_open(f->dir.db));
        cp_batch_t *b = cp_writer_batch(w);
        cp_batch_participant_joined(b, "no-such-meeting", "p", 1, 0);
        cp_writer_submit(w, b, 1);
        int64_t deadline = now_ms() + 5000;
        while (now_ms() < deadline) {
            struct pollfd p = {.fd = cp_writer_fd(w), .events = POLLIN};
            poll(&p, 1, 100);
            if (cp_writer_durable(w) >= 1)
                _exit(3); /* released a failed batch */
        }
        _exit(4); /* never exited */
    }
    close(errp[1]);
    char msg[1024] = "";
    size_t len = 0;
    ssize_t n;
    while (len < sizeof msg - 1 && (n = read(errp[0], msg + len, sizeof msg - 1 - len)) > 0)
        len += (size_t)n;
    close(errp[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 70);
    assert_non_null(strstr(msg, "confpool: fatal: store commit failed: "));
    assert_non_null(strstr(msg, "FOREIGN KEY"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(submitted_batches_become_durable_and_the_fd_says_so),
        T(batches_queued_during_a_commit_share_one_transaction),
        T(empty_batches_advance_durable_without_a_transaction),
        T(committed_batches_come_back_empty),
        T(stop_commits_everything_queued),
        T(failed_commit_exits_70_without_releasing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
