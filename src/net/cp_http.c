/* cp_http.c — the HTTP server's sockets and output side: listening and
 * accepting, per-connection I/O, the ordered output queue with replies held
 * until durable, backpressure, idle sweeps and closing.
 *
 * Output queue: each connection serialises its responses, in request order,
 * into one buffer `out`, and records for each a mark {end offset, wait_seq}.
 * The bytes up to `ready_end` are releasable: every response before it has
 * wait_seq <= the durable sequence number. The first response that is not
 * durable holds itself and everything after it. A flush is one write() of
 * [out_off, ready_end); release() advances ready_end on the connections that
 * have queued output and flushes them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/cp_http_conn.h"
#include "util/base/cp_alloc.h"

/* Buffers of an idle connection above this size are freed. */
#define CP__BUF_KEEP (64 * 1024)
/* How long a closing connection waits for the peer's EOF. */
#define CP__LINGER_MS 2000
/* Pause before accepting again when out of file descriptors. */
#define CP__ACCEPT_RETRY_MS 100

static void cp__conn_on_io(cp_loop_t *loop, int fd, unsigned events, void *data);
static void cp__srv_on_accept(cp_loop_t *loop, int fd, unsigned events, void *data);
static void cp__srv_arm_sweep(cp_http_server_t *srv);
static int cp__conn_add(cp_http_server_t *srv, int cfd, const char *peer);
static void cp__conn_resume(cp_loop_t *loop, void *data);

/* ---- connection lifecycle ------------------------------------------------- */

static void cp__dirty_add(cp__conn_t *c) {
    if (c->dirty)
        return;
    cp_http_server_t *srv = c->srv;
    c->dirty = true;
    c->dprev = NULL;
    c->dnext = srv->dirty;
    if (srv->dirty)
        srv->dirty->dprev = c;
    srv->dirty = c;
}

static void cp__dirty_remove(cp__conn_t *c) {
    if (!c->dirty)
        return;
    if (c->dprev)
        c->dprev->dnext = c->dnext;
    else
        c->srv->dirty = c->dnext;
    if (c->dnext)
        c->dnext->dprev = c->dprev;
    c->dirty = false;
    c->dprev = c->dnext = NULL;
}

/* Closes c now, or, inside its own llhttp_execute, as soon as that returns.
 * Returns false when c is gone. */
