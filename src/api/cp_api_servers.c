/* cp_api_servers.c — /v1/servers: topology, draining and load reports. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/cp_api_int.h"
#include "api/cp_events.h"
#include "util/base/cp_alloc.h"
#include "util/cp_log.h"

static cp_server_t *cp__lookup(cp_call_t *c) {
    cp_server_t *s = cp_engine_server(c->api->engine, c->id, strlen(c->id));
    if (s == NULL)
        cp_reply_error(c, 404, "not_found", "no server '%s'", c->id);
    return s;
}

static void cp__reply_server(cp_call_t *c, int status, const cp_server_t *s) {
    cp_jw_t w;
    cp_reply_json(c, status, &w);
    cp_render_server(&w, c->api->engine, s);
}

static int cp__by_id(const void *a, const void *b) {
    return strcmp((*(cp_server_t *const *)a)->id, (*(cp_server_t *const *)b)->id);
}

void cp_h_servers_list(cp_call_t *c) {
    cp_engine_t *e = c->api->engine;
    size_t n = cp_engine_server_count(e), it = 0, i = 0;
    cp_server_t **all = cp_malloc((n ? n : 1) * sizeof *all);
    cp_server_t *s;
    while ((s = cp_engine_server_next(e, &it)))
        all[i++] = s;
    qsort(all, n, sizeof *all, cp__by_id);
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "servers");
    cp_jw_arr(&w);
    for (i = 0; i < n; i++)
        cp_render_server(&w, e, all[i]);
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
    cp_free(all);
}

void cp_h_server_get(cp_call_t *c) {
    cp_server_t *s = cp__lookup(c);
    if (s)
        cp__reply_server(c, 200, s);
}

void cp_h_server_put(cp_call_t *c) {
    static const char *const fields[] = {"address", "capacity", "pool", "region",
                                         "report_interval", NULL};
    const char *address, *pool, *region;
    double capacity, interval = 0;
    bool has_cap, has_interval;
    if (!cp_body_parse(c, true) || !cp_body_only(c, fields) ||
        !cp_body_str(c, "address", true, 255, &address) ||
        !cp_body_num(c, "capacity", 0, 1e9, &has_cap, &capacity) ||
        !cp_body_id(c, "pool", false, &pool) || !cp_body_str(c, "region", false, 64, &region) ||
        !cp_body_num(c, "report_interval", 0.1, 3600, &has_interval, &interval))
        return;
    if (!has_cap || capacity <= 0) {
        cp_reply_error(c, 400, "invalid_field", "'capacity' is required and must be positive");
        return;
    }
    cp_server_spec_t spec = {.id = c->id, .address = address, .pool = pool, .region = region,
                             .capacity = (cp_mu_t)llround(capacity * CP_MU_PER_UNIT),
                             .report_interval = has_interval ? (cp_ms_t)llround(interval * 1000)
                                                             : 0};
    if (spec.capacity <= 0) {
        cp_reply_error(c, 400, "invalid_field", "'capacity' must be at least 0.001");
        return;
    }
    cp_server_t *s;
    bool created;
    cp_status_t st = cp_engine_server_put(c->api->engine, &spec, c->now, &s, &created);
    cp_events_server_put(c->now, &spec, st);
    if (st == CP_E_CONFLICT) {
        cp_reply_error(c, 409, "conflict",
                       "server '%s' hosts active meetings and cannot move to another pool", c->id);
        return;
    }
    if (st != CP_OK) {
        cp_reply_status(c, st, "server");
        return;
    }
    cp_log(CP_LOG_INFO, created ? "server added" : "server updated",
           "server=%s pool=%s capacity=%.3f", s->id, s->pool->name,
           (double)s->capacity / CP_MU_PER_UNIT);
    cp__reply_server(c, created ? 201 : 200, s);
}

void cp_h_server_delete(cp_call_t *c) {
    cp_server_t *s = cp__lookup(c);
    if (s == NULL)
        return;
    bool force = false, bad = false;
    char v[8];
    if (cp_query_get(c->req->query, "force", v, sizeof v, &bad))
        force = !bad && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
    uint32_t hosted = s->meetings;
    cp_status_t removed = cp_engine_server_remove(c->api->engine, s, force, c->now);
    cp_events_server_remove(c->now, c->id, force, removed);
    if (removed == CP_E_CONFLICT) {
        cp_reply_error(c, 409, "conflict",
                       "server '%s' hosts %u active meetings; drain it first or use ?force=1",
                       c->id, hosted);
        return;
    }
    cp_log(CP_LOG_INFO, "server removed", "server=%s rehomed=%u", c->id, hosted);
    c->resp->status = 204;
}

void cp_h_server_report(cp_call_t *c) {
    static const char *const fields[] = {"other_load", "cpu", "meetings", NULL};
    cp_server_t *s = cp__lookup(c);
    if (s == NULL)
        return;
    double other, cpu;
    bool has_other, has_cpu;
    if (!cp_body_parse(c, false) || !cp_body_only(c, fields) ||
        !cp_body_num(c, "other_load", 0, 1e9, &has_other, &other) ||
        !cp_body_num(c, "cpu", 0, 1, &has_cpu, &cpu))
        return;
    json_t *jm = json_object_get(c->body, "meetings");
    if (jm && !json_is_null(jm) && !json_is_object(jm)) {
        cp_reply_error(c, 400, "invalid_field",
                       "'meetings' must be an object of meeting id to participant count");
        return;
    }
    size_t n = jm && json_is_object(jm) ? json_object_size(jm) : 0;
    cp_report_meeting_t *rms = cp_malloc((n ? n : 1) * sizeof *rms);
    size_t i = 0;
    const char *key;
    json_t *v;
    if (n)
        json_object_foreach(jm, key, v) {
            if (!cp_id_valid(key, strlen(key)) || !json_is_integer(v) ||
                json_integer_value(v) < 0 || json_integer_value(v) > 1000000) {
                cp_reply_error(c, 400, "invalid_field",
                               "'meetings' maps meeting ids to participant counts (0 to 1000000)");
                cp_free(rms);
                return;
            }
            rms[i].id = key;
            rms[i].len = strlen(key);
            rms[i].participants = (uint32_t)json_integer_value(v);
            i++;
        }
    cp_report_t r = {.has_other_load = has_other,
                     .other_load = has_other ? (cp_mu_t)llround(other * CP_MU_PER_UNIT) : 0,
                     .has_cpu = has_cpu,
                     .cpu = has_cpu ? cpu : 0,
                     .meetings = rms,
                     .nmeetings = n,
                     .has_meetings = jm != NULL && json_is_object(jm)};
    uint8_t *end = cp_calloc(n ? n : 1, 1);
    r.end = end;
    cp_server_state_t before = s->state;
    cp_engine_server_report(c->api->engine, s, &r, c->now);
    cp_events_report(c->now, s->id, &r);
    if (before == CP_SERVER_DOWN && s->state != CP_SERVER_DOWN)
        cp_log(CP_LOG_INFO, "server back", "server=%s state=%s", s->id,
               cp_server_state_name(s->state));
    size_t nend = 0;
    for (i = 0; i < n; i++)
        nend += end[i];
    if (nend == 0) {
        c->resp->status = 204;
    } else {
        /* The server still runs meetings that live elsewhere now (moved
         * while it was down) or no longer exist: it must end them. */
        cp_jw_t w;
        cp_reply_json(c, 200, &w);
        cp_jw_obj(&w);
        cp_jw_key(&w, "end");
        cp_jw_arr(&w);
        for (i = 0; i < n; i++)
            if (end[i])
                cp_jw_strn(&w, rms[i].id, rms[i].len);
        cp_jw_arr_end(&w);
        cp_jw_obj_end(&w);
        cp_log(CP_LOG_INFO, "server told to end meetings", "server=%s count=%zu", s->id, nend);
    }
    cp_free(end);
    cp_free(rms);
}

