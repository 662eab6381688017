/* fuzz_http.c — libFuzzer target for the HTTP/1.1 request path: the llhttp
 * glue, spans, header and body limits, pipelining, replies held until
 * "durable" and released in order, server-made error replies and closing.
 *
 * Each input is one client connection, served through a socketpair adopted
 * by the real server (cp_http_server_adopt) on the real event loop, with a
 * stub handler. The input is cut into pieces so that requests arrive split
 * at arbitrary points, and replies are released a step at a time. Then the
 * whole reply stream is checked: only complete responses, correct framing,
 * handler replies in request order, nothing after "Connection: close".
 *
 * Input: byte 0 = flags (bit 0: small limits, bit 1: half-close at the
 * end, bit 2: release every reply at once, bit 3: a slow reader — big
 * replies that the client reads only at the end, so output backs up and
 * the server pauses reading), byte 1 = seed of the piece sizes (0: one
 * piece), the rest = bytes sent. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/cp_http.h"
#include "net/cp_loop.h"

#define MAX_CALLS 4096
#define MAX_OUT (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cp_loop_t *g_loop;
static uint64_t g_durable;          /* the "durable" sequence number released so far */
static uint8_t g_head[MAX_CALLS];   /* per handler call: was it HEAD */
static size_t g_calls;
static char *g_out;                 /* everything the client received */
static size_t g_out_len;
static bool g_big;                  /* slow-reader mode: big replies */

static void fz_die(const char *what, size_t at) {
    fprintf(stderr, "fuzz_http: %s (at byte %zu of %zu)\n", what, at, g_out_len);
    fwrite(g_out, 1, g_out_len < 2000 ? g_out_len : 2000, stderr);
    abort();
}

/* Reads every slice byte (ASan checks bounds) and checks their relations. */
static void fz_handler(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp) {
    (void)ctx;
    volatile unsigned sum = 0;
    const cp_slice_t *sl[] = {&req->method_name, &req->target, &req->path, &req->query,
                              &req->authorization, &req->content_type, &req->body};
    for (size_t i = 0; i < sizeof sl / sizeof sl[0]; i++)
        for (size_t j = 0; j < sl[i]->n; j++)
            sum += (unsigned char)sl[i]->p[j];
    (void)sum;
    if (req->method_name.n == 0 || req->target.n == 0)
        fz_die("request without method or target", 0);
    if (req->path.p != req->target.p || req->path.n > req->target.n)
        fz_die("path is not a prefix of the target", 0);
    if (req->query.n && (req->query.p != req->path.p + req->path.n + 1 ||
                         req->path.n + 1 + req->query.n != req->target.n))
        fz_die("query is not the rest of the target", 0);
    if (g_calls >= MAX_CALLS)
        fz_die("too many requests", 0);
    size_t k = g_calls++;
    g_head[k] = req->method == CP_HTTP_HEAD;

    static const int statuses[] = {200, 201, 204, 304, 404, 503};
    resp->status = statuses[(req->target.n + req->body.n) % 6];
    char v[24];
    snprintf(v, sizeof v, "%zu", k + 1);
    cp_http_resp_header(resp, "X-Req", v);
    if (resp->status != 204 && resp->status != 304) {
        cp_buf_printf(&resp->body, "{\"n\":%zu", req->body.n);
        if (g_big && k < 128) { /* up to 2 MiB queued: past the backpressure mark */
            cp_buf_puts(&resp->body, ",\"pad\":\"");
            for (int i = 0; i < 16; i++)
                cp_buf_printf(&resp->body, "%01020d", 0);
            cp_buf_putc(&resp->body, '"');
        }
        cp_buf_putc(&resp->body, '}');
    }
    resp->wait_seq = g_durable + req->target.n % 3;
    resp->close = memmem(req->target.p, req->target.n, "close", 5) != NULL;
}

static void fz_stop(cp_loop_t *loop, void *data) {
    (void)data;
    cp_loop_stop(loop);
}

/* One pass of the loop: ready sockets, due timers, hooks. */
static void fz_turn(void) {
    cp_loop_timer(g_loop, 0, fz_stop, NULL);
    cp_loop_run(g_loop);
}

/* Reads what the server sent so far. Returns true if anything came. */
static bool fz_drain(int fd, bool *eof) {
    bool got = false;
    for (;;) {
        char tmp[65536];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n > 0) {
            got = true;
            if (g_out_len + (size_t)n > MAX_OUT)
                fz_die("more output than any input could cause", g_out_len);
            memcpy(g_out + g_out_len, tmp, (size_t)n);
            g_out_len += (size_t)n;
            continue;
        }
        if (n == 0)
            *eof = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            *eof = true; /* reset by the server: nothing more will come */
        return got;
    }
}