static bool cp__conn_close(cp__conn_t *c) {
    if (c->busy) {
        c->dead = true;
        return true;
    }
    cp_http_server_t *srv = c->srv;
    if (c->resume_timer)
        cp_loop_timer_cancel(srv->loop, c->resume_timer);
    cp_loop_unwatch(srv->loop, c->fd);
    close(c->fd);
    for (size_t i = c->mhead; i < c->mcount; i++) {
        if (c->marks[i].counted)
            srv->pending--;
    }
    cp__dirty_remove(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    cp_buf_free(&c->in);
    cp_buf_free(&c->scratch);
    cp_buf_free(&c->out);
    cp_free(c->marks);
    cp_free(c);
    return false;
}

static void cp__conn_update_watch(cp__conn_t *c) {
    unsigned ev = 0;
    if (!c->eof && !(c->state == CP__CONN_OPEN && (c->paused || c->parse_paused)))
        ev |= CP_LOOP_READ;
    if (c->want_write)
        ev |= CP_LOOP_WRITE;
    if (ev != c->watched && cp_loop_modify(c->srv->loop, c->fd, ev) == 0)
        c->watched = ev;
}

/* Everything is written and nothing more will be: shut our side and wait
 * for the peer's EOF, so unread input does not turn into a reset that could
 * destroy the last response before the peer reads it. */
static bool cp__conn_linger(cp__conn_t *c) {
    if (c->eof || c->dead)
        return cp__conn_close(c);
    shutdown(c->fd, SHUT_WR);
    c->state = CP__CONN_LINGER;
    int64_t linger = CP__LINGER_MS;
    if (c->srv->lim.idle_timeout_ms > 0 && c->srv->lim.idle_timeout_ms < linger)
        linger = c->srv->lim.idle_timeout_ms;
    c->linger_until = cp_loop_now(c->srv->loop) + linger;
    cp__conn_update_watch(c);
    return true;
}

/* ---- output queue --------------------------------------------------------- */

static void cp__conn_push_mark(cp__conn_t *c, uint64_t wait_seq, bool counted) {
    if (c->mcount == c->mcap) {
        if (c->mhead > 0) {
            /* Reuse the room of written responses. */
            memmove(c->marks, c->marks + c->mhead, (c->mcount - c->mhead) * sizeof *c->marks);
            c->mcount -= c->mhead;
            c->mready -= c->mhead;
            c->mhead = 0;
        }
        if (c->mcount == c->mcap) {
            c->mcap = c->mcap ? c->mcap * 2 : 8;
            c->marks = cp_reallocarray(c->marks, c->mcap, sizeof *c->marks);
        }
    }
    c->marks[c->mcount++] = (cp__mark_t){c->out.len, wait_seq, counted};
    if (counted)
        c->srv->pending++;
    cp__dirty_add(c);
}

void cp__conn_respond(cp__conn_t *c, const cp_http_resp_t *r, unsigned flags) {
    cp__resp_serialize(&c->out, r, flags);
    cp__conn_push_mark(c, r->wait_seq, true);
    if (flags & CP__RESP_CLOSE) {
        c->close_after = true;
        c->state = CP__CONN_DRAINING;
    }
}

void cp__conn_interim(cp__conn_t *c, const char *bytes, size_t n) {
    cp_buf_append(&c->out, bytes, n);
    cp__conn_push_mark(c, 0, false);
}

/* Writes what may be written, in one write(). Returns false when c is gone. */
static bool cp__conn_flush(cp__conn_t *c) {
    cp_http_server_t *srv = c->srv;
    while (c->mready < c->mcount && c->marks[c->mready].wait_seq <= srv->durable)
        c->ready_end = c->marks[c->mready++].end;

    size_t n = c->ready_end - c->out_off;
    if (n > 0) {
        /* MSG_NOSIGNAL: a peer that went away is an EPIPE, not a SIGPIPE. */
        ssize_t w = send(c->fd, c->out.data + c->out_off, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return cp__conn_close(c);
            c->want_write = true;
        } else {
            c->out_off += (size_t)w;
            c->want_write = (size_t)w < n;
            c->last_active = cp_loop_now(srv->loop);
            while (c->mhead < c->mcount && c->marks[c->mhead].end <= c->out_off) {
                if (c->marks[c->mhead].counted)
                    srv->pending--;
                c->mhead++;
            }
        }
    } else {
        c->want_write = false;
    }

    if (c->out_off == c->out.len) {
        /* All written: rewind, keeping the memory for the next responses. */
        cp_buf_clear(&c->out);
        if (c->out.cap > CP__BUF_KEEP)
            cp_buf_free(&c->out);
        c->out_off = c->ready_end = 0;
        c->mhead = c->mready = c->mcount = 0;
    } else if (c->out_off > CP__BUF_KEEP && c->out_off * 2 > c->out.len) {
        size_t shift = c->out_off;
        cp_buf_consume(&c->out, shift);
        c->out_off = 0;
        c->ready_end -= shift;
        for (size_t i = c->mhead; i < c->mcount; i++)
            c->marks[i].end -= shift;
    }

    size_t unwritten = c->out.len - c->out_off;
    if (unwritten > CP__OUT_HIGH)
        c->paused = true;
    else if (unwritten <= CP__OUT_LOW)
        c->paused = false;

    if (c->mhead == c->mcount) {
        cp__dirty_remove(c);
        if (c->close_after && c->state != CP__CONN_LINGER)
            return cp__conn_linger(c);
    }
    if (c->parse_paused && !c->paused && !c->resume_timer && c->state == CP__CONN_OPEN)
        c->resume_timer = cp_loop_timer(srv->loop, 0, cp__conn_resume, c);
    cp__conn_update_watch(c);
    return true;
}

/* Pipelined requests left unparsed by backpressure: their turn has come.
 * (From a timer rather than from the flush, so handlers never run inside
 * cp_http_server_release.) */
static void cp__conn_resume(cp_loop_t *loop, void *data) {
    (void)loop;
    cp__conn_t *c = data;
    c->resume_timer = 0;
    if (!c->parse_paused || c->state != CP__CONN_OPEN)
        return;
    cp__conn_feed_tail(c);
    if (c->dead) {
        c->busy = false;
        cp__conn_close(c);
        return;
    }
    cp__conn_flush(c);
}

/* ---- connection I/O ------------------------------------------------------- */

/* Input after the last response (or during lingering) is read and dropped. */
static bool cp__conn_discard(cp__conn_t *c) {
    char tmp[16384];
    ssize_t n = read(c->fd, tmp, sizeof tmp);
    if (n > 0)
        return true;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return true;
    if (n < 0 || c->state == CP__CONN_LINGER)
        return cp__conn_close(c);
    c->eof = true; /* still draining: keep writing */
    cp__conn_update_watch(c);
    return true;
}

static bool cp__conn_read(cp__conn_t *c) {
    if (c->state != CP__CONN_OPEN)
        return cp__conn_discard(c);
    if (c->parse_paused)
        return true; /* the unparsed input must stay where it is */
    cp__conn_input_prepare(c);
    ssize_t n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;
        return cp__conn_close(c);
    }
    if (n == 0) {
        /* The peer is done sending. Answer what is queued, then close; an
         * incomplete request can never be answered. */
        c->eof = true;
        if (c->mhead == c->mcount)
            return cp__conn_close(c);
        c->close_after = true;
        c->state = CP__CONN_DRAINING;
        return cp__conn_flush(c);
    }
    size_t from = c->in.len;
    c->in.len += (size_t)n;
    cp__conn_feed(c, from);
    if (c->dead) {
        c->busy = false;
        return cp__conn_close(c);
    }
    return cp__conn_flush(c);
}

