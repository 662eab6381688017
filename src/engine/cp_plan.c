/* cp_plan.c — planning room for large meetings.
 *
 * Ordinary meetings reserve nothing. A large meeting (expected size at or
 * above large_threshold) with a start time gets a plan when it is
 * scheduled: a host is chosen — a server of the pool called "large" if
 * there is one, else of the meeting's pool — and from `start - lead` that
 * host is held: it takes no new meetings, so the small meetings on it end
 * on their own and the room is there at the start. When the meeting
 * starts it goes to its host if it fits; if not (the host did not free up
 * as forecast) it goes where it fits best, or cascades, and the plan
 * records what happened.
 *
 * Choosing the host. Among servers that could carry the meeting at all
 * (other load + its load within the new-meeting threshold) and whose
 * headroom is not already promised to an overlapping large meeting, the
 * planner takes the one forecast to have room soonest: its hosted legs are
 * assumed to end at their scheduled end, or after the pool's typical
 * duration. Ties go to the least other load, then fewest meetings.
 *
 * The lead is `[large] lead` if set, else the 95th percentile of the
 * durations of the pool's meetings so far plus 5 minutes (90 minutes until
 * 20 are seen). The margin is for meetings whose first people arrive a few
 * minutes early: a hold that began exactly on the hour would still let the
 * meetings of that hour start on the host; the high percentile is for the
 * long and overrunning ones. Both were measured with the simulator
 * (docs/CAPACITY.md): with the 90th percentile and no margin a
 * 1000-person meeting at the busiest hour found its host free on 11 days of
 * 20.
 * The planner reads the engine's state and changes nothing; installing
 * and releasing holds is separate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

#define CP__MIN ((cp_ms_t)60 * 1000)
#define CP__STEP (15 * CP__MIN) /* resolution of suggested starts */
#define CP__SEARCH (7 * 24 * 60 * CP__MIN / CP__STEP)

/* ---- durations and lead ------------------------------------------------------------ */

void cp__pool_record_duration(cp_pool_t *p, cp_ms_t d) {
    if (d < 0)
        return;
    cp_ms_t bucket = d / (10 * CP__MIN);
    p->durations[bucket < 48 ? bucket : 48]++;
    p->ndurations++;
}

cp_ms_t cp_engine_pool_lead(const cp_engine_t *e, const cp_pool_t *p) {
    if (e->cfg.plan_lead > 0)
        return e->cfg.plan_lead;
    if (p == NULL || p->ndurations < 20)
        return 90 * CP__MIN;
    uint64_t want = ((uint64_t)p->ndurations * 19 + 19) / 20, seen = 0;
    for (int i = 0; i < 49; i++) {
        seen += p->durations[i];
        if (seen >= want)
            return (cp_ms_t)(i + 1) * 10 * CP__MIN + 5 * CP__MIN;
    }
    return 495 * CP__MIN;
}

/* ---- holds ---------------------------------------------------------------------------- */

/* A plan holds its host while the meeting waits to start (also after a
 * refused start: the host may still free up for a later join). Invariant:
 * plan->host is set exactly while the meeting is in host->holds. */
static bool cp__holding(const cp_meeting_t *m) {
    const cp_plan_t *p = m->plan;
    return p && p->host && m->state == CP_MEETING_SCHEDULED &&
           (p->status == CP_PLAN_OK || p->status == CP_PLAN_AT_RISK ||
            p->status == CP_PLAN_REFUSED);
}

bool cp_server_held(const cp_engine_t *e, const cp_server_t *s) {
    for (uint32_t i = 0; i < s->nholds; i++) {
        const cp_meeting_t *m = s->holds[i];
        if (cp__holding(m) && m->plan->hold_from <= e->now && e->now < m->plan->hold_until)
            return true;
    }
    return false;
}

static void cp__hold_add(cp_server_t *s, cp_meeting_t *m) {
    if (s->nholds == s->holds_cap) {
        s->holds_cap = s->holds_cap ? s->holds_cap * 2 : 4;
        s->holds = cp_reallocarray(s->holds, s->holds_cap, sizeof *s->holds);
    }
    s->holds[s->nholds++] = m;
}

