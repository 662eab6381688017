/* cp_api.c — routing, authentication and the durability tag of replies.
 *
 * Order of checks for every request: route (404), method (405 with Allow),
 * token (401), role (403), then the handler. Bodies are parsed as JSON
 * whatever their Content-Type says (curl's default form type included); a
 * body that is not a JSON object is refused by the handler. Each reply is tagged with the
 * batch it must wait for, so nothing that reflects a change goes out
 * before that change is committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api/cp_api_int.h"
#include "api/cp_api_obs.h"
#include "util/base/cp_alloc.h"
#include "util/cp_clock.h"
#include "util/cp_log.h"

typedef struct cp_route {
    cp_http_method_t method;
    const char *pattern; /* segments; "*" is the {id} */
    unsigned roles;      /* admin is always allowed */
    void (*fn)(cp_call_t *c);
} cp_route_t;

#define READ CP_R_ANY
static const cp_route_t cp__routes[] = {
    {CP_HTTP_GET, "/healthz", 0, cp_h_healthz},
    {CP_HTTP_GET, "/v1/servers", READ, cp_h_servers_list},
    {CP_HTTP_GET, "/v1/servers/*", READ, cp_h_server_get},
    {CP_HTTP_PUT, "/v1/servers/*", CP_R_ADMIN, cp_h_server_put},
    {CP_HTTP_DELETE, "/v1/servers/*", CP_R_ADMIN, cp_h_server_delete},
    {CP_HTTP_POST, "/v1/servers/*/report", CP_R_SERVER, cp_h_server_report},
    {CP_HTTP_POST, "/v1/servers/*/drain", CP_R_ADMIN, cp_h_server_drain},
    {CP_HTTP_POST, "/v1/servers/*/resume", CP_R_ADMIN, cp_h_server_resume},
    {CP_HTTP_POST, "/v1/servers/*/down", CP_R_ADMIN, cp_h_server_down},
    {CP_HTTP_GET, "/v1/meetings", READ, cp_h_meetings_list},
    {CP_HTTP_POST, "/v1/meetings", CP_R_SCHEDULER, cp_h_meeting_create},
    {CP_HTTP_GET, "/v1/meetings/*", READ, cp_h_meeting_get},
    {CP_HTTP_DELETE, "/v1/meetings/*", CP_R_SCHEDULER, cp_h_meeting_delete},
    {CP_HTTP_PATCH, "/v1/meetings/*", CP_R_SCHEDULER, cp_h_meeting_update},
    {CP_HTTP_POST, "/v1/plan", CP_R_SCHEDULER, cp_h_plan},
    {CP_HTTP_POST, "/v1/test/clock", CP_R_ADMIN, cp_h_test_clock},
    {CP_HTTP_POST, "/v1/meetings/*/end", CP_R_SCHEDULER, cp_h_meeting_end},
    {CP_HTTP_POST, "/v1/meetings/*/join", CP_R_CLIENT, cp_h_meeting_join},
    {CP_HTTP_POST, "/v1/meetings/*/leave", CP_R_CLIENT, cp_h_meeting_leave},
    {CP_HTTP_GET, "/join/*", CP_R_CLIENT, cp_h_join_redirect},
    {CP_HTTP_GET, "/v1/pool", READ, cp_h_pool},
    {CP_HTTP_GET, "/v1/decisions", READ, cp_h_decisions},
    {CP_HTTP_GET, "/metrics", READ, cp_h_metrics},
    {CP_HTTP_GET, "/", 0, cp_h_dashboard},
    {CP_HTTP_GET, "/dashboard/*", 0, cp_h_dashboard_asset},
};
#undef READ
#define CP_NROUTES (sizeof cp__routes / sizeof cp__routes[0])

static cp_ms_t cp__wall(void *ctx) {
    (void)ctx;
    return cp_clock_wall_ms();
}

cp_api_t *cp_api_new(cp_engine_t *engine, const cp_config_t *cfg) {
    cp_api_t *api = cp_calloc(1, sizeof *api);
    api->engine = engine;
    api->cfg = cfg;
    api->open_auth = !cp_config_has_tokens(cfg);
    api->clock = cp__wall;
    if (getrandom(&api->id_prefix, sizeof api->id_prefix, 0) != sizeof api->id_prefix)
        api->id_prefix = (uint64_t)cp_clock_wall_ms() ^ cp_clock_mono_ns();
    api->obs = cp_obs_new(api, CP_NROUTES);
    return api;
}

void cp_api_free(cp_api_t *api) {
    if (api)
        cp_obs_free(api->obs);
    cp_free(api);
}

cp_metrics_t *cp_api_metrics(cp_api_t *api) { return cp_obs_registry(api->obs); }

cp_histogram_t *cp_api_commit_histogram(cp_api_t *api) {
    return cp_obs_commit_histogram(api->obs);
}

void cp_api_set_clock(cp_api_t *api, cp_api_clock_fn fn, void *ctx) {
    api->clock = fn ? fn : cp__wall;
    api->clock_ctx = ctx;
}

void cp_api_set_batches(cp_api_t *api, uint64_t open, uint64_t submitted) {
    api->open_batch = open;
    api->submitted_batch = submitted;
}

/* Matches path against pattern; copies the {id} segment into id.
 * Returns 1 on a match, 0 if not, -1 if it matched with an invalid id. */
