/* cp_api_metrics.c — the API's metrics: families, the pre-resolved series
 * of each route, status and pool, the gauges computed from the engine at
 * scrape time, and GET /metrics.
 *
 * Series are resolved the first time a (route, status) or (pool, policy)
 * is seen and cached here, so a request that has been seen before records
 * itself with a short scan of a small array and atomic additions. */
#include <stdio.h>
#include <string.h>

#include "api/cp_api_obs.h"
#include "util/base/cp_alloc.h"
#include "util/cp_prom.h"

/* Statuses a route answers with, cached per route; more is never seen
 * (the API uses about a dozen codes), and any beyond share "other". */
#define CP__STATUSES 16

/* Buckets, in seconds. Placement is microseconds (the engine decides in
 * well under 10 µs); a request in the loop is tens of microseconds; a
 * commit is an fsync, milliseconds. */
static const double cp__place_bounds[] = {1e-6,   2.5e-6, 5e-6,   1e-5, 2.5e-5, 5e-5,
                                          1e-4,   2.5e-4, 5e-4,   1e-3, 5e-3};
static const double cp__http_bounds[] = {2.5e-5, 5e-5,  1e-4,  2.5e-4, 5e-4, 1e-3, 2.5e-3,
                                         5e-3,   1e-2,  2.5e-2, 5e-2, 0.1,  0.25, 0.5, 1};
static const double cp__commit_bounds[] = {2.5e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2,
                                           5e-2,   0.1,  0.25, 0.5,  1,    2.5};

typedef struct cp__status_slot {
    int status;
    cp_histogram_t *h;
} cp__status_slot_t;

typedef struct cp__route_series {
    cp__status_slot_t slots[CP__STATUSES];
    size_t n;
} cp__route_series_t;

/* Counters of one pool under one policy. */
typedef struct cp__pool_series {
    const cp_pool_t *pool;
    cp_policy_t policy;
    cp_counter_t *placed, *refused;
    cp_counter_t *pool_full, *meeting_full;
    cp_histogram_t *decide;
} cp__pool_series_t;

struct cp_api_obs {
    cp_api_t *api;
    cp_metrics_t *reg;
    cp_metric_family_t *f_http, *f_place, *f_refuse, *f_decide, *f_commit;
    cp_histogram_t *commit;
    size_t nroutes;
    cp__route_series_t *routes; /* nroutes + 1: the last is "no route" */
    cp__pool_series_t *pools;
    size_t npools, pools_cap;
    cp_decisions_t decisions;
};

static void cp__collect_engine(void *ctx, cp_buf_t *out);

cp_api_obs_t *cp_obs_new(cp_api_t *api, size_t nroutes) {
    cp_api_obs_t *o = cp_calloc(1, sizeof *o);
    o->api = api;
    o->reg = cp_metrics_new();
    o->nroutes = nroutes;
    o->routes = cp_calloc(nroutes + 1, sizeof *o->routes);
    cp_metrics_t *r = o->reg;
    o->f_place = cp_metrics_counter(
        r, "confpool_placements_total",
        "Placement decisions (first joins that activate a meeting), by result: placed or "
        "refused (no server may take the meeting: pool_full).",
        "pool,policy,result");
    o->f_refuse = cp_metrics_counter(
        r, "confpool_refusals_total",
        "Joins refused with 503, by reason: pool_full (no server may take a new meeting) or "
        "meeting_full (the meeting's server is past the join threshold).",
        "pool,reason");
    o->f_decide = cp_metrics_histogram(
        r, "confpool_placement_decision_seconds",
        "Engine time to decide a placement (activations and pool_full refusals).", "pool",
        cp__place_bounds, sizeof cp__place_bounds / sizeof cp__place_bounds[0]);
    o->f_http = cp_metrics_histogram(
        r, "confpool_http_request_duration_seconds",
        "Time to handle a request in the event loop, from parsed request to reply produced, by "
        "route pattern, method and status. Excludes the wait for the group commit (see "
        "confpool_db_commit_duration_seconds) and requests the HTTP layer refused itself.",
        "method,route,status", cp__http_bounds, sizeof cp__http_bounds / sizeof cp__http_bounds[0]);
    o->f_commit = cp_metrics_histogram(
        r, "confpool_db_commit_duration_seconds",
        "Time of one group commit (one SQLite transaction and fsync) on the writer thread.", NULL,
        cp__commit_bounds, sizeof cp__commit_bounds / sizeof cp__commit_bounds[0]);
    o->commit = cp_metrics_histogram_at(o->f_commit);
    cp_metrics_add_collector(r, cp__collect_engine, o);
    return o;
}