static void cp__hold_remove(cp_server_t *s, cp_meeting_t *m) {
    for (uint32_t i = 0; i < s->nholds; i++)
        if (s->holds[i] == m) {
            memmove(&s->holds[i], &s->holds[i + 1], (s->nholds - i - 1) * sizeof *s->holds);
            s->nholds--;
            return;
        }
}

/* Load promised on s to large meetings other than `self` whose windows
 * overlap [from, until). */
static cp_mu_t cp__promised(const cp_server_t *s, cp_ms_t from, cp_ms_t until,
                            const cp_meeting_t *self) {
    cp_mu_t sum = 0;
    for (uint32_t i = 0; i < s->nholds; i++) {
        const cp_meeting_t *m = s->holds[i];
        if (m == self || !cp__holding(m))
            continue;
        if (m->plan->hold_from < until && from < m->plan->busy_until)
            sum += m->plan->load;
    }
    return sum;
}

/* ---- forecasting ----------------------------------------------------------------------- */

typedef struct cp__ending {
    cp_ms_t at;
    cp_mu_t load;
} cp__ending_t;

static int cp__by_time(const void *a, const void *b) {
    const cp__ending_t *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* When a hosted leg is expected to be gone. */
static cp_ms_t cp__expected_end(const cp_engine_t *e, const cp_leg_t *leg, cp_ms_t typical) {
    const cp_meeting_t *m = leg->meeting;
    cp_ms_t end = m->end != CP_TIME_NONE ? m->end : m->activated + typical;
    return end > e->now ? end : e->now + 5 * CP__MIN; /* running late */
}

/* The earliest time from `from` at which s is forecast to have room for L
 * on top of `base`, or CP_TIME_NONE if its hosted meetings never leave
 * enough (they always do; only base + L matters for "never"). */
static cp_ms_t cp__room_at(const cp_engine_t *e, const cp_server_t *s, cp_mu_t base, cp_mu_t L,
                           cp_ms_t from, cp_ms_t typical) {
    if (base + L > s->new_limit)
        return CP_TIME_NONE;
    size_t n = 0;
    for (const cp_leg_t *l = s->hosted; l; l = l->host_next)
        n++;
    cp__ending_t *ends = malloc((n ? n : 1) * sizeof *ends);
    if (ends == NULL)
        return CP_TIME_NONE;
    cp_mu_t remaining = 0;
    n = 0;
    for (const cp_leg_t *l = s->hosted; l; l = l->host_next) {
        ends[n].at = cp__expected_end(e, l, typical);
        ends[n].load = l->predicted;
        remaining += l->predicted;
        n++;
    }
    qsort(ends, n, sizeof *ends, cp__by_time);
    cp_ms_t t = from;
    for (size_t i = 0; base + remaining + L > s->new_limit && i < n; i++) {
        remaining -= ends[i].load;
        if (ends[i].at > t)
            t = ends[i].at;
    }
    free(ends);
    return t;
}

/* ---- the planner ------------------------------------------------------------------------- */

typedef struct cp__ask {
    cp_pool_t *pool;      /* where hosts come from */
    cp_pool_t *own;       /* the meeting's pool (cascading) */
    cp_mu_t load;
    cp_ms_t start, busy_until, lead;
    const cp_meeting_t *self;
} cp__ask_t;

static bool cp__usable(const cp_server_t *s) { return s->state == CP_SERVER_UP; }

/* The best host for a meeting starting at `start`, or NULL. */
static cp_server_t *cp__choose(const cp_engine_t *e, const cp__ask_t *a, cp_ms_t start,
                               cp_ms_t *free_at) {
    cp_ms_t hold_from = start - a->lead, busy_until = start + (a->busy_until - a->start);
    cp_server_t *best = NULL;
    cp_ms_t best_t = 0;
    cp_mu_t best_base = 0;
    for (size_t i = 0; i < a->pool->nservers; i++) {
        cp_server_t *s = a->pool->servers[i];
        if (!cp__usable(s))
            continue;
        cp_mu_t other = cp__other_forecast(e, s, start, busy_until);
        cp_mu_t base = other + cp__promised(s, hold_from, busy_until, a->self);
        cp_ms_t from = hold_from > e->now ? start : e->now;
        cp_ms_t t = cp__room_at(e, s, base, a->load, from, a->lead);
        if (t == CP_TIME_NONE)
            continue;
        if (t < start)
            t = start;
        bool better = best == NULL || t < best_t || (t == best_t && base < best_base) ||
                      (t == best_t && base == best_base && s->meetings < best->meetings);
        if (better) {
            best = s;
            best_t = t;
            best_base = base;
        }
    }
    *free_at = best_t;
    return best;
}

/* The most a single server of p could take over the meeting's window
 * (room with no meetings, beside its forecast other load). */
static cp_mu_t cp__max_room(const cp_engine_t *e, const cp_pool_t *p, cp_ms_t from,
                            cp_ms_t until) {
    cp_mu_t best = 0;
    for (size_t i = 0; i < p->nservers; i++) {
        const cp_server_t *s = p->servers[i];
        cp_mu_t room = s->new_limit - cp__other_forecast(e, s, from, until);
        if (cp__usable(s) && room > best)
            best = room;
    }
    return best;
}

static void cp__fmt_time(char *buf, size_t n, cp_ms_t t) {
    /* minutes from the epoch are enough for a reason text; front doors
     * show the RFC 3339 field next to it */
    snprintf(buf, n, "%lld", (long long)(t / 1000));
}

static void cp__plan(const cp_engine_t *e, const cp__ask_t *a, cp_plan_t *out) {
    memset(out, 0, sizeof *out);
    out->hold_from = a->start - a->lead;
    out->hold_until = a->start + e->cfg.hold_after_start;
    out->busy_until = a->busy_until;
    out->lead = a->lead;
    out->load = a->load;
    out->free_at = CP_TIME_NONE;
    out->suggested_start = CP_TIME_NONE;
    cp_ms_t free_at;
    cp_server_t *host = cp__choose(e, a, a->start, &free_at);
    if (host) {
        out->host = host;
        snprintf(out->host_id, sizeof out->host_id, "%s", host->id);
        out->free_at = free_at;
        if (free_at <= a->start) {
            out->status = CP_PLAN_OK;
            snprintf(out->reason, sizeof out->reason,
                     "%s is held from %lld min before the start; its meetings end on their own",
                     host->id, (long long)(a->lead / CP__MIN));
        } else {
            out->status = CP_PLAN_AT_RISK;
            snprintf(out->reason, sizeof out->reason,
                     "%s is held but its meetings are forecast to leave room only %lld min "
                     "after the start",
                     host->id, (long long)((free_at - a->start + CP__MIN - 1) / CP__MIN));
        }
        return;
    }
    cp_mu_t room = cp__max_room(e, a->pool, a->start, a->busy_until);
    if (room < a->load) {
        if (a->own->cascade) {
            cp_mu_t own_room = cp__max_room(e, a->own, a->start, a->busy_until);
            out->status = CP_PLAN_OK;
            out->cascade_servers =
                own_room > 0 ? (uint32_t)((a->load + own_room - 1) / own_room) : 0;
            snprintf(out->reason, sizeof out->reason,
                     "larger than any one server: it will cascade over about %u servers",
                     out->cascade_servers);
        } else {
            out->status = CP_PLAN_IMPOSSIBLE;
            snprintf(out->reason, sizeof out->reason,
                     "needs %lld units; beside its forecast other load the roomiest server "
                     "of pool %s can take %lld",
                     (long long)(a->load / CP_MU_PER_UNIT), a->pool->name,
                     (long long)(room / CP_MU_PER_UNIT));
        }
        return;
    }
    out->status = CP_PLAN_IMPOSSIBLE;
    snprintf(out->reason, sizeof out->reason,
             "every server that could host it is promised to an overlapping large meeting");
    /* The nearest start (later first at equal distance) where a host fits. */
    for (int k = 1; k <= CP__SEARCH; k++) {
        cp_ms_t cand[2] = {a->start + k * CP__STEP, a->start - k * CP__STEP};
        for (int j = 0; j < 2; j++) {
            if (cand[j] < e->now)
                continue;
            cp_ms_t f;
            if (cp__choose(e, a, cand[j], &f)) {
                out->suggested_start = cand[j];
                char t[32];
                cp__fmt_time(t, sizeof t, cand[j]);
                size_t len = strlen(out->reason);
                snprintf(out->reason + len, sizeof out->reason - len,
                         "; the nearest start that fits is %+lld min from the one asked",
                         (long long)((cand[j] - a->start) / CP__MIN));
                return;
            }
        }
    }
}

static bool cp__is_large(const cp_engine_t *e, uint32_t expected, cp_ms_t start) {
    return e->cfg.plan_large && start != CP_TIME_NONE && expected >= e->cfg.large_threshold;
}

static void cp__ask(const cp_engine_t *e, cp_pool_t *own, uint32_t expected, unsigned mods,
                    cp_ms_t start, cp_ms_t end, const cp_meeting_t *self, cp__ask_t *a) {
    cp_pool_t *large = cp_engine_pool(e, "large");
    a->own = own;
    a->pool = large && large->nservers > 0 ? large : own;
    a->load = e->cfg.meeting_base + (cp_mu_t)expected * e->cost[mods & CP_MOD_ALL];
    a->start = start;
    a->busy_until = end != CP_TIME_NONE ? end : start + e->cfg.plan_duration;
    a->lead = cp_engine_pool_lead(e, a->pool);
    a->self = self;
}

cp_status_t cp_engine_plan(cp_engine_t *e, const cp_meeting_spec_t *spec, cp_ms_t now,
                           cp_plan_t *out) {
    cp__run_timers(e, now);
    memset(out, 0, sizeof *out);
    uint32_t expected = spec->expected ? spec->expected : e->cfg.default_size;
    if (!cp__is_large(e, expected, spec->start))
        return CP_OK;
    cp_pool_t *own = cp_engine_pool(e, spec->pool ? spec->pool : "default");
    if (own == NULL)
        return CP_E_INVALID;
    unsigned mods = spec->modalities & CP_MOD_ALL ? spec->modalities : CP_MOD_AUDIO;
    cp__ask_t a;
    cp__ask(e, own, expected, mods, spec->start, spec->end, NULL, &a);
    cp__plan(e, &a, out);
    return CP_OK;
}

/* ---- plans of meetings ------------------------------------------------------------------- */

/* Re-evaluates whether the host of m is held (at a boundary of the hold). */
static void cp__refresh_host(cp_engine_t *e, const cp_meeting_t *m) {
    if (m->plan && m->plan->host)
        cp__pool_refresh(e, m->plan->host);
}

void cp__plan_unhold(cp_engine_t *e, cp_meeting_t *m) {
    cp_server_t *host = m->plan ? m->plan->host : NULL;
    if (host == NULL)
        return;
    m->plan->host = NULL; /* host_id still names it */
    cp__hold_remove(host, m);
    cp__pool_refresh(e, host);
}

void cp__plan_release(cp_engine_t *e, cp_meeting_t *m) {
    if (m->plan == NULL)
        return;
    cp__plan_unhold(e, m);
    cp_free(m->plan);
    m->plan = NULL;
}

/* Computes and installs m's plan; returns its status. */
cp_plan_status_t cp__plan_make(cp_engine_t *e, cp_meeting_t *m, bool install_impossible) {
    if (!cp__is_large(e, m->expected, m->start))
        return CP_PLAN_NONE;
    cp__ask_t a;
    cp__ask(e, m->pool, m->expected, m->modalities, m->start, m->end, m, &a);
    cp_plan_t p;
    cp__plan(e, &a, &p);
    if (p.status == CP_PLAN_IMPOSSIBLE && !install_impossible)
        return p.status;
    m->plan = cp_malloc(sizeof *m->plan);
    *m->plan = p;
    if (p.host) {
        cp__hold_add(p.host, m);
        cp__pool_refresh(e, p.host);
    }
    return p.status;
}

/* The plan m would get (for strict mode), without installing it. */
cp_plan_status_t cp__plan_probe(cp_engine_t *e, cp_pool_t *pool, uint32_t expected,
                                unsigned mods, cp_ms_t start, cp_ms_t end,
                                const cp_meeting_t *self, cp_plan_t *out) {
    memset(out, 0, sizeof *out);
    if (!cp__is_large(e, expected, start))
        return CP_PLAN_NONE;
    cp__ask_t a;
    cp__ask(e, pool, expected, mods, start, end, self, &a);
    cp__plan(e, &a, out);
    return out->status;
}

cp_server_t *cp__plan_host(const cp_meeting_t *m) {
    return cp__holding(m) ? m->plan->host : NULL;
}

void cp__plan_activated(cp_engine_t *e, cp_meeting_t *m) {
    cp_plan_t *p = m->plan;
    if (p == NULL)
        return;
    cp_server_t *host = p->host;
    if (m->nextra > 0) {
        p->status = CP_PLAN_CASCADED;
        uint32_t n = 0;
        for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++)
            n += cp_meeting_leg(m, i)->server != NULL;
        snprintf(p->reason, sizeof p->reason, "started across %u servers", n);
    } else if (host && m->server == host) {
        p->status = CP_PLAN_HOSTED;
        snprintf(p->reason, sizeof p->reason, "started on its planned host %s", host->id);
    } else {
        p->status = CP_PLAN_MOVED;
        snprintf(p->reason, sizeof p->reason,
                 "planned host %s had no room at the start; started on %s",
                 p->host_id[0] ? p->host_id : "(none)", m->server->id);
    }
    cp__plan_unhold(e, m);
    cp__journal_meeting(e, m);
}

