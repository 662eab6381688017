/* test_engine_persist.c — the change journal and restore: every change
 * reaches the sink in order, repeated changes are written once, and an
 * engine rebuilt from what was written makes the same decisions. */
#include <stdlib.h>

#include "engine_fixture.h"

/* A tiny in-memory "database" fed by the change sink. */
#define MAXROWS 512
typedef struct mem_db {
    cp_server_rec_t servers[MAXROWS];
    char sids[MAXROWS][72], saddr[MAXROWS][72], spool[MAXROWS][72];
    int nservers;
    cp_meeting_rec_t meetings[MAXROWS];
    char mids[MAXROWS][72], morg[MAXROWS][72], mpool[MAXROWS][72], msrv[MAXROWS][72];
    char mlegs[MAXROWS][512], mphost[MAXROWS][72], mpreason[MAXROWS][260];
    int nmeetings;
    char parts[MAXROWS][2][72];
    unsigned pmods[MAXROWS], plegs[MAXROWS];
    int nparts;
    int writes; /* upserts seen */
    char log[4096];
} mem_db_t;

static int find_row(char ids[][72], int n, const char *id) {
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return -1;
}

static void on_server(void *ctx, const cp_server_rec_t *r) {
    mem_db_t *db = ctx;
    db->writes++;
    int i = find_row(db->sids, db->nservers, r->id);
    if (i < 0)
        i = db->nservers++;
    db->servers[i] = *r;
    snprintf(db->sids[i], 72, "%s", r->id);
    snprintf(db->saddr[i], 72, "%s", r->address);
    snprintf(db->spool[i], 72, "%s", r->pool);
    db->servers[i].id = db->sids[i];
    db->servers[i].address = db->saddr[i];
    db->servers[i].pool = db->spool[i];
    db->servers[i].region = NULL;
    strcat(db->log, "S");
}

static void on_server_deleted(void *ctx, const char *id) {
    mem_db_t *db = ctx;
    int i = find_row(db->sids, db->nservers, id);
    if (i >= 0)
        db->sids[i][0] = '\0';
    strcat(db->log, "s");
}

static void on_meeting(void *ctx, const cp_meeting_rec_t *r) {
    mem_db_t *db = ctx;
    db->writes++;
    int i = find_row(db->mids, db->nmeetings, r->id);
    if (i < 0)
        i = db->nmeetings++;
    db->meetings[i] = *r;
    snprintf(db->mids[i], 72, "%s", r->id);
    snprintf(db->morg[i], 72, "%s", r->organizer);
    snprintf(db->mpool[i], 72, "%s", r->pool);
    snprintf(db->msrv[i], 72, "%s", r->server ? r->server : "");
    db->meetings[i].id = db->mids[i];
    db->meetings[i].organizer = db->morg[i];
    db->meetings[i].pool = db->mpool[i];
    db->meetings[i].server = r->server ? db->msrv[i] : NULL;
    db->meetings[i].subject = NULL;
    db->meetings[i].rehomed_from = NULL;
    snprintf(db->mlegs[i], sizeof db->mlegs[i], "%s", r->legs ? r->legs : "");
    db->meetings[i].legs = r->legs ? db->mlegs[i] : NULL;
    snprintf(db->mphost[i], 72, "%s", r->plan_host ? r->plan_host : "");
    snprintf(db->mpreason[i], 260, "%s", r->plan_reason ? r->plan_reason : "");
    db->meetings[i].plan_host = r->plan_host ? db->mphost[i] : NULL;
    db->meetings[i].plan_reason = r->plan_reason ? db->mpreason[i] : NULL;
    strcat(db->log, "M");
}

static void on_meeting_deleted(void *ctx, const char *id) {
    mem_db_t *db = ctx;
    int i = find_row(db->mids, db->nmeetings, id);
    if (i >= 0)
        db->mids[i][0] = '\0';
    strcat(db->log, "m");
}

static void on_joined(void *ctx, const char *mid, const char *pid, unsigned mods, unsigned leg) {
    mem_db_t *db = ctx;
    for (int i = 0; i < db->nparts; i++)
        if (strcmp(db->parts[i][0], mid) == 0 && strcmp(db->parts[i][1], pid) == 0) {
            db->pmods[i] = mods;
            db->plegs[i] = leg;
            return;
        }
    snprintf(db->parts[db->nparts][0], 72, "%s", mid);
    snprintf(db->parts[db->nparts][1], 72, "%s", pid);
    db->plegs[db->nparts] = leg;
    db->pmods[db->nparts++] = mods;
    strcat(db->log, "J");
}

