/* cp_http_resp.c — HTTP response serialisation, the API's JSON error body,
 * and the response helpers of cp_http.h. */
#include <string.h>

#include "net/cp_http.h"
#include "net/cp_http_conn.h"
#include "util/base/cp_jw.h"

void cp_http_limits_defaults(cp_http_limits_t *lim) {
    lim->max_header_bytes = 16 * 1024;
    lim->max_body_bytes = 64 * 1024;
    lim->max_connections = 4096;
    lim->idle_timeout_ms = 60 * 1000;
}

void cp_http_resp_header(cp_http_resp_t *resp, const char *name, const char *value) {
    cp_buf_puts(&resp->headers, name);
    cp_buf_append(&resp->headers, ": ", 2);
    size_t start = resp->headers.len;
    cp_buf_puts(&resp->headers, value);
    /* A CR or LF in a value would let it inject header lines. */
    for (size_t i = start; i < resp->headers.len; i++) {
        if (resp->headers.data[i] == '\r' || resp->headers.data[i] == '\n')
            resp->headers.data[i] = ' ';
    }
    cp_buf_append(&resp->headers, "\r\n", 2);
}

void cp_http_error(cp_http_resp_t *resp, int status, const char *code, const char *message) {
    resp->status = status;
    resp->content_type = NULL;
    cp_buf_clear(&resp->body);
    cp_buf_append(&resp->body, "{\"error\":{\"code\":", 17);
    cp_json_escape(&resp->body, code ? code : "", code ? strlen(code) : 0);
    cp_buf_append(&resp->body, ",\"message\":", 11);
    cp_json_escape(&resp->body, message ? message : "", message ? strlen(message) : 0);
    cp_buf_append(&resp->body, "}}", 2);
}

void cp__resp_reset(cp_http_resp_t *r) {
    r->status = 200;
    r->content_type = NULL;
    cp_buf_clear(&r->headers);
    cp_buf_clear(&r->body);
    r->wait_seq = 0;
    r->close = false;
}

static const char *cp__reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static char *cp__put(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}

#define CP__PUT_LIT(p, lit) cp__put((p), (lit), sizeof(lit) - 1)

static char *cp__put_u64(char *p, uint64_t v) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

void cp__resp_serialize(cp_buf_t *out, const cp_http_resp_t *r, unsigned flags) {
    int status = r->status;
    if (status < 100 || status > 999)
        status = 500;
    const char *reason = cp__reason(status);
    size_t reason_len = strlen(reason);
    /* 1xx, 204 and 304 never carry a body; 1xx and 204 not even a
     * Content-Length (RFC 9110 8.6), and for 304 it would describe a
     * representation we do not have. */
    bool bodiless = status < 200 || status == 204 || status == 304;
    const char *ctype = r->content_type ? r->content_type : "application/json";
    size_t ctype_len = strlen(ctype);
    bool send_ctype = !bodiless && r->body.len > 0 && ctype_len > 0;
    bool send_body = !bodiless && !(flags & CP__RESP_HEAD);

    size_t need = 128 + reason_len + ctype_len + r->headers.len + (send_body ? r->body.len : 0);
    cp_buf_reserve(out, need);
    char *p = out->data + out->len;
    p = CP__PUT_LIT(p, "HTTP/1.1 ");
    *p++ = (char)('0' + status / 100);
    *p++ = (char)('0' + status / 10 % 10);
    *p++ = (char)('0' + status % 10);
    *p++ = ' ';
    p = cp__put(p, reason, reason_len);
    p = CP__PUT_LIT(p, "\r\n");
    if (send_ctype) {
        p = CP__PUT_LIT(p, "Content-Type: ");
        p = cp__put(p, ctype, ctype_len);
        p = CP__PUT_LIT(p, "\r\n");
    }
    if (!bodiless) {
        p = CP__PUT_LIT(p, "Content-Length: ");
        p = cp__put_u64(p, r->body.len);
        p = CP__PUT_LIT(p, "\r\n");
    }
    if (flags & CP__RESP_CLOSE)
        p = CP__PUT_LIT(p, "Connection: close\r\n");
    else if (flags & CP__RESP_KEEPALIVE)
        p = CP__PUT_LIT(p, "Connection: keep-alive\r\n");
    if (r->headers.len)
        p = cp__put(p, r->headers.data, r->headers.len);
    p = CP__PUT_LIT(p, "\r\n");
    if (send_body && r->body.len)
        p = cp__put(p, r->body.data, r->body.len);
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
}
