/* cp_api_dashboard.c — GET / and GET /dashboard/{file}: the live dashboard,
 * served from the copy embedded in the binary.
 *
 * The page holds no data, so it needs no token; the script asks for a read
 * token (kept in sessionStorage) only if the API answers 401. The headers
 * keep it self-contained: scripts and styles only from this origin, no
 * framing, no referrer. */
#include <string.h>

#include "api/cp_api_obs.h"
#include "api/cp_dashboard_assets.h"

static const cp_asset_t *cp__find(const char *name) {
    for (size_t i = 0; i < cp_dashboard_nassets; i++)
        if (strcmp(cp_dashboard_assets[i].name, name) == 0)
            return &cp_dashboard_assets[i];
    return NULL;
}

static void cp__serve(cp_call_t *c, const cp_asset_t *a) {
    cp_http_resp_t *r = c->resp;
    r->status = 200;
    r->content_type = a->content_type;
    cp_buf_clear(&r->body);
    cp_buf_append(&r->body, a->data, a->size);
    cp_http_resp_header(r, "Cache-Control", "no-cache");
    cp_http_resp_header(r, "X-Content-Type-Options", "nosniff");
    cp_http_resp_header(r, "X-Frame-Options", "DENY");
    cp_http_resp_header(r, "Referrer-Policy", "no-referrer");
    cp_http_resp_header(r, "Content-Security-Policy",
                        "default-src 'none'; script-src 'self'; style-src 'self'; "
                        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                        "form-action 'none'; frame-ancestors 'none'");
}

void cp_h_dashboard(cp_call_t *c) {
    const cp_asset_t *a = cp__find("index.html");
    if (a == NULL) {
        cp_reply_error(c, 404, "not_found", "this build has no dashboard");
        return;
    }
    cp__serve(c, a);
}

void cp_h_dashboard_asset(cp_call_t *c) {
    const cp_asset_t *a = strcmp(c->id, "index.html") == 0 ? NULL : cp__find(c->id);
    if (a == NULL) {
        cp_reply_error(c, 404, "not_found", "no dashboard file '%s'", c->id);
        return;
    }
    cp__serve(c, a);
}
