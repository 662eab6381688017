/* cp_meeting.c — meetings: scheduling, activation on first join,
 * stickiness, participants, deactivation, ending and expiry.
 *
 *   scheduled --first join--> active --empty for idle_grace--> scheduled
 *   scheduled/active --cancel, end, expiry--> ended --retain_ended--> forgotten
 *
 * Activation places the meeting with its predicted load (which, during
 * ramp-up, is at least the expected size). Later joins go to the same
 * server and are admitted while that server stays below the join
 * threshold. */
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

/* ---- small helpers ---------------------------------------------------------- */

/* Cache-line aligned, so the hot head of the struct (server, state, pset
 * and a short id) is one line: a sticky lookup misses once, not twice. */
static cp_meeting_t *cp__meeting_alloc(void) {
    size_t size = (sizeof(cp_meeting_t) + 63) & ~(size_t)63;
    cp_meeting_t *m = cp_aligned_alloc(64, size);
    memset(m, 0, sizeof *m);
    return m;
}

static void cp__copy_id(char *dst, const char *src) {
    size_t n = strlen(src);
    if (n > CP_ID_MAX)
        n = CP_ID_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Sets the observed participant count, keeping the server's total, the
 * peak and the empty-since mark in step. */
static void cp__set_count(cp_engine_t *e, cp_meeting_t *m, uint32_t n) {
    if (m->server)
        m->server->participants = m->server->participants - m->participants + n;
    m->participants = n;
    if (n > m->peak)
        m->peak = n;
    if (n == 0) {
        if (m->empty_since == CP_TIME_NONE)
            m->empty_since = e->now;
    } else {
        m->empty_since = CP_TIME_NONE;
    }
}

static void cp__clear_participants(cp_engine_t *e, cp_meeting_t *m) {
    if (m->pset.len)
        cp__journal_part(e, CP_J_PART_CLEAR, m, NULL, 0, 0);
    cp_pset_clear(&m->pset);
    m->joined_units = 0;
    cp__set_count(e, m, 0);
    m->empty_since = CP_TIME_NONE;
}

void cp__meeting_attach(cp_engine_t *e, cp_meeting_t *m, cp_server_t *s) {
    m->server = s;
    m->predicted = 0;
    m->host_prev = NULL;
    m->host_next = s->hosted;
    if (s->hosted)
        s->hosted->host_prev = m;
    s->hosted = m;
    s->meetings++;
    s->participants += m->participants;
    m->pool->active_meetings++;
    if (s->empty_since != CP_TIME_NONE) {
        s->empty_since = CP_TIME_NONE;
        cp__journal_server(e, s);
    }
    cp__meeting_reload(e, m);
}

void cp__meeting_detach(cp_engine_t *e, cp_meeting_t *m) {
    cp_server_t *s = m->server;
    if (s == NULL)
        return;
    cp__server_add_load(e, s, -m->predicted);
    m->predicted = 0;
    s->meetings--;
    s->participants -= m->participants;
    if (m->host_prev)
        m->host_prev->host_next = m->host_next;
    else
        s->hosted = m->host_next;
    if (m->host_next)
        m->host_next->host_prev = m->host_prev;
    m->host_prev = m->host_next = NULL;
    m->server = NULL;
    m->pool->active_meetings--;
    if (s->state == CP_SERVER_DRAINING && s->meetings == 0) {
        s->empty_since = e->now;
        cp__journal_server(e, s);
    }
}

/* ---- scheduling ------------------------------------------------------------------ */

cp_status_t cp_engine_meeting_create(cp_engine_t *e, const cp_meeting_spec_t *spec, cp_ms_t now,
                                     cp_meeting_t **out, const char **why) {
    cp__run_timers(e, now);
    *why = NULL;
    if (spec->id == NULL || !cp_id_valid(spec->id, strlen(spec->id))) {
        *why = "id must match [A-Za-z0-9._-]{1,64}";
        return CP_E_INVALID;
    }
    if (spec->organizer == NULL || spec->organizer[0] == '\0') {
        *why = "organizer is required";
        return CP_E_INVALID;
    }
    if (cp_engine_meeting(e, spec->id, strlen(spec->id)))
        return CP_E_CONFLICT;
    const char *pool_name = spec->pool ? spec->pool : "default";
    cp_pool_t *pool = cp_engine_pool(e, pool_name);
    if (pool == NULL) {
        if (strcmp(pool_name, "default") != 0) {
            *why = "unknown pool: no server has been registered in it";
            return CP_E_INVALID;
        }
        pool = cp_engine_pool_ensure(e, pool_name);
    }
    if (spec->start != CP_TIME_NONE && spec->end != CP_TIME_NONE && spec->end <= spec->start) {
        *why = "end must be after start";
        return CP_E_INVALID;
    }
    cp_meeting_t *m = cp__meeting_alloc();
    cp__copy_id(m->id, spec->id);
    m->organizer = cp_strdup(spec->organizer);
    m->subject = cp_strdup(spec->subject);
    m->pool = pool;
    m->start = spec->start;
    m->end = spec->end;
    m->created = e->now;
    m->activated = m->ended = m->empty_since = m->last_active = CP_TIME_NONE;
    m->expected = spec->expected ? spec->expected : e->cfg.default_size;
    m->modalities = (uint8_t)(spec->modalities & CP_MOD_ALL ? spec->modalities & CP_MOD_ALL
                                                            : CP_MOD_AUDIO);
    m->state = CP_MEETING_SCHEDULED;
    m->seq = ++e->meeting_seq;
    m->timer_pos = CP_HEAP_NONE;
    m->deadline = CP_TIME_NONE;
    m->journal_idx = -1;
    cp__meeting_index(e, m);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    *out = m;
    return CP_OK;
}

void cp__meeting_index(cp_engine_t *e, cp_meeting_t *m) {
    if (e->norder == e->order_cap) {
        e->order_cap = e->order_cap ? e->order_cap * 2 : 256;
        e->order = cp_reallocarray(e->order, e->order_cap, sizeof *e->order);
    }
    e->order[e->norder].seq = m->seq;
    e->order[e->norder].m = m;
    e->norder++;
    cp_map_put(&e->meeting_map, m->id, strlen(m->id), m);
}

void cp__meeting_free(cp_meeting_t *m) {
    cp_pset_clear(&m->pset);
    cp_free(m->organizer);
    cp_free(m->subject);
    cp_free(m);
}

/* Drops an ended meeting from memory (its record is deleted too). */
static void cp__forget(cp_engine_t *e, cp_meeting_t *m) {
    cp_heap_remove(&e->timers, m);
    cp_map_del(&e->meeting_map, m->id, strlen(m->id));
    size_t lo = 0, hi = e->norder;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->order[mid].seq < m->seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < e->norder && e->order[lo].m == m) {
        e->order[lo].m = NULL;
        e->order_holes++;
    }
    if (e->order_holes > 64 && e->order_holes * 2 > e->norder) {
        size_t j = 0;
        for (size_t i = 0; i < e->norder; i++)
            if (e->order[i].m)
                e->order[j++] = e->order[i];
        e->norder = j;
        e->order_holes = 0;
    }
    cp__journal_meeting_deleted(e, m);
    m->host_next = e->graveyard;
    e->graveyard = m;
}

