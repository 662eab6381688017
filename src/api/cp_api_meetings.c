/* cp_api_meetings.c — /v1/meetings and /join: scheduling, listing,
 * cancelling, joining and leaving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cp_api_int.h"
#include "api/cp_events.h"
#include "api/cp_api_obs.h"
#include "util/cp_clock.h"
#include "util/cp_log.h"

static cp_meeting_t *cp__lookup(cp_call_t *c) {
    cp_meeting_t *m = cp_engine_meeting(c->api->engine, c->id, strlen(c->id));
    if (m == NULL)
        cp_reply_error(c, 404, "not_found", "no meeting '%s'", c->id);
    return m;
}

static void cp__reply_meeting(cp_call_t *c, int status, const cp_meeting_t *m) {
    cp_jw_t w;
    cp_reply_json(c, status, &w);
    cp_render_meeting(&w, c->api->engine, m);
}

/* A fresh meeting id: 16 hex digits, unpredictable across processes. */
static void cp__gen_id(cp_api_t *api, char *out, size_t outlen, const char *prefix) {
    uint64_t z = api->id_prefix + 0x9e3779b97f4a7c15ULL * ++api->id_counter;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    snprintf(out, outlen, "%s%016llx", prefix, (unsigned long long)z);
}

bool cp_body_meeting(cp_call_t *c, bool need_organizer, cp_meeting_spec_t *spec) {
    static const char *const fields[] = {"id",  "organizer",  "subject", "start",
                                         "end", "expected_participants", "modalities",
                                         "pool", NULL};
    long long expected = 0;
    bool has_expected;
    memset(spec, 0, sizeof *spec);
    if (!cp_body_parse(c, true) || !cp_body_only(c, fields) ||
        !cp_body_id(c, "id", false, &spec->id) ||
        !cp_body_str(c, "organizer", need_organizer, 256, &spec->organizer) ||
        !cp_body_str(c, "subject", false, 1024, &spec->subject) ||
        !cp_body_time(c, "start", &spec->start) || !cp_body_time(c, "end", &spec->end) ||
        !cp_body_int(c, "expected_participants", 1, 1000000, &has_expected, &expected) ||
        !cp_body_modalities(c, "modalities", &spec->modalities) ||
        !cp_body_id(c, "pool", false, &spec->pool))
        return false;
    spec->expected = has_expected ? (uint32_t)expected : 0;
    return true;
}

void cp_h_meeting_create(cp_call_t *c) {
    cp_meeting_spec_t spec;
    if (!cp_body_meeting(c, true, &spec))
        return;
    char gen[CP_ID_MAX + 1];
    cp_engine_t *e = c->api->engine;
    if (spec.id == NULL) {
        do
            cp__gen_id(c->api, gen, sizeof gen, "m-");
        while (cp_engine_meeting(e, gen, strlen(gen)));
        spec.id = gen;
    }
    const char *id = spec.id;
    snprintf(c->id, sizeof c->id, "%s", id);
    cp_meeting_t *m;
    const char *why;
    cp_status_t st = cp_engine_meeting_create(e, &spec, c->now, &m, &why);
    cp_events_meeting_create(c->now, &spec, st);
    if (st == CP_E_CONFLICT) {
        cp_reply_error(c, 409, "conflict", "meeting '%s' already exists", id);
        return;
    }
    if (st == CP_E_INVALID) {
        cp_reply_error(c, 400, "invalid_field", "%s", why ? why : "invalid meeting");
        return;
    }
    if (st == CP_E_CAPACITY) {
        cp_reply_capacity(c, &spec);
        return;
    }
    char loc[96];
    snprintf(loc, sizeof loc, "/v1/meetings/%s", m->id);
    cp_http_resp_header(c->resp, "Location", loc);
    cp__reply_meeting(c, 201, m);
}

void cp_h_meeting_get(cp_call_t *c) {
    cp_meeting_t *m = cp__lookup(c);
    if (m)
        cp__reply_meeting(c, 200, m);
}

