/* cp_join.c — joining, leaving and reported counts: activation on the
 * first join, stickiness afterwards, and cascades.
 *
 * Activation places the meeting with its predicted load (during ramp-up at
 * least its expected size). A planned large meeting goes to its planned
 * host if it fits there. A meeting larger than any one server, in a pool
 * that allows it, cascades: it is split into legs over the servers with
 * the most room, taken in order, so that as few servers as possible carry
 * it; each leg is meant for a share of the expected participants, and
 * joins fill the legs in order. */
#include <stdlib.h>
#include <string.h>

#include "engine/cp_engine_int.h"

/* Load s would carry if leg (on s) had one more participant of cost c. */
static cp_mu_t cp__load_after(const cp_engine_t *e, const cp_leg_t *leg, cp_mu_t c) {
    cp_mu_t after =
        cp__leg_predict(e, leg, leg->participants + 1, leg->joined_units + c, leg->joined + 1);
    return cp_server_load(leg->server) - leg->predicted + after;
}

static void cp__add_participant(cp_engine_t *e, cp_meeting_t *m, cp_leg_t *leg, const char *pid,
                                size_t plen, unsigned mods) {
    cp_pset_entry_t *pe = cp_pset_add(&m->pset, pid, plen, (uint8_t)mods, e->hash_seed);
    pe->leg = (uint8_t)cp__leg_index(m, leg);
    leg->joined++;
    leg->joined_units += e->cost[mods];
    cp__leg_set_count(e, leg, leg->participants + 1);
    cp__leg_reload(e, leg);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    cp__journal_part(e, CP_J_PART_ADD, m, pid, plen, mods, pe->leg);
}

/* ---- cascades -------------------------------------------------------------------------- */

typedef struct cp__room {
    cp_server_t *s;
    cp_mu_t room;
} cp__room_t;

static int cp__by_room(const void *a, const void *b) {
    const cp__room_t *x = a, *y = b;
    if (x->room != y->room)
        return x->room > y->room ? -1 : 1;
    return x->s->seq < y->s->seq ? -1 : 1;
}

/* Splits m over the eligible servers of its pool with the most room.
 * Returns false (and changes nothing) if the whole pool cannot take it. */
static bool cp__cascade(cp_engine_t *e, cp_meeting_t *m, cp_server_t *also) {
    cp_pool_t *p = m->pool;
    cp_mu_t base = e->cfg.meeting_base, c = e->cost[m->modalities];
    size_t n = 0;
    cp__room_t *rooms = malloc((p->neligible + 1) * sizeof *rooms);
    if (rooms == NULL)
        return false;
    for (size_t i = 0; i < p->neligible; i++)
        rooms[n++] = (cp__room_t){p->eligible[i], p->eligible[i]->new_limit -
                                                       cp_server_load(p->eligible[i])};
    if (also && also->elig_idx == SIZE_MAX && also->state == CP_SERVER_UP)
        rooms[n++] = (cp__room_t){also, also->new_limit - cp_server_load(also)};
    qsort(rooms, n, sizeof *rooms, cp__by_room);
    uint32_t remaining = cp__expected_size(m), legs = 0;
    for (size_t i = 0; i < n && remaining > 0; i++) {
        cp_mu_t cap = c > 0 ? (rooms[i].room - base) / c : 0;
        if (cap <= 0)
            break;
        uint32_t take = (cp_mu_t)remaining < cap ? remaining : (uint32_t)cap;
        rooms[legs++] = (cp__room_t){rooms[i].s, take};
        remaining -= take;
    }
    if (remaining > 0) {
        free(rooms);
        return false;
    }
    for (uint32_t i = 0; i < legs; i++) {
        cp_leg_t *leg = i == 0 ? &m->leg0 : cp__leg_append(m);
        leg->cap = (uint32_t)rooms[i].room;
        cp__leg_attach(e, leg, rooms[i].s);
    }
    free(rooms);
    return true;
}

