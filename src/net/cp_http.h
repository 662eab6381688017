/* cp_http.h — the HTTP/1.1 server: llhttp parsing, keep-alive, pipelining,
 * limits, and replies held back until the change they report is durable.
 *
 * The handler runs synchronously for each complete request, in arrival
 * order, and fills in a response. A response carries wait_seq: it is kept
 * in the connection's output queue until cp_http_server_release() is
 * called with a durable sequence number >= wait_seq. Responses on one
 * connection always go out in request order. Protocol errors (malformed
 * requests, oversized headers or bodies) are answered by the server itself
 * with the API's JSON error shape and the connection is closed. */
#ifndef CP_HTTP_H
#define CP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/cp_loop.h"
#include "util/base/cp_buf.h"

/** A byte range inside a buffer the server owns; valid during the handler. */
typedef struct cp_slice {
    const char *p;
    size_t n;
} cp_slice_t;

/** Methods the router distinguishes; anything else is CP_HTTP_OTHER. */
typedef enum cp_http_method {
    CP_HTTP_GET,
    CP_HTTP_HEAD,
    CP_HTTP_POST,
    CP_HTTP_PUT,
    CP_HTTP_DELETE,
    CP_HTTP_PATCH,
    CP_HTTP_OPTIONS,
    CP_HTTP_OTHER,
} cp_http_method_t;

typedef struct cp_http_req {
    cp_http_method_t method;
    cp_slice_t method_name;   /* as sent, e.g. "GET" */
    cp_slice_t target;        /* raw request-target, e.g. "/v1/meetings?limit=5" */
    cp_slice_t path;          /* target up to '?' (not percent-decoded) */
    cp_slice_t query;         /* after '?', empty if none */
    cp_slice_t authorization; /* header value, empty if absent */
    cp_slice_t content_type;  /* header value, empty if absent */
    cp_slice_t body;          /* decoded (Content-Length or chunked) */
    uint64_t id;              /* per-process request number, for logs */
    const char *peer;         /* "127.0.0.1:53412", "[::1]:53412" */
} cp_http_req_t;

typedef struct cp_http_resp {
    int status;               /* default 200 */
    const char *content_type; /* default "application/json" */
    cp_buf_t headers;         /* extra header lines, each ending in "\r\n" */
    cp_buf_t body;
    uint64_t wait_seq;        /* held until durable >= wait_seq (0: send at once) */
    bool close;               /* close the connection after this response */
} cp_http_resp_t;

/** Appends a header line "name: value\r\n" to resp. */
void cp_http_resp_header(cp_http_resp_t *resp, const char *name, const char *value);

typedef void (*cp_http_handler_fn)(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp);

typedef struct cp_http_limits {
    size_t max_header_bytes;  /* request line + headers (16 KiB) */
    size_t max_body_bytes;    /* decoded body (64 KiB) */
    unsigned max_connections; /* further connections are accepted and closed (4096) */
    int64_t idle_timeout_ms;  /* idle or stalled connections are closed (60 s) */
} cp_http_limits_t;

/** The documented defaults. */
void cp_http_limits_defaults(cp_http_limits_t *lim);

typedef struct cp_http_server cp_http_server_t;

/** Creates a server on loop calling handler(ctx, ...) for each request. */
cp_http_server_t *cp_http_server_new(cp_loop_t *loop, const cp_http_limits_t *lim,
                                     cp_http_handler_fn handler, void *ctx);
/** Binds and listens on host:port (IPv4 or IPv6 literal, or "localhost").
 *  port 0 picks a free port; cp_http_server_port tells which. Returns 0, or
 *  -1 with a message in err. */
int cp_http_server_listen(cp_http_server_t *srv, const char *host, int port, char *err,
                          size_t errlen);
/** Serves fd, an already connected non-blocking stream socket, as if it
 *  had been accepted (not counted against max_connections). srv owns fd
 *  from then on, also on failure. peer labels it in logs. This is how the
 *  fuzzers (fuzz/fuzz_http.c) and tests drive the request path through a
 *  socketpair without a listening socket. Returns 0 or a negative errno. */
int cp_http_server_adopt(cp_http_server_t *srv, int fd, const char *peer);
/** The bound port. */
int cp_http_server_port(const cp_http_server_t *srv);
/** Sends every held response with wait_seq <= durable. */
void cp_http_server_release(cp_http_server_t *srv, uint64_t durable);
/** Closes the listening socket; open connections carry on. */
void cp_http_server_stop_accepting(cp_http_server_t *srv);
/** Responses produced but not yet fully written, over all connections. */
size_t cp_http_server_pending(const cp_http_server_t *srv);
/** Open connections. */
size_t cp_http_server_connections(const cp_http_server_t *srv);
/** Closes every connection and frees srv. */
void cp_http_server_free(cp_http_server_t *srv);

/** Writes the API's error body {"error":{"code":...,"message":...}} into
 *  resp with the given status. */
void cp_http_error(cp_http_resp_t *resp, int status, const char *code, const char *message);

#endif
