/* fuzz_api.c — libFuzzer target for JSON request bodies, query strings and
 * ids through the real API handler (cp_api_handle) and engine.
 *
 * Each input is a short session of requests against a fresh engine holding
 * four servers in two pools (one that cascades large meetings) and a
 * scheduled, an active and an ended meeting. Requests are built as cp_http_req_t directly (the HTTP layer has
 * its own target, fuzz_http). Each request is a 4-byte header — route,
 * token, id, time step — and a body running to the next "\n--\n". For the
 * routes that take a query string, or a raw path, the body is used as that.
 *
 * After every request: the reply has a documented status and, unless it is
 * one of the dashboard's files or /metrics, is valid JSON (with the
 * documented error shape for errors), it waits for the right batch, the change
 * journal drains into well-formed records, and the engine's books balance
 * (each server's meeting count, load and participants are the sums over
 * the legs it hosts, each active meeting's the sums over its legs, and no
 * meeting has two legs on one server). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cp_api.h"
#include "engine/cp_engine.h"
#include "util/cp_config.h"
#include "util/cp_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 ((cp_ms_t)1790000000000LL)
#define MAX_REQUESTS 16

typedef struct route {
    cp_http_method_t method;
    const char *path; /* "%s" is the id */
    int body_is;      /* 0: body, 1: query string, 2: the whole target */
} route_t;

