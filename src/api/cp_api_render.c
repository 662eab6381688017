/* cp_api_render.c — engine objects as the API's JSON objects. */
#include "api/cp_api_int.h"

void cp_render_modalities(cp_jw_t *w, unsigned mods) {
    cp_jw_arr(w);
    for (unsigned bit = 1; bit <= CP_MOD_SHARING; bit <<= 1)
        if (mods & bit)
            cp_jw_str(w, cp_modality_name(bit));
    cp_jw_arr_end(w);
}

void cp_render_server(cp_jw_t *w, const cp_engine_t *e, const cp_server_t *s) {
    cp_jw_obj(w);
    cp_jw_key(w, "id");
    cp_jw_str(w, s->id);
    cp_jw_key(w, "address");
    cp_jw_str(w, s->address);
    cp_jw_key(w, "pool");
    cp_jw_str(w, s->pool->name);
    cp_jw_key(w, "region");
    cp_jw_str_or_null(w, s->region);
    cp_jw_key(w, "capacity");
    cp_jw_units(w, s->capacity);
    cp_jw_key(w, "state");
    cp_jw_str(w, cp_server_state_name(s->state));
    cp_jw_key(w, "load");
    cp_jw_obj(w);
    cp_jw_key(w, "other");
    cp_jw_units(w, s->other_load);
    cp_jw_key(w, "conference");
    cp_jw_units(w, s->conf_load);
    cp_jw_key(w, "total");
    cp_jw_units(w, cp_server_load(s));
    cp_jw_key(w, "utilization");
    cp_jw_fixed(w, cp_server_utilization(s), 4);
    cp_jw_obj_end(w);
    cp_jw_key(w, "meetings");
    cp_jw_int(w, s->meetings);
    cp_jw_key(w, "participants");
    cp_jw_int(w, s->participants);
    cp_jw_key(w, "last_report");
    cp_jw_time(w, s->last_report);
    cp_jw_key(w, "empty_since");
    cp_jw_time(w, s->empty_since);
    cp_jw_key(w, "report_interval");
    if (s->report_interval > 0)
        cp_jw_fixed(w, (double)s->report_interval / 1000.0, 3);
    else
        cp_jw_null(w);
    cp_jw_key(w, "down_since");
    cp_jw_time(w, s->state == CP_SERVER_DOWN ? s->down_since : CP_TIME_NONE);
    cp_jw_key(w, "down_reason");
    cp_jw_str_or_null(w, s->state == CP_SERVER_DOWN ? cp_down_reason_name(s->down_reason) : NULL);
    cp_jw_key(w, "held");
    cp_jw_bool(w, cp_server_held(e, s));
    cp_jw_key(w, "holds");
    cp_jw_arr(w);
    for (uint32_t i = 0; i < s->nholds; i++)
        cp_jw_str(w, s->holds[i]->id);
    cp_jw_arr_end(w);
    cp_jw_obj_end(w);
}

void cp_render_plan(cp_jw_t *w, const cp_plan_t *p) {
    if (p == NULL || p->status == CP_PLAN_NONE) {
        cp_jw_null(w);
        return;
    }
    cp_jw_obj(w);
    cp_jw_key(w, "status");
    cp_jw_str(w, cp_plan_status_name(p->status));
    cp_jw_key(w, "host");
    cp_jw_str_or_null(w, p->host_id[0] ? p->host_id : NULL);
    cp_jw_key(w, "hold_from");
    cp_jw_time(w, p->host_id[0] ? p->hold_from : CP_TIME_NONE);
    cp_jw_key(w, "reason");
    cp_jw_str_or_null(w, p->reason[0] ? p->reason : NULL);
    cp_jw_key(w, "suggested_start");
    cp_jw_time(w, p->suggested_start);
    cp_jw_key(w, "hold_until");
    cp_jw_time(w, p->host_id[0] ? p->hold_until : CP_TIME_NONE);
    cp_jw_key(w, "free_at");
    cp_jw_time(w, p->free_at);
    cp_jw_key(w, "lead");
    cp_jw_int(w, p->lead / 1000);
    cp_jw_key(w, "load");
    cp_jw_units(w, p->load);
    cp_jw_key(w, "cascade_servers");
    if (p->cascade_servers)
        cp_jw_int(w, p->cascade_servers);
    else
        cp_jw_null(w);
    cp_jw_obj_end(w);
}

void cp_render_meeting(cp_jw_t *w, const cp_engine_t *e, const cp_meeting_t *m) {
    cp_jw_obj(w);
    cp_jw_key(w, "id");
    cp_jw_str(w, m->id);
    cp_jw_key(w, "organizer");
    cp_jw_str(w, m->organizer);
    cp_jw_key(w, "subject");
    cp_jw_str_or_null(w, m->subject);
    cp_jw_key(w, "start");
    cp_jw_time(w, m->start);
    cp_jw_key(w, "end");
    cp_jw_time(w, m->end);
    cp_jw_key(w, "expected_participants");
    cp_jw_int(w, m->expected);
    cp_jw_key(w, "modalities");
    cp_render_modalities(w, m->modalities);
    cp_jw_key(w, "pool");
    cp_jw_str(w, m->pool->name);
    cp_jw_key(w, "state");
    cp_jw_str(w, cp_meeting_state_name(m->state));
    cp_jw_key(w, "server");
    cp_jw_str_or_null(w, m->server ? m->server->id : NULL);
    cp_jw_key(w, "participants");
    cp_jw_int(w, m->participants);
    cp_jw_key(w, "peak_participants");
    cp_jw_int(w, m->peak);
    cp_jw_key(w, "predicted_load");
    cp_jw_units(w, cp_engine_meeting_load(e, m));
    cp_jw_key(w, "created");
    cp_jw_time(w, m->created);
    cp_jw_key(w, "activated");
    cp_jw_time(w, m->state == CP_MEETING_ACTIVE ? m->activated : CP_TIME_NONE);
    cp_jw_key(w, "rehomed_from");
    cp_jw_str_or_null(w, m->rehomed_from[0] ? m->rehomed_from : NULL);
    cp_jw_key(w, "servers");
    cp_jw_arr(w);
    for (uint32_t i = 0; m->state == CP_MEETING_ACTIVE && i < cp_meeting_nlegs(m); i++) {
        const cp_leg_t *l = cp_meeting_leg_c(m, i);
        if (l->server)
            cp_jw_str(w, l->server->id);
    }
    cp_jw_arr_end(w);
    cp_jw_key(w, "plan");
    cp_render_plan(w, m->plan);
    cp_jw_obj_end(w);
}