static void on_left(void *ctx, const char *mid, const char *pid) {
    mem_db_t *db = ctx;
    for (int i = 0; i < db->nparts; i++)
        if (strcmp(db->parts[i][0], mid) == 0 && strcmp(db->parts[i][1], pid) == 0)
            db->parts[i][0][0] = '\0';
    strcat(db->log, "L");
}

static void on_cleared(void *ctx, const char *mid) {
    mem_db_t *db = ctx;
    for (int i = 0; i < db->nparts; i++)
        if (strcmp(db->parts[i][0], mid) == 0)
            db->parts[i][0][0] = '\0';
    strcat(db->log, "C");
}

static const cp_change_sink_t mem_sink = {on_server,  on_server_deleted, on_meeting, on_meeting_deleted,
                                          on_joined, on_left,           on_cleared};

static cp_engine_t *restore_from(mem_db_t *db, cp_ms_t now) {
    cp_engine_t *e = fx_engine();
    for (int i = 0; i < db->nservers; i++)
        if (db->sids[i][0])
            assert_int_equal(cp_engine_restore_server(e, &db->servers[i]), CP_OK);
    for (int i = 0; i < db->nmeetings; i++)
        if (db->mids[i][0])
            assert_int_equal(cp_engine_restore_meeting(e, &db->meetings[i]), CP_OK);
    for (int i = 0; i < db->nparts; i++)
        if (db->parts[i][0][0])
            assert_int_equal(
                cp_engine_restore_participant(e, db->parts[i][0], db->parts[i][1], db->pmods[i],
                                              db->plegs[i]),
                CP_OK);
    cp_engine_restore_done(e, now);
    return e;
}

static void journal_is_ordered_and_deduplicated(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    mem_db_t *db = calloc(1, sizeof *db);
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "m", 5, 0, T0);
    for (int i = 0; i < 5; i++) {
        char pid[8];
        snprintf(pid, sizeof pid, "p%d", i);
        fx_join_ok(e, m, pid, T0);
    }
    assert_true(cp_engine_has_changes(e));
    cp_engine_drain_changes(e, &mem_sink, db);
    /* server once, meeting once (before its participants), five joins */
    assert_string_equal(db->log, "SMJJJJJ");
    assert_false(cp_engine_has_changes(e));
    /* a read-only call journals nothing */
    fx_join_ok(e, m, "p1", T0 + 1);
    assert_false(cp_engine_has_changes(e));
    cp_engine_free(e);
    free(db);
}

static void restore_keeps_every_assignment(void **state) {
    (void)state;
    cp_engine_t *e = fx_engine();
    mem_db_t *db = calloc(1, sizeof *db);
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "fe%d", i);
        fx_server(e, id, 500 + 100 * i, NULL, T0);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cp_meeting_t *m = fx_meeting(e, id, (uint32_t)(i % 9 + 1), 0, T0);
        if (i % 4 != 3) /* a quarter stay scheduled */
            for (int p = 0; p < i % 5 + 1; p++) {
                char pid[8];
                snprintf(pid, sizeof pid, "p%d", p);
                fx_join_ok(e, m, pid, T0 + i);
            }
        if (i % 10 == 0)
            cp_engine_meeting_end(e, m, T0 + i);
        if (i % 4 == 3)
            cp_engine_drain_changes(e, &mem_sink, db); /* several batches */
    }
    cp_engine_drain_changes(e, &mem_sink, db);
    cp_engine_t *r = restore_from(db, T0 + 200);
    assert_int_equal(cp_engine_meeting_count(r), cp_engine_meeting_count(e));
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cp_meeting_t *a = cp_engine_meeting(e, id, strlen(id));
        cp_meeting_t *b = cp_engine_meeting(r, id, strlen(id));
        assert_non_null(b);
        assert_int_equal(a->state, b->state);
        assert_int_equal(a->participants, b->participants);
        assert_int_equal(a->pset.len, b->pset.len);
        assert_int_equal(a->predicted, b->predicted);
        if (a->server)
            assert_string_equal(a->server->id, b->server->id);
        else
            assert_null(b->server);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "fe%d", i);
        cp_server_t *a = cp_engine_server(e, id, strlen(id)), *b = cp_engine_server(r, id, strlen(id));
        assert_int_equal(a->conf_load, b->conf_load);
        assert_int_equal(a->meetings, b->meetings);
        assert_int_equal(a->participants, b->participants);
    }
    /* and the next decisions are the same */
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "n%d", i);
        cp_server_t *sa = fx_join_ok(e, fx_meeting(e, id, 3, 0, T0 + 300), "x", T0 + 300);
        cp_server_t *sb = fx_join_ok(r, fx_meeting(r, id, 3, 0, T0 + 300), "x", T0 + 300);
        assert_string_equal(sa->id, sb->id);
    }
    /* a repeated join after the restore still counts once */
    snprintf(id, sizeof id, "m1");
    cp_join_t j;
    assert_int_equal(fx_join(r, cp_engine_meeting(r, id, 2), "p0", T0 + 400, &j), CP_OK);
    assert_false(j.new_participant);
    cp_engine_free(e);
    cp_engine_free(r);
    free(db);
}

