/* cp_server.c — servers: registration, draining, failure detection,
 * removal and load reports.
 *
 * A server registered with a report interval is watched: if it sends no
 * report for max(report_timeout, 2 x its interval) it goes down, takes no
 * new meetings, and its meetings are re-homed (at once with rehome_eager,
 * else on their next join). Its next report brings it back. Servers
 * without a report interval are static: only an admin marks them down. */
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

static void cp__set_str(char **dst, const char *src) {
    if ((*dst == NULL && src == NULL) || (*dst && src && strcmp(*dst, src) == 0))
        return;
    cp_free(*dst);
    *dst = cp_strdup(src);
}

static cp_server_t *cp__server_new(cp_engine_t *e, const char *id, cp_pool_t *pool) {
    cp_server_t *s = cp_calloc(1, sizeof *s);
    size_t n = strlen(id);
    memcpy(s->id, id, n < CP_ID_MAX ? n : CP_ID_MAX);
    s->pool = pool;
    s->cpu = -1;
    s->last_report = CP_TIME_NONE;
    s->empty_since = CP_TIME_NONE;
    s->created = CP_TIME_NONE;
    s->watch_since = CP_TIME_NONE;
    s->down_since = CP_TIME_NONE;
    s->deadline = CP_TIME_NONE;
    s->timer_pos = CP_HEAP_NONE;
    s->journal_idx = -1;
    s->elig_idx = SIZE_MAX;
    s->heap_pos = CP_HEAP_NONE;
    if (e->nservers == e->servers_cap) {
        e->servers_cap = e->servers_cap ? e->servers_cap * 2 : 16;
        e->servers = cp_reallocarray(e->servers, e->servers_cap, sizeof *e->servers);
    }
    e->servers[e->nservers++] = s;
    cp_map_put(&e->server_map, s->id, strlen(s->id), s);
    return s;
}

cp_status_t cp_engine_server_put(cp_engine_t *e, const cp_server_spec_t *spec, cp_ms_t now,
                                 cp_server_t **out, bool *created) {
    cp__run_timers(e, now);
    if (spec->id == NULL || !cp_id_valid(spec->id, strlen(spec->id)) || spec->capacity <= 0 ||
        spec->address == NULL)
        return CP_E_INVALID;
    const char *pool_name = spec->pool ? spec->pool : "default";
    if (!cp_id_valid(pool_name, strlen(pool_name)))
        return CP_E_INVALID;
    cp_server_t *s = cp_engine_server(e, spec->id, strlen(spec->id));
    *created = s == NULL;
    if (s == NULL) {
        s = cp__server_new(e, spec->id, cp_engine_pool_ensure(e, pool_name));
        s->seq = ++e->server_seq;
        s->created = e->now;
        s->capacity = spec->capacity;
        cp__set_str(&s->address, spec->address);
        cp__set_str(&s->region, spec->region);
        s->report_interval = spec->report_interval > 0 ? spec->report_interval : 0;
        s->watch_since = e->now;
        cp__server_limits(e, s);
        cp__pool_attach(e, s);
    } else {
        if (strcmp(s->pool->name, pool_name) != 0) {
            if (s->meetings > 0)
                return CP_E_CONFLICT;
            cp__pool_detach(e, s);
            s->pool = cp_engine_pool_ensure(e, pool_name);
            cp__pool_attach(e, s);
        }
        cp__set_str(&s->address, spec->address);
        cp__set_str(&s->region, spec->region);
        if (s->capacity != spec->capacity) {
            s->capacity = spec->capacity;
            cp__server_limits(e, s);
            cp__pool_refresh(e, s); /* moves it to its new capacity class */
        }
        cp_ms_t ri = spec->report_interval > 0 ? spec->report_interval : 0;
        if (ri != s->report_interval) {
            s->report_interval = ri;
            s->watch_since = e->now;
        }
    }
    cp__server_timer_update(e, s);
    cp__journal_server(e, s);
    *out = s;
    return CP_OK;
}

cp_status_t cp_engine_server_drain(cp_engine_t *e, cp_server_t *s, cp_ms_t now) {
    cp__run_timers(e, now);
    if (s->state != CP_SERVER_DRAINING) {
        s->state = CP_SERVER_DRAINING;
        s->empty_since = s->meetings == 0 ? e->now : CP_TIME_NONE;
        cp__pool_refresh(e, s);
        cp__journal_server(e, s);
    }
    return CP_OK;
}