void cp_h_server_drain(cp_call_t *c) {
    cp_server_t *s = cp__lookup(c);
    if (s == NULL)
        return;
    cp_events_server_op(c->now, "server_drain", s->id,
                        cp_engine_server_drain(c->api->engine, s, c->now));
    cp_log(CP_LOG_INFO, "server draining", "server=%s meetings=%u", s->id, s->meetings);
    cp__reply_server(c, 200, s);
}

void cp_h_server_down(cp_call_t *c) {
    cp_server_t *s = cp__lookup(c);
    if (s == NULL)
        return;
    uint32_t hosted = s->meetings;
    cp_events_server_op(c->now, "server_down", s->id,
                        cp_engine_server_down(c->api->engine, s, c->now));
    cp_log(CP_LOG_WARN, "server marked down", "server=%s meetings=%u rehomed_now=%u", s->id,
           hosted, hosted - s->meetings);
    cp__reply_server(c, 200, s);
}

void cp_h_server_resume(cp_call_t *c) {
    cp_server_t *s = cp__lookup(c);
    if (s == NULL)
        return;
    cp_events_server_op(c->now, "server_resume", s->id,
                        cp_engine_server_resume(c->api->engine, s, c->now));
    cp_log(CP_LOG_INFO, "server resumed", "server=%s", s->id);
    cp__reply_server(c, 200, s);
}
