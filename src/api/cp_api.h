/* cp_api.h — the HTTP/JSON API v1: routes requests to the engine and
 * renders its answers. A thin adapter: rules live in the engine; this maps
 * engine results to status codes and the error shape
 * {"error":{"code":"...","message":"..."}} documented in docs/API.md. */
#ifndef CP_API_H
#define CP_API_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/cp_engine.h"
#include "net/cp_http.h"
#include "util/cp_config.h"
#include "util/cp_metrics.h"

typedef struct cp_api cp_api_t;

/** Reads the time for the engine; the daemon passes the wall clock. */
typedef cp_ms_t (*cp_api_clock_fn)(void *ctx);

/** Creates the API over engine with configuration cfg (both borrowed). */
cp_api_t *cp_api_new(cp_engine_t *engine, const cp_config_t *cfg);
void cp_api_free(cp_api_t *api);
/** Replaces the clock (tests and the simulator); default is the wall clock. */
void cp_api_set_clock(cp_api_t *api, cp_api_clock_fn fn, void *ctx);
/** The API's time now (what the engine is given). */
cp_ms_t cp_api_now(cp_api_t *api);
/** Switches on the test clock: the wall clock plus an offset that
 *  POST /v1/test/clock moves forward. Only `confpool serve --test-clock`
 *  does this; otherwise that endpoint does not exist. */
void cp_api_enable_test_clock(cp_api_t *api);

/** Durability bookkeeping from the daemon: responses produced now must
 *  wait for batch `open` if they follow a change in this iteration, else
 *  for batch `submitted` (the last one handed to the writer). */
void cp_api_set_batches(cp_api_t *api, uint64_t open, uint64_t submitted);

/** The API's metrics registry (GET /metrics), for the daemon's own
 *  collectors. */
cp_metrics_t *cp_api_metrics(cp_api_t *api);
/** The histogram of database commit times, for the writer thread. */
cp_histogram_t *cp_api_commit_histogram(cp_api_t *api);

/** The cp_http_handler_fn: ctx is the cp_api_t. */
void cp_api_handle(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp);

#endif
