/* cp_meeting.c — meetings: scheduling, deactivation, ending, expiry,
 * timers and records. Joining and leaving are in cp_join.c.
 *
 *   scheduled --first join--> active --empty for idle_grace--> scheduled
 *   scheduled/active --cancel, end, expiry--> ended --retain_ended--> forgotten */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

/* Cache-line aligned, so the hot head of the struct (server, state, pset
 * and a short id) is one line: a sticky lookup misses once, not twice. */
static cp_meeting_t *cp__meeting_alloc(void) {
    size_t size = (sizeof(cp_meeting_t) + 63) & ~(size_t)63;
    cp_meeting_t *m = cp_aligned_alloc(64, size);
    memset(m, 0, sizeof *m);
    m->leg0.meeting = m;
    m->leg0.empty_since = CP_TIME_NONE;
    m->timer_pos = CP_HEAP_NONE;
    m->deadline = CP_TIME_NONE;
    m->journal_idx = -1;
    return m;
}

static void cp__copy_id(char *dst, const char *src) {
    size_t n = strlen(src);
    if (n > CP_ID_MAX)
        n = CP_ID_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
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
    uint32_t expected = spec->expected ? spec->expected : e->cfg.default_size;
    unsigned mods = spec->modalities & CP_MOD_ALL ? spec->modalities & CP_MOD_ALL : CP_MOD_AUDIO;
    if (e->cfg.plan_strict) {
        cp_plan_t probe;
        if (cp__plan_probe(e, pool, expected, mods, spec->start, spec->end, NULL, &probe) ==
            CP_PLAN_IMPOSSIBLE) {
            *why = "no server can be made free for this large meeting";
            return CP_E_CAPACITY;
        }
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
    m->expected = expected;
    m->expected_given = spec->expected != 0;
    m->modalities = (uint8_t)mods;
    m->state = CP_MEETING_SCHEDULED;
    m->seq = ++e->meeting_seq;
    cp__meeting_index(e, m);
    cp__plan_make(e, m, true);
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
    cp_free(m->plan);
    cp_pset_clear(&m->pset);
    for (uint32_t i = 0; i < m->nextra; i++)
        cp_free(m->extra[i]);
    cp_free(m->extra);
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
    m->graveyard_next = e->graveyard;
    e->graveyard = m;
}

cp_status_t cp_engine_meeting_update(cp_engine_t *e, cp_meeting_t *m,
                                     const cp_meeting_update_t *u, cp_ms_t now, const char **why) {
    cp__run_timers(e, now);
    *why = NULL;
    if (m->state == CP_MEETING_ENDED)
        return CP_E_GONE;
    if (m->state == CP_MEETING_ACTIVE) {
        *why = "an active meeting cannot be rescheduled";
        return CP_E_CONFLICT;
    }
    cp_ms_t start = u->has_start ? u->start : m->start, end = u->has_end ? u->end : m->end;
    uint32_t expected = u->has_expected ? (u->expected ? u->expected : e->cfg.default_size)
                                        : m->expected;
    if (start != CP_TIME_NONE && end != CP_TIME_NONE && end <= start) {
        *why = "end must be after start";
        return CP_E_INVALID;
    }
    if (e->cfg.plan_strict) {
        cp_plan_t probe;
        if (cp__plan_probe(e, m->pool, expected, m->modalities, start, end, m, &probe) ==
            CP_PLAN_IMPOSSIBLE) {
            *why = "no server can be made free for this large meeting";
            return CP_E_CAPACITY;
        }
    }
    cp__plan_release(e, m);
    m->start = start;
    m->end = end;
    m->expected = expected;
    if (u->has_expected)
        m->expected_given = u->expected != 0;
    if (u->has_subject) {
        cp_free(m->subject);
        m->subject = cp_strdup(u->subject);
    }
    cp__plan_make(e, m, true);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    return CP_OK;
}

/* ---- deactivation and ending ------------------------------------------------------- */

/* Takes m off every server and forgets who was in it. */
static void cp__release(cp_engine_t *e, cp_meeting_t *m) {
    if (m->state == CP_MEETING_ACTIVE && m->activated != CP_TIME_NONE) {
        cp__pool_record_duration(m->pool, e->now - m->activated);
        cp__learn_attendance(e, m);
    }
    m->peak_units = 0;
    if (m->pset.len)
        cp__journal_part(e, CP_J_PART_CLEAR, m, NULL, 0, 0, 0);
    cp__legs_clear(e, m);
    cp_pset_clear(&m->pset);
    m->participants = 0;
    m->empty_since = CP_TIME_NONE;
}

void cp__meeting_deactivate(cp_engine_t *e, cp_meeting_t *m) {
    cp__release(e, m);
    m->state = CP_MEETING_SCHEDULED;
    m->last_active = e->now;
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
}

static void cp__end(cp_engine_t *e, cp_meeting_t *m) {
    cp__release(e, m);
    cp__plan_unhold(e, m);
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

/* ---- timers ---------------------------------------------------------------------------- */

static cp_ms_t cp__min(cp_ms_t a, cp_ms_t b) {
    if (a == CP_TIME_NONE)
        return b;
    if (b == CP_TIME_NONE)
        return a;
    return a < b ? a : b;
}

/* When a scheduled meeting ends on its own, or CP_TIME_NONE. */
static cp_ms_t cp__expiry(const cp_engine_t *e, const cp_meeting_t *m) {
    const cp_engine_config_t *c = &e->cfg;
    if (m->end != CP_TIME_NONE)
        return c->expire_after >= 0 ? m->end + c->expire_after : CP_TIME_NONE;
    if (c->adhoc_expire < 0)
        return CP_TIME_NONE;
    return (m->last_active != CP_TIME_NONE && m->last_active > m->created ? m->last_active
                                                                          : m->created) +
           c->adhoc_expire;
}

cp_ms_t cp__meeting_deadline(const cp_engine_t *e, const cp_meeting_t *m) {
    const cp_engine_config_t *c = &e->cfg;
    switch (m->state) {
    case CP_MEETING_ACTIVE: {
        cp_ms_t d = CP_TIME_NONE;
        if (cp__in_ramp(e, m))
            d = m->activated + c->ramp_up;
        if (m->participants == 0 && m->empty_since != CP_TIME_NONE)
            d = cp__min(d, m->empty_since + c->idle_grace);
        for (uint32_t i = 0; i < m->nextra; i++) {
            const cp_leg_t *l = m->extra[i];
            if (l->server && l->participants == 0 && l->empty_since != CP_TIME_NONE)
                d = cp__min(d, l->empty_since + c->idle_grace);
        }
        return d;
    }
    case CP_MEETING_SCHEDULED:
        return cp__min(cp__expiry(e, m), cp__plan_deadline(e, m));
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
            cp__meeting_deactivate(e, m);
            return;
        }
        /* Extra legs of a cascade that stayed empty are given back. */
        for (uint32_t i = 0; i < m->nextra; i++) {
            cp_leg_t *l = m->extra[i];
            if (l->server && l->participants == 0 && l->empty_since != CP_TIME_NONE &&
                e->now >= l->empty_since + e->cfg.idle_grace) {
                cp__leg_detach(e, l);
                cp__journal_meeting(e, m);
            }
        }
        cp__meeting_reload(e, m); /* ramp-up over: follow what is observed */
        break;
    case CP_MEETING_SCHEDULED: {
        cp_ms_t x = cp__expiry(e, m);
        if (x != CP_TIME_NONE && e->now >= x) {
            cp__end(e, m); /* expired */
            return;
        }
        cp__plan_tick(e, m); /* a hold begins or ends */
        break;
    }
    case CP_MEETING_ENDED:
        cp__forget(e, m);
        return;
    }
    cp__timer_update(e, m);
}

/* ---- records ------------------------------------------------------------------------------ */

void cp_meeting_to_rec(const cp_meeting_t *m, cp_meeting_rec_t *r, char *legs, size_t legs_len) {
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
    r->expected_given = m->expected_given;
    const cp_plan_t *p = m->plan;
    r->plan_status = p ? p->status : CP_PLAN_NONE;
    r->plan_host = p && p->host_id[0] ? p->host_id : NULL;
    r->plan_reason = p && p->reason[0] ? p->reason : NULL;
    r->plan_hold_from = p ? p->hold_from : CP_TIME_NONE;
    r->plan_hold_until = p ? p->hold_until : CP_TIME_NONE;
    r->plan_busy_until = p ? p->busy_until : CP_TIME_NONE;
    r->plan_lead = p ? p->lead : 0;
    r->plan_free_at = p ? p->free_at : CP_TIME_NONE;
    r->plan_suggested_start = p ? p->suggested_start : CP_TIME_NONE;
    r->plan_load = p ? p->load : 0;
    r->plan_cascade_servers = p ? p->cascade_servers : 0;
    r->legs = NULL;
    if (m->nextra > 0 && legs && legs_len > 0) {
        size_t o = 0;
        legs[0] = '\0';
        for (uint32_t i = 0; i < cp_meeting_nlegs(m) && o < legs_len; i++) {
            const cp_leg_t *l = cp_meeting_leg_c(m, i);
            int n = snprintf(legs + o, legs_len - o, "%s%s/%u/%u", i ? "," : "",
                             l->server ? l->server->id : "-", l->cap, l->participants);
            if (n < 0 || (size_t)n >= legs_len - o) {
                legs[o] = '\0';
                break;
            }
            o += (size_t)n;
        }
        r->legs = legs;
    }
}

/* Parses one "server/cap/participants" leg of a record. */
static bool cp__parse_leg(cp_engine_t *e, const char *s, size_t n, cp_leg_t *leg) {
    const char *slash = memchr(s, '/', n);
    if (slash == NULL)
        return false;
    size_t idlen = (size_t)(slash - s);
    char num[32];
    size_t rest = n - idlen - 1;
    if (rest == 0 || rest >= sizeof num)
        return false;
    memcpy(num, slash + 1, rest);
    num[rest] = '\0';
    unsigned cap, parts;
    if (sscanf(num, "%u/%u", &cap, &parts) != 2)
        return false;
    leg->cap = cap;
    leg->participants = parts;
    /* Parked: attached in cp_engine_restore_done. */
    leg->server = (idlen == 1 && s[0] == '-') ? NULL : cp_engine_server(e, s, idlen);
    return true;
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
    m->expected_given = r->expected_given;
    m->peak = r->peak;
    m->prior_peak = r->prior_peak;
    m->modalities = (uint8_t)(r->modalities & CP_MOD_ALL ? r->modalities & CP_MOD_ALL : CP_MOD_AUDIO);
    m->seq = r->seq;
    if (r->rehomed_from)
        cp__copy_id(m->rehomed_from, r->rehomed_from);
    if (r->seq > e->meeting_seq)
        e->meeting_seq = r->seq;
    if (r->plan_status != CP_PLAN_NONE) {
        /* The host is linked in cp__plan_restored, after every meeting. */
        cp_plan_t *p = m->plan = cp_calloc(1, sizeof *m->plan);
        p->status = r->plan_status;
        if (r->plan_host)
            snprintf(p->host_id, sizeof p->host_id, "%s", r->plan_host);
        if (r->plan_reason)
            snprintf(p->reason, sizeof p->reason, "%s", r->plan_reason);
        p->hold_from = r->plan_hold_from;
        p->hold_until = r->plan_hold_until;
        p->busy_until = r->plan_busy_until;
        p->lead = r->plan_lead;
        p->free_at = r->plan_free_at;
        p->suggested_start = r->plan_suggested_start;
        p->load = r->plan_load;
        p->cascade_servers = r->plan_cascade_servers;
    }
    /* Legs are parked (server set, not linked) until restore_done. */
    bool legs_ok = false;
    if (r->legs && r->legs[0]) {
        legs_ok = true;
        const char *p = r->legs;
        for (uint32_t i = 0; legs_ok && *p; i++) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            cp_leg_t *leg = i == 0 ? &m->leg0 : cp__leg_append(m);
            legs_ok = cp__parse_leg(e, p, n, leg);
            p += n + (comma != NULL);
        }
        if (!legs_ok)
            cp__legs_forget(m); /* parked legs are not linked: just drop them */
    }
    if (!legs_ok) {
        m->leg0.participants = r->participants;
        m->leg0.server = r->server ? cp_engine_server(e, r->server, strlen(r->server)) : NULL;
    }
    cp__meeting_index(e, m);
    return m;
}
