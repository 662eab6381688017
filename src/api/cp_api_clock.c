/* cp_api_clock.c — the API's notion of now, and the test clock.
 *
 * The daemon hands the engine the wall clock. Integration tests of things
 * that take hours (holds before a large meeting) start the daemon with
 * --test-clock: time is then the wall clock plus an offset that
 * POST /v1/test/clock moves forward. Without the flag the endpoint does
 * not exist (404), so production time cannot be moved. */
#include "api/cp_api_int.h"
#include "util/cp_clock.h"
#include "util/cp_log.h"

static cp_ms_t cp__test_now(void *ctx) {
    cp_api_t *api = ctx;
    return cp_clock_wall_ms() + api->test_offset;
}

void cp_api_enable_test_clock(cp_api_t *api) {
    api->test_clock = true;
    api->test_offset = 0;
    cp_api_set_clock(api, cp__test_now, api);
}

cp_ms_t cp_api_now(cp_api_t *api) { return api->clock(api->clock_ctx); }

void cp_h_test_clock(cp_call_t *c) {
    static const char *const fields[] = {"advance", "now", NULL};
    cp_api_t *api = c->api;
    if (!api->test_clock) {
        cp_reply_error(c, 404, "not_found",
                       "no such endpoint: the test clock needs confpool serve --test-clock");
        return;
    }
    double advance;
    bool has_advance;
    cp_ms_t to;
    if (!cp_body_parse(c, true) || !cp_body_only(c, fields) ||
        !cp_body_num(c, "advance", 0, 366.0 * 86400, &has_advance, &advance) ||
        !cp_body_time(c, "now", &to))
        return;
    cp_ms_t now = cp_api_now(api);
    if (to != CP_TIME_NONE) {
        if (to < now) {
            cp_reply_error(c, 400, "invalid_field", "'now' may not go backwards");
            return;
        }
        api->test_offset += to - now;
    } else if (has_advance) {
        api->test_offset += (cp_ms_t)(advance * 1000.0);
    } else {
        cp_reply_error(c, 400, "invalid_field", "give 'advance' (seconds) or 'now'");
        return;
    }
    now = cp_api_now(api);
    cp_engine_advance(api->engine, now);
    cp_log(CP_LOG_WARN, "test clock moved", "offset_ms=%lld", (long long)api->test_offset);
    cp_jw_t w;
    cp_reply_json(c, 200, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "now");
    cp_jw_time(&w, now);
    cp_jw_key(&w, "offset");
    cp_jw_fixed(&w, (double)api->test_offset / 1000.0, 3);
    cp_jw_obj_end(&w);
}
