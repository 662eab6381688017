/* cp_api_decisions.c — the ring of recent placement decisions and
 * GET /v1/decisions, which the dashboard polls.
 *
 * Fixed-size entries in a fixed array: adding one is a copy, never an
 * allocation. The ring lives in memory only; a restart empties it (the
 * log has every decision, with the same request id). */
#include <stdlib.h>
#include <string.h>

#include "api/cp_api_obs.h"

void cp_decisions_add(cp_decisions_t *r, const cp_decision_t *d) {
    r->ring[r->total % CP_DECISIONS_MAX] = *d;
    r->total++;
}

const cp_decision_t *cp_decisions_get(const cp_decisions_t *r, size_t i) {
    if (i >= CP_DECISIONS_MAX || i >= r->total)
        return NULL;
    return &r->ring[(r->total - 1 - i) % CP_DECISIONS_MAX];
}

static void cp__render(cp_jw_t *w, const cp_decision_t *d) {
    cp_jw_obj(w);
    cp_jw_key(w, "time");
    cp_jw_time(w, d->at);
    cp_jw_key(w, "request");
    cp_jw_int(w, (int64_t)d->req);
    cp_jw_key(w, "meeting");
    cp_jw_str(w, d->meeting);
    cp_jw_key(w, "pool");
    cp_jw_str(w, d->pool);
    cp_jw_key(w, "policy");
    cp_jw_str(w, cp_policy_name(d->policy));
    cp_jw_key(w, "result");
    cp_jw_str(w, d->result == CP_DECISION_PLACED ? "placed" : "refused");
    cp_jw_key(w, "reason");
    cp_jw_str_or_null(w, d->result == CP_DECISION_PLACED ? NULL : cp_status_name(d->reason));
    cp_jw_key(w, "server");
    cp_jw_str_or_null(w, d->server[0] ? d->server : NULL);
    cp_jw_key(w, "util_before");
    if (d->server[0])
        cp_jw_fixed(w, d->util_before, 4);
    else
        cp_jw_null(w);
    cp_jw_key(w, "util_after");
    if (d->server[0])
        cp_jw_fixed(w, d->util_after, 4);
    else
        cp_jw_null(w);
    cp_jw_obj_end(w);
}

void cp_h_decisions(cp_call_t *c) {
    char v[16], pool[CP_ID_MAX + 1] = "";
    bool bad = false;
    long limit = 50;
    if (cp_query_get(c->req->query, "limit", v, sizeof v, &bad) && v[0]) {
        char *end;
        limit = strtol(v, &end, 10);
        if (bad || *end || limit < 1 || limit > CP_DECISIONS_MAX) {
            cp_reply_error(c, 400, "invalid_field", "'limit' must be an integer from 1 to %d",
                           CP_DECISIONS_MAX);
            return;
        }
    }
    bad = false;
    if (cp_query_get(c->req->query, "pool", pool, sizeof pool, &bad) && pool[0] &&
        (bad || !cp_id_valid(pool, strlen(pool)))) {
        cp_reply_error(c, 400, "invalid_field", "'pool' must match [A-Za-z0-9._-]{1,64}");
        return;
    }
    const cp_decisions_t *r = cp_obs_decisions(c->api->obs);
    const cp_engine_config_t *cfg = cp_engine_config(c->api->engine);
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "thresholds");
    cp_jw_obj(&w);
    cp_jw_key(&w, "new_meeting");
    cp_jw_fixed(&w, cfg->new_meeting_below, 4);
    cp_jw_key(&w, "join");
    cp_jw_fixed(&w, cfg->join_below, 4);
    cp_jw_obj_end(&w);
    cp_jw_key(&w, "total");
    cp_jw_int(&w, (int64_t)r->total);
    cp_jw_key(&w, "decisions");
    cp_jw_arr(&w);
    long n = 0;
    const cp_decision_t *d;
    for (size_t i = 0; n < limit && (d = cp_decisions_get(r, i)); i++) {
        if (pool[0] && strcmp(pool, d->pool) != 0)
            continue;
        cp__render(&w, d);
        n++;
    }
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
}