static void cp__conn_on_io(cp_loop_t *loop, int fd, unsigned events, void *data) {
    (void)loop;
    (void)fd;
    cp__conn_t *c = data;
    if (events & CP_LOOP_ERROR) {
        cp__conn_close(c);
        return;
    }
    if ((events & CP_LOOP_WRITE) && !cp__conn_flush(c))
        return;
    if (events & CP_LOOP_READ)
        cp__conn_read(c);
}

/* ---- accepting ------------------------------------------------------------ */

static void cp__format_peer(char *out, size_t n, const struct sockaddr_storage *ss) {
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, n, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, n, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
        snprintf(out, n, "unknown");
    }
}

static void cp__srv_accept_retry(cp_loop_t *loop, void *data) {
    cp_http_server_t *srv = data;
    srv->accept_timer = 0;
    if (srv->lfd >= 0)
        cp_loop_watch(loop, srv->lfd, CP_LOOP_READ, cp__srv_on_accept, srv);
}

static void cp__srv_on_accept(cp_loop_t *loop, int fd, unsigned events, void *data) {
    (void)events;
    cp_http_server_t *srv = data;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* The backlog stays readable: without a pause the loop would
                 * spin. Connections wait in the backlog meanwhile. */
                cp_loop_unwatch(loop, fd);
                srv->accept_timer =
                    cp_loop_timer(loop, CP__ACCEPT_RETRY_MS, cp__srv_accept_retry, srv);
            }
            return; /* EAGAIN: backlog drained */
        }
        if (srv->nconns >= srv->lim.max_connections) {
            /* Best effort: the socket is new, so its buffer has room. */
            ssize_t w = send(cfd, srv->busy_reply.data, srv->busy_reply.len, MSG_NOSIGNAL);
            (void)w;
            close(cfd);
            continue;
        }
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char peer[64];
        cp__format_peer(peer, sizeof peer, &ss);
        cp__conn_add(srv, cfd, peer);
    }
}

/* Serves the connected, non-blocking socket cfd as a new connection.
 * Returns 0, or a negative errno with cfd closed. */
static int cp__conn_add(cp_http_server_t *srv, int cfd, const char *peer) {
    cp__conn_t *c = cp_calloc(1, sizeof *c);
    c->srv = srv;
    c->fd = cfd;
    c->state = CP__CONN_OPEN;
    c->last_active = cp_loop_now(srv->loop);
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    cp__conn_parser_init(c);
    int rc = cp_loop_watch(srv->loop, cfd, CP_LOOP_READ, cp__conn_on_io, c);
    if (rc < 0) {
        close(cfd);
        cp_free(c);
        return rc;
    }
    c->watched = CP_LOOP_READ;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    cp__srv_arm_sweep(srv);
    return 0;
}

int cp_http_server_adopt(cp_http_server_t *srv, int fd, const char *peer) {
    return cp__conn_add(srv, fd, peer ? peer : "adopted");
}

/* ---- idle sweep ----------------------------------------------------------- */

static int64_t cp__sweep_interval(const cp_http_server_t *srv) {
    int64_t t = srv->lim.idle_timeout_ms > 0 ? srv->lim.idle_timeout_ms / 2 : 1000;
    if (t > 1000)
        t = 1000;
    if (t < 20)
        t = 20;
    return t;
}

static void cp__srv_sweep(cp_loop_t *loop, void *data) {
    cp_http_server_t *srv = data;
    srv->sweep_timer = 0;
    int64_t now = cp_loop_now(loop);
    int64_t idle = srv->lim.idle_timeout_ms;
    cp__conn_t *next;
    for (cp__conn_t *c = srv->conns; c; c = next) {
        next = c->next;
        if (c->state == CP__CONN_LINGER) {
            if (now >= c->linger_until)
                cp__conn_close(c);
            continue;
        }
        if (idle <= 0)
            continue;
        /* Waiting for the store is our delay, not the client's. */
        bool held_only = c->mready < c->mcount && c->ready_end == c->out_off;
        if (!held_only && now - c->last_active >= idle)
            cp__conn_close(c);
    }
    cp__srv_arm_sweep(srv);
}

static void cp__srv_arm_sweep(cp_http_server_t *srv) {
    if (srv->sweep_timer == 0 && srv->nconns > 0)
        srv->sweep_timer = cp_loop_timer(srv->loop, cp__sweep_interval(srv), cp__srv_sweep, srv);
}