static const route_t routes[] = {
    {CP_HTTP_GET, "/healthz", 0},
    {CP_HTTP_GET, "/v1/servers", 0},
    {CP_HTTP_GET, "/v1/servers/%s", 0},
    {CP_HTTP_PUT, "/v1/servers/%s", 0},
    {CP_HTTP_DELETE, "/v1/servers/%s", 1},
    {CP_HTTP_POST, "/v1/servers/%s/report", 0},
    {CP_HTTP_POST, "/v1/servers/%s/drain", 0},
    {CP_HTTP_POST, "/v1/servers/%s/resume", 0},
    {CP_HTTP_POST, "/v1/servers/%s/down", 0},
    {CP_HTTP_GET, "/v1/meetings", 1},
    {CP_HTTP_POST, "/v1/meetings", 0},
    {CP_HTTP_GET, "/v1/meetings/%s", 0},
    {CP_HTTP_DELETE, "/v1/meetings/%s", 0},
    {CP_HTTP_POST, "/v1/meetings/%s/end", 0},
    {CP_HTTP_POST, "/v1/meetings/%s/join", 0},
    {CP_HTTP_POST, "/v1/meetings/%s/leave", 0},
    {CP_HTTP_GET, "/join/%s", 1},
    {CP_HTTP_GET, "/v1/pool", 1},
    {CP_HTTP_HEAD, "/v1/meetings/%s", 0},
    {CP_HTTP_PATCH, "/v1/meetings", 0},
    {CP_HTTP_GET, "", 2},
    {CP_HTTP_POST, "", 2},
    {CP_HTTP_PATCH, "/v1/meetings/%s", 0},
    {CP_HTTP_POST, "/v1/plan", 0},
    {CP_HTTP_POST, "/v1/test/clock", 0},
    {CP_HTTP_GET, "/v1/decisions", 1},
    {CP_HTTP_GET, "/metrics", 0},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static const char *const ids[] = {
    "fe1", "fe2", "fe3", "m1", "m2", "m3", "nosuch", "..", "a%2Fb", "",
    "a123456789b123456789c123456789d123456789e123456789f123456789ABCD",  /* 64 */
    "a123456789b123456789c123456789d123456789e123456789f123456789ABCDE", /* 65 */
    "fe4",
};
#define NIDS (sizeof ids / sizeof ids[0])

static const char *const tokens[CP_ROLE_COUNT] = {"admin-fuzz-token", "sched-fuzz-token",
                                                  "client-fuzz-token", "server-fuzz-token"};
static const char *const auths[] = {
    "", "Bearer admin-fuzz-token", "Bearer sched-fuzz-token", "Bearer client-fuzz-token",
    "Bearer server-fuzz-token", "Bearer nope-nope-nope", "Basic YWRtaW46eA==",
    "bearer admin-fuzz-tokenx"};
#define NAUTHS (sizeof auths / sizeof auths[0])

static cp_config_t g_cfg_tok, g_cfg_open;
static cp_ms_t g_now;

static cp_ms_t fz_clock(void *ctx) {
    (void)ctx;
    return g_now;
}

static void fz_fail(const char *what, const cp_http_req_t *req, const cp_http_resp_t *resp) {
    fprintf(stderr, "fuzz_api: %s\nrequest: %.*s body %zu bytes\nreply %d: %.*s\n", what,
            (int)req->target.n, req->target.p, req->body.n, resp->status,
            (int)(resp->body.len > 2000 ? 2000 : resp->body.len), resp->body.data);
    abort();
}

/* ---- a sink that checks every journal record ------------------------------ */

static void fz_str(const char *s, bool may_be_null) {
    if (s == NULL) {
        if (!may_be_null)
            abort();
        return;
    }
    volatile size_t n = strlen(s);
    (void)n;
}

static void fz_id(const char *s) {
    if (s == NULL || !cp_id_valid(s, strlen(s)))
        abort();
}

static void fz_sink_server(void *ctx, const cp_server_rec_t *r) {
    (void)ctx;
    fz_id(r->id);
    fz_str(r->address, false);
    fz_id(r->pool);
    fz_str(r->region, true);
    if (r->capacity <= 0)
        abort();
}
static void fz_sink_server_deleted(void *ctx, const char *id) {
    (void)ctx;
    fz_id(id);
}
static void fz_sink_meeting(void *ctx, const cp_meeting_rec_t *r) {
    (void)ctx;
    fz_id(r->id);
    fz_str(r->organizer, false);
    fz_str(r->subject, true);
    fz_id(r->pool);
    if ((r->state == CP_MEETING_ACTIVE) != (r->server != NULL))
        abort(); /* a server exactly while active */
    if (r->server)
        fz_id(r->server);
    if (r->rehomed_from)
        fz_id(r->rehomed_from);
}
static void fz_sink_meeting_deleted(void *ctx, const char *id) {
    (void)ctx;
    fz_id(id);
}
static void fz_sink_joined(void *ctx, const char *mid, const char *pid, unsigned mods,
                           unsigned leg) {
    (void)ctx;
    (void)leg;
    fz_id(mid);
    fz_id(pid);
    if (mods == 0 || mods > CP_MOD_ALL)
        abort();
}
static void fz_sink_left(void *ctx, const char *mid, const char *pid) {
    (void)ctx;
    fz_id(mid);
    fz_id(pid);
}
static void fz_sink_cleared(void *ctx, const char *mid) {
    (void)ctx;
    fz_id(mid);
}

static const cp_change_sink_t fz_sink = {fz_sink_server,  fz_sink_server_deleted,
                                         fz_sink_meeting, fz_sink_meeting_deleted,
                                         fz_sink_joined,  fz_sink_left,
                                         fz_sink_cleared};

/* ---- invariants ------------------------------------------------------------- */

/* A meeting's legs in use: the first, then any cascade legs. */
static cp_leg_t *fz_leg(cp_meeting_t *m, uint32_t i) {
    cp_leg_t *l = i == 0 ? &m->leg0 : m->extra[i - 1];
    return l && l->server ? l : NULL;
}

static void fz_check_books(cp_engine_t *e) {
    size_t it = 0;
    cp_server_t *s;
    while ((s = cp_engine_server_next(e, &it))) {
        uint32_t meetings = 0, participants = 0;
        cp_mu_t load = 0;
        for (cp_meeting_t *m = cp_engine_meeting_after(e, 0); m;
             m = cp_engine_meeting_after(e, m->seq)) {
            if (m->state != CP_MEETING_ACTIVE)
                continue;
            for (uint32_t i = 0; i <= m->nextra; i++) {
                cp_leg_t *l = fz_leg(m, i);
                if (l == NULL || l->server != s)
                    continue;
                meetings++;
                participants += l->participants;
                load += l->predicted;
            }
        }
        if (meetings != s->meetings || load != s->conf_load || participants != s->participants) {
            fprintf(stderr,
                    "fuzz_api: books of server %s: legs %u/%u conf_load %lld/%lld "
                    "participants %u/%u (counted/recorded)\n",
                    s->id, meetings, s->meetings, (long long)load, (long long)s->conf_load,
                    participants, s->participants);
            abort();
        }
    }
    for (cp_meeting_t *m = cp_engine_meeting_after(e, 0); m; m = cp_engine_meeting_after(e, m->seq)) {
        bool active = m->state == CP_MEETING_ACTIVE;
        if (active != (m->server != NULL) || (active && m->leg0.server != m->server)) {
            fprintf(stderr, "fuzz_api: meeting %s is %s with server %s\n", m->id,
                    cp_meeting_state_name(m->state), m->server ? m->server->id : "none");
            abort();
        }
        cp_mu_t predicted = 0;
        uint32_t participants = 0;
        for (uint32_t i = 0; active && i <= m->nextra; i++) {
            cp_leg_t *l = fz_leg(m, i);
            if (l == NULL)
                continue;
            predicted += l->predicted;
            participants += l->participants;
            if (l->server->pool != m->pool) {
                fprintf(stderr, "fuzz_api: meeting %s of pool %s has a leg in pool %s\n", m->id,
                        m->pool->name, l->server->pool->name);
                abort();
            }
            for (uint32_t j = i + 1; j <= m->nextra; j++) {
                cp_leg_t *o = fz_leg(m, j);
                if (o && o->server == l->server) {
                    fprintf(stderr, "fuzz_api: meeting %s has two legs on %s\n", m->id,
                            l->server->id);
                    abort();
                }
            }
        }
        if (active && (predicted != m->predicted || participants != m->participants)) {
            fprintf(stderr, "fuzz_api: meeting %s: legs predict %lld/%lld, hold %u/%u\n", m->id,
                    (long long)predicted, (long long)m->predicted, participants, m->participants);
            abort();
        }
    }
}

static void fz_check_reply(const cp_http_req_t *req, const cp_http_resp_t *resp) {
    static const int ok[] = {200, 201, 204, 302, 400, 401, 403, 404, 405, 409, 410, 503};
    bool known = false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        known |= resp->status == ok[i];
    if (!known)
        fz_fail("undocumented status", req, resp);
    if (resp->status == 204) {
        if (resp->body.len)
            fz_fail("204 with a body", req, resp);
        return;
    }
    bool is_json = resp->content_type == NULL || strcmp(resp->content_type, "application/json") == 0;
    if (!is_json) { /* the dashboard's files, /metrics */
        if (resp->status >= 300)
            fz_fail("an error reply that is not JSON", req, resp);
        return;
    }
    json_error_t err;
    json_t *j = json_loadb(resp->body.data, resp->body.len, 0, &err);
    if (j == NULL || !json_is_object(j))
        fz_fail("reply is not a JSON object", req, resp);
    if (resp->status >= 400) {
        json_t *code = json_object_get(json_object_get(j, "error"), "code");
        json_t *msg = json_object_get(json_object_get(j, "error"), "message");
        if (!json_is_string(code) || !json_is_string(msg))
            fz_fail("error reply without error.code and error.message", req, resp);
    }
    json_decref(j);
}

/* ---- the session -------------------------------------------------------------- */

/* The engine of one session: its options vary with the input's length, so
 * the corpus covers both re-homing modes and strict planning. */
static cp_engine_t *fz_engine(size_t variant) {
    cp_engine_config_t ec = g_cfg_tok.engine;
    ec.track_changes = true;
    ec.rehome_eager = variant & 1;
    ec.plan_strict = (variant & 2) != 0;
    cp_engine_t *e = cp_engine_new(&ec);
    /* pool "large" cascades: a 400-person meeting spans fe3 and fe4 */
    cp_engine_pool_set_cascade(e, cp_engine_pool_ensure(e, "large"), true);
    static const struct {
        const char *id, *pool;
        double cap;
    } srv[] = {{"fe1", NULL, 100}, {"fe2", NULL, 50}, {"fe3", "large", 300}, {"fe4", "large", 300}};
    for (size_t i = 0; i < 4; i++) {
        cp_server_spec_t spec = {.id = srv[i].id, .address = "fe.example.com:443",
                                 .pool = srv[i].pool,
                                 .capacity = (cp_mu_t)(srv[i].cap * CP_MU_PER_UNIT)};
        cp_server_t *s;
        bool created;
        if (cp_engine_server_put(e, &spec, T0, &s, &created) != CP_OK)
            abort();
    }
    const char *mids[] = {"m1", "m2", "m3"};
    for (size_t i = 0; i < 3; i++) {
        cp_meeting_spec_t spec = {.id = mids[i], .organizer = "alice", .start = CP_TIME_NONE,
                                  .end = CP_TIME_NONE, .expected = 4};
        cp_meeting_t *m;
        const char *why;
        if (cp_engine_meeting_create(e, &spec, T0, &m, &why) != CP_OK)
            abort();
        cp_join_t j;
        if (i == 0 && cp_engine_join(e, m, "p1", 2, 0, T0, &j) != CP_OK)
            abort();
        if (i == 2 && cp_engine_meeting_end(e, m, T0) != CP_OK)
            abort();
    }
    cp_engine_drain_changes(e, &fz_sink, NULL);
    return e;
}

static void fz_init(void) {
    cp_log_set_level(CP_LOG_ERROR); /* placements and refusals are not of interest */
    cp_config_defaults(&g_cfg_open);
    cp_config_defaults(&g_cfg_tok);
    char err[256];
    static const char *const keys[CP_ROLE_COUNT] = {"admin_token", "scheduler_token",
                                                    "client_token", "server_token"};
    for (int r = 0; r < CP_ROLE_COUNT; r++)
        if (cp_config_set(&g_cfg_tok, "auth", keys[r], tokens[r], err, sizeof err) != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool inited;
    if (!inited) {
        fz_init();
        inited = true;
    }
    cp_engine_t *e = fz_engine(size);
    cp_api_t *api_tok = cp_api_new(e, &g_cfg_tok), *api_open = cp_api_new(e, &g_cfg_open);
    cp_api_set_clock(api_tok, fz_clock, NULL);
    cp_api_set_clock(api_open, fz_clock, NULL);
    cp_api_set_batches(api_tok, 2, 1);
    cp_api_set_batches(api_open, 2, 1);
    g_now = T0;
    cp_http_resp_t resp = {.status = 200, .headers = CP_BUF_INIT, .body = CP_BUF_INIT};
    cp_buf_t target = CP_BUF_INIT;

    const uint8_t *p = data, *end = data + size;
    for (int n = 0; n < MAX_REQUESTS && end - p >= 4; n++) {
        const route_t *rt = &routes[p[0] % NROUTES];
        uint8_t auth = p[1];
        const char *id = ids[p[2] % NIDS];
        uint8_t dt = p[3];
        p += 4;
        const uint8_t *bend = memmem(p, (size_t)(end - p), "\n--\n", 4);
        if (bend == NULL)
            bend = end;
        cp_slice_t body = {(const char *)p, (size_t)(bend - p)};
        p = bend == end ? end : bend + 4;

        g_now += dt == 255 ? 86400000LL : (cp_ms_t)dt * dt * 1000;
        cp_buf_clear(&target);
        if (rt->body_is == 2)
            cp_buf_append(&target, body.p, body.n);
        else {
            const char *hole = strstr(rt->path, "%s");
            if (hole == NULL) {
                cp_buf_puts(&target, rt->path);
            } else {
                cp_buf_append(&target, rt->path, (size_t)(hole - rt->path));
                cp_buf_puts(&target, id);
                cp_buf_puts(&target, hole + 2);
            }
        }
        if (rt->body_is == 1) {
            cp_buf_putc(&target, '?');
            cp_buf_append(&target, body.p, body.n);
        }
        cp_http_req_t req = {.method = rt->method, .target = {target.data, target.len}};
        static const char *const mnames[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                                             "PATCH", "OPTIONS", "OTHER"};
        req.method_name = (cp_slice_t){mnames[rt->method], strlen(mnames[rt->method])};
        const char *q = memchr(target.data, '?', target.len);
        req.path = (cp_slice_t){target.data, q ? (size_t)(q - target.data) : target.len};
        req.query = q ? (cp_slice_t){q + 1, target.len - req.path.n - 1} : (cp_slice_t){"", 0};
        const char *a = auths[auth % NAUTHS];
        req.authorization = (cp_slice_t){a, strlen(a)};
        req.content_type = (cp_slice_t){"application/json", 16};
        req.body = rt->body_is ? (cp_slice_t){"", 0} : body;
        req.id = (uint64_t)n + 1;
        req.peer = "fuzz";

        cp_api_t *api = (auth & 0x80) ? api_open : api_tok;
        resp.status = 200;
        resp.content_type = NULL;
        cp_buf_clear(&resp.headers);
        cp_buf_clear(&resp.body);
        resp.wait_seq = 0;
        resp.close = false;
        cp_api_handle(api, &req, &resp);
        fz_check_reply(&req, &resp);
        bool changed = cp_engine_has_changes(e);
        if (resp.wait_seq != (changed ? 2u : 1u))
            fz_fail("reply not tagged with the batch of the change it may show", &req, &resp);
        cp_engine_drain_changes(e, &fz_sink, NULL);
        cp_engine_advance(e, g_now);
        fz_check_books(e);
        cp_engine_drain_changes(e, &fz_sink, NULL);
    }
    cp_buf_free(&target);
    cp_buf_free(&resp.headers);
    cp_buf_free(&resp.body);
    cp_api_free(api_tok);
    cp_api_free(api_open);
    cp_engine_free(e);
    return 0;
}
