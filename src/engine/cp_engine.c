/* cp_engine.c — the engine's lifecycle, its notion of time, and timers.
 *
 * Time only moves when a caller passes a later `now`. Meetings that have
 * something to do on their own (end of ramp-up, idle grace, expiry) sit in
 * one heap ordered by deadline; advancing runs them in deadline order, each
 * at its own deadline, so results do not depend on how often the caller
 * advances. */
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

void cp_engine_config_defaults(cp_engine_config_t *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->meeting_base = 2 * CP_MU_PER_UNIT;
    cfg->cost_audio = 1 * CP_MU_PER_UNIT;
    cfg->cost_video = 4 * CP_MU_PER_UNIT;
    cfg->cost_sharing = 2 * CP_MU_PER_UNIT;
    cfg->new_meeting_below = 0.80;
    cfg->join_below = 0.95;
    cfg->retry_after = 15;
    cfg->ramp_up = 900 * 1000;
    cfg->default_size = 5;
    cfg->large_threshold = 250;
    cfg->idle_grace = 60 * 1000;
    cfg->expire_after = 14LL * 86400 * 1000;
    cfg->adhoc_expire = 8LL * 3600 * 1000;
    cfg->retain_ended = 30LL * 86400 * 1000;
    cfg->report_timeout = 30 * 1000;
    cfg->plan_large = true;
    cfg->learn_attendance = true;
    cfg->plan_duration = 3600 * 1000;
    cfg->hold_after_start = 900 * 1000;
    cfg->policy = CP_POLICY_LEAST_UTILIZATION;
    cfg->seed = 0x636f6e66706f6f6cULL; /* "confpool" */
    cfg->track_changes = true;
}

static bool cp__timer_less(const void *a, const void *b) {
    const cp_meeting_t *x = a, *y = b;
    if (x->deadline != y->deadline)
        return x->deadline < y->deadline;
    return x->seq < y->seq;
}

static bool cp__server_timer_less(const void *a, const void *b) {
    const cp_server_t *x = a, *y = b;
    if (x->deadline != y->deadline)
        return x->deadline < y->deadline;
    return x->seq < y->seq;
}

cp_engine_t *cp_engine_new(const cp_engine_config_t *cfg) {
    cp_engine_t *e = cp_calloc(1, sizeof *e);
    e->cfg = *cfg;
    e->now = CP_TIME_NONE;
    cp_rng_seed(&e->rng, cfg->seed);
    e->hash_seed = cp_rng_next(&e->rng);
    for (unsigned m = 0; m < 8; m++) {
        cp_mu_t c = 0;
        if (m & CP_MOD_AUDIO)
            c += cfg->cost_audio;
        if (m & CP_MOD_VIDEO)
            c += cfg->cost_video;
        if (m & CP_MOD_SHARING)
            c += cfg->cost_sharing;
        e->cost[m] = c;
    }
    e->cost[0] = e->cost[CP_MOD_AUDIO];
    cp_map_init(&e->pool_map, e->hash_seed);
    cp_map_init(&e->server_map, e->hash_seed);
    cp_map_init(&e->meeting_map, e->hash_seed);
    cp_heap_init(&e->timers, offsetof(cp_meeting_t, timer_pos), cp__timer_less);
    cp_heap_init(&e->server_timers, offsetof(cp_server_t, timer_pos), cp__server_timer_less);
    return e;
}

void cp_engine_free(cp_engine_t *e) {
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->norder; i++)
        if (e->order[i].m)
            cp__meeting_free(e->order[i].m);
    while (e->graveyard) {
        cp_meeting_t *m = e->graveyard;
        e->graveyard = m->graveyard_next;
        cp__meeting_free(m);
    }
    for (size_t i = 0; i < e->nservers; i++) {
        cp_server_t *s = e->servers[i];
        cp_free(s->address);
        cp_free(s->region);
        cp_free(s->holds);
        cp_free(s);
    }
    for (size_t i = 0; i < e->npools; i++)
        cp__pool_free(e->pools[i]);
    cp_free(e->order);
    cp_free(e->servers);
    cp_free(e->pools);
    cp_map_free(&e->pool_map);
    cp_map_free(&e->server_map);
    cp_map_free(&e->meeting_map);
    cp_heap_free(&e->timers);
    cp_heap_free(&e->server_timers);
    cp__journal_free(e);
    cp_free(e);
}

