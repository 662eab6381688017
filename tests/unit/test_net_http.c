/* test_net_http.c — the HTTP server over real sockets: a loop thread runs
 * the server on 127.0.0.1 (port 0) and each test talks to it as a client.
 * Calls into the server (release, counters) are made on the loop thread
 * through a command pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/cp_http.h"
#include "net/cp_loop.h"

/* ---- fixture: server on a loop thread ------------------------------------- */

typedef struct seen_req {
    cp_http_method_t method;
    char method_name[16];
    char path[256];
    char query[256];
    char auth[256];
    char ctype[128];
    char peer[64];
    size_t body_len;
    uint64_t id;
} seen_req_t;

typedef struct fx {
    cp_loop_t *loop;
    cp_http_server_t *srv;
    pthread_t thread;
    int ctl[2];
    int port;
    pthread_mutex_t mu;
    int calls;
    seen_req_t last;
    char *last_body; /* malloc'd copy of the last body */
} fx_t;

typedef struct cmd {
    void (*fn)(fx_t *f, void *arg);
    void *arg;
    sem_t done;
} cmd_t;

static void on_ctl(cp_loop_t *loop, int fd, unsigned events, void *data) {
    (void)loop;
    (void)events;
    fx_t *f = data;
    cmd_t *c;
    while (read(fd, &c, sizeof c) == (ssize_t)sizeof c) {
        c->fn(f, c->arg);
        sem_post(&c->done);
    }
}

/* Runs fn(f, arg) on the loop thread and waits for it. */
static void on_loop(fx_t *f, void (*fn)(fx_t *, void *), void *arg) {
    cmd_t c = {.fn = fn, .arg = arg};
    sem_init(&c.done, 0, 0);
    cmd_t *p = &c;
    assert_int_equal(write(f->ctl[1], &p, sizeof p), (ssize_t)sizeof p);
    sem_wait(&c.done);
    sem_destroy(&c.done);
}