/* ---- server --------------------------------------------------------------- */

cp_http_server_t *cp_http_server_new(cp_loop_t *loop, const cp_http_limits_t *lim,
                                     cp_http_handler_fn handler, void *ctx) {
    cp_http_server_t *srv = cp_calloc(1, sizeof *srv);
    srv->loop = loop;
    if (lim)
        srv->lim = *lim;
    else
        cp_http_limits_defaults(&srv->lim);
    srv->handler = handler;
    srv->ctx = ctx;
    srv->lfd = -1;
    srv->resp = (cp_http_resp_t){.status = 200, .headers = CP_BUF_INIT, .body = CP_BUF_INIT};

    cp_http_resp_t busy = {.status = 503, .headers = CP_BUF_INIT, .body = CP_BUF_INIT};
    cp_http_resp_header(&busy, "Retry-After", "1");
    cp_http_error(&busy, 503, "too_many_connections", "the server's connection limit is reached");
    cp__resp_serialize(&srv->busy_reply, &busy, CP__RESP_CLOSE);
    cp_buf_free(&busy.headers);
    cp_buf_free(&busy.body);
    return srv;
}

static int cp__errf(char *err, size_t errlen, const char *what, const char *host, int port) {
    if (err && errlen)
        snprintf(err, errlen, "%s %s:%d: %s", what, host, port, strerror(errno));
    return -1;
}

int cp_http_server_listen(cp_http_server_t *srv, const char *host, int port, char *err,
                          size_t errlen) {
    if (!host)
        host = "127.0.0.1";
    if (srv->lfd >= 0 || port < 0 || port > 65535) {
        errno = srv->lfd >= 0 ? EALREADY : EINVAL;
        return cp__errf(err, errlen, "cannot listen on", host, port);
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    char lit[INET6_ADDRSTRLEN + 2];
    size_t hl = strlen(host);
    if (hl >= 2 && hl < sizeof lit && host[0] == '[' && host[hl - 1] == ']') {
        memcpy(lit, host + 1, hl - 2);
        lit[hl - 2] = '\0';
    } else {
        snprintf(lit, sizeof lit, "%s", strcmp(host, "localhost") == 0 ? "127.0.0.1" : host);
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, lit, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        sl = sizeof *a4;
    } else if (inet_pton(AF_INET6, lit, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        sl = sizeof *a6;
    } else {
        if (err && errlen)
            snprintf(err, errlen, "cannot listen on %s:%d: not an IP address or localhost", host,
                     port);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cp__errf(err, errlen, "socket for", host, port);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4096) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return cp__errf(err, errlen, "cannot listen on", host, port);
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) == 0)
        port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                : ((struct sockaddr_in6 *)&bound)->sin6_port);
    int rc = cp_loop_watch(srv->loop, fd, CP_LOOP_READ, cp__srv_on_accept, srv);
    if (rc < 0) {
        close(fd);
        errno = -rc;
        return cp__errf(err, errlen, "cannot watch listener on", host, port);
    }
    srv->lfd = fd;
    srv->port = port;
    return 0;
}

int cp_http_server_port(const cp_http_server_t *srv) { return srv->port; }

void cp_http_server_release(cp_http_server_t *srv, uint64_t durable) {
    if (durable > srv->durable)
        srv->durable = durable;
    cp__conn_t *next;
    for (cp__conn_t *c = srv->dirty; c; c = next) {
        next = c->dnext;
        /* Connections blocked on a full socket are flushed on WRITE. */
        if (c->want_write || c->mready == c->mcount ||
            c->marks[c->mready].wait_seq > srv->durable)
            continue;
        cp__conn_flush(c);
    }
}

void cp_http_server_stop_accepting(cp_http_server_t *srv) {
    if (srv->accept_timer) {
        cp_loop_timer_cancel(srv->loop, srv->accept_timer);
        srv->accept_timer = 0;
    }
    if (srv->lfd >= 0) {
        cp_loop_unwatch(srv->loop, srv->lfd);
        close(srv->lfd);
        srv->lfd = -1;
    }
}

size_t cp_http_server_pending(const cp_http_server_t *srv) { return srv->pending; }

size_t cp_http_server_connections(const cp_http_server_t *srv) { return srv->nconns; }

void cp_http_server_free(cp_http_server_t *srv) {
    if (!srv)
        return;
    cp_http_server_stop_accepting(srv);
    while (srv->conns) {
        srv->conns->busy = false;
        cp__conn_close(srv->conns);
    }
    if (srv->sweep_timer)
        cp_loop_timer_cancel(srv->loop, srv->sweep_timer);
    cp_buf_free(&srv->resp.headers);
    cp_buf_free(&srv->resp.body);
    cp_buf_free(&srv->busy_reply);
    cp_free(srv);
}