/* Opens one more leg for a cascaded meeting whose legs are all full. */
static cp_leg_t *cp__cascade_grow(cp_engine_t *e, cp_meeting_t *m) {
    cp_mu_t base = e->cfg.meeting_base, c = e->cost[m->modalities];
    cp_server_t *best = NULL;
    for (size_t i = 0; i < m->pool->neligible; i++) {
        cp_server_t *s = m->pool->eligible[i];
        if (cp__leg_on(m, s))
            continue;
        if (best == NULL || s->new_limit - cp_server_load(s) > best->new_limit - cp_server_load(best))
            best = s;
    }
    if (best == NULL || c <= 0)
        return NULL;
    cp_mu_t cap = (best->new_limit - cp_server_load(best) - base) / c;
    if (cap <= 0)
        return NULL;
    cp_leg_t *leg = cp__leg_new(m);
    leg->cap = (uint32_t)cap;
    cp__leg_attach(e, leg, best);
    return leg;
}

static bool cp__may_cascade(const cp_engine_t *e, const cp_meeting_t *m) {
    return m->pool->cascade && cp__expected_size(m) >= e->cfg.large_threshold;
}

/* ---- activation --------------------------------------------------------------------------- */

static cp_status_t cp__activate(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                                unsigned mods, cp_join_t *out) {
    cp_pool_t *p = m->pool;
    cp_server_t *host = cp__plan_host(m); /* while still scheduled */
    cp_ms_t old_activated = m->activated;
    uint32_t old_prior = m->prior_peak;
    m->activated = e->now;
    m->prior_peak = m->peak;
    m->peak_units = 0;
    m->state = CP_MEETING_ACTIVE; /* so the legs' predictions count */
    out->policy = p->policy;
    cp_mu_t L = cp__leg_predict(e, &m->leg0, 1, e->cost[mods], 1);
    cp_server_t *s = host && host->state == CP_SERVER_UP &&
                             cp_server_load(host) + L <= host->new_limit
                         ? host
                         : NULL;
    if (s == NULL)
        s = cp__place(e, p, L, p->policy);
    if (s) {
        out->util_before = cp_server_utilization(s);
        cp__leg_attach(e, &m->leg0, s);
    } else if (!(cp__may_cascade(e, m) && cp__cascade(e, m, host))) {
        m->state = CP_MEETING_SCHEDULED;
        m->activated = old_activated;
        m->prior_peak = old_prior;
        cp__plan_refused(e, m);
        return CP_E_POOL_FULL;
    }
    cp__add_participant(e, m, &m->leg0, pid, plen, mods);
    cp__plan_activated(e, m);
    out->server = m->leg0.server;
    out->util_after = cp_server_utilization(out->server);
    out->activated = true;
    out->new_participant = true;
    out->cascaded = m->nextra > 0;
    out->participants = m->participants;
    return CP_OK;
}

/* ---- joining ---------------------------------------------------------------------------------- */

/* The leg a new participant of cost c goes to, or NULL when every server of
 * the meeting is past the join threshold. Legs fill in order up to their
 * share; then any leg whose server still admits joins; then, for a
 * cascade, a new leg. */
static cp_leg_t *cp__route(cp_engine_t *e, cp_meeting_t *m, cp_mu_t c, cp_join_t *out) {
    uint32_t n = cp_meeting_nlegs(m);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            cp_leg_t *l = cp_meeting_leg(m, i);
            if (l->server == NULL || (pass == 0 && l->cap && l->participants >= l->cap))
                continue;
            cp_mu_t after = cp__load_after(e, l, c);
            if (i == 0 || out->server == NULL) {
                out->server = l->server;
                out->util_before = cp_server_utilization(l->server);
                out->util_after = (double)after / (double)l->server->capacity;
            }
            if (after < l->server->join_limit)
                return l;
        }
    }
    if (m->nextra > 0 && m->pool->cascade)
        return cp__cascade_grow(e, m);
    return NULL;
}

