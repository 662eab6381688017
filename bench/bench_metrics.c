/* bench_metrics.c — what the operator's view costs.
 *
 * 1. The join path: the API's handler for a sticky join (parse, auth, JSON,
 *    engine, reply), driven in-process without sockets, against the
 *    metrics and log bookkeeping that the same handler does for each
 *    request (four clock reads, the request histogram with its cached
 *    route series, the join outcome, the log's request tag). The ratio is
 *    the share of the handler spent on metrics.
 * 2. A /metrics scrape (render of every family, gauges computed from the
 *    engine) with 12 servers and 1,200 active meetings, and with 1,000
 *    servers and 100,000, against GET /v1/servers on the same state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cp_api.h"
#include "api/cp_api_obs.h"
#include "util/cp_clock.h"
#include "util/cp_log.h"

static cp_http_req_t req_of(const char *method, cp_http_method_t m, const char *path,
                            const char *body) {
    static uint64_t id;
    cp_http_req_t r = {.method = m};
    r.method_name = (cp_slice_t){method, strlen(method)};
    r.target = r.path = (cp_slice_t){path, strlen(path)};
    r.body = (cp_slice_t){body, body ? strlen(body) : 0};
    r.id = ++id;
    r.peer = "127.0.0.1:1";
    return r;
}

static int call(cp_api_t *api, cp_http_resp_t *resp, const char *method, cp_http_method_t m,
                const char *path, const char *body) {
    cp_http_req_t r = req_of(method, m, path, body);
    cp_buf_clear(&resp->headers);
    cp_buf_clear(&resp->body);
    resp->status = 200;
    resp->content_type = NULL;
    cp_api_handle(api, &r, resp);
    return resp->status;
}

static void setup(cp_api_t *api, cp_http_resp_t *resp, int nservers, int nmeetings) {
    char path[96], body[160];
    for (int i = 0; i < nservers; i++) {
        snprintf(path, sizeof path, "/v1/servers/fe%04d", i);
        snprintf(body, sizeof body, "{\"address\":\"fe%04d:443\",\"capacity\":100000000}", i);
        if (call(api, resp, "PUT", CP_HTTP_PUT, path, body) != 201)
            abort();
    }
    for (int i = 0; i < nmeetings; i++) {
        snprintf(body, sizeof body, "{\"id\":\"b%d\",\"organizer\":\"bench\"}", i);
        if (call(api, resp, "POST", CP_HTTP_POST, "/v1/meetings", body) != 201)
            abort();
        snprintf(path, sizeof path, "/v1/meetings/b%d/join", i);
        if (call(api, resp, "POST", CP_HTTP_POST, path, "{\"participant\":\"p1\"}") != 200)
            abort();
    }
}

static double ns_per(uint64_t t0, long n) { return (double)(cp_clock_mono_ns() - t0) / (double)n; }

static void bench_join(void) {
    cp_config_t cfg;
    cp_config_defaults(&cfg);
    cfg.engine.track_changes = false; /* no store here: nothing drains the journal */
    cp_engine_t *e = cp_engine_new(&cfg.engine);
    cp_api_t *api = cp_api_new(e, &cfg);
    cp_http_resp_t resp = {.status = 200, .headers = CP_BUF_INIT, .body = CP_BUF_INIT};
    setup(api, &resp, 12, 1000);
    cp_log_flush();
    enum { N = 1000000 };
    char paths[1000][40];
    for (int i = 0; i < 1000; i++)
        snprintf(paths[i], sizeof paths[i], "/v1/meetings/b%d/join", i);
    uint64_t t0 = cp_clock_mono_ns();
    for (long i = 0; i < N; i++)
        call(api, &resp, "POST", CP_HTTP_POST, paths[i % 1000], "{\"participant\":\"p1\"}");
    double handle = ns_per(t0, N);
    /* The same bookkeeping on its own, with the real calls: the log tag,
     * two clock reads (a sticky join reads none for the placement
     * histogram), the join outcome and the request histogram through its
     * cached route series. */
    cp_join_t j = {.activated = false};
    volatile uint64_t sink = 0;
    t0 = cp_clock_mono_ns();
    for (long i = 0; i < N; i++) {
        uint64_t a = cp_clock_mono_ns();
        cp_log_set_request((uint64_t)i + 1);
        cp_obs_join(api->obs, NULL, NULL, CP_OK, &j, 0);
        uint64_t d = cp_clock_mono_ns();
        cp_obs_request(api->obs, 0, "POST", "/v1/meetings/*/join", 200, d - a);
        cp_log_set_request(0);
        sink += d;
    }
    double book = ns_per(t0, N);
    (void)sink;
    printf("sticky join, in-process handler    %8.0f ns/op\n", handle);
    printf("  of which metrics and log tags    %8.1f ns/op   (%.1f%% of the handler)\n", book,
           100.0 * book / handle);
    cp_api_free(api);
    cp_engine_free(e);
    cp_buf_free(&resp.headers);
    cp_buf_free(&resp.body);
    cp_config_free(&cfg);
}

static void bench_scrape(int nservers, int nmeetings) {
    cp_config_t cfg;
    cp_config_defaults(&cfg);
    cfg.engine.track_changes = false;
    cp_engine_t *e = cp_engine_new(&cfg.engine);
    cp_api_t *api = cp_api_new(e, &cfg);
    cp_http_resp_t resp = {.status = 200, .headers = CP_BUF_INIT, .body = CP_BUF_INIT};
    setup(api, &resp, nservers, nmeetings);
    cp_log_flush();
    int n = nmeetings > 10000 ? 20 : 2000;
    uint64_t t0 = cp_clock_mono_ns();
    for (int i = 0; i < n; i++)
        if (call(api, &resp, "GET", CP_HTTP_GET, "/metrics", NULL) != 200)
            abort();
    double scrape = ns_per(t0, n);
    size_t bytes = resp.body.len;
    t0 = cp_clock_mono_ns();
    for (int i = 0; i < n; i++)
        call(api, &resp, "GET", CP_HTTP_GET, "/v1/servers", NULL);
    double servers = ns_per(t0, n);
    printf("GET /metrics, %4d servers %6d meetings %8.1f us (%zu bytes)  %.2fx GET /v1/servers\n",
           nservers, nmeetings, scrape / 1e3, bytes, scrape / servers);
    cp_api_free(api);
    cp_engine_free(e);
    cp_buf_free(&resp.headers);
    cp_buf_free(&resp.body);
    cp_config_free(&cfg);
}

int main(void) {
    cp_log_set_level(CP_LOG_WARN);
    bench_join();
    bench_scrape(12, 1200);
    bench_scrape(1000, 100000);
    return 0;
}