void cp_h_meetings_list(cp_call_t *c) {
    char v[80];
    bool bad = false, has_state = false;
    cp_meeting_state_t state = CP_MEETING_SCHEDULED;
    char pool[CP_ID_MAX + 1] = "";
    long limit = 100;
    uint64_t cursor = 0;
    cp_slice_t q = c->req->query;
    if (cp_query_get(q, "state", v, sizeof v, &bad) && v[0]) {
        if (bad || !cp_meeting_state_parse(v, &state)) {
            cp_reply_error(c, 400, "invalid_field", "'state' must be scheduled, active or ended");
            return;
        }
        has_state = true;
    }
    if (cp_query_get(q, "pool", v, sizeof v, &bad) && v[0]) {
        if (bad || !cp_id_valid(v, strlen(v))) {
            cp_reply_error(c, 400, "invalid_field", "'pool' must match [A-Za-z0-9._-]{1,64}");
            return;
        }
        memcpy(pool, v, strlen(v) + 1); /* valid ids fit */
    }
    if (cp_query_get(q, "limit", v, sizeof v, &bad) && v[0]) {
        char *end;
        limit = strtol(v, &end, 10);
        if (bad || *end || limit < 1 || limit > 1000) {
            cp_reply_error(c, 400, "invalid_field", "'limit' must be an integer from 1 to 1000");
            return;
        }
    }
    if (cp_query_get(q, "cursor", v, sizeof v, &bad) && v[0]) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (bad || *end || v[0] == '-') {
            cp_reply_error(c, 400, "invalid_field", "'cursor' is not one this server returned");
            return;
        }
        cursor = x;
    }
    cp_engine_t *e = c->api->engine;
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "meetings");
    cp_jw_arr(&w);
    long n = 0;
    uint64_t last = cursor;
    bool more = false;
    for (cp_meeting_t *m = cp_engine_meeting_after(e, cursor); m;
         m = cp_engine_meeting_after(e, m->seq)) {
        if ((has_state && m->state != state) || (pool[0] && strcmp(m->pool->name, pool) != 0))
            continue;
        if (n == limit) {
            more = true;
            break;
        }
        cp_render_meeting(&w, e, m);
        last = m->seq;
        n++;
    }
    cp_jw_arr_end(&w);
    cp_jw_key(&w, "next");
    if (more) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)last);
        cp_jw_str(&w, v);
    } else {
        cp_jw_null(&w);
    }
    cp_jw_obj_end(&w);
}

static void cp__log_end(cp_call_t *c, const char *how) {
    cp_log(CP_LOG_INFO, how, "meeting=%s", c->id);
}

void cp_h_meeting_delete(cp_call_t *c) {
    cp_meeting_t *m = cp__lookup(c);
    if (m == NULL)
        return;
    cp_status_t st = cp_engine_meeting_end(c->api->engine, m, c->now);
    cp_events_meeting_end(c->now, c->id, st);
    if (st != CP_OK) {
        cp_reply_status(c, st, "meeting");
        return;
    }
    cp__log_end(c, "meeting cancelled");
    c->resp->status = 204;
}

void cp_h_meeting_end(cp_call_t *c) {
    cp_meeting_t *m = cp__lookup(c);
    if (m == NULL)
        return;
    cp_status_t st = cp_engine_meeting_end(c->api->engine, m, c->now);
    cp_events_meeting_end(c->now, c->id, st);
    if (st != CP_OK) {
        cp_reply_status(c, st, "meeting");
        return;
    }
    cp__log_end(c, "meeting ended");
    cp__reply_meeting(c, 200, m);
}

/* Joins and logs the decision; on success fills *out and returns true,
 * otherwise the error reply is written. */