/* ---- ending ------------------------------------------------------------------------ */

static void cp__end(cp_engine_t *e, cp_meeting_t *m) {
    cp__meeting_detach(e, m);
    cp__clear_participants(e, m);
    m->state = CP_MEETING_ENDED;
    m->ended = e->now;
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
}

cp_status_t cp_engine_meeting_end(cp_engine_t *e, cp_meeting_t *m, cp_ms_t now) {
    cp__run_timers(e, now);
    if (m->state == CP_MEETING_ENDED)
        return CP_E_GONE;
    cp__end(e, m);
    return CP_OK;
}

static void cp__deactivate(cp_engine_t *e, cp_meeting_t *m) {
    cp__meeting_detach(e, m);
    cp__clear_participants(e, m);
    m->state = CP_MEETING_SCHEDULED;
    m->last_active = e->now;
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
}

/* ---- joining and leaving ------------------------------------------------------------- */

static cp_status_t cp__activate(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                                unsigned mods, cp_join_t *out) {
    cp_pool_t *p = m->pool;
    cp_mu_t cost = e->cost[mods];
    /* The prediction is made as of an activation starting now, with the
     * peak of earlier activations as a floor for the expected size. */
    cp_ms_t old_activated = m->activated;
    uint32_t old_prior = m->prior_peak;
    m->activated = e->now;
    m->prior_peak = m->peak;
    cp_mu_t L = cp__meeting_predict(e, m, 1, cost, 1);
    cp_server_t *s = cp__place(e, p, L, p->policy);
    out->policy = p->policy;
    if (s == NULL) {
        m->activated = old_activated;
        m->prior_peak = old_prior;
        return CP_E_POOL_FULL;
    }
    out->util_before = cp_server_utilization(s);
    m->state = CP_MEETING_ACTIVE;
    cp_pset_add(&m->pset, pid, plen, (uint8_t)mods, e->hash_seed);
    m->joined_units = cost;
    cp__set_count(e, m, 1);
    cp__meeting_attach(e, m, s);
    out->util_after = cp_server_utilization(s);
    out->server = s;
    out->activated = true;
    out->new_participant = true;
    out->participants = 1;
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    cp__journal_part(e, CP_J_PART_ADD, m, pid, plen, mods);
    return CP_OK;
}

