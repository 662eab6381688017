/* cp_api_obs.h — what the API records for operators: Prometheus metrics
 * (GET /metrics), the ring of recent placement decisions (GET
 * /v1/decisions) and the embedded dashboard (GET /).
 *
 * Recording is on the hot path of every request and every join, so it
 * only touches pre-resolved series: atomic increments and fixed-bucket
 * histograms, no lookup by name and no allocation once a route, status
 * and pool have been seen. Gauges that describe the engine's state (load
 * per server, meeting counts) are computed at scrape time instead. The
 * engine records nothing itself: this layer reads its results. */
#ifndef CP_API_OBS_H
#define CP_API_OBS_H

#include <stddef.h>
#include <stdint.h>

#include "api/cp_api_int.h"
#include "util/cp_metrics.h"

typedef struct cp_api_obs cp_api_obs_t;

/** Creates the registry and its families for an API with nroutes routes;
 *  route i is named by its method and pattern (e.g. GET /v1/servers/{id})
 *  when first used. */
cp_api_obs_t *cp_obs_new(cp_api_t *api, size_t nroutes);
void cp_obs_free(cp_api_obs_t *o);
/** The registry, for the daemon's own collectors and the writer's commit
 *  histogram. */
cp_metrics_t *cp_obs_registry(cp_api_obs_t *o);
/** The histogram the writer thread records commit times into. */
cp_histogram_t *cp_obs_commit_histogram(cp_api_obs_t *o);

/** Records one handled request. route is the index in the route table, or
 *  -1 when none matched (404, 405); pattern is its pattern ("*" for the
 *  id segment), method its method name; ns the time to handle it. */
void cp_obs_request(cp_api_obs_t *o, int route, const char *method, const char *pattern,
                    int status, uint64_t ns);

/** Records the outcome of a join that made a decision: an activation
 *  (placement), a pool_full refusal or a meeting_full refusal. Other
 *  outcomes (sticky joins, 404, 410) are ignored. ns is the engine's time
 *  to decide. Also appends to the ring of recent decisions. */
void cp_obs_join(cp_api_obs_t *o, const cp_call_t *c, const cp_meeting_t *m, cp_status_t st,
                 const cp_join_t *j, uint64_t ns);

/* Handlers: cp_api_metrics.c, cp_api_decisions.c, cp_api_dashboard.c. */
void cp_h_metrics(cp_call_t *c);
void cp_h_decisions(cp_call_t *c);
void cp_h_dashboard(cp_call_t *c);
void cp_h_dashboard_asset(cp_call_t *c);

/* ---- the ring of recent decisions (cp_api_decisions.c) --------------------- */

/** Decisions kept in memory (not persisted; lost on restart). */
#define CP_DECISIONS_MAX 256

typedef enum cp_decision_result {
    CP_DECISION_PLACED,
    CP_DECISION_REFUSED,
} cp_decision_result_t;

typedef struct cp_decision {
    cp_ms_t at;
    uint64_t req; /* request id, as in the logs' req= */
    cp_decision_result_t result;
    cp_status_t reason; /* CP_OK when placed, else CP_E_POOL_FULL or CP_E_MEETING_FULL */
    cp_policy_t policy;
    double util_before, util_after; /* of the chosen or refusing server */
    char meeting[CP_ID_MAX + 1];
    char pool[CP_ID_MAX + 1];
    char server[CP_ID_MAX + 1]; /* "" when no server was chosen (pool_full) */
} cp_decision_t;

typedef struct cp_decisions {
    cp_decision_t ring[CP_DECISIONS_MAX];
    uint64_t total; /* decisions ever added; the newest is ring[(total-1) % MAX] */
} cp_decisions_t;

/** Appends d, overwriting the oldest when full. */
void cp_decisions_add(cp_decisions_t *r, const cp_decision_t *d);
/** The i-th newest decision (0 = newest), or NULL past the end. */
const cp_decision_t *cp_decisions_get(const cp_decisions_t *r, size_t i);
/** The ring of the API (lives in the obs state). */
cp_decisions_t *cp_obs_decisions(cp_api_obs_t *o);

#endif