static bool cp__join(cp_call_t *c, cp_meeting_t *m, const char *pid, unsigned mods,
                     cp_join_t *out) {
    /* Only a join that may place the meeting is timed: a sticky join, the
     * common case, reads no clock for the placement histogram. */
    bool may_place = m->state != CP_MEETING_ACTIVE || m->server == NULL ||
                     m->server->state == CP_SERVER_DOWN;
    uint64_t t0 = may_place ? cp_clock_mono_ns() : 0;
    cp_status_t st = cp_engine_join(c->api->engine, m, pid, strlen(pid), mods, c->now, out);
    cp_events_join(c->now, m->id, pid, mods, st, out);
    cp_obs_join(c->api->obs, c, m, st, out, may_place ? cp_clock_mono_ns() - t0 : 0);
    if (st == CP_OK) {
        if (out->rehomed)
            cp_log(CP_LOG_WARN, "meeting re-homed", "meeting=%s from=%s to=%s", m->id,
                   m->rehomed_from, out->server->id);
        if (out->activated)
            cp_log(CP_LOG_INFO, "placement",
                   "meeting=%s pool=%s server=%s util_before=%.4f util_after=%.4f policy=%s "
                   "result=placed",
                   m->id, m->pool->name, out->server->id, out->util_before, out->util_after,
                   cp_policy_name(out->policy));
        return true;
    }
    /* A pool_full refusal chose no server, so it has no utilization. */
    if (st == CP_E_POOL_FULL)
        cp_log(CP_LOG_WARN, "placement",
               "meeting=%s pool=%s server=none policy=%s result=refused reason=%s", m->id,
               m->pool->name, cp_policy_name(out->policy), cp_status_name(st));
    else if (st == CP_E_MEETING_FULL)
        cp_log(CP_LOG_WARN, "placement",
               "meeting=%s pool=%s server=%s util_before=%.4f util_after=%.4f policy=%s "
               "result=refused reason=%s",
               m->id, m->pool->name, out->server ? out->server->id : "none", out->util_before,
               out->util_after, cp_policy_name(out->policy), cp_status_name(st));
    cp_reply_status(c, st, "meeting");
    return false;
}

static void cp__render_join(cp_jw_t *w, const cp_meeting_t *m, const cp_join_t *j) {
    cp_jw_obj(w);
    cp_jw_key(w, "meeting");
    cp_jw_str(w, m->id);
    cp_jw_key(w, "server");
    cp_jw_obj(w);
    cp_jw_key(w, "id");
    cp_jw_str(w, j->server->id);
    cp_jw_key(w, "address");
    cp_jw_str(w, j->server->address);
    cp_jw_obj_end(w);
    cp_jw_key(w, "participants");
    cp_jw_int(w, j->participants);
    cp_jw_obj_end(w);
}

void cp_h_meeting_join(cp_call_t *c) {
    static const char *const fields[] = {"participant", "modalities", NULL};
    cp_meeting_t *m = cp__lookup(c);
    const char *pid;
    unsigned mods;
    if (m == NULL || !cp_body_parse(c, true) || !cp_body_only(c, fields) ||
        !cp_body_id(c, "participant", true, &pid) || !cp_body_modalities(c, "modalities", &mods))
        return;
    cp_join_t j;
    if (!cp__join(c, m, pid, mods, &j))
        return;
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp__render_join(&w, m, &j);
}

void cp_h_meeting_leave(cp_call_t *c) {
    static const char *const fields[] = {"participant", NULL};
    cp_meeting_t *m = cp__lookup(c);
    const char *pid;
    if (m == NULL || !cp_body_parse(c, true) || !cp_body_only(c, fields) ||
        !cp_body_id(c, "participant", true, &pid))
        return;
    cp_status_t st = cp_engine_leave(c->api->engine, m, pid, strlen(pid), c->now);
    cp_events_leave(c->now, m->id, pid, st);
    if (st != CP_OK) {
        cp_reply_status(c, st, "meeting");
        return;
    }
    c->resp->status = 204;
}

void cp_h_join_redirect(cp_call_t *c) {
    cp_meeting_t *m = cp__lookup(c);
    if (m == NULL)
        return;
    char pid[CP_ID_MAX + 1];
    bool bad = false;
    if (cp_query_get(c->req->query, "participant", pid, sizeof pid, &bad)) {
        if (bad || !cp_id_valid(pid, strlen(pid))) {
            cp_reply_error(c, 400, "invalid_field", "'participant' must match [A-Za-z0-9._-]{1,64}");
            return;
        }
    } else {
        cp__gen_id(c->api, pid, sizeof pid, "anon-");
    }
    cp_join_t j;
    if (!cp__join(c, m, pid, 0, &j))
        return;
    char loc[512];
    snprintf(loc, sizeof loc, "https://%s/%s", j.server->address, m->id);
    cp_http_resp_header(c->resp, "Location", loc);
    cp_jw_t w;
    cp_reply_json(c, 302, &w);
    cp__render_join(&w, m, &j);
}
