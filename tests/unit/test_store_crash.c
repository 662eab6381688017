/* test_store_crash.c — kill -9 in the middle of writing: every batch that
 * was acknowledged as committed is on disk after a restart, no batch is
 * half there, and the database passes its integrity check.
 *
 * A child commits batches in a loop and writes each committed seq to a
 * pipe; the parent kills it at a random moment, then reopens the database.
 * (Power loss is the same contract one layer down: synchronous=FULL makes
 * COMMIT wait for fsync. A test cannot cut the power.) */
#include "test_store_helpers.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "store/cp_writer.h"

#define ROUNDS 10
#define PER_ROUND 1000000ull /* seqs of round r are r*PER_ROUND + 1, + 2, ... */

/* Batch seq: a new server and meeting with two participants, a participant
 * leaving the previous meeting, and the "tip" server updated to seq. */
static void fill_batch(cp_batch_t *b, uint64_t seq) {
    char sid[32], mid[32], prev[32];
    snprintf(sid, sizeof sid, "s%llu", (unsigned long long)seq);
    snprintf(mid, sizeof mid, "m%llu", (unsigned long long)seq);
    snprintf(prev, sizeof prev, "m%llu", (unsigned long long)seq - 1);
    cp_server_rec_t s = cp_test_server(sid, seq);
    cp_batch_server(b, &s);
    cp_meeting_rec_t m = cp_test_meeting(mid, seq);
    m.subject = "crash test with a subject long enough to span more of a page";
    cp_batch_meeting(b, &m);
    cp_batch_participant_joined(b, mid, "p1", CP_MOD_AUDIO, 0);
    cp_batch_participant_joined(b, mid, "p2", CP_MOD_VIDEO, 0);
    cp_batch_participant_joined(b, mid, "p3", CP_MOD_VIDEO, 0);
    cp_batch_participant_left(b, mid, "p3");
    cp_server_rec_t tip = cp_test_server("tip", 0);
    tip.other_load = (cp_mu_t)seq;
    cp_batch_server(b, &tip);
}

static void ack(int fd, uint64_t seq) {
    if (write(fd, &seq, sizeof seq) != sizeof seq)
        _exit(5);
}

/* Child, direct mode: commit, then acknowledge. Never returns. */
static void child_direct(const char *db, uint64_t first, int fd) {
    cp_store_t *st = cp_test_open(db);
    cp_batch_t *b = cp_batch_new();
    for (uint64_t seq = first;; seq++) {
        fill_batch(b, seq);
        char err[256];
        if (cp_store_commit(st, b, err, sizeof err) != 0) {
            fprintf(stderr, "child: %s\n", err);
            _exit(6);
        }
        cp_batch_reset(b);
        ack(fd, seq);
    }
}

/* Child, writer mode: submit freely, acknowledge what the writer reports
 * durable, as the daemon releases replies. Never returns. */
static void child_writer(const char *db, uint64_t first, int fd) {
    cp_writer_t *w = cp_writer_start(cp_test_open(db));
    uint64_t next = first, acked = first - 1;
    for (;;) {
        if (next - acked < 64) { /* bounded queue, as a loop iteration would be */
            cp_batch_t *b = cp_writer_batch(w);
            fill_batch(b, next);
            cp_writer_submit(w, b, next++);
        } else {
            struct pollfd p = {.fd = cp_writer_fd(w), .events = POLLIN};
            poll(&p, 1, 1000);
        }
        uint64_t d = cp_writer_durable(w);
        if (d > acked)
            ack(fd, acked = d);
    }
}