cp_status_t cp_engine_join(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                           unsigned modalities, cp_ms_t now, cp_join_t *out) {
    cp__run_timers(e, now);
    memset(out, 0, sizeof *out);
    out->policy = m->pool->policy;
    if (m->state == CP_MEETING_ENDED)
        return CP_E_GONE;
    unsigned mods = modalities & CP_MOD_ALL ? modalities & CP_MOD_ALL : m->modalities;
    /* A meeting whose server went down moves on its next join. With no
     * room elsewhere it is scheduled again and activation below decides. */
    if (m->state == CP_MEETING_ACTIVE && m->server->state == CP_SERVER_DOWN) {
        out->rehomed = true;
        cp__meeting_rehome(e, m);
    }
    if (m->state != CP_MEETING_ACTIVE)
        return cp__activate(e, m, pid, plen, mods, out);

    cp_server_t *s = m->server;
    out->server = s;
    out->util_before = out->util_after = cp_server_utilization(s);
    cp_pset_entry_t *pe = cp_pset_find(&m->pset, pid, plen, e->hash_seed);
    if (pe) {
        /* The same participant again: same server, counted once. A change
         * of modalities is taken as given; it was admitted already. */
        if (pe->mods != mods) {
            m->joined_units += e->cost[mods] - e->cost[pe->mods];
            pe->mods = (uint8_t)mods;
            cp__meeting_reload(e, m);
            cp__journal_part(e, CP_J_PART_ADD, m, pid, plen, mods);
        }
        out->participants = m->participants;
        out->util_after = cp_server_utilization(s);
        return CP_OK;
    }
    cp_mu_t cost = e->cost[mods];
    cp_mu_t after = cp__meeting_predict(e, m, m->participants + 1, m->joined_units + cost,
                                        m->pset.len + 1);
    cp_mu_t load_after = cp_server_load(s) - m->predicted + after;
    out->util_after = s->capacity > 0 ? (double)load_after / (double)s->capacity : 0;
    if (load_after >= s->join_limit)
        return CP_E_MEETING_FULL;
    cp_pset_add(&m->pset, pid, plen, (uint8_t)mods, e->hash_seed);
    m->joined_units += cost;
    cp__set_count(e, m, m->participants + 1);
    cp__meeting_reload(e, m);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    cp__journal_part(e, CP_J_PART_ADD, m, pid, plen, mods);
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
    m->joined_units -= e->cost[pe->mods];
    cp_pset_remove(&m->pset, pid, plen, e->hash_seed);
    cp__set_count(e, m, m->participants ? m->participants - 1 : 0);
    cp__meeting_reload(e, m);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    cp__journal_part(e, CP_J_PART_DEL, m, pid, plen, 0);
    return CP_OK;
}

void cp__meeting_observe(cp_engine_t *e, cp_meeting_t *m, uint32_t participants) {
    if (participants == m->participants)
        return;
    cp__set_count(e, m, participants);
    cp__meeting_reload(e, m);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
}

bool cp__meeting_rehome(cp_engine_t *e, cp_meeting_t *m) {
    cp_server_t *from = m->server;
    cp__copy_id(m->rehomed_from, from->id);
    cp__meeting_detach(e, m);
    cp_mu_t L = cp__meeting_predict(e, m, m->participants, m->joined_units, m->pset.len);
    cp_server_t *to = cp__place(e, m->pool, L, m->pool->policy);
    if (to) {
        cp__meeting_attach(e, m, to);
        cp__journal_meeting(e, m);
        return true;
    }
    cp__clear_participants(e, m);
    m->state = CP_MEETING_SCHEDULED;
    m->last_active = e->now;
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    return false;
}