const cp_engine_config_t *cp_engine_config(const cp_engine_t *e) { return &e->cfg; }

void cp__timer_update(cp_engine_t *e, cp_meeting_t *m) {
    cp_ms_t d = cp__meeting_deadline(e, m);
    bool queued = cp_heap_has(&e->timers, m);
    if (d == CP_TIME_NONE) {
        if (queued)
            cp_heap_remove(&e->timers, m);
        m->deadline = CP_TIME_NONE;
        return;
    }
    m->deadline = d;
    if (queued)
        cp_heap_update(&e->timers, m);
    else
        cp_heap_push(&e->timers, m);
}

void cp__run_timers(cp_engine_t *e, cp_ms_t now) {
    if (e->now != CP_TIME_NONE && now < e->now)
        now = e->now;
    for (;;) {
        /* The earliest of both heaps; on a tie servers go first, so a
         * server that goes down is down before its meetings' timers run. */
        cp_meeting_t *m = cp_heap_top(&e->timers);
        cp_server_t *s = cp_heap_top(&e->server_timers);
        cp_ms_t md = m ? m->deadline : INT64_MAX, sd = s ? s->deadline : INT64_MAX;
        cp_ms_t d = sd <= md ? sd : md;
        if (d > now || d == INT64_MAX)
            break;
        /* Run the timer at its own deadline, so the outcome does not
         * depend on how late the caller advanced. */
        if (e->now == CP_TIME_NONE || d > e->now)
            e->now = d;
        if (sd <= md)
            cp__server_timer(e, s);
        else
            cp__meeting_timer(e, m); /* may move m to the graveyard */
    }
    e->now = now;
}

void cp_engine_advance(cp_engine_t *e, cp_ms_t now) {
    /* Meetings forgotten by earlier timers are freed only here, so a
     * pointer looked up after the last explicit advance stays valid
     * through the event call that uses it. */
    while (e->graveyard) {
        cp_meeting_t *m = e->graveyard;
        e->graveyard = m->graveyard_next;
        cp__meeting_free(m);
    }
    cp__run_timers(e, now);
}

cp_ms_t cp_engine_next_deadline(const cp_engine_t *e) {
    const cp_meeting_t *m = cp_heap_top(&e->timers);
    const cp_server_t *s = cp_heap_top(&e->server_timers);
    if (m && s)
        return m->deadline < s->deadline ? m->deadline : s->deadline;
    return m ? m->deadline : s ? s->deadline : CP_TIME_NONE;
}

cp_mu_t cp_engine_cost(const cp_engine_t *e, unsigned modalities) {
    return e->cost[modalities & CP_MOD_ALL];
}

/* ---- lookups ---------------------------------------------------------------- */

cp_pool_t *cp_engine_pool(const cp_engine_t *e, const char *name) {
    return cp_map_get(&e->pool_map, name, strlen(name));
}

cp_pool_t *cp_engine_pool_next(const cp_engine_t *e, size_t *it) {
    return *it < e->npools ? e->pools[(*it)++] : NULL;
}

cp_server_t *cp_engine_server(const cp_engine_t *e, const char *id, size_t len) {
    return cp_map_get(&e->server_map, id, len);
}

cp_server_t *cp_engine_server_next(const cp_engine_t *e, size_t *it) {
    return *it < e->nservers ? e->servers[(*it)++] : NULL;
}

size_t cp_engine_server_count(const cp_engine_t *e) { return e->nservers; }

cp_meeting_t *cp_engine_meeting(const cp_engine_t *e, const char *id, size_t len) {
    return cp_map_get(&e->meeting_map, id, len);
}

size_t cp_engine_meeting_count(const cp_engine_t *e) { return e->meeting_map.len; }

cp_meeting_t *cp_engine_meeting_after(const cp_engine_t *e, uint64_t seq) {
    size_t lo = 0, hi = e->norder;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->order[mid].seq <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < e->norder; i++)
        if (e->order[i].m)
            return e->order[i].m;
    return NULL;
}