static int cp__match(const char *pattern, cp_slice_t path, char *id) {
    const char *p = pattern, *s = path.p, *end = path.p + path.n;
    int bad = 0;
    while (*p && s < end) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = memchr(s, '/', (size_t)(end - s));
        size_t slen = se ? (size_t)(se - s) : (size_t)(end - s);
        if (plen == 1 && *p == '*') {
            if (cp_id_valid(s, slen)) {
                memcpy(id, s, slen);
                id[slen] = '\0';
            } else {
                bad = 1;
            }
        } else if (plen != slen || memcmp(p, s, slen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p || s != end)
        return 0;
    return bad ? -1 : 1;
}

/* Compares without leaking where the first difference is. */
static bool cp__token_eq(const char *a, size_t alen, const char *b) {
    size_t blen = strlen(b);
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (blen ? blen : 1)]);
    return diff == 0;
}

/* Returns the caller's role, or -1 with a reply already written. */
static int cp__authenticate(cp_call_t *c) {
    const cp_api_t *api = c->api;
    if (api->open_auth)
        return CP_ROLE_ADMIN;
    cp_slice_t h = c->req->authorization;
    if (h.n == 0) {
        cp_http_resp_header(c->resp, "WWW-Authenticate", "Bearer");
        cp_reply_error(c, 401, "unauthorized", "missing bearer token");
        return -1;
    }
    if (h.n < 7 || strncasecmp(h.p, "Bearer ", 7) != 0) {
        cp_http_resp_header(c->resp, "WWW-Authenticate", "Bearer");
        cp_reply_error(c, 401, "unauthorized", "expected 'Authorization: Bearer <token>'");
        return -1;
    }
    const char *tok = h.p + 7;
    size_t tlen = h.n - 7;
    int role = -1;
    for (int r = 0; r < CP_ROLE_COUNT; r++) /* no early exit: constant time */
        if (api->cfg->tokens[r] && cp__token_eq(tok, tlen, api->cfg->tokens[r]) && role < 0)
            role = r;
    if (role < 0) {
        cp_http_resp_header(c->resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        cp_reply_error(c, 401, "unauthorized", "invalid token");
    }
    return role;
}

static const char *cp__method_name(cp_http_method_t m) {
    switch (m) {
    case CP_HTTP_GET: return "GET";
    case CP_HTTP_HEAD: return "HEAD";
    case CP_HTTP_POST: return "POST";
    case CP_HTTP_PUT: return "PUT";
    case CP_HTTP_DELETE: return "DELETE";
    case CP_HTTP_PATCH: return "PATCH";
    case CP_HTTP_OPTIONS: return "OPTIONS";
    case CP_HTTP_OTHER: break;
    }
    return "OTHER";
}

static void cp__dispatch(cp_call_t *c) {
    const cp_http_req_t *req = c->req;
    cp_http_method_t method = req->method == CP_HTTP_HEAD ? CP_HTTP_GET : req->method;
    const cp_route_t *route = NULL;
    char allow[64] = "";
    bool path_known = false, bad_id = false;
    for (size_t i = 0; i < CP_NROUTES; i++) {
        int m = cp__match(cp__routes[i].pattern, req->path, c->id);
        if (m == 0)
            continue;
        path_known = true;
        if (m < 0)
            bad_id = true;
        if (cp__routes[i].method == method) {
            route = &cp__routes[i];
            c->route = (int)i;
            break;
        }
        if (!strstr(allow, cp__method_name(cp__routes[i].method))) {
            if (allow[0])
                strcat(allow, ", ");
            strcat(allow, cp__method_name(cp__routes[i].method));
        }
    }
    if (!path_known) {
        cp_reply_error(c, 404, "not_found", "no such endpoint: %.*s", (int)req->path.n > 200 ? 200 : (int)req->path.n, req->path.p);
        return;
    }
    if (route == NULL) {
        cp_http_resp_header(c->resp, "Allow", allow);
        cp_reply_error(c, 405, "method_not_allowed", "%s is not allowed here; allowed: %s",
                       cp__method_name(req->method), allow);
        return;
    }
    if (route->roles) {
        c->role = cp__authenticate(c);
        if (c->role < 0)
            return;
        if (c->role != CP_ROLE_ADMIN && !(route->roles & (1u << c->role))) {
            cp_reply_error(c, 403, "forbidden", "the %s token may not do this",
                           cp_role_name(c->role));
            return;
        }
    }
    if (bad_id) {
        cp_reply_error(c, 400, "invalid_field", "ids match [A-Za-z0-9._-]{1,64}");
        return;
    }
    cp_engine_advance(c->api->engine, c->now);
    route->fn(c);
}

void cp_api_handle(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp) {
    cp_api_t *api = ctx;
    cp_call_t c = {.api = api, .req = req, .resp = resp, .role = -1, .route = -1};
    uint64_t t0 = cp_clock_mono_ns();
    cp_log_set_request(req->id); /* every line logged for this request says req=<id> */
    c.now = api->clock(api->clock_ctx);
    cp__dispatch(&c);
    if (c.body)
        json_decref(c.body);
    uint64_t ns = cp_clock_mono_ns() - t0;
    const cp_route_t *r = c.route >= 0 ? &cp__routes[c.route] : NULL;
    cp_obs_request(api->obs, c.route, r ? cp__method_name(r->method) : NULL,
                   r ? r->pattern : NULL, resp->status, ns);
    if (cp_log_enabled(CP_LOG_DEBUG))
        cp_log(CP_LOG_DEBUG, "request", "method=%s path=%s status=%d us=%.1f peer=%s",
               cp__method_name(req->method),
               cp_log_quote_n(req->path.p, req->path.n), resp->status, (double)ns / 1e3,
               req->peer ? req->peer : "-");
    cp_log_set_request(0);
    /* A reply may reflect any change made so far: it waits for the batch
     * that will carry the newest of them. */
    resp->wait_seq =
        cp_engine_has_changes(api->engine) ? api->open_batch : api->submitted_batch;
}