static void copy_slice(char *dst, size_t cap, cp_slice_t s) {
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static bool slice_is(cp_slice_t s, const char *lit) {
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool slice_prefix(cp_slice_t s, const char *lit) {
    return s.n >= strlen(lit) && memcmp(s.p, lit, strlen(lit)) == 0;
}

/* The test application:
 *   /hold/N   reply held until durable >= N
 *   /echo     reply body = request body
 *   /204      204 (with a body the server must not send)
 *   /close    reply and close
 *   /big/N    N bytes of body
 *   other     {"path":"<path>"} */
static void handler(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp) {
    fx_t *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->calls++;
    seen_req_t *s = &f->last;
    s->method = req->method;
    copy_slice(s->method_name, sizeof s->method_name, req->method_name);
    copy_slice(s->path, sizeof s->path, req->path);
    copy_slice(s->query, sizeof s->query, req->query);
    copy_slice(s->auth, sizeof s->auth, req->authorization);
    copy_slice(s->ctype, sizeof s->ctype, req->content_type);
    snprintf(s->peer, sizeof s->peer, "%s", req->peer);
    s->body_len = req->body.n;
    s->id = req->id;
    free(f->last_body);
    f->last_body = malloc(req->body.n + 1);
    memcpy(f->last_body, req->body.p, req->body.n);
    f->last_body[req->body.n] = '\0';
    pthread_mutex_unlock(&f->mu);

    if (slice_prefix(req->path, "/hold/")) {
        resp->wait_seq = strtoull(req->path.p + 6, NULL, 10);
    } else if (slice_is(req->path, "/echo")) {
        resp->content_type = "text/plain";
        cp_buf_append(&resp->body, req->body.p, req->body.n);
        return;
    } else if (slice_is(req->path, "/204")) {
        resp->status = 204;
        cp_buf_puts(&resp->body, "must not be sent");
        return;
    } else if (slice_is(req->path, "/close")) {
        resp->close = true;
    } else if (slice_prefix(req->path, "/big/")) {
        size_t n = strtoull(req->path.p + 5, NULL, 10);
        cp_buf_reserve(&resp->body, n);
        for (size_t i = 0; i < n; i++)
            resp->body.data[i] = (char)('a' + i % 26);
        resp->body.len = n;
        resp->body.data[n] = '\0';
        return;
    }
    cp_http_resp_header(resp, "X-Test", "yes");
    cp_buf_puts(&resp->body, "{\"path\":\"");
    cp_buf_append(&resp->body, req->path.p, req->path.n);
    cp_buf_puts(&resp->body, "\"}");
}

static void *loop_main(void *arg) {
    fx_t *f = arg;
    cp_loop_run(f->loop);
    return NULL;
}

static fx_t *fx_start(const cp_http_limits_t *lim) {
    fx_t *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->loop = cp_loop_new();
    assert_non_null(f->loop);
    f->srv = cp_http_server_new(f->loop, lim, handler, f);
    char err[256];
    assert_int_equal(cp_http_server_listen(f->srv, "127.0.0.1", 0, err, sizeof err), 0);
    f->port = cp_http_server_port(f->srv);
    assert_true(f->port > 0);
    assert_int_equal(pipe2(f->ctl, O_NONBLOCK), 0);
    assert_int_equal(cp_loop_watch(f->loop, f->ctl[0], CP_LOOP_READ, on_ctl, f), 0);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
    return f;
}

static void do_stop(fx_t *f, void *arg) {
    (void)arg;
    cp_loop_stop(f->loop);
}

static void fx_stop(fx_t *f) {
    on_loop(f, do_stop, NULL);
    pthread_join(f->thread, NULL);
    cp_http_server_free(f->srv);
    cp_loop_unwatch(f->loop, f->ctl[0]);
    close(f->ctl[0]);
    close(f->ctl[1]);
    cp_loop_free(f->loop);
    free(f->last_body);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static int fx_calls(fx_t *f) {
    pthread_mutex_lock(&f->mu);
    int n = f->calls;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void do_release(fx_t *f, void *arg) { cp_http_server_release(f->srv, *(uint64_t *)arg); }

static void release(fx_t *f, uint64_t durable) { on_loop(f, do_release, &durable); }

static void do_counts(fx_t *f, void *arg) {
    size_t *out = arg;
    out[0] = cp_http_server_pending(f->srv);
    out[1] = cp_http_server_connections(f->srv);
}

static size_t pending(fx_t *f) {
    size_t c[2];
    on_loop(f, do_counts, c);
    return c[0];
}

static size_t connections(fx_t *f) {
    size_t c[2];
    on_loop(f, do_counts, c);
    return c[1];
}

/* ---- client ---------------------------------------------------------------- */

typedef struct client {
    int fd;
    char buf[1 << 16];
    size_t len;
} client_t;

typedef struct reply {
    int status;
    char head[4096]; /* status line and headers */
    char *body;
    size_t body_len;
    long content_length; /* -1 if absent */
} reply_t;

static client_t *client_open(int port) {
    client_t *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    return c;
}

static void client_close(client_t *c) {
    close(c->fd);
    free(c);
}

static void client_send(client_t *c, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

static void client_puts(client_t *c, const char *s) { client_send(c, s, strlen(s)); }

/* Reads more bytes into the buffer; returns what recv returned. */
static ssize_t client_fill(client_t *c) {
    if (c->len == sizeof c->buf)
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

static void client_take(client_t *c, void *dst, size_t n) {
    if (dst)
        memcpy(dst, c->buf, n);
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static void reply_free(reply_t *r) {
    free(r->body);
    r->body = NULL;
}

static const char *header_value(const reply_t *r, const char *name) {
    static char val[512];
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2] != '\0') {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t n = (size_t)(e - v) < sizeof val - 1 ? (size_t)(e - v) : sizeof val - 1;
            memcpy(val, v, n);
            val[n] = '\0';
            return val;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

/* Reads one response. A HEAD reply or a 1xx/204/304 has no body. */
static void client_reply(client_t *c, reply_t *r, bool head) {
    memset(r, 0, sizeof *r);
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        assert_true(client_fill(c) > 0);
    size_t hl = (size_t)(end - c->buf) + 4;
    assert_true(hl < sizeof r->head);
    client_take(c, r->head, hl);
    r->head[hl] = '\0';
    assert_int_equal(strncmp(r->head, "HTTP/1.1 ", 9), 0);
    r->status = atoi(r->head + 9);
    const char *cl = header_value(r, "Content-Length");
    r->content_length = cl ? atol(cl) : -1;
    bool bodiless = head || r->status < 200 || r->status == 204 || r->status == 304;
    size_t want = bodiless || r->content_length < 0 ? 0 : (size_t)r->content_length;
    r->body = malloc(want + 1);
    size_t got = 0;
    while (got < want) {
        if (c->len == 0)
            assert_true(client_fill(c) > 0);
        size_t n = c->len < want - got ? c->len : want - got;
        client_take(c, r->body + got, n);
        got += n;
    }
    r->body[want] = '\0';
    r->body_len = want;
}

/* True when the server closed the connection (EOF) with nothing more sent. */
static bool client_sees_eof(client_t *c) {
    if (c->len > 0)
        return false;
    char b[256];
    ssize_t n = recv(c->fd, b, sizeof b, 0);
    return n == 0;
}

/* True when the server dropped the connection: EOF, or a reset when the
 * client kept sending after the server closed. */
static bool client_sees_close(client_t *c) {
    if (c->len > 0)
        return false;
    char b[256];
    ssize_t n = recv(c->fd, b, sizeof b, 0);
    return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
}

/* True when nothing arrives within ms. */
static bool client_quiet(client_t *c, int ms) {
    if (c->len > 0)
        return false;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    return poll(&p, 1, ms) == 0;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void assert_error_reply(const reply_t *r, int status, const char *code) {
    assert_int_equal(r->status, status);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "{\"error\":{\"code\":\"%s\",\"message\":\"", code);
    assert_int_equal(strncmp(r->body, prefix, strlen(prefix)), 0);
    assert_int_equal(strcmp(r->body + r->body_len - 3, "\"}}"), 0);
    assert_string_equal(header_value(r, "Content-Type"), "application/json");
    assert_string_equal(header_value(r, "Connection"), "close");
}

/* ---- tests ------------------------------------------------------------------- */

static void test_get_keepalive_two_requests(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    reply_t r;

    client_puts(c, "GET /info?x=1&y=2 HTTP/1.1\r\nHost: t\r\n"
                   "aUtHoRiZaTiOn: Bearer tok-123\r\ncontent-TYPE: application/json\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"path\":\"/info\"}");
    assert_int_equal(r.content_length, (long)strlen(r.body));
    assert_string_equal(header_value(&r, "Content-Type"), "application/json");
    assert_string_equal(header_value(&r, "X-Test"), "yes");
    assert_null(header_value(&r, "Connection"));
    reply_free(&r);
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->last.method, CP_HTTP_GET);
    assert_string_equal(f->last.method_name, "GET");
    assert_string_equal(f->last.path, "/info");
    assert_string_equal(f->last.query, "x=1&y=2");
    assert_string_equal(f->last.auth, "Bearer tok-123");
    assert_string_equal(f->last.ctype, "application/json");
    assert_int_equal(strncmp(f->last.peer, "127.0.0.1:", 10), 0);
    uint64_t id1 = f->last.id;
    pthread_mutex_unlock(&f->mu);

    /* Same connection, second request. */
    client_puts(c, "DELETE /second HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"path\":\"/second\"}");
    reply_free(&r);
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->last.method, CP_HTTP_DELETE);
    assert_string_equal(f->last.query, "");
    assert_string_equal(f->last.auth, "");
    assert_true(f->last.id > id1);
    pthread_mutex_unlock(&f->mu);
    assert_int_equal(fx_calls(f), 2);
    assert_int_equal(connections(f), 1);

    client_close(c);
    fx_stop(f);
}

static void test_pipelined_requests_answered_in_order(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    client_puts(c, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n"
                   "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                   "GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
    reply_t r;
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/a\"}");
    reply_free(&r);
    client_reply(c, &r, false);
    assert_string_equal(r.body, "hello");
    assert_string_equal(header_value(&r, "Content-Type"), "text/plain");
    reply_free(&r);
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/c\"}");
    reply_free(&r);
    assert_int_equal(fx_calls(f), 3);
    client_close(c);
    fx_stop(f);
}

static void test_held_reply_waits_for_release(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    client_t *other = client_open(f->port);
    /* The second reply (wait_seq 0) must queue behind the held first one. */
    client_puts(c, "POST /hold/5 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
                   "GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_true(client_quiet(c, 300));
    assert_int_equal(fx_calls(f), 2);
    assert_int_equal(pending(f), 2);

    /* Another connection is not held up by it. */
    client_puts(other, "GET /free HTTP/1.1\r\nHost: t\r\n\r\n");
    reply_t r;
    client_reply(other, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/free\"}");
    reply_free(&r);

    release(f, 4);
    assert_true(client_quiet(c, 200));
    assert_int_equal(pending(f), 2);

    release(f, 5);
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/hold/5\"}");
    reply_free(&r);
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/after\"}");
    reply_free(&r);
    assert_int_equal(pending(f), 0);

    /* Already durable: sent at once. */
    client_puts(c, "GET /hold/3 HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/hold/3\"}");
    reply_free(&r);

    client_close(other);
    client_close(c);
    fx_stop(f);
}

static void test_content_length_over_limit_is_413(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    /* No body sent: the answer must come from the headers alone. */
    client_puts(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    reply_t r;
    client_reply(c, &r, false);
    assert_error_reply(&r, 413, "too_large");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    assert_int_equal(fx_calls(f), 0);
    /* The client may go on sending the body it announced. The server shut
     * only its write side and drains it, so the client gets no reset (one
     * would arrive after the first send and fail the next). */
    static char junk[16384];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(send(c->fd, junk, sizeof junk, MSG_NOSIGNAL), (ssize_t)sizeof junk);
        sleep_ms(20);
    }
    client_close(c);
    for (int i = 0; i < 100 && connections(f) != 0; i++)
        sleep_ms(10);
    assert_int_equal(connections(f), 0);
    fx_stop(f);
}

static void test_headers_over_limit_are_413(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    size_t big = 17 * 1024;
    char *req = malloc(big + 128);
    int n = snprintf(req, big + 128, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    client_send(c, req, (size_t)n + big + 4);
    free(req);
    reply_t r;
    client_reply(c, &r, false);
    assert_error_reply(&r, 413, "too_large");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    assert_int_equal(fx_calls(f), 0);
    client_close(c);

    /* Just under the limit is fine. */
    c = client_open(f->port);
    req = malloc(16 * 1024);
    n = snprintf(req, 16 * 1024, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    size_t fill = 16 * 1024 - (size_t)n - 4;
    memset(req + n, 'b', fill);
    memcpy(req + n + fill, "\r\n\r\n", 4);
    client_send(c, req, 16 * 1024);
    free(req);
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    client_close(c);
    fx_stop(f);
}

static void test_request_split_across_reads(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    /* Cuts inside the method, a header name, the Authorization value and the
     * body, each sent separately so the server sees them in separate reads. */
    const char *parts[] = {"PO", "ST /echo?q=1 HTTP/1.1\r\nHost: t\r\nAuthor",
                           "ization: Bearer sp", "lit-token\r\nContent-Length: 11\r\n\r\nhello",
                           " world"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        client_puts(c, parts[i]);
        sleep_ms(30);
    }
    reply_t r;
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello world");
    reply_free(&r);
    pthread_mutex_lock(&f->mu);
    assert_string_equal(f->last.method_name, "POST");
    assert_string_equal(f->last.path, "/echo");
    assert_string_equal(f->last.query, "q=1");
    assert_string_equal(f->last.auth, "Bearer split-token");
    pthread_mutex_unlock(&f->mu);
    client_close(c);
    fx_stop(f);
}

static void test_pipelined_partial_request_survives_buffer_compaction(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    /* One read holds a complete request padded to ~6 KB and the start of a
     * second one; to read the rest the server must move the partial
     * request to the front of its buffer. */
    char first[8192];
    int n = snprintf(first, sizeof first, "GET /first HTTP/1.1\r\nHost: t\r\nX-Pad: ");
    memset(first + n, 'p', 6000);
    n += 6000;
    n += snprintf(first + n, sizeof first - (size_t)n,
                  "\r\n\r\nPOST /second?k=v HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer mo");
    client_send(c, first, (size_t)n);
    sleep_ms(50);
    /* The rest is long enough to overwrite where the partial request was
     * before it moved, so spans left pointing there would read padding. */
    char rest[8192];
    n = snprintf(rest, sizeof rest, "ved-token\r\nX-Pad2: ");
    memset(rest + n, 'q', 7000);
    n += 7000;
    n += snprintf(rest + n, sizeof rest - (size_t)n,
                  "\r\nContent-Type: text/x-moved\r\nContent-Length: 4\r\n\r\nbody");
    client_send(c, rest, (size_t)n);
    reply_t r;
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/first\"}");
    reply_free(&r);
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/second\"}");
    reply_free(&r);
    pthread_mutex_lock(&f->mu);
    assert_string_equal(f->last.method_name, "POST");
    assert_string_equal(f->last.query, "k=v");
    assert_string_equal(f->last.auth, "Bearer moved-token");
    assert_string_equal(f->last.ctype, "text/x-moved");
    assert_string_equal(f->last_body, "body");
    pthread_mutex_unlock(&f->mu);
    client_close(c);
    fx_stop(f);
}

static void test_requests_delivered_byte_by_byte(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Every span boundary falls between two reads somewhere in here. */
    const char *stream = "PUT /bytes/1?a=b HTTP/1.1\r\nHost: t\r\nContent-Type: text/x-a\r\n"
                         "Authorization: Bearer one-by-one\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3;x=y\r\nabc\r\n4\r\ndefg\r\n0\r\nT: 1\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\n123456";
    const char *second = strstr(stream, "POST");
    for (const char *p = stream; *p; p++) {
        client_send(c, p, 1);
        if ((p - stream) % 2 == 0)
            sleep_ms(1);
        if (p + 1 == second) {
            reply_t r;
            client_reply(c, &r, false);
            assert_string_equal(r.body, "{\"path\":\"/bytes/1\"}");
            reply_free(&r);
            pthread_mutex_lock(&f->mu);
            assert_int_equal(f->last.method, CP_HTTP_PUT);
            assert_string_equal(f->last.query, "a=b");
            assert_string_equal(f->last.ctype, "text/x-a");
            assert_string_equal(f->last.auth, "Bearer one-by-one");
            assert_string_equal(f->last_body, "abcdefg");
            pthread_mutex_unlock(&f->mu);
        }
    }
    reply_t r;
    client_reply(c, &r, false);
    assert_string_equal(r.body, "123456");
    reply_free(&r);
    assert_int_equal(fx_calls(f), 2);
    client_close(c);
    fx_stop(f);
}

static void test_chunked_body_is_decoded(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    const char *parts[] = {("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                            "Authorization: Bearer chunky\r\n\r\n5\r\nhel"),
                           "lo\r\n1;ext=1\r\n \r\n", "5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"};
    for (size_t i = 0; i < 3; i++) {
        client_puts(c, parts[i]);
        sleep_ms(30);
    }
    reply_t r;
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello world");
    reply_free(&r);
    pthread_mutex_lock(&f->mu);
    assert_string_equal(f->last.auth, "Bearer chunky");
    assert_string_equal(f->last_body, "hello world");
    pthread_mutex_unlock(&f->mu);

    /* The connection stays usable after a chunked request. */
    client_puts(c, "GET /next HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/next\"}");
    reply_free(&r);
    client_close(c);
    fx_stop(f);
}

static void test_chunked_body_over_limit_is_413(void **state) {
    (void)state;
    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    fx_t *f = fx_start(&lim);
    client_t *c = client_open(f->port);
    client_puts(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[8192 + 16];
    int h = snprintf(chunk, sizeof chunk, "2000\r\n");
    memset(chunk + h, 'z', 8192);
    memcpy(chunk + h + 8192, "\r\n", 2);
    reply_t r;
    /* 9 chunks of 8 KiB = 72 KiB > 64 KiB. The server may answer and close
     * before the client is done sending. */
    for (int i = 0; i < 9; i++) {
        ssize_t w = send(c->fd, chunk, (size_t)h + 8194, MSG_NOSIGNAL);
        if (w <= 0)
            break;
    }
    client_reply(c, &r, false);
    assert_error_reply(&r, 413, "too_large");
    assert_non_null(strstr(r.body, "body"));
    reply_free(&r);
    assert_int_equal(fx_calls(f), 0);
    client_close(c);

    /* Exactly at the limit is accepted. */
    c = client_open(f->port);
    client_puts(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 8; i++)
        client_send(c, chunk, (size_t)h + 8194);
    client_puts(c, "0\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 64 * 1024);
    reply_free(&r);
    client_close(c);
    fx_stop(f);
}

static void test_malformed_request_is_400_and_closes(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    client_puts(c, "GET / HTTP/1.1\r\nHost: t\r\nBad Header Line\r\n\r\n");
    reply_t r;
    client_reply(c, &r, false);
    assert_error_reply(&r, 400, "bad_request");
    assert_non_null(strstr(r.body, "malformed request: "));
    /* llhttp's reason follows, e.g. "Invalid header token". */
    assert_true(strlen(strstr(r.body, "malformed request: ")) > strlen("malformed request: \"}}"));
    reply_free(&r);
    assert_true(client_sees_eof(c));
    assert_int_equal(fx_calls(f), 0);
    client_close(c);

    /* A good request followed by garbage: the first is answered, then 400. */
    c = client_open(f->port);
    client_puts(c, "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n\x01\x02garbage\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    client_reply(c, &r, false);
    assert_error_reply(&r, 400, "bad_request");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    client_close(c);
    fx_stop(f);
}

static void test_head_and_204_have_no_body(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    reply_t r;
    client_puts(c, "HEAD /thing HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, true);
    assert_int_equal(r.status, 200);
    /* The length of the body a GET would get, but no body. */
    assert_int_equal(r.content_length, (long)strlen("{\"path\":\"/thing\"}"));
    reply_free(&r);
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->last.method, CP_HTTP_HEAD);
    pthread_mutex_unlock(&f->mu);

    client_puts(c, "GET /204 HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.content_length, -1);
    assert_null(header_value(&r, "Content-Type"));
    reply_free(&r);

    /* Had a body slipped out after either reply, this would not parse. */
    client_puts(c, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"path\":\"/after\"}");
    reply_free(&r);
    assert_true(client_quiet(c, 50));
    client_close(c);
    fx_stop(f);
}

static void test_idle_and_stalled_connections_are_closed(void **state) {
    (void)state;
    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    lim.idle_timeout_ms = 200;
    fx_t *f = fx_start(&lim);
    client_t *idle = client_open(f->port);
    client_t *loris = client_open(f->port);
    client_t *shortbody = client_open(f->port);
    client_t *busy = client_open(f->port);
    client_puts(shortbody, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    const char *drip = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    reply_t r;
    for (int i = 0; i < 12; i++) {
        /* The slow one makes byte progress but never completes a request. */
        send(loris->fd, drip + i, 1, MSG_NOSIGNAL);
        /* The busy one completes a request every 50 ms and must survive. */
        client_puts(busy, "GET /busy HTTP/1.1\r\nHost: t\r\n\r\n");
        client_reply(busy, &r, false);
        assert_int_equal(r.status, 200);
        reply_free(&r);
        sleep_ms(50);
    }
    assert_true(client_sees_eof(idle));
    assert_true(client_sees_close(loris));
    assert_true(client_sees_eof(shortbody));
    assert_int_equal(fx_calls(f), 12);
    client_puts(busy, "GET /still HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(busy, &r, false);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(connections(f), 1);
    client_close(idle);
    client_close(loris);
    client_close(shortbody);
    client_close(busy);
    fx_stop(f);
}

static void test_held_reply_is_not_an_idle_connection(void **state) {
    (void)state;
    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    lim.idle_timeout_ms = 100;
    fx_t *f = fx_start(&lim);
    client_t *c = client_open(f->port);
    client_puts(c, "POST /hold/9 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    /* Waiting for the store is the server's delay, not the client's. */
    assert_true(client_quiet(c, 400));
    release(f, 9);
    reply_t r;
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    client_close(c);
    fx_stop(f);
}

static void test_max_connections(void **state) {
    (void)state;
    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    lim.max_connections = 2;
    fx_t *f = fx_start(&lim);
    client_t *a = client_open(f->port);
    client_t *b = client_open(f->port);
    reply_t r;
    client_puts(a, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(a, &r, false);
    reply_free(&r);
    client_puts(b, "GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(b, &r, false);
    reply_free(&r);
    assert_int_equal(connections(f), 2);

    client_t *x = client_open(f->port);
    client_reply(x, &r, false);
    assert_error_reply(&r, 503, "too_many_connections");
    reply_free(&r);
    assert_true(client_sees_eof(x));
    client_close(x);
    assert_int_equal(connections(f), 2);

    /* Room again once one leaves. */
    client_close(a);
    for (int i = 0; i < 100 && connections(f) != 1; i++)
        sleep_ms(10);
    assert_int_equal(connections(f), 1);
    client_t *y = client_open(f->port);
    client_puts(y, "GET /y HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(y, &r, false);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    client_close(y);
    client_close(b);
    fx_stop(f);
}

static void test_expect_100_continue(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    client_puts(c, "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                   "Content-Length: 5\r\n\r\n");
    reply_t r;
    client_reply(c, &r, false);
    assert_int_equal(r.status, 100);
    assert_string_equal(r.head, "HTTP/1.1 100 Continue\r\n\r\n");
    reply_free(&r);
    assert_int_equal(fx_calls(f), 0);
    client_puts(c, "abcde");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "abcde");
    reply_free(&r);

    /* Over the limit: 413 instead of 100. */
    client_puts(c, "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                   "Content-Length: 999999\r\n\r\n");
    client_reply(c, &r, false);
    assert_error_reply(&r, 413, "too_large");
    reply_free(&r);
    client_close(c);
    fx_stop(f);
}

static void test_http10_closes_unless_keep_alive(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    reply_t r;
    client_puts(c, "GET /old HTTP/1.0\r\n\r\n");
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(header_value(&r, "Connection"), "close");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    client_close(c);

    c = client_open(f->port);
    client_puts(c, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    client_reply(c, &r, false);
    assert_string_equal(header_value(&r, "Connection"), "keep-alive");
    reply_free(&r);
    client_puts(c, "GET /again HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                   "GET /ignored HTTP/1.1\r\nHost: t\r\n\r\n");
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/again\"}");
    assert_string_equal(header_value(&r, "Connection"), "close");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    assert_int_equal(fx_calls(f), 3);
    client_close(c);
    fx_stop(f);
}

static void test_handler_close_ends_connection(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    client_puts(c, "GET /close HTTP/1.1\r\nHost: t\r\n\r\nGET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    reply_t r;
    client_reply(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(header_value(&r, "Connection"), "close");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    assert_int_equal(fx_calls(f), 1);
    client_close(c);
    fx_stop(f);
}

static void test_upgrade_and_connect_are_refused(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    client_t *c = client_open(f->port);
    reply_t r;
    client_puts(c, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    client_reply(c, &r, false);
    assert_error_reply(&r, 405, "method_not_allowed");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    client_close(c);

    c = client_open(f->port);
    client_puts(c, "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
                   "Upgrade: websocket\r\n\r\n");
    client_reply(c, &r, false);
    assert_error_reply(&r, 400, "bad_request");
    reply_free(&r);
    assert_true(client_sees_eof(c));
    client_close(c);
    assert_int_equal(fx_calls(f), 0);
    fx_stop(f);
}

static void test_backpressure_stops_parsing_until_output_drains(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    /* A small receive buffer keeps what the kernels can absorb well under
     * the total, whatever the autotuning limits are. */
    client_t *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int rcvbuf = 64 * 1024;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct timeval tv = {5, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    /* 64 x 256 KiB = 16 MiB of replies to requests that all arrive in one
     * read: the server must stop handling them while the client does not
     * read, then carry on (waiting for WRITE) as it does. */
    enum { N = 64, SIZE = 256 * 1024 };
    char req[64];
    int n = snprintf(req, sizeof req, "GET /big/%d HTTP/1.1\r\nHost: t\r\n\r\n", SIZE);
    char all[N * 64];
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        memcpy(all + len, req, (size_t)n);
        len += (size_t)n;
    }
    client_send(c, all, len);
    sleep_ms(300);
    int handled = fx_calls(f);
    assert_true(handled > 0);
    assert_true(handled < N / 2);
    for (int i = 0; i < N; i++) {
        reply_t r;
        client_reply(c, &r, false);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, SIZE);
        for (size_t k = 0; k < SIZE; k += 4099)
            assert_int_equal(r.body[k], 'a' + (int)(k % 26));
        reply_free(&r);
    }
    assert_int_equal(fx_calls(f), N);
    assert_int_equal(pending(f), 0);
    client_close(c);
    fx_stop(f);
}

static void test_peer_vanishing_mid_reply_is_survived(void **state) {
    (void)state;
    fx_t *f = fx_start(NULL);
    for (int round = 0; round < 3; round++) {
        client_t *c = client_open(f->port);
        for (int i = 0; i < 4; i++)
            client_puts(c, "GET /big/1048576 HTTP/1.1\r\nHost: t\r\n\r\n");
        sleep_ms(30);
        /* Unread data on close makes this a reset: the server's writes fail
         * and it must drop the connection and its queued replies. */
        client_close(c);
        sleep_ms(30);
    }
    for (int i = 0; i < 100 && connections(f) != 0; i++)
        sleep_ms(10);
    assert_int_equal(connections(f), 0);
    assert_int_equal(pending(f), 0);
    client_t *c = client_open(f->port);
    client_puts(c, "GET /alive HTTP/1.1\r\nHost: t\r\n\r\n");
    reply_t r;
    client_reply(c, &r, false);
    assert_string_equal(r.body, "{\"path\":\"/alive\"}");
    reply_free(&r);
    client_close(c);
    fx_stop(f);
}

static void test_error_body_shape(void **state) {
    (void)state;
    cp_http_resp_t r = {.status = 200, .headers = CP_BUF_INIT, .body = CP_BUF_INIT};
    cp_buf_puts(&r.body, "old");
    cp_http_error(&r, 404, "not_found", "no meeting \"m1\"\n");
    assert_int_equal(r.status, 404);
    assert_string_equal(
        r.body.data,
        "{\"error\":{\"code\":\"not_found\",\"message\":\"no meeting \\\"m1\\\"\\n\"}}");
    cp_http_resp_header(&r, "Retry-After", "5\r\nX-Evil: 1");
    assert_string_equal(r.headers.data, "Retry-After: 5  X-Evil: 1\r\n");
    cp_buf_free(&r.body);
    cp_buf_free(&r.headers);

    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    assert_int_equal(lim.max_header_bytes, 16 * 1024);
    assert_int_equal(lim.max_body_bytes, 64 * 1024);
    assert_int_equal(lim.max_connections, 4096);
    assert_int_equal(lim.idle_timeout_ms, 60000);
}

static void test_listen_errors_and_stop_accepting(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    cp_http_server_t *srv = cp_http_server_new(loop, NULL, handler, NULL);
    char err[256] = "";
    assert_int_equal(cp_http_server_listen(srv, "not-an-ip", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "not-an-ip"));
    assert_int_equal(cp_http_server_listen(srv, "localhost", 0, err, sizeof err), 0);
    int port = cp_http_server_port(srv);
    assert_true(port > 0);
    cp_http_server_stop_accepting(srv);
    /* The port is closed now. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(fd);
    cp_http_server_free(srv);

    srv = cp_http_server_new(loop, NULL, handler, NULL);
    assert_int_equal(cp_http_server_listen(srv, "::1", 0, err, sizeof err), 0);
    cp_http_server_free(srv);
    cp_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_keepalive_two_requests),
        cmocka_unit_test(test_pipelined_requests_answered_in_order),
        cmocka_unit_test(test_held_reply_waits_for_release),
        cmocka_unit_test(test_content_length_over_limit_is_413),
        cmocka_unit_test(test_headers_over_limit_are_413),
        cmocka_unit_test(test_request_split_across_reads),
        cmocka_unit_test(test_pipelined_partial_request_survives_buffer_compaction),
        cmocka_unit_test(test_requests_delivered_byte_by_byte),
        cmocka_unit_test(test_chunked_body_is_decoded),
        cmocka_unit_test(test_chunked_body_over_limit_is_413),
        cmocka_unit_test(test_malformed_request_is_400_and_closes),
        cmocka_unit_test(test_head_and_204_have_no_body),
        cmocka_unit_test(test_idle_and_stalled_connections_are_closed),
        cmocka_unit_test(test_held_reply_is_not_an_idle_connection),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_expect_100_continue),
        cmocka_unit_test(test_http10_closes_unless_keep_alive),
        cmocka_unit_test(test_handler_close_ends_connection),
        cmocka_unit_test(test_upgrade_and_connect_are_refused),
        cmocka_unit_test(test_backpressure_stops_parsing_until_output_drains),
        cmocka_unit_test(test_peer_vanishing_mid_reply_is_survived),
        cmocka_unit_test(test_error_body_shape),
        cmocka_unit_test(test_listen_errors_and_stop_accepting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
