/* cp_http_parse.c — the request side of the HTTP server: feeds llhttp,
 * gathers the request's pieces as spans of the connection's input buffer
 * (copying only what is not contiguous, i.e. chunked bodies), enforces the
 * header and body limits, calls the handler for each complete request and
 * queues the server's own error replies. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/cp_http_conn.h"

/* Reads are made with at least this much room in the input buffer. */
#define CP__READ_MIN 4096
/* An idle connection keeps buffers up to this size; larger ones are freed. */
#define CP__BUF_KEEP (64 * 1024)

static atomic_uint_fast64_t cp__next_req_id = 1;

static cp__conn_t *cp__c(llhttp_t *p) { return p->data; }

/* Adds the bytes [at, at+n), which lie inside c->in, to span id. Pieces
 * that continue the span in place just extend it; otherwise the span moves
 * to the scratch buffer, where it is always the most recent entry. */
static void cp__span_add(cp__conn_t *c, int id, const char *at, size_t n, bool to_scratch) {
    cp__span_t *s = &c->sp[id];
    size_t off = (size_t)(at - c->in.data);
    if (!to_scratch) {
        if (s->where == CP__IN_NONE) {
            *s = (cp__span_t){off, n, CP__IN_INPUT};
            return;
        }
        if (s->where == CP__IN_INPUT && s->off + s->len == off) {
            s->len += n;
            return;
        }
    }
    if (s->where == CP__IN_SCRATCH && s->off + s->len == c->scratch.len) {
        cp_buf_append(&c->scratch, at, n);
        s->len += n;
        return;
    }
    size_t start = c->scratch.len;
    cp_buf_reserve(&c->scratch, s->len + n);
    if (s->where == CP__IN_INPUT)
        memcpy(c->scratch.data + start, c->in.data + s->off, s->len);
    else if (s->where == CP__IN_SCRATCH)
        memmove(c->scratch.data + start, c->scratch.data + s->off, s->len);
    else
        s->len = 0;
    c->scratch.len += s->len;
    cp_buf_append(&c->scratch, at, n);
    *s = (cp__span_t){start, s->len + n, CP__IN_SCRATCH};
}

static cp_slice_t cp__slice(const cp__conn_t *c, int id) {
    const cp__span_t *s = &c->sp[id];
    if (s->where == CP__IN_INPUT)
        return (cp_slice_t){c->in.data + s->off, s->len};
    if (s->where == CP__IN_SCRATCH)
        return (cp_slice_t){c->scratch.data + s->off, s->len};
    return (cp_slice_t){"", 0};
}

/* Request line and headers are limited from the first byte of the method to
 * the end of the latest piece seen. */
static int cp__head_limit(cp__conn_t *c, const char *end) {
    if ((size_t)(end - c->in.data) - c->req_start > c->srv->lim.max_header_bytes) {
        c->err = CP__ERR_TOO_LARGE;
        return -1;
    }
    return 0;
}

/* Trailers and chunk extensions are not kept, but they are limited too. */
static int cp__extra_limit(cp__conn_t *c, size_t n) {
    c->extra_bytes += n;
    if (c->extra_bytes > c->srv->lim.max_header_bytes) {
        c->err = CP__ERR_TOO_LARGE;
        return -1;
    }
    return 0;
}

static int cp__on_message_begin(llhttp_t *p) {
    cp__conn_t *c = cp__c(p);
    c->in_req = true;
    c->headers_done = false;
    c->chunked = false;
    c->keep_alive = true;
    c->ka10 = false;
    c->expect_continue = false;
    c->field_kind = 0;
    c->seen = 0;
    c->err = CP__ERR_NONE;
    c->extra_bytes = 0;
    memset(c->sp, 0, sizeof c->sp);
    cp_buf_clear(&c->scratch);
    return 0;
}

static int cp__on_method(llhttp_t *p, const char *at, size_t n) {
    cp__conn_t *c = cp__c(p);
    if (c->sp[CP__SP_METHOD].where == CP__IN_NONE)
        c->req_start = (size_t)(at - c->in.data);
    cp__span_add(c, CP__SP_METHOD, at, n, false);
    return cp__head_limit(c, at + n);
}

static int cp__on_url(llhttp_t *p, const char *at, size_t n) {
    cp__conn_t *c = cp__c(p);
    cp__span_add(c, CP__SP_URL, at, n, false);
    return cp__head_limit(c, at + n);
}

