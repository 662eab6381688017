/* cp_api_pool.c — /healthz and the pool summary /v1/pool. */
#include <string.h>

#include "api/cp_api_int.h"

void cp_h_healthz(cp_call_t *c) {
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "status");
    cp_jw_str(&w, "ok");
    cp_jw_obj_end(&w);
}

void cp_h_pool(cp_call_t *c) {
    char name[CP_ID_MAX + 1] = "default";
    bool bad = false;
    if (cp_query_get(c->req->query, "pool", name, sizeof name, &bad) &&
        (bad || !cp_id_valid(name, strlen(name)))) {
        cp_reply_error(c, 400, "invalid_field", "'pool' must match [A-Za-z0-9._-]{1,64}");
        return;
    }
    cp_pool_t *p = cp_engine_pool(c->api->engine, name);
    if (p == NULL) {
        cp_reply_error(c, 404, "not_found", "no pool '%s'", name);
        return;
    }
    cp_pool_stats_t st;
    cp_engine_pool_stats(c->api->engine, p, &st);
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "pool");
    cp_jw_str(&w, p->name);
    cp_jw_key(&w, "policy");
    cp_jw_str(&w, cp_policy_name(p->policy));
    cp_jw_key(&w, "servers");
    cp_jw_int(&w, st.servers);
    cp_jw_key(&w, "up");
    cp_jw_int(&w, st.up);
    cp_jw_key(&w, "capacity");
    cp_jw_units(&w, st.capacity);
    cp_jw_key(&w, "load");
    cp_jw_units(&w, st.load);
    cp_jw_key(&w, "utilization");
    cp_jw_fixed(&w, st.utilization, 4);
    cp_jw_key(&w, "active_meetings");
    cp_jw_int(&w, st.active_meetings);
    cp_jw_key(&w, "participants");
    cp_jw_int(&w, st.participants);
    cp_jw_key(&w, "imbalance");
    cp_jw_fixed(&w, st.imbalance, 4);
    cp_jw_obj_end(&w);
}