/* Reads one acknowledgement; false at EOF (the child is gone). */
static bool read_ack(int fd, uint64_t *seq) {
    size_t got = 0;
    while (got < sizeof *seq) {
        ssize_t n = read(fd, (char *)seq + got, sizeof *seq - got);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

/* Runs one child and kills it after a random number of acknowledgements
 * plus a random delay. Returns the last seq it acknowledged. */
static uint64_t run_and_kill(const char *db, uint64_t first, bool writer) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (writer)
            child_writer(db, first, p[1]);
        else
            child_direct(db, first, p[1]);
    }
    close(p[1]);
    int want = 1 + rand() % 25;
    uint64_t last = first - 1, seq;
    for (int i = 0; i < want; i++) {
        if (!read_ack(p[0], &seq))
            fail_msg("child ended early");
        assert_true(seq > last);
        last = seq;
    }
    usleep((useconds_t)(rand() % 3000));
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    while (read_ack(p[0], &seq)) /* acknowledged before it died: must be there too */
        last = seq;
    close(p[0]);
    return last;
}

/* Loaded rows come in seq order (servers, meetings) and in meeting id order
 * (participants), so lookups can bisect: the database grows to thousands
 * of rows over the rounds. */
static bool has_server(const cp_test_loaded_t *got, uint64_t seq) {
    size_t lo = 0, hi = got->nservers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (got->servers[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < got->nservers && got->servers[lo].seq == seq;
}

static const cp_meeting_rec_t *meeting_of(const cp_test_loaded_t *got, uint64_t seq) {
    size_t lo = 0, hi = got->nmeetings;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (got->meetings[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < got->nmeetings && got->meetings[lo].seq == seq ? &got->meetings[lo] : NULL;
}

static size_t parts_of(const cp_test_loaded_t *got, const char *mid) {
    size_t lo = 0, hi = got->nparts;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (strcmp(got->parts[m].mid, mid) < 0)
            lo = m + 1;
        else
            hi = m;
    }
    size_t n = 0;
    while (lo + n < got->nparts && strcmp(got->parts[lo + n].mid, mid) == 0)
        n++;
    return n;
}

/* Every batch up to last is complete; none past last is half-written. */
static void check_round(const cp_test_loaded_t *got, uint64_t first, uint64_t last) {
    for (uint64_t seq = first; seq <= last + 64; seq++) {
        bool s = has_server(got, seq);
        const cp_meeting_rec_t *m = meeting_of(got, seq);
        if (seq <= last && (!s || !m))
            fail_msg("acknowledged batch %llu is missing", (unsigned long long)seq);
        if (s != (m != NULL))
            fail_msg("batch %llu is half there", (unsigned long long)seq);
        if (m) {
            char mid[32];
            snprintf(mid, sizeof mid, "m%llu", (unsigned long long)seq);
            assert_string_equal(m->id, mid);
            assert_int_equal(parts_of(got, mid), 2);
            assert_string_equal(m->subject,
                                "crash test with a subject long enough to span more of a page");
        }
    }
}

static void run_rounds(bool writer) {
    cp_test_dir_t dir;
    cp_test_dir_make(&dir);
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    print_message("seed %u\n", seed);
    uint64_t lasts[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t first = (uint64_t)(r + 1) * PER_ROUND + 1;
        lasts[r] = run_and_kill(dir.db, first, writer);

        cp_store_t *st = cp_test_open(dir.db);
        char err[512] = "";
        if (cp_store_check(st, err, sizeof err) != 0)
            fail_msg("round %d: %s", r, err);
        cp_test_loaded_t got = {0};
        cp_test_load(st, &got);
        for (int k = 0; k <= r; k++) /* earlier rounds are still intact */
            check_round(&got, (uint64_t)(k + 1) * PER_ROUND + 1, lasts[k]);
        const cp_server_rec_t *tip = cp_test_find_server(&got, "tip");
        assert_non_null(tip);
        assert_true((uint64_t)tip->other_load >= lasts[r]);
        cp_test_loaded_free(&got);
        cp_store_close(st);
    }
    cp_test_dir_remove(&dir);
}

static void kill_9_during_direct_commits_loses_no_acknowledged_batch(void **state) {
    (void)state;
    run_rounds(false);
}

static void kill_9_during_group_commits_loses_no_acknowledged_batch(void **state) {
    (void)state;
    run_rounds(true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_9_during_direct_commits_loses_no_acknowledged_batch),
        cmocka_unit_test(kill_9_during_group_commits_loses_no_acknowledged_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