void cp_obs_free(cp_api_obs_t *o) {
    if (!o)
        return;
    cp_metrics_free(o->reg);
    cp_free(o->routes);
    cp_free(o->pools);
    cp_free(o);
}

cp_metrics_t *cp_obs_registry(cp_api_obs_t *o) { return o->reg; }
cp_histogram_t *cp_obs_commit_histogram(cp_api_obs_t *o) { return o->commit; }
cp_decisions_t *cp_obs_decisions(cp_api_obs_t *o) { return &o->decisions; }

/* ---- recording --------------------------------------------------------------- */

/* The route label: the pattern with {id} for its wildcard segment,
 * e.g. /v1/servers/{id}/drain. */
static void cp__route_label(const char *pattern, char *out, size_t n) {
    size_t o = 0;
    for (const char *p = pattern; *p && o + 5 < n; p++) {
        if (*p == '*') {
            memcpy(out + o, "{id}", 4);
            o += 4;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static cp_histogram_t *cp__route_hist(cp_api_obs_t *o, int route, const char *method,
                                      const char *pattern, int status) {
    cp__route_series_t *rs = &o->routes[route >= 0 ? (size_t)route : o->nroutes];
    for (size_t i = 0; i < rs->n; i++)
        if (rs->slots[i].status == status)
            return rs->slots[i].h;
    /* First time this route answers with this status: resolve the series. */
    char label[128], st[16];
    if (route >= 0)
        cp__route_label(pattern, label, sizeof label);
    else
        snprintf(label, sizeof label, "unmatched");
    bool full = rs->n == CP__STATUSES - 1;
    snprintf(st, sizeof st, full ? "other" : "%d", status);
    cp_histogram_t *h = cp_metrics_histogram_at(o->f_http, route >= 0 ? method : "any", label, st);
    if (full)
        return h; /* the last slot stays free: "other" resolves again (rare) */
    rs->slots[rs->n++] = (cp__status_slot_t){status, h};
    return h;
}

void cp_obs_request(cp_api_obs_t *o, int route, const char *method, const char *pattern,
                    int status, uint64_t ns) {
    cp_histogram_observe(cp__route_hist(o, route, method, pattern, status), (double)ns * 1e-9);
}

static cp__pool_series_t *cp__pool(cp_api_obs_t *o, const cp_pool_t *p, cp_policy_t policy) {
    for (size_t i = 0; i < o->npools; i++)
        if (o->pools[i].pool == p && o->pools[i].policy == policy)
            return &o->pools[i];
    if (o->npools == o->pools_cap) {
        o->pools_cap = o->pools_cap ? o->pools_cap * 2 : 4;
        o->pools = cp_reallocarray(o->pools, o->pools_cap, sizeof *o->pools);
    }
    const char *pol = cp_policy_name(policy);
    cp__pool_series_t *ps = &o->pools[o->npools++];
    *ps = (cp__pool_series_t){
        .pool = p,
        .policy = policy,
        .placed = cp_metrics_counter_at(o->f_place, p->name, pol, "placed"),
        .refused = cp_metrics_counter_at(o->f_place, p->name, pol, "refused"),
        .pool_full = cp_metrics_counter_at(o->f_refuse, p->name, "pool_full"),
        .meeting_full = cp_metrics_counter_at(o->f_refuse, p->name, "meeting_full"),
        .decide = cp_metrics_histogram_at(o->f_decide, p->name),
    };
    return ps;
}

void cp_obs_join(cp_api_obs_t *o, const cp_call_t *c, const cp_meeting_t *m, cp_status_t st,
                 const cp_join_t *j, uint64_t ns) {
    bool placed = st == CP_OK && j->activated;
    if (!placed && st != CP_E_POOL_FULL && st != CP_E_MEETING_FULL)
        return;
    cp__pool_series_t *ps = cp__pool(o, m->pool, j->policy);
    if (placed) {
        cp_counter_inc(ps->placed);
        cp_histogram_observe(ps->decide, (double)ns * 1e-9);
    } else if (st == CP_E_POOL_FULL) {
        cp_counter_inc(ps->refused);
        cp_counter_inc(ps->pool_full);
        cp_histogram_observe(ps->decide, (double)ns * 1e-9);
    } else {
        cp_counter_inc(ps->meeting_full);
    }
    cp_decision_t d = {.at = c->now,
                       .req = c->req->id,
                       .result = placed ? CP_DECISION_PLACED : CP_DECISION_REFUSED,
                       .reason = placed ? CP_OK : st,
                       .policy = j->policy,
                       .util_before = j->server ? j->util_before : 0,
                       .util_after = j->server ? j->util_after : 0};
    snprintf(d.meeting, sizeof d.meeting, "%s", m->id);
    snprintf(d.pool, sizeof d.pool, "%s", m->pool->name);
    snprintf(d.server, sizeof d.server, "%s", j->server ? j->server->id : "");
    cp_decisions_add(&o->decisions, &d);
}

/* ---- gauges computed at scrape time ------------------------------------------ */

typedef double (*cp__server_value_fn)(const cp_server_t *s);

static double cp__v_capacity(const cp_server_t *s) { return (double)s->capacity / CP_MU_PER_UNIT; }
static double cp__v_other(const cp_server_t *s) { return (double)s->other_load / CP_MU_PER_UNIT; }
static double cp__v_conf(const cp_server_t *s) { return (double)s->conf_load / CP_MU_PER_UNIT; }
static double cp__v_util(const cp_server_t *s) { return cp_server_utilization(s); }
static double cp__v_meetings(const cp_server_t *s) { return s->meetings; }
static double cp__v_participants(const cp_server_t *s) { return s->participants; }
static double cp__v_planned(const cp_server_t *s) { return s->nholds; }

static const struct {
    const char *name, *help;
    cp__server_value_fn fn;
} cp__server_gauges[] = {
    {"confpool_server_capacity", "Capacity of a server, in load units.", cp__v_capacity},
    {"confpool_server_other_load",
     "Non-conferencing load reported by a server, in load units.", cp__v_other},
    {"confpool_server_conference_load",
     "Sum of the predicted loads of the meetings a server hosts, in load units.", cp__v_conf},
    {"confpool_server_utilization",
     "(other load + conference load) / capacity of a server. New meetings go only where it "
     "stays at or below confpool_admission_threshold{kind=\"new_meeting\"}.",
     cp__v_util},
    {"confpool_server_meetings", "Active meetings hosted on a server.", cp__v_meetings},
    {"confpool_server_participants", "Participants in the meetings a server hosts.",
     cp__v_participants},
    {"confpool_server_planned_large_meetings",
     "Scheduled large meetings planned on a server (its holds, now or to come).",
     cp__v_planned},
};

static void cp__collect_servers(const cp_engine_t *e, cp_buf_t *out) {
    for (size_t g = 0; g < sizeof cp__server_gauges / sizeof cp__server_gauges[0]; g++) {
        cp_prom_family(out, cp__server_gauges[g].name, "gauge", cp__server_gauges[g].help);
        size_t it = 0;
        const cp_server_t *s;
        while ((s = cp_engine_server_next(e, &it)))
            cp_prom_sample(out, cp__server_gauges[g].name, cp__server_gauges[g].fn(s), "server",
                           s->id, "pool", s->pool->name, NULL);
    }
    cp_prom_family(out, "confpool_server_held", "gauge",
                   "1 while a server is held for a planned large meeting: it takes no new "
                   "meetings so that its meetings end before the large one starts.");
    size_t it = 0;
    const cp_server_t *s;
    while ((s = cp_engine_server_next(e, &it)))
        cp_prom_sample(out, "confpool_server_held", cp_server_held(e, s), "server", s->id,
                       "pool", s->pool->name, NULL);
    cp_prom_family(out, "confpool_server_state", "gauge",
                   "State of a server: 1 for its current state (up, draining, down), else 0.");
    it = 0;
    while ((s = cp_engine_server_next(e, &it)))
        for (int st = CP_SERVER_UP; st <= CP_SERVER_DOWN; st++)
            cp_prom_sample(out, "confpool_server_state", s->state == (cp_server_state_t)st,
                           "server", s->id, "pool", s->pool->name, "state",
                           cp_server_state_name((cp_server_state_t)st), NULL);
}

static void cp__collect_pools(const cp_engine_t *e, cp_buf_t *out) {
    enum { CP__NSTATES = 3 };
    size_t np = 0, it = 0;
    while (cp_engine_pool_next(e, &it))
        np++;
    /* Meetings per pool and state: one pass over every meeting. */
    const cp_pool_t **pools = cp_calloc(np ? np : 1, sizeof *pools);
    uint64_t (*counts)[CP__NSTATES] = cp_calloc(np ? np : 1, sizeof *counts);
    uint64_t *held = cp_calloc(np ? np : 1, sizeof *held);
    it = 0;
    for (size_t i = 0; i < np; i++)
        pools[i] = cp_engine_pool_next(e, &it);
    /* The only O(meetings) part of a scrape, so it touches as little of
     * each meeting as it can: its state, and its pool only when there are
     * several (about 9 ms per 100,000 meetings, cache misses mostly). */
    for (const cp_meeting_t *m = cp_engine_meeting_after(e, 0); m;
         m = cp_engine_meeting_after(e, m->seq)) {
        if ((unsigned)m->state >= CP__NSTATES)
            continue;
        size_t i = 0;
        while (np > 1 && i < np && pools[i] != m->pool)
            i++;
        if (i < np)
            counts[i][m->state]++;
    }
    it = 0;
    for (const cp_server_t *s; (s = cp_engine_server_next(e, &it));)
        for (size_t i = 0; i < np; i++)
            if (pools[i] == s->pool && cp_server_held(e, s))
                held[i]++;
    cp_prom_family(out, "confpool_meetings", "gauge",
                   "Meetings in the conferencing database by pool and state: scheduled (no "
                   "resources), active (hosted on a server), ended (kept until retain_ended).");
    for (size_t i = 0; i < np; i++)
        for (int st = 0; st < CP__NSTATES; st++)
            cp_prom_sample(out, "confpool_meetings", (double)counts[i][st], "pool",
                           pools[i]->name, "state", cp_meeting_state_name((cp_meeting_state_t)st),
                           NULL);
    cp_pool_stats_t *stats = cp_calloc(np ? np : 1, sizeof *stats);
    for (size_t i = 0; i < np; i++)
        cp_engine_pool_stats(e, pools[i], &stats[i]);
    cp_prom_family(out, "confpool_pool_utilization", "gauge",
                   "Load / capacity over the up servers of a pool.");
    for (size_t i = 0; i < np; i++)
        cp_prom_sample(out, "confpool_pool_utilization", stats[i].utilization, "pool",
                       pools[i]->name, NULL);
    cp_prom_family(out, "confpool_pool_imbalance", "gauge",
                   "Maximum server utilization / mean, over the up servers of a pool (1 = even).");
    for (size_t i = 0; i < np; i++)
        cp_prom_sample(out, "confpool_pool_imbalance", stats[i].imbalance, "pool",
                       pools[i]->name, NULL);
    cp_prom_family(out, "confpool_pool_participants", "gauge",
                   "Participants in the active meetings of a pool.");
    for (size_t i = 0; i < np; i++)
        cp_prom_sample(out, "confpool_pool_participants", stats[i].participants, "pool",
                       pools[i]->name, NULL);
    cp_prom_family(out, "confpool_large_meeting_holds", "gauge",
                   "Servers of a pool held now for a planned large meeting (they take no new "
                   "meetings).");
    for (size_t i = 0; i < np; i++)
        cp_prom_sample(out, "confpool_large_meeting_holds", (double)held[i], "pool",
                       pools[i]->name, NULL);
    cp_free(held);
    cp_free(stats);
    cp_free(counts);
    cp_free(pools);
}

static void cp__collect_engine(void *ctx, cp_buf_t *out) {
    cp_api_obs_t *o = ctx;
    const cp_engine_t *e = o->api->engine;
    const cp_engine_config_t *cfg = cp_engine_config(e);
    cp_prom_family(out, "confpool_admission_threshold", "gauge",
                   "Admission thresholds, as utilization: new_meeting (a new meeting goes only "
                   "where utilization after placement is at or below it) and join (joins are "
                   "admitted while utilization after the join is below it).");
    cp_prom_sample(out, "confpool_admission_threshold", cfg->new_meeting_below, "kind",
                   "new_meeting", NULL);
    cp_prom_sample(out, "confpool_admission_threshold", cfg->join_below, "kind", "join", NULL);
    cp__collect_servers(e, out);
    cp__collect_pools(e, out);
}

/* ---- GET /metrics --------------------------------------------------------------- */

void cp_h_metrics(cp_call_t *c) {
    c->resp->status = 200;
    c->resp->content_type = CP_PROM_CONTENT_TYPE;
    cp_buf_clear(&c->resp->body);
    cp_metrics_render(c->api->obs->reg, &c->resp->body);
}
