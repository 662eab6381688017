/* cp_server.c — servers: registration, draining, removal and load reports. */
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
    }
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
        cp__pool_refresh(e, s);
        cp__journal_server(e, s);
    }
    return CP_OK;
}

cp_status_t cp_engine_server_remove(cp_engine_t *e, cp_server_t *s, bool force, cp_ms_t now) {
    cp__run_timers(e, now);
    if (s->meetings > 0 && !force)
        return CP_E_CONFLICT;
    /* Out of placement first, so re-homing cannot pick it again. */
    s->state = CP_SERVER_DOWN;
    cp__pool_refresh(e, s);
    while (s->hosted)
        cp__meeting_rehome(e, s->hosted);
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
    cp_free(s);
    return CP_OK;
}

cp_status_t cp_engine_server_report(cp_engine_t *e, cp_server_t *s, const cp_report_t *r,
                                    cp_ms_t now) {
    cp__run_timers(e, now);
    for (size_t i = 0; i < r->nmeetings; i++) {
        const cp_report_meeting_t *rm = &r->meetings[i];
        cp_meeting_t *m = cp_engine_meeting(e, rm->id, rm->len);
        if (m && m->state == CP_MEETING_ACTIVE && m->server == s)
            cp__meeting_observe(e, m, rm->participants);
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
    s->last_report = e->now;
    cp__pool_load_changed(e, s);
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
    cp__set_str(&s->address, r->address);
    cp__set_str(&s->region, r->region);
    cp__server_limits(e, s);
    cp__pool_attach(e, s);
    return s;
}