/* ---- timers ---------------------------------------------------------------------------- */

cp_ms_t cp__meeting_deadline(const cp_engine_t *e, const cp_meeting_t *m) {
    const cp_engine_config_t *c = &e->cfg;
    switch (m->state) {
    case CP_MEETING_ACTIVE: {
        cp_ms_t d = CP_TIME_NONE;
        if (cp__in_ramp(e, m))
            d = m->activated + c->ramp_up;
        if (m->participants == 0 && m->empty_since != CP_TIME_NONE) {
            cp_ms_t idle = m->empty_since + c->idle_grace;
            if (d == CP_TIME_NONE || idle < d)
                d = idle;
        }
        return d;
    }
    case CP_MEETING_SCHEDULED:
        if (m->end != CP_TIME_NONE)
            return c->expire_after >= 0 ? m->end + c->expire_after : CP_TIME_NONE;
        if (c->adhoc_expire < 0)
            return CP_TIME_NONE;
        return (m->last_active != CP_TIME_NONE && m->last_active > m->created ? m->last_active
                                                                              : m->created) +
               c->adhoc_expire;
    case CP_MEETING_ENDED:
        return c->retain_ended >= 0 ? m->ended + c->retain_ended : CP_TIME_NONE;
    }
    return CP_TIME_NONE;
}

void cp__meeting_timer(cp_engine_t *e, cp_meeting_t *m) {
    switch (m->state) {
    case CP_MEETING_ACTIVE:
        if (m->participants == 0 && m->empty_since != CP_TIME_NONE &&
            e->now >= m->empty_since + e->cfg.idle_grace) {
            cp__deactivate(e, m);
            return;
        }
        cp__meeting_reload(e, m); /* ramp-up over: follow what is observed */
        break;
    case CP_MEETING_SCHEDULED:
        cp__end(e, m); /* expired */
        return;
    case CP_MEETING_ENDED:
        cp__forget(e, m);
        return;
    }
    cp__timer_update(e, m);
}

/* ---- records ------------------------------------------------------------------------------ */

void cp_meeting_to_rec(const cp_meeting_t *m, cp_meeting_rec_t *r) {
    r->id = m->id;
    r->organizer = m->organizer;
    r->subject = m->subject;
    r->pool = m->pool->name;
    r->server = m->server ? m->server->id : NULL;
    r->state = m->state;
    r->start = m->start;
    r->end = m->end;
    r->created = m->created;
    r->activated = m->activated;
    r->ended = m->ended;
    r->empty_since = m->empty_since;
    r->last_active = m->last_active;
    r->expected = m->expected;
    r->peak = m->peak;
    r->prior_peak = m->prior_peak;
    r->participants = m->participants;
    r->modalities = m->modalities;
    r->seq = m->seq;
    r->rehomed_from = m->rehomed_from[0] ? m->rehomed_from : NULL;
}

cp_meeting_t *cp__meeting_restore(cp_engine_t *e, const cp_meeting_rec_t *r) {
    cp_meeting_t *m = cp__meeting_alloc();
    cp__copy_id(m->id, r->id);
    m->organizer = cp_strdup(r->organizer ? r->organizer : "");
    m->subject = cp_strdup(r->subject);
    m->pool = cp_engine_pool_ensure(e, r->pool);
    m->state = r->state;
    m->start = r->start;
    m->end = r->end;
    m->created = r->created;
    m->activated = r->activated;
    m->ended = r->ended;
    m->empty_since = r->empty_since;
    m->last_active = r->last_active;
    m->expected = r->expected;
    m->peak = r->peak;
    m->prior_peak = r->prior_peak;
    m->participants = r->participants;
    m->modalities = (uint8_t)(r->modalities & CP_MOD_ALL ? r->modalities & CP_MOD_ALL : CP_MOD_AUDIO);
    m->seq = r->seq;
    if (r->rehomed_from)
        cp__copy_id(m->rehomed_from, r->rehomed_from);
    m->timer_pos = CP_HEAP_NONE;
    m->deadline = CP_TIME_NONE;
    m->journal_idx = -1;
    if (r->seq > e->meeting_seq)
        e->meeting_seq = r->seq;
    cp__meeting_index(e, m);
    return m;
}
