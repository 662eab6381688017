/* cp_api_large.c — large meetings through the API: rescheduling
 * (PATCH /v1/meetings/{id}), the planner's dry run (POST /v1/plan), and the
 * 409 capacity_unavailable refusal of strict mode. */
#include <stdio.h>
#include <string.h>

#include "api/cp_api_int.h"
#include "api/cp_events.h"
#include "util/base/cp_time.h"
#include "util/cp_log.h"

void cp_reply_capacity(cp_call_t *c, const cp_meeting_spec_t *spec) {
    cp_plan_t p;
    cp_engine_plan(c->api->engine, spec, c->now, &p);
    char when[CP_TIME_STRLEN] = "none";
    if (p.suggested_start != CP_TIME_NONE)
        cp_time_format(p.suggested_start, when);
    char msg[400];
    snprintf(msg, sizeof msg, "cannot plan room for this large meeting: %s; nearest start that fits: %s",
             p.reason[0] ? p.reason : "no server can be made free", when);
    cp_jw_t w;
    cp_reply_json(c, 409, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "error");
    cp_jw_obj(&w);
    cp_jw_key(&w, "code");
    cp_jw_str(&w, "capacity_unavailable");
    cp_jw_key(&w, "message");
    cp_jw_str(&w, msg);
    cp_jw_key(&w, "suggested_start");
    cp_jw_time(&w, p.suggested_start);
    cp_jw_key(&w, "plan");
    cp_render_plan(&w, &p);
    cp_jw_obj_end(&w);
    cp_jw_obj_end(&w);
    cp_log(CP_LOG_WARN, "large meeting refused", "meeting=%s reason=%s", c->id,
           cp_log_quote(p.reason));
}

void cp_h_plan(cp_call_t *c) {
    cp_meeting_spec_t spec;
    if (!cp_body_meeting(c, false, &spec))
        return;
    if (spec.start != CP_TIME_NONE && spec.end != CP_TIME_NONE && spec.end <= spec.start) {
        cp_reply_error(c, 400, "invalid_field", "end must be after start");
        return;
    }
    cp_plan_t p;
    if (cp_engine_plan(c->api->engine, &spec, c->now, &p) != CP_OK) {
        cp_reply_error(c, 400, "invalid_field", "unknown pool: no server has been registered in it");
        return;
    }
    const cp_engine_config_t *cfg = cp_engine_config(c->api->engine);
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "large");
    cp_jw_bool(&w, p.status != CP_PLAN_NONE);
    cp_jw_key(&w, "large_threshold");
    cp_jw_int(&w, cfg->large_threshold);
    cp_jw_key(&w, "plan");
    cp_render_plan(&w, &p);
    cp_jw_obj_end(&w);
}

void cp_h_meeting_update(cp_call_t *c) {
    static const char *const fields[] = {"start", "end", "expected_participants", "subject",
                                         NULL};
    cp_meeting_t *m = cp_engine_meeting(c->api->engine, c->id, strlen(c->id));
    if (m == NULL) {
        cp_reply_error(c, 404, "not_found", "no meeting '%s'", c->id);
        return;
    }
    const char *subject;
    long long expected = 0;
    bool has_expected;
    cp_meeting_update_t u = {0};
    if (!cp_body_parse(c, true) || !cp_body_only(c, fields) ||
        !cp_body_time(c, "start", &u.start) || !cp_body_time(c, "end", &u.end) ||
        !cp_body_int(c, "expected_participants", 1, 1000000, &has_expected, &expected) ||
        !cp_body_str(c, "subject", false, 1024, &subject))
        return;
    u.has_start = json_object_get(c->body, "start") != NULL;
    u.has_end = json_object_get(c->body, "end") != NULL;
    u.has_expected = has_expected;
    u.expected = (uint32_t)expected;
    u.has_subject = json_object_get(c->body, "subject") != NULL;
    u.subject = subject;
    const char *why;
    cp_status_t st = cp_engine_meeting_update(c->api->engine, m, &u, c->now, &why);
    cp_events_meeting_update(c->now, m->id, &u, st);
    switch (st) {
    case CP_OK: break;
    case CP_E_CONFLICT:
        cp_reply_error(c, 409, "conflict", "meeting '%s' is active: %s", c->id,
                       why ? why : "it cannot be rescheduled");
        return;
    case CP_E_INVALID: cp_reply_error(c, 400, "invalid_field", "%s", why); return;
    case CP_E_CAPACITY: {
        cp_meeting_spec_t spec = {.pool = m->pool->name,
                                  .start = u.has_start ? u.start : m->start,
                                  .end = u.has_end ? u.end : m->end,
                                  .expected = u.has_expected ? u.expected : m->expected,
                                  .modalities = m->modalities};
        cp_reply_capacity(c, &spec);
        return;
    }
    default: cp_reply_status(c, st, "meeting"); return;
    }
    cp_log(CP_LOG_INFO, "meeting rescheduled", "meeting=%s plan=%s", m->id,
           m->plan ? cp_plan_status_name(m->plan->status) : "none");
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_render_meeting(&w, c->api->engine, m);
}