static void forgotten_meetings_are_deleted_from_the_store(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.retain_ended = SEC(10);
    cp_engine_t *e = cp_engine_new(&cfg);
    mem_db_t *db = calloc(1, sizeof *db);
    fx_server(e, "fe1", 1000, NULL, T0);
    cp_meeting_t *m = fx_meeting(e, "gone", 5, 0, T0);
    fx_join_ok(e, m, "p", T0);
    cp_engine_meeting_end(e, m, T0 + 1);
    cp_engine_advance(e, T0 + SEC(11));
    cp_engine_drain_changes(e, &mem_sink, db);
    /* the upsert and the participant ops of a forgotten meeting are dropped */
    assert_string_equal(db->log, "Sm");
    cp_engine_free(e);
    free(db);
}

static void restore_keeps_cascades_and_holds(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.plan_lead = SEC(3600);
    cp_engine_t *e = cp_engine_new(&cfg);
    mem_db_t *db = calloc(1, sizeof *db);
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "fe%d", i);
        fx_server(e, id, 1250, NULL, T0);
    }
    cp_engine_pool_set_cascade(e, cp_engine_pool(e, "default"), true);
    cp_meeting_t *town = fx_meeting(e, "town", 2500, 0, T0);
    for (int i = 0; i < 40; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "p%d", i);
        fx_join_ok(e, town, pid, T0);
    }
    /* a planned large meeting whose hold has begun */
    cp_meeting_spec_t spec = {.id = "big", .organizer = "o", .start = T0 + SEC(1800),
                              .end = T0 + SEC(5400), .expected = 600};
    cp_meeting_t *big;
    const char *why;
    assert_int_equal(cp_engine_meeting_create(e, &spec, T0, &big, &why), CP_OK);
    assert_int_equal(big->plan->status, CP_PLAN_OK);
    cp_server_t *host = big->plan->host;
    assert_true(cp_server_held(e, host));
    cp_engine_drain_changes(e, &mem_sink, db);
    cp_engine_t *r = restore_from(db, T0 + 10);
    cp_meeting_t *t2 = cp_engine_meeting(r, "town", 4);
    assert_int_equal(cp_meeting_nlegs(t2), cp_meeting_nlegs(town));
    for (uint32_t i = 0; i < cp_meeting_nlegs(town); i++) {
        cp_leg_t *a = cp_meeting_leg(town, i), *b = cp_meeting_leg(t2, i);
        assert_string_equal(a->server->id, b->server->id);
        assert_int_equal(a->cap, b->cap);
        assert_int_equal(a->participants, b->participants);
        assert_int_equal(a->predicted, b->predicted);
    }
    cp_meeting_t *b2 = cp_engine_meeting(r, "big", 3);
    assert_non_null(b2->plan);
    assert_string_equal(b2->plan->host->id, host->id);
    assert_true(cp_server_held(r, cp_engine_server(r, host->id, strlen(host->id))));
    /* a repeated join after the restore returns the participant's own leg */
    cp_join_t j;
    assert_int_equal(fx_join(r, t2, "p3", T0 + 20, &j), CP_OK);
    assert_false(j.new_participant);
    cp_engine_free(e);
    cp_engine_free(r);
    free(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(journal_is_ordered_and_deduplicated),
        cmocka_unit_test(restore_keeps_every_assignment),
        cmocka_unit_test(forgotten_meetings_are_deleted_from_the_store),
        cmocka_unit_test(restore_keeps_cascades_and_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