cp_status_t cp_engine_server_resume(cp_engine_t *e, cp_server_t *s, cp_ms_t now) {
    cp__run_timers(e, now);
    if (s->state != CP_SERVER_UP) {
        s->state = CP_SERVER_UP;
        s->empty_since = CP_TIME_NONE;
        s->down_reason = CP_DOWN_NONE;
        s->down_since = CP_TIME_NONE;
        s->watch_since = e->now; /* a fresh period to report in */
        cp__pool_refresh(e, s);
        cp__server_timer_update(e, s);
        cp__journal_server(e, s);
    }
    return CP_OK;
}

static void cp__go_down(cp_engine_t *e, cp_server_t *s, cp_down_reason_t why) {
    if (s->state != CP_SERVER_DOWN) {
        s->state_before_down = s->state;
        s->state = CP_SERVER_DOWN;
        s->down_since = e->now;
    }
    s->down_reason = why;
    s->empty_since = CP_TIME_NONE;
    cp__pool_refresh(e, s);
    cp__server_timer_update(e, s);
    cp__journal_server(e, s);
    if (e->cfg.rehome_eager)
        while (s->hosted)
            cp__leg_rehome(e, s->hosted);
}

cp_status_t cp_engine_server_down(cp_engine_t *e, cp_server_t *s, cp_ms_t now) {
    cp__run_timers(e, now);
    if (s->state != CP_SERVER_DOWN || s->down_reason != CP_DOWN_ADMIN)
        cp__go_down(e, s, CP_DOWN_ADMIN);
    return CP_OK;
}

void cp__server_timer(cp_engine_t *e, cp_server_t *s) {
    cp__go_down(e, s, CP_DOWN_TIMEOUT);
}

void cp__server_timer_update(cp_engine_t *e, cp_server_t *s) {
    cp_ms_t d = CP_TIME_NONE;
    if (s->report_interval > 0 && s->state != CP_SERVER_DOWN) {
        cp_ms_t base = s->watch_since;
        if (s->last_report != CP_TIME_NONE && (base == CP_TIME_NONE || s->last_report > base))
            base = s->last_report;
        cp_ms_t timeout = e->cfg.report_timeout;
        if (2 * s->report_interval > timeout)
            timeout = 2 * s->report_interval;
        if (base != CP_TIME_NONE)
            d = base + timeout;
    }
    bool queued = cp_heap_has(&e->server_timers, s);
    s->deadline = d;
    if (d == CP_TIME_NONE) {
        if (queued)
            cp_heap_remove(&e->server_timers, s);
    } else if (queued) {
        cp_heap_update(&e->server_timers, s);
    } else {
        cp_heap_push(&e->server_timers, s);
    }
}

cp_status_t cp_engine_server_remove(cp_engine_t *e, cp_server_t *s, bool force, cp_ms_t now) {
    cp__run_timers(e, now);
    if (s->meetings > 0 && !force)
        return CP_E_CONFLICT;
    /* Out of placement first, so re-homing cannot pick it again. */
    s->state = CP_SERVER_DOWN;
    s->down_reason = CP_DOWN_ADMIN;
    cp__pool_refresh(e, s);
    cp_heap_remove(&e->server_timers, s);
    while (s->hosted)
        cp__leg_rehome(e, s->hosted);
    cp__plan_server_gone(e, s);
    cp__pool_detach(e, s);
    cp__journal_server_deleted(e, s);
    cp_map_del(&e->server_map, s->id, strlen(s->id));
    for (size_t i = 0; i < e->nservers; i++) {
        if (e->servers[i] == s) {
            memmove(&e->servers[i], &e->servers[i + 1], (e->nservers - i - 1) * sizeof *e->servers);
            e->nservers--;
            break;
        }
    }
    cp_free(s->address);
    cp_free(s->region);
    cp_free(s->holds);
    cp_free(s);
    return CP_OK;
}

/* ---- other load by hour of day ------------------------------------------------ */

#define CP__HOUR ((cp_ms_t)3600 * 1000)
#define CP__DAY (24 * CP__HOUR)

static int32_t cp__day(cp_ms_t t) { return (int32_t)(t / CP__DAY) + 1; /* 0 means none */ }
static int cp__hour(cp_ms_t t) { return (int)((t % CP__DAY + CP__DAY) % CP__DAY / CP__HOUR); }

/* Keeps the highest other load of each hour of the day, per day. */
static void cp__other_sample(cp_engine_t *e, cp_server_t *s) {
    int h = cp__hour(e->now);
    int32_t d = cp__day(e->now);
    if (s->other_day[h] != d) {
        s->other_day[h] = d;
        s->other_by_hour[h] = s->other_load;
    } else if (s->other_load > s->other_by_hour[h]) {
        s->other_by_hour[h] = s->other_load;
    }
}

