/* test_store_helpers.h — shared by the store tests: temporary directories,
 * a loader that keeps copies of what it is fed, and record comparisons. */
#ifndef TEST_STORE_HELPERS_H
#define TEST_STORE_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/cp_store.h"
#include "util/base/cp_alloc.h"

/* ---- temporary directories ---------------------------------------------- */

typedef struct cp_test_dir {
    char path[256];
    char db[300]; /* path/test.db */
} cp_test_dir_t;

static inline void cp_test_dir_make(cp_test_dir_t *d) {
    const char *tmp = getenv("TMPDIR");
    snprintf(d->path, sizeof d->path, "%s/cp_store_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->db, sizeof d->db, "%s/test.db", d->path);
}

static inline int cp_test__rm(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static inline void cp_test_dir_remove(cp_test_dir_t *d) {
    nftw(d->path, cp_test__rm, 8, FTW_DEPTH | FTW_PHYS);
}

static inline cp_store_t *cp_test_open(const char *path) {
    char err[512] = "";
    cp_store_t *st = cp_store_open(path, err, sizeof err);
    if (!st)
        fail_msg("cp_store_open(%s): %s", path, err);
    return st;
}

static inline void cp_test_commit(cp_store_t *st, const cp_batch_t *b) {
    char err[512] = "";
    if (cp_store_commit(st, b, err, sizeof err) != 0)
        fail_msg("cp_store_commit: %s", err);
}

/* ---- a loader that keeps copies ------------------------------------------- */

typedef struct cp_test_part {
    char *mid, *pid;
    unsigned mods, leg;
} cp_test_part_t;

typedef struct cp_test_loaded {
    cp_server_rec_t *servers;
    size_t nservers, servers_cap;
    cp_meeting_rec_t *meetings;
    size_t nmeetings, meetings_cap;
    cp_test_part_t *parts;
    size_t nparts, parts_cap;
} cp_test_loaded_t;

/* Makes room for one more element in a growing array. */
static inline void *cp_test__grow(void *p, size_t n, size_t *cap, size_t size) {
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 16;
    return cp_reallocarray(p, *cap, size);
}

#define CP_TEST_DUP(field) ((field) = cp_strdup(field))

static inline void cp_test__server(void *ctx, const cp_server_rec_t *r) {
    cp_test_loaded_t *l = ctx;
    l->servers = cp_test__grow(l->servers, l->nservers, &l->servers_cap, sizeof *l->servers);
    cp_server_rec_t *c = &l->servers[l->nservers++];
    *c = *r;
    CP_TEST_DUP(c->id), CP_TEST_DUP(c->address), CP_TEST_DUP(c->pool), CP_TEST_DUP(c->region);
}

static inline void cp_test__meeting(void *ctx, const cp_meeting_rec_t *r) {
    cp_test_loaded_t *l = ctx;
    l->meetings = cp_test__grow(l->meetings, l->nmeetings, &l->meetings_cap, sizeof *l->meetings);
    cp_meeting_rec_t *c = &l->meetings[l->nmeetings++];
    *c = *r;
    CP_TEST_DUP(c->id), CP_TEST_DUP(c->organizer), CP_TEST_DUP(c->subject);
    CP_TEST_DUP(c->pool), CP_TEST_DUP(c->server), CP_TEST_DUP(c->rehomed_from);
    CP_TEST_DUP(c->legs), CP_TEST_DUP(c->plan_host), CP_TEST_DUP(c->plan_reason);
}

static inline void cp_test__part(void *ctx, const char *mid, const char *pid, unsigned mods,
                                 unsigned leg) {
    cp_test_loaded_t *l = ctx;
    l->parts = cp_test__grow(l->parts, l->nparts, &l->parts_cap, sizeof *l->parts);
    l->parts[l->nparts++] = (cp_test_part_t){cp_strdup(mid), cp_strdup(pid), mods, leg};
}

static inline void cp_test_loaded_free(cp_test_loaded_t *l) {
    for (size_t i = 0; i < l->nservers; i++) {
        cp_server_rec_t *r = &l->servers[i];
        cp_free((char *)r->id), cp_free((char *)r->address), cp_free((char *)r->pool);
        cp_free((char *)r->region);
    }
    for (size_t i = 0; i < l->nmeetings; i++) {
        cp_meeting_rec_t *r = &l->meetings[i];
        cp_free((char *)r->id), cp_free((char *)r->organizer), cp_free((char *)r->subject);
        cp_free((char *)r->pool), cp_free((char *)r->server), cp_free((char *)r->rehomed_from);
        cp_free((char *)r->legs), cp_free((char *)r->plan_host), cp_free((char *)r->plan_reason);
    }
    for (size_t i = 0; i < l->nparts; i++)
        cp_free(l->parts[i].mid), cp_free(l->parts[i].pid);
    cp_free(l->servers), cp_free(l->meetings), cp_free(l->parts);
    memset(l, 0, sizeof *l);
}

/** Loads everything from st into *l (freeing what l held). */
static inline void cp_test_load(cp_store_t *st, cp_test_loaded_t *l) {
    static const cp_store_loader_t loader = {cp_test__server, cp_test__meeting, cp_test__part};
    cp_test_loaded_free(l);
    char err[512] = "";
    if (cp_store_load(st, &loader, l, err, sizeof err) != 0)
        fail_msg("cp_store_load: %s", err);
}

static inline const cp_server_rec_t *cp_test_find_server(const cp_test_loaded_t *l,
                                                         const char *id) {
    for (size_t i = 0; i < l->nservers; i++)
        if (strcmp(l->servers[i].id, id) == 0)
            return &l->servers[i];
    return NULL;
}

static inline const cp_meeting_rec_t *cp_test_find_meeting(const cp_test_loaded_t *l,
                                                           const char *id) {
    for (size_t i = 0; i < l->nmeetings; i++)
        if (strcmp(l->meetings[i].id, id) == 0)
            return &l->meetings[i];
    return NULL;
}

/** How many participants meeting mid has. */
static inline size_t cp_test_count_parts(const cp_test_loaded_t *l, const char *mid) {
    size_t n = 0;
    for (size_t i = 0; i < l->nparts; i++)
        n += strcmp(l->parts[i].mid, mid) == 0;
    return n;
}

static inline const cp_test_part_t *cp_test_find_part(const cp_test_loaded_t *l, const char *mid,
                                                      const char *pid) {
    for (size_t i = 0; i < l->nparts; i++)
        if (strcmp(l->parts[i].mid, mid) == 0 && strcmp(l->parts[i].pid, pid) == 0)
            return &l->parts[i];
    return NULL;
}

/* ---- comparisons ------------------------------------------------------------ */

static inline void cp_test_assert_str(const char *a, const char *b) {
    if (!a || !b)
        assert_ptr_equal(a, b); /* both NULL */
    else
        assert_string_equal(a, b);
}

static inline void cp_test_assert_server_eq(const cp_server_rec_t *a, const cp_server_rec_t *b) {
    cp_test_assert_str(a->id, b->id);
    cp_test_assert_str(a->address, b->address);
    cp_test_assert_str(a->pool, b->pool);
    cp_test_assert_str(a->region, b->region);
    assert_true(a->capacity == b->capacity);
    assert_true(a->other_load == b->other_load);
    assert_int_equal(a->state, b->state);
    assert_true(a->cpu == b->cpu);
    assert_true(a->created == b->created);
    assert_true(a->last_report == b->last_report);
    assert_true(a->empty_since == b->empty_since);
    assert_true(a->seq == b->seq);
}

static inline void cp_test_assert_meeting_eq(const cp_meeting_rec_t *a,
                                             const cp_meeting_rec_t *b) {
    cp_test_assert_str(a->id, b->id);
    cp_test_assert_str(a->organizer, b->organizer);
    cp_test_assert_str(a->subject, b->subject);
    cp_test_assert_str(a->pool, b->pool);
    cp_test_assert_str(a->server, b->server);
    cp_test_assert_str(a->rehomed_from, b->rehomed_from);
    assert_int_equal(a->state, b->state);
    assert_true(a->start == b->start);
    assert_true(a->end == b->end);
    assert_true(a->created == b->created);
    assert_true(a->activated == b->activated);
    assert_true(a->ended == b->ended);
    assert_true(a->empty_since == b->empty_since);
    assert_true(a->last_active == b->last_active);
    assert_true(a->expected == b->expected);
    assert_true(a->peak == b->peak);
    assert_true(a->prior_peak == b->prior_peak);
    assert_true(a->participants == b->participants);
    assert_true(a->modalities == b->modalities);
    assert_true(a->seq == b->seq);
    cp_test_assert_str(a->legs, b->legs);
    assert_int_equal(a->plan_status, b->plan_status);
    cp_test_assert_str(a->plan_host, b->plan_host);
    cp_test_assert_str(a->plan_reason, b->plan_reason);
    assert_true(a->plan_hold_from == b->plan_hold_from);
    assert_true(a->plan_hold_until == b->plan_hold_until);
    assert_true(a->plan_busy_until == b->plan_busy_until);
    assert_true(a->plan_lead == b->plan_lead);
    assert_true(a->plan_free_at == b->plan_free_at);
    assert_true(a->plan_suggested_start == b->plan_suggested_start);
    assert_true(a->plan_load == b->plan_load);
    assert_true(a->plan_cascade_servers == b->plan_cascade_servers);
    assert_true(a->expected_given == b->expected_given);
}

/* ---- sample records ---------------------------------------------------------- */

static inline cp_server_rec_t cp_test_server(const char *id, uint64_t seq) {
    return (cp_server_rec_t){
        .id = id, .address = "10.0.0.1:5061", .pool = "default", .region = NULL,
        .capacity = 100000, .other_load = 5000, .state = CP_SERVER_UP, .cpu = -1,
        .created = 1700000000000, .last_report = CP_TIME_NONE, .empty_since = CP_TIME_NONE,
        .seq = seq,
    };
}

static inline cp_meeting_rec_t cp_test_meeting(const char *id, uint64_t seq) {
    return (cp_meeting_rec_t){
        .id = id, .organizer = "alice", .subject = NULL, .pool = "default", .server = NULL,
        .state = CP_MEETING_SCHEDULED, .start = CP_TIME_NONE, .end = CP_TIME_NONE,
        .created = 1700000000000, .activated = CP_TIME_NONE, .ended = CP_TIME_NONE,
        .empty_since = CP_TIME_NONE, .last_active = CP_TIME_NONE, .expected = 5,
        .modalities = CP_MOD_AUDIO, .seq = seq, .rehomed_from = NULL,
    };
}

#endif
