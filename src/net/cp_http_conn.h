/* cp_http_conn.h — internals shared by the HTTP server's files (not a
 * public interface): the connection and server structures, the input side
 * (cp_http_parse.c: llhttp glue, spans, limits), the output side
 * (cp_http.c: ordered output queue, hold/release, I/O) and response
 * serialisation (cp_http_resp.c). */
#ifndef CP_HTTP_CONN_H
#define CP_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llhttp.h"
#include "net/cp_http.h"
#include "util/base/cp_buf.h"

/* Backpressure: a connection with more unwritten output than this stops
 * reading and parsing ... */
#define CP__OUT_HIGH (1024 * 1024)
/* ... until it is down to this. */
#define CP__OUT_LOW (256 * 1024)

/* Spans of the request being parsed. They are offsets, not pointers, so
 * the input buffer may be moved or grown between reads. */
enum {
    CP__SP_METHOD,
    CP__SP_URL,
    CP__SP_FIELD, /* header name being received */
    CP__SP_VALUE, /* value of an interesting header being received */
    CP__SP_AUTH,
    CP__SP_CTYPE,
    CP__SP_EXPECT,
    CP__SP_BODY,
    CP__SP_COUNT,
};

enum { CP__IN_NONE, CP__IN_INPUT, CP__IN_SCRATCH };

typedef struct cp__span {
    size_t off;
    size_t len;
    uint8_t where; /* CP__IN_* */
} cp__span_t;

/* Why the parser stopped, when it was our decision rather than llhttp's. */
enum { CP__ERR_NONE, CP__ERR_TOO_LARGE, CP__ERR_UPGRADE, CP__ERR_CONNECT, CP__ERR_DUP_HEADER };

/* One queued response: where its bytes end in the output buffer and the
 * durable sequence number it waits for. */
typedef struct cp__mark {
    size_t end;
    uint64_t wait_seq;
    bool counted; /* a real response (not 100 Continue): counts as pending */
} cp__mark_t;

enum {
    CP__CONN_OPEN,     /* reading and answering requests */
    CP__CONN_DRAINING, /* last response queued; input is discarded */
    CP__CONN_LINGER,   /* everything written, write side shut; waiting for EOF */
};

typedef struct cp__conn cp__conn_t;

struct cp__conn {
    cp_http_server_t *srv;
    cp__conn_t *prev, *next;   /* all connections */
    cp__conn_t *dprev, *dnext; /* connections with queued output */
    bool dirty;
    int fd;
    uint8_t state;
    bool eof;        /* the peer will send nothing more */
    bool want_write; /* the socket was full: wait for WRITE */
    bool paused;     /* too much unwritten output: not reading */
    bool parse_paused; /* stopped between pipelined requests; input from tail on is unparsed */
    size_t tail;
    uint64_t resume_timer;
    bool busy;       /* inside llhttp_execute (and so maybe the handler) */
    bool dead;       /* closing was requested while busy */
    unsigned watched;
    int64_t last_active;
    int64_t linger_until;

    /* input */
    llhttp_t parser;
    cp_buf_t in;      /* bytes read; holds the current request from req_start */
    cp_buf_t scratch; /* spans that are not contiguous in `in` (chunked bodies) */
    size_t req_start;
    bool in_req;       /* a message has begun */
    bool headers_done; /* and its headers are complete */
    bool chunked;
    bool keep_alive;
    bool ka10; /* HTTP/1.0 with Connection: keep-alive */
    bool expect_continue;
    uint8_t field_kind; /* CP__SP_AUTH/CTYPE/EXPECT for the current header, or 0 */
    uint8_t seen;       /* bit per interesting header already received */
    uint8_t err;        /* CP__ERR_* */
    size_t extra_bytes; /* trailers and chunk extensions, limited like headers */
    cp__span_t sp[CP__SP_COUNT];

    /* output: bytes [out_off, ready_end) may be written now; the rest are
     * held behind the first response whose wait_seq is not durable yet */
    cp_buf_t out;
    size_t out_off;
    size_t ready_end;
    cp__mark_t *marks; /* [mhead, mcount) unwritten; [mready, mcount) held */
    size_t mhead, mready, mcount, mcap;
    bool close_after;

    char peer[64];
};

struct cp_http_server {
    cp_loop_t *loop;
    cp_http_limits_t lim;
    cp_http_handler_fn handler;
    void *ctx;
    int lfd;
    int port;
    cp__conn_t *conns;
    size_t nconns;
    cp__conn_t *dirty;
    size_t pending;
    uint64_t durable;
    uint64_t sweep_timer;
    uint64_t accept_timer;
    cp_http_resp_t resp; /* reused for every request */
    cp_buf_t busy_reply; /* sent to connections over the limit */
};

/* Serialisation flags. */
enum { CP__RESP_HEAD = 1u, CP__RESP_CLOSE = 2u, CP__RESP_KEEPALIVE = 4u };

/** Appends the wire form of r to out (cp_http_resp.c). */
void cp__resp_serialize(cp_buf_t *out, const cp_http_resp_t *r, unsigned flags);
/** Resets r for the next request, keeping its buffers (cp_http_resp.c). */
void cp__resp_reset(cp_http_resp_t *r);

/** Sets up the parser of a new connection (cp_http_parse.c). */
void cp__conn_parser_init(cp__conn_t *c);
/** Makes room in c->in for a read, dropping bytes no span needs. */
void cp__conn_input_prepare(cp__conn_t *c);
/** Parses c->in from offset `from`, calling the handler for each complete
 *  request and queueing error replies. */
void cp__conn_feed(cp__conn_t *c, size_t from);
/** Parses the input left unparsed by a backpressure pause. */
void cp__conn_feed_tail(cp__conn_t *c);
/** True when part of a request has been received but not completed. */
bool cp__conn_mid_request(const cp__conn_t *c);

/** Queues the serialised r on c; flags are CP__RESP_* (cp_http.c). */
void cp__conn_respond(cp__conn_t *c, const cp_http_resp_t *r, unsigned flags);
/** Queues an interim response (100 Continue), ordered like the others. */
void cp__conn_interim(cp__conn_t *c, const char *bytes, size_t n);

#endif