static bool fz_prefix(const char *p, const char *end, const char *lit) {
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && strncasecmp(p, lit, n) == 0;
}

/* Checks the reply stream: complete, framed, ordered, nothing after close. */
static void fz_check_stream(void) {
    const char *p = g_out, *end = g_out + g_out_len;
    size_t last = 0, answered = 0;
    bool closed = false;
    while (p < end) {
        size_t at = (size_t)(p - g_out);
        if (closed)
            fz_die("bytes after a Connection: close response", at);
        if (!fz_prefix(p, end, "HTTP/1.1 ") || end - p < 13)
            fz_die("not a status line", at);
        int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
        const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (hend == NULL)
            fz_die("incomplete response head", at);
        long long clen = -1;
        size_t req = 0;
        for (const char *l = (const char *)memmem(p, (size_t)(hend + 2 - p), "\r\n", 2) + 2; l < hend;) {
            const char *le = memmem(l, (size_t)(hend + 2 - l), "\r\n", 2);
            if (fz_prefix(l, le, "Content-Length: "))
                clen = strtoll(l + 16, NULL, 10);
            else if (fz_prefix(l, le, "X-Req: "))
                req = strtoull(l + 7, NULL, 10);
            else if (fz_prefix(l, le, "Connection: close"))
                closed = true;
            l = le + 2;
        }
        size_t body = 0;
        bool bodiless = status < 200 || status == 204 || status == 304;
        if (!bodiless) {
            if (clen < 0)
                fz_die("response without Content-Length", at);
            if (!(req && g_head[req - 1]))
                body = (size_t)clen;
        }
        if (req) {
            if (req != last + 1)
                fz_die("handler replies out of order or missing", at);
            last = req;
            answered++;
        }
        p = hend + 4;
        if ((size_t)(end - p) < body)
            fz_die("truncated response body", at);
        p += body;
    }
    if (answered != g_calls)
        fz_die("a handler reply was never sent", g_out_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    if (g_loop == NULL) {
        g_loop = cp_loop_new();
        g_out = malloc(MAX_OUT);
        if (g_loop == NULL || g_out == NULL)
            abort();
    }
    uint8_t flags = data[0];
    uint32_t seed = data[1];
    data += 2;
    size -= 2;

    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    if (flags & 1) {
        lim.max_header_bytes = 256;
        lim.max_body_bytes = 128;
    }
    lim.idle_timeout_ms = 0; /* time is not what is fuzzed here */
    cp_http_server_t *srv = cp_http_server_new(g_loop, &lim, fz_handler, NULL);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    if (cp_http_server_adopt(srv, sv[0], "fuzz") != 0)
        abort();
    g_durable = 0;
    g_calls = 0;
    g_out_len = 0;
    g_big = (flags & 8) != 0;
    bool eof = false;

    size_t off = 0;
    while (off < size && !eof) {
        size_t n = size - off;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            size_t piece = 1 + (seed >> 16) % 97;
            if (piece < n)
                n = piece;
        }
        ssize_t w = write(sv[1], data + off, n);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                break; /* the server closed: the rest cannot be sent */
            w = 0;
        }
        off += (size_t)w;
        fz_turn();
        g_durable += (flags & 4) ? 1000000 : 1;
        cp_http_server_release(srv, g_durable);
        if (!g_big)
            fz_drain(sv[1], &eof);
    }
    if (flags & 2)
        shutdown(sv[1], SHUT_WR);
    g_durable = UINT64_MAX;
    cp_http_server_release(srv, g_durable);
    /* Until everything produced is written and read: stops after a few
     * turns without progress (bounded in any case). */
    for (int i = 0, idle = 0; i < 4096 && !eof && idle < 4; i++) {
        fz_turn();
        bool got = fz_drain(sv[1], &eof);
        idle = got ? 0 : idle + 1;
        if (!got && cp_http_server_pending(srv) == 0)
            break;
    }
    if (cp_http_server_pending(srv) != 0 && !eof)
        fz_die("replies still pending after release", g_out_len);
    if (getenv("FUZZ_HTTP_DEBUG"))
        fprintf(stderr, "fuzz_http: %zu requests handled, %zu bytes of replies, %zu pending\n",
                g_calls, g_out_len, cp_http_server_pending(srv));
    if (cp_http_server_pending(srv) == 0)
        fz_check_stream();
    close(sv[1]);
    cp_http_server_free(srv);
    return 0;
}