cp_mu_t cp__other_forecast(const cp_engine_t *e, const cp_server_t *s, cp_ms_t from,
                           cp_ms_t until) {
    /* Hours seen within the last week stand for the same hours ahead; for
     * hours not seen, the load of now. */
    cp_mu_t best = 0;
    bool any = false;
    int32_t today = cp__day(e->now);
    if (until <= from)
        until = from + 1;
    for (cp_ms_t t = from - from % CP__HOUR; t < until && t < from + CP__DAY; t += CP__HOUR) {
        int h = cp__hour(t);
        if (s->other_day[h] && today - s->other_day[h] <= 7) {
            if (!any || s->other_by_hour[h] > best)
                best = s->other_by_hour[h];
            any = true;
        }
    }
    return any ? best : s->other_load;
}

cp_status_t cp_engine_server_report(cp_engine_t *e, cp_server_t *s, const cp_report_t *r,
                                    cp_ms_t now) {
    cp__run_timers(e, now);
    if (s->state == CP_SERVER_DOWN && s->down_reason == CP_DOWN_TIMEOUT) {
        /* Alive again: back to what it was (up, or draining). */
        s->state = s->state_before_down;
        s->down_reason = CP_DOWN_NONE;
        s->down_since = CP_TIME_NONE;
        if (s->state == CP_SERVER_DRAINING && s->meetings == 0)
            s->empty_since = e->now;
        cp__pool_refresh(e, s);
    }
    for (size_t i = 0; i < r->nmeetings; i++) {
        const cp_report_meeting_t *rm = &r->meetings[i];
        cp_meeting_t *m = cp_engine_meeting(e, rm->id, rm->len);
        cp_leg_t *leg = m && m->state == CP_MEETING_ACTIVE ? cp__leg_on(m, s) : NULL;
        if (leg)
            cp__leg_observe(e, leg, rm->participants);
        if (r->end)
            r->end[i] = leg == NULL;
    }
    if (r->has_other_load) {
        s->other_load = r->other_load < 0 ? 0 : r->other_load;
    } else if (r->has_cpu) {
        /* Whatever the CPU shows beyond our predicted conference load is
         * somebody else's work. */
        cp_mu_t busy = (cp_mu_t)(r->cpu * (double)s->capacity);
        cp_mu_t other = busy - s->conf_load;
        s->other_load = other > 0 ? other : 0;
    }
    if (r->has_cpu)
        s->cpu = r->cpu;
    if (r->has_other_load || r->has_cpu)
        cp__other_sample(e, s);
    s->last_report = e->now;
    cp__pool_load_changed(e, s);
    cp__server_timer_update(e, s);
    cp__journal_server(e, s);
    return CP_OK;
}

void cp_server_to_rec(const cp_server_t *s, cp_server_rec_t *r) {
    r->id = s->id;
    r->address = s->address;
    r->pool = s->pool->name;
    r->region = s->region;
    r->capacity = s->capacity;
    r->other_load = s->other_load;
    r->state = s->state;
    r->cpu = s->cpu;
    r->created = s->created;
    r->last_report = s->last_report;
    r->empty_since = s->empty_since;
    r->seq = s->seq;
    r->report_interval = s->report_interval;
    r->watch_since = s->watch_since;
    r->down_since = s->down_since;
    r->down_reason = s->down_reason;
    r->state_before_down = s->state_before_down;
}

/* Used by cp_restore.c. */
cp_server_t *cp__server_restore(cp_engine_t *e, const cp_server_rec_t *r) {
    cp_server_t *s = cp__server_new(e, r->id, cp_engine_pool_ensure(e, r->pool));
    s->seq = r->seq;
    if (r->seq > e->server_seq)
        e->server_seq = r->seq;
    s->capacity = r->capacity;
    s->other_load = r->other_load;
    s->state = r->state;
    s->cpu = r->cpu;
    s->created = r->created;
    s->last_report = r->last_report;
    s->empty_since = r->empty_since;
    s->report_interval = r->report_interval > 0 ? r->report_interval : 0;
    s->watch_since = r->watch_since;
    s->down_since = r->down_since;
    s->down_reason = r->down_reason;
    s->state_before_down = r->state_before_down == CP_SERVER_DRAINING ? CP_SERVER_DRAINING
                                                                        : CP_SERVER_UP;
    cp__set_str(&s->address, r->address);
    cp__set_str(&s->region, r->region);
    cp__server_limits(e, s);
    cp__pool_attach(e, s);
    return s;
}