void cp__plan_refused(cp_engine_t *e, cp_meeting_t *m) {
    cp_plan_t *p = m->plan;
    if (p == NULL || p->status == CP_PLAN_REFUSED)
        return;
    /* Keep the hold: the host may still free up for a later join. */
    p->status = CP_PLAN_REFUSED;
    snprintf(p->reason, sizeof p->reason,
             "no server had room when it started (planned host %s)",
             p->host_id[0] ? p->host_id : "none");
    cp__journal_meeting(e, m);
}

cp_ms_t cp__plan_deadline(const cp_engine_t *e, const cp_meeting_t *m) {
    if (!cp__holding(m))
        return CP_TIME_NONE;
    if (e->now < m->plan->hold_from)
        return m->plan->hold_from;
    if (e->now < m->plan->hold_until)
        return m->plan->hold_until;
    return CP_TIME_NONE;
}

void cp__plan_tick(cp_engine_t *e, cp_meeting_t *m) { cp__refresh_host(e, m); }

void cp__plan_server_gone(cp_engine_t *e, cp_server_t *s) {
    /* Its holds are planned again elsewhere. */
    while (s->nholds) {
        cp_meeting_t *m = s->holds[0];
        cp__hold_remove(s, m);
        m->plan->host = NULL;
        cp__plan_release(e, m);
        cp__plan_make(e, m, true);
        cp__timer_update(e, m);
        cp__journal_meeting(e, m);
    }
    cp_free(s->holds);
    s->holds = NULL;
    s->holds_cap = 0;
}

void cp__plan_restored(cp_engine_t *e, cp_meeting_t *m) {
    cp_plan_t *p = m->plan;
    if (p == NULL)
        return;
    p->host = p->host_id[0] ? cp_engine_server(e, p->host_id, strlen(p->host_id)) : NULL;
    if (p->host && cp__holding(m)) {
        cp__hold_add(p->host, m);
        cp__pool_refresh(e, p->host);
    } else {
        p->host = NULL;
    }
}
