/* engine_fixture.h — helpers shared by the engine's unit tests: build a
 * pool of servers and schedule/join meetings in one line each. */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/cp_engine.h"

#define U(x) ((cp_mu_t)((x) * CP_MU_PER_UNIT))
#define T0 ((cp_ms_t)1790000000000LL) /* a fixed epoch for tests */
#define SEC(x) ((cp_ms_t)(x) * 1000)

static inline cp_engine_t *fx_engine(void) {
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    return cp_engine_new(&cfg);
}

static inline cp_server_t *fx_server(cp_engine_t *e, const char *id, double capacity,
                                     const char *pool, cp_ms_t now) {
    cp_server_spec_t spec = {.id = id, .address = "fe.example.com:443", .pool = pool,
                             .capacity = U(capacity)};
    cp_server_t *s = NULL;
    bool created;
    assert_int_equal(cp_engine_server_put(e, &spec, now, &s, &created), CP_OK);
    return s;
}

static inline cp_meeting_t *fx_meeting(cp_engine_t *e, const char *id, uint32_t expected,
                                       unsigned mods, cp_ms_t now) {
    cp_meeting_spec_t spec = {.id = id, .organizer = "alice", .start = CP_TIME_NONE,
                              .end = CP_TIME_NONE, .expected = expected, .modalities = mods};
    cp_meeting_t *m = NULL;
    const char *why;
    assert_int_equal(cp_engine_meeting_create(e, &spec, now, &m, &why), CP_OK);
    return m;
}

static inline cp_status_t fx_join(cp_engine_t *e, cp_meeting_t *m, const char *pid, cp_ms_t now,
                                  cp_join_t *out) {
    cp_join_t tmp;
    cp_engine_advance(e, now);
    return cp_engine_join(e, m, pid, strlen(pid), 0, now, out ? out : &tmp);
}

static inline cp_server_t *fx_join_ok(cp_engine_t *e, cp_meeting_t *m, const char *pid,
                                      cp_ms_t now) {
    cp_join_t j;
    assert_int_equal(fx_join(e, m, pid, now, &j), CP_OK);
    assert_non_null(j.server);
    return j.server;
}

#endif
