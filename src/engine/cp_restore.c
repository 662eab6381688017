/* cp_restore.c — rebuilding the engine from the store at start.
 *
 * Servers first, then meetings in creation order, then participants; then
 * cp_engine_restore_done attaches active meetings' legs to their servers
 * and recomputes loads and timers as of `now`. A meeting that was active
 * before a crash is back on the very same servers. Restoring journals
 * nothing, except repairs (an active meeting none of whose servers exists
 * any more goes back to scheduled). */
#include <stdlib.h>
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

cp_status_t cp_engine_restore_server(cp_engine_t *e, const cp_server_rec_t *r) {
    if (r->id == NULL || cp_engine_server(e, r->id, strlen(r->id)) || r->pool == NULL)
        return CP_E_CONFLICT;
    cp__server_restore(e, r);
    return CP_OK;
}

cp_status_t cp_engine_restore_meeting(cp_engine_t *e, const cp_meeting_rec_t *r) {
    if (r->id == NULL || cp_engine_meeting(e, r->id, strlen(r->id)) || r->pool == NULL)
        return CP_E_CONFLICT;
    cp__meeting_restore(e, r);
    return CP_OK;
}

cp_status_t cp_engine_restore_participant(cp_engine_t *e, const char *mid, const char *pid,
                                          unsigned mods, unsigned leg) {
    cp_meeting_t *m = cp_engine_meeting(e, mid, strlen(mid));
    if (m == NULL)
        return CP_E_NOT_FOUND;
    size_t plen = strlen(pid);
    if (cp_pset_find(&m->pset, pid, plen, e->hash_seed))
        return CP_OK;
    if (leg >= cp_meeting_nlegs(m))
        leg = 0;
    mods &= CP_MOD_ALL;
    if (mods == 0)
        mods = m->modalities;
    cp_pset_entry_t *pe = cp_pset_add(&m->pset, pid, plen, (uint8_t)mods, e->hash_seed);
    pe->leg = (uint8_t)leg;
    cp_leg_t *l = cp_meeting_leg(m, leg);
    l->joined++;
    l->joined_units += e->cost[mods];
    return CP_OK;
}

static int cp__order_cmp(const void *a, const void *b) {
    const cp_order_entry_t *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Links the parked legs of an active meeting to their servers; false if
 * none of them still exists. */
static bool cp__attach_parked(cp_engine_t *e, cp_meeting_t *m) {
    uint32_t n = cp_meeting_nlegs(m);
    cp_server_t **parked = malloc(n * sizeof *parked);
    uint32_t *counts = malloc(n * sizeof *counts);
    bool any = false;
    if (parked == NULL || counts == NULL) {
        free(parked);
        free(counts);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        cp_leg_t *l = cp_meeting_leg(m, i);
        parked[i] = l->server;
        counts[i] = l->participants;
        l->server = NULL;
        l->participants = 0;
    }
    m->participants = 0;
    m->server = NULL;
    for (uint32_t i = 0; i < n; i++) {
        cp_leg_t *l = cp_meeting_leg(m, i);
        if (parked[i] == NULL)
            continue;
        any = true;
        cp__leg_set_count(e, l, counts[i]);
        cp__leg_attach(e, l, parked[i]);
    }
    free(parked);
    free(counts);
    return any;
}

void cp_engine_restore_done(cp_engine_t *e, cp_ms_t now) {
    if (e->now == CP_TIME_NONE || now > e->now)
        e->now = now;
    /* Watched servers could not report while we were away: they get a
     * full report period from now before they count as down. */
    for (size_t i = 0; i < e->nservers; i++) {
        cp_server_t *s = e->servers[i];
        if (s->report_interval > 0 && s->state != CP_SERVER_DOWN &&
            (s->watch_since == CP_TIME_NONE || s->watch_since < e->now))
            s->watch_since = e->now;
        cp__server_timer_update(e, s);
    }
    if (e->norder > 1)
        qsort(e->order, e->norder, sizeof *e->order, cp__order_cmp);
    for (size_t i = 0; i < e->norder; i++) {
        cp_meeting_t *m = e->order[i].m;
        if (m == NULL)
            continue;
        cp_ms_t empty_since = m->empty_since;
        if (m->state == CP_MEETING_ACTIVE && cp__attach_parked(e, m)) {
            m->empty_since = empty_since; /* as it was, not as of the restore */
        } else {
            if (m->state == CP_MEETING_ACTIVE) {
                /* Every server it was on was removed: it waits for its next
                 * join like any scheduled meeting. */
                m->state = CP_MEETING_SCHEDULED;
                cp__journal_meeting(e, m);
            }
            cp__legs_forget(m);
            cp_pset_clear(&m->pset);
            m->participants = 0;
            m->empty_since = CP_TIME_NONE;
        }
        cp__plan_restored(e, m);
        cp__timer_update(e, m);
    }
}
