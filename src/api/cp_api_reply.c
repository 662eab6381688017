/* cp_api_reply.c — writing replies: JSON bodies and the error shape. */
#include <stdarg.h>
#include <stdio.h>

#include "api/cp_api_int.h"

cp_jw_t *cp_reply_json(cp_call_t *c, int status, cp_jw_t *w) {
    c->resp->status = status;
    cp_buf_clear(&c->resp->body);
    cp_jw_init(w, &c->resp->body);
    return w;
}

static void cp__error(cp_call_t *c, int status, const char *code, uint32_t retry_after,
                      const char *fmt, va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    cp_jw_t w;
    cp_reply_json(c, status, &w);
    cp_jw_obj(&w);
    cp_jw_key(&w, "error");
    cp_jw_obj(&w);
    cp_jw_key(&w, "code");
    cp_jw_str(&w, code);
    cp_jw_key(&w, "message");
    cp_jw_str(&w, msg);
    if (retry_after) {
        cp_jw_key(&w, "retry_after");
        cp_jw_int(&w, retry_after);
    }
    cp_jw_obj_end(&w);
    cp_jw_obj_end(&w);
}

void cp_reply_error(cp_call_t *c, int status, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cp__error(c, status, code, 0, fmt, ap);
    va_end(ap);
}

void cp_reply_refused(cp_call_t *c, const char *code, uint32_t retry_after, const char *fmt, ...) {
    char v[16];
    snprintf(v, sizeof v, "%u", retry_after);
    cp_http_resp_header(c->resp, "Retry-After", v);
    va_list ap;
    va_start(ap, fmt);
    cp__error(c, 503, code, retry_after, fmt, ap);
    va_end(ap);
}

void cp_reply_status(cp_call_t *c, cp_status_t st, const char *what) {
    switch (st) {
    case CP_OK: break;
    case CP_E_NOT_FOUND: cp_reply_error(c, 404, "not_found", "no %s '%s'", what, c->id); break;
    case CP_E_GONE: cp_reply_error(c, 410, "gone", "%s '%s' has ended", what, c->id); break;
    case CP_E_CONFLICT: cp_reply_error(c, 409, "conflict", "%s '%s' conflicts with its current state", what, c->id); break;
    case CP_E_INVALID: cp_reply_error(c, 400, "invalid_field", "invalid %s", what); break;
    case CP_E_POOL_FULL:
        cp_reply_refused(c, "pool_full", cp_engine_config(c->api->engine)->retry_after,
                         "no server in the pool can take a new meeting");
        break;
    case CP_E_MEETING_FULL:
        cp_reply_refused(c, "meeting_full", cp_engine_config(c->api->engine)->retry_after,
                         "the meeting's server is past its join threshold");
        break;
    case CP_E_CAPACITY:
        cp_reply_error(c, 409, "capacity_unavailable", "no server can be made free for %s '%s'",
                       what, c->id);
        break;
    }
}