static int cp__on_version(llhttp_t *p, const char *at, size_t n) {
    return cp__head_limit(cp__c(p), at + n);
}

static int cp__on_header_field(llhttp_t *p, const char *at, size_t n) {
    cp__conn_t *c = cp__c(p);
    if (c->headers_done)
        return cp__extra_limit(c, n);
    cp__span_add(c, CP__SP_FIELD, at, n, false);
    return cp__head_limit(c, at + n);
}

static bool cp__ieq(cp_slice_t s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static int cp__on_header_field_complete(llhttp_t *p) {
    cp__conn_t *c = cp__c(p);
    if (c->headers_done)
        return 0;
    cp_slice_t name = cp__slice(c, CP__SP_FIELD);
    c->field_kind = 0;
    if (cp__ieq(name, "authorization"))
        c->field_kind = CP__SP_AUTH;
    else if (cp__ieq(name, "content-type"))
        c->field_kind = CP__SP_CTYPE;
    else if (cp__ieq(name, "expect"))
        c->field_kind = CP__SP_EXPECT;
    c->sp[CP__SP_FIELD].where = CP__IN_NONE;
    return 0;
}

static int cp__on_header_value(llhttp_t *p, const char *at, size_t n) {
    cp__conn_t *c = cp__c(p);
    if (c->headers_done)
        return cp__extra_limit(c, n);
    if (c->field_kind)
        cp__span_add(c, CP__SP_VALUE, at, n, false);
    return cp__head_limit(c, at + n);
}

static int cp__on_header_value_complete(llhttp_t *p) {
    cp__conn_t *c = cp__c(p);
    if (c->headers_done || !c->field_kind)
        return 0;
    /* Two Authorization (or Content-Type) headers are ambiguous: which one
     * did a proxy check? Refuse rather than pick one. */
    uint8_t bit = (uint8_t)(1u << (c->field_kind - CP__SP_AUTH));
    if (c->seen & bit) {
        c->err = CP__ERR_DUP_HEADER;
        return -1;
    }
    c->seen |= bit;
    c->sp[c->field_kind] = c->sp[CP__SP_VALUE];
    c->sp[CP__SP_VALUE].where = CP__IN_NONE;
    c->field_kind = 0;
    return 0;
}

static int cp__on_headers_complete(llhttp_t *p) {
    cp__conn_t *c = cp__c(p);
    c->headers_done = true;
    if (p->upgrade) {
        c->err = p->method == HTTP_CONNECT ? CP__ERR_CONNECT : CP__ERR_UPGRADE;
        return -1;
    }
    c->keep_alive = llhttp_should_keep_alive(p) != 0;
    c->ka10 = c->keep_alive && p->http_major == 1 && p->http_minor == 0;
    c->chunked = (p->flags & F_CHUNKED) != 0;
    if (!c->chunked && (p->flags & F_CONTENT_LENGTH) &&
        p->content_length > c->srv->lim.max_body_bytes) {
        /* Refuse now rather than read a body we would throw away. */
        c->err = CP__ERR_TOO_LARGE;
        return -1;
    }
    if (c->sp[CP__SP_EXPECT].where != CP__IN_NONE &&
        (p->http_major > 1 || (p->http_major == 1 && p->http_minor >= 1)) &&
        cp__ieq(cp__slice(c, CP__SP_EXPECT), "100-continue"))
        c->expect_continue = true;
    return 0;
}

static int cp__on_body(llhttp_t *p, const char *at, size_t n) {
    cp__conn_t *c = cp__c(p);
    if (c->sp[CP__SP_BODY].len + n > c->srv->lim.max_body_bytes) {
        c->err = CP__ERR_TOO_LARGE;
        return -1;
    }
    /* A chunked body is interleaved with chunk framing: copy it out so the
     * framing can be dropped from the input buffer. */
    cp__span_add(c, CP__SP_BODY, at, n, c->chunked);
    return 0;
}

/* Like a declared Content-Length over the limit, a chunk that cannot fit
 * is refused when its size line arrives, not after reading it (or waiting
 * for the idle timeout when it never comes). */
static int cp__on_chunk_header(llhttp_t *p) {
    cp__conn_t *c = cp__c(p);
    if (p->content_length > c->srv->lim.max_body_bytes - c->sp[CP__SP_BODY].len) {
        c->err = CP__ERR_TOO_LARGE;
        return -1;
    }
    return 0;
}

static int cp__on_chunk_extension(llhttp_t *p, const char *at, size_t n) {
    (void)at;
    return cp__extra_limit(cp__c(p), n);
}

static cp_http_method_t cp__method(uint8_t m) {
    switch (m) {
    case HTTP_GET: return CP_HTTP_GET;
    case HTTP_HEAD: return CP_HTTP_HEAD;
    case HTTP_POST: return CP_HTTP_POST;
    case HTTP_PUT: return CP_HTTP_PUT;
    case HTTP_DELETE: return CP_HTTP_DELETE;
    case HTTP_PATCH: return CP_HTTP_PATCH;
    case HTTP_OPTIONS: return CP_HTTP_OPTIONS;
    default: return CP_HTTP_OTHER;
    }
}

static int cp__on_message_complete(llhttp_t *p) {
    cp__conn_t *c = cp__c(p);
    cp_http_server_t *srv = c->srv;
    cp_http_req_t req;
    req.method = cp__method(p->method);
    req.method_name = cp__slice(c, CP__SP_METHOD);
    req.target = cp__slice(c, CP__SP_URL);
    const char *q = memchr(req.target.p, '?', req.target.n);
    if (q) {
        req.path = (cp_slice_t){req.target.p, (size_t)(q - req.target.p)};
        req.query = (cp_slice_t){q + 1, req.target.n - req.path.n - 1};
    } else {
        req.path = req.target;
        req.query = (cp_slice_t){"", 0};
    }
    req.authorization = cp__slice(c, CP__SP_AUTH);
    req.content_type = cp__slice(c, CP__SP_CTYPE);
    req.body = cp__slice(c, CP__SP_BODY);
    req.id = atomic_fetch_add_explicit(&cp__next_req_id, 1, memory_order_relaxed);
    req.peer = c->peer;

    cp_http_resp_t *r = &srv->resp;
    cp__resp_reset(r);
    srv->handler(srv->ctx, &req, r);

    unsigned flags = p->method == HTTP_HEAD ? CP__RESP_HEAD : 0;
    bool close = r->close || !c->keep_alive;
    if (close)
        flags |= CP__RESP_CLOSE;
    else if (c->ka10)
        flags |= CP__RESP_KEEPALIVE;
    cp__conn_respond(c, r, flags);

    c->in_req = false;
    c->expect_continue = false;
    c->last_active = cp_loop_now(srv->loop);
    /* After a final response the rest of the input is not parsed; with too
     * much output queued, it waits (see cp__conn_feed). */
    if (close || c->dead || c->out.len - c->out_off > CP__OUT_HIGH)
        return HPE_PAUSED;
    return 0;
}

static const llhttp_settings_t cp__settings = {
    .on_message_begin = cp__on_message_begin,
    .on_method = cp__on_method,
    .on_url = cp__on_url,
    .on_version = cp__on_version,
    .on_header_field = cp__on_header_field,
    .on_header_field_complete = cp__on_header_field_complete,
    .on_header_value = cp__on_header_value,
    .on_header_value_complete = cp__on_header_value_complete,
    .on_headers_complete = cp__on_headers_complete,
    .on_body = cp__on_body,
    .on_chunk_header = cp__on_chunk_header,
    .on_chunk_extension_name = cp__on_chunk_extension,
    .on_chunk_extension_value = cp__on_chunk_extension,
    .on_message_complete = cp__on_message_complete,
};

void cp__conn_parser_init(cp__conn_t *c) {
    llhttp_init(&c->parser, HTTP_REQUEST, &cp__settings);
    c->parser.data = c;
}

bool cp__conn_mid_request(const cp__conn_t *c) {
    return c->in_req && c->sp[CP__SP_METHOD].where != CP__IN_NONE;
}

void cp__conn_input_prepare(cp__conn_t *c) {
    if (!cp__conn_mid_request(c)) {
        /* Everything read so far is parsed and answered. */
        c->req_start = 0;
        cp_buf_clear(&c->in);
        if (c->in.cap > CP__BUF_KEEP)
            cp_buf_free(&c->in);
        if (c->scratch.cap > CP__BUF_KEEP)
            cp_buf_free(&c->scratch);
    } else if (c->headers_done && c->chunked) {
        /* The body so far is in scratch; only the head's spans still point
         * into the input, so the chunk framing after them can go. */
        size_t keep = c->req_start;
        for (int i = 0; i < CP__SP_COUNT; i++) {
            const cp__span_t *s = &c->sp[i];
            if (s->where == CP__IN_INPUT && s->off + s->len > keep)
                keep = s->off + s->len;
        }
        c->in.len = keep;
    }
    if (c->req_start > 0 && c->in.cap - c->in.len < CP__READ_MIN + 1) {
        size_t shift = c->req_start;
        memmove(c->in.data, c->in.data + shift, c->in.len - shift);
        c->in.len -= shift;
        for (int i = 0; i < CP__SP_COUNT; i++) {
            if (c->sp[i].where == CP__IN_INPUT)
                c->sp[i].off -= shift;
        }
        c->req_start = 0;
    }
    cp_buf_reserve(&c->in, CP__READ_MIN);
}

static void cp__conn_fail(cp__conn_t *c, llhttp_errno_t e) {
    cp_http_server_t *srv = c->srv;
    char msg[200];
    int status = 400;
    const char *code = "bad_request";
    switch (c->err) {
    case CP__ERR_TOO_LARGE:
        status = 413;
        code = "too_large";
        if (!c->headers_done)
            snprintf(msg, sizeof msg, "request line and headers exceed %zu bytes",
                     srv->lim.max_header_bytes);
        else if (c->extra_bytes > srv->lim.max_header_bytes)
            snprintf(msg, sizeof msg, "chunk extensions and trailers exceed %zu bytes",
                     srv->lim.max_header_bytes);
        else
            snprintf(msg, sizeof msg, "request body exceeds %zu bytes", srv->lim.max_body_bytes);
        break;
    case CP__ERR_UPGRADE:
        snprintf(msg, sizeof msg, "protocol upgrade is not supported");
        break;
    case CP__ERR_CONNECT:
        status = 405;
        code = "method_not_allowed";
        snprintf(msg, sizeof msg, "CONNECT is not supported");
        break;
    case CP__ERR_DUP_HEADER:
        snprintf(msg, sizeof msg, "repeated Authorization, Content-Type or Expect header");
        break;
    default: {
        const char *reason = llhttp_get_error_reason(&c->parser);
        snprintf(msg, sizeof msg, "malformed request: %s",
                 reason && *reason ? reason : llhttp_errno_name(e));
        break;
    }
    }
    cp_http_resp_t *r = &srv->resp;
    cp__resp_reset(r);
    cp_http_error(r, status, code, msg);
    cp__conn_respond(c, r, CP__RESP_CLOSE);
    c->in_req = false;
}

void cp__conn_feed_tail(cp__conn_t *c) {
    c->parse_paused = false;
    if (c->tail < c->in.len)
        cp__conn_feed(c, c->tail);
}

void cp__conn_feed(cp__conn_t *c, size_t from) {
    c->busy = true;
    llhttp_errno_t e = llhttp_execute(&c->parser, c->in.data + from, c->in.len - from);
    c->busy = false;
    if (c->dead)
        return; /* the caller closes it */
    if (e == HPE_PAUSED) {
        c->in_req = false;
        if (c->state == CP__CONN_OPEN) {
            /* Paused for backpressure, between two requests: the rest is
             * parsed once the output has drained. */
            c->parse_paused = true;
            c->tail = (size_t)(llhttp_get_error_pos(&c->parser) - c->in.data);
            llhttp_resume(&c->parser);
        }
        /* Otherwise paused after a final response: the rest is ignored. */
        return;
    }
    if (e == HPE_OK) {
        if (!cp__conn_mid_request(c))
            return;
        if (!c->headers_done) {
            if (c->in.len - c->req_start <= c->srv->lim.max_header_bytes)
                return;
            c->err = CP__ERR_TOO_LARGE;
        } else {
            /* The body is still to come: the client may be waiting for our
             * go-ahead. (When it sent the body anyway, none is needed.) */
            if (c->expect_continue) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                cp__conn_interim(c, cont, sizeof cont - 1);
                c->expect_continue = false;
            }
            return;
        }
    }
    cp__conn_fail(c, e);
}