cp_status_t cp_engine_join(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                           unsigned modalities, cp_ms_t now, cp_join_t *out) {
    cp__run_timers(e, now);
    memset(out, 0, sizeof *out);
    out->policy = m->pool->policy;
    if (m->state == CP_MEETING_ENDED)
        return CP_E_GONE;
    unsigned mods = modalities & CP_MOD_ALL ? modalities & CP_MOD_ALL : m->modalities;
    /* Legs on a server that went down move on the next join. With no room
     * elsewhere the meeting is scheduled again and activation decides. */
    for (uint32_t i = 0; m->state == CP_MEETING_ACTIVE && i < cp_meeting_nlegs(m); i++) {
        cp_leg_t *l = cp_meeting_leg(m, i);
        if (l->server && l->server->state == CP_SERVER_DOWN) {
            out->rehomed = true;
            cp__leg_rehome(e, l);
        }
    }
    if (m->state != CP_MEETING_ACTIVE)
        return cp__activate(e, m, pid, plen, mods, out);

    out->cascaded = m->nextra > 0;
    cp_pset_entry_t *pe = cp_pset_find(&m->pset, pid, plen, e->hash_seed);
    if (pe) {
        cp_leg_t *leg = cp_meeting_leg(m, pe->leg);
        if (leg->server) {
            /* The same participant again: same server, counted once. A
             * change of modalities is taken as given; it was admitted. */
            if (pe->mods != mods) {
                leg->joined_units += e->cost[mods] - e->cost[pe->mods];
                pe->mods = (uint8_t)mods;
                cp__leg_reload(e, leg);
                cp__journal_part(e, CP_J_PART_ADD, m, pid, plen, mods, pe->leg);
            }
            out->server = leg->server;
            out->util_before = out->util_after = cp_server_utilization(leg->server);
            out->participants = m->participants;
            return CP_OK;
        }
        /* Its leg was given up (its server went down): join afresh. */
        leg->joined--;
        leg->joined_units -= e->cost[pe->mods];
        cp_pset_remove(&m->pset, pid, plen, e->hash_seed);
    }
    cp_leg_t *leg = cp__route(e, m, e->cost[mods], out);
    if (leg == NULL)
        return CP_E_MEETING_FULL;
    cp__add_participant(e, m, leg, pid, plen, mods);
    out->server = leg->server;
    out->util_after = cp_server_utilization(leg->server);
    out->new_participant = true;
    out->participants = m->participants;
    return CP_OK;
}

cp_status_t cp_engine_leave(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                            cp_ms_t now) {
    cp__run_timers(e, now);
    if (m->state == CP_MEETING_ENDED)
        return CP_E_GONE;
    if (m->state != CP_MEETING_ACTIVE)
        return CP_OK;
    cp_pset_entry_t *pe = cp_pset_find(&m->pset, pid, plen, e->hash_seed);
    if (pe == NULL)
        return CP_OK;
    cp_leg_t *leg = cp_meeting_leg(m, pe->leg);
    uint8_t legno = pe->leg;
    leg->joined--;
    leg->joined_units -= e->cost[pe->mods];
    cp_pset_remove(&m->pset, pid, plen, e->hash_seed);
    if (leg->server) {
        cp__leg_set_count(e, leg, leg->participants ? leg->participants - 1 : 0);
        cp__leg_reload(e, leg);
    }
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    cp__journal_part(e, CP_J_PART_DEL, m, pid, plen, 0, legno);
    return CP_OK;
}

void cp__leg_observe(cp_engine_t *e, cp_leg_t *leg, uint32_t participants) {
    if (participants == leg->participants)
        return;
    cp_meeting_t *m = leg->meeting;
    cp__leg_set_count(e, leg, participants);
    cp__leg_reload(e, leg);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
}
