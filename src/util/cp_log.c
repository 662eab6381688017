/* cp_log.c — logfmt logging (see cp_log.h). Single-threaded: the daemon's
 * loop thread logs; the writer thread only reports fatal errors directly. */
#include "util/cp_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/base/cp_buf.h"
#include "util/base/cp_time.h"
#include "util/cp_clock.h"

static cp_log_level_t cp__level = CP_LOG_INFO;
static cp_buf_t cp__out = CP_BUF_INIT;
static const char *const cp__names[] = {"debug", "info", "warn", "error"};
static uint64_t cp__req; /* the request being handled, 0 if none */

void cp_log_set_request(uint64_t id) { cp__req = id; }

void cp_log_set_level(cp_log_level_t level) { cp__level = level; }

bool cp_log_level_parse(const char *s, cp_log_level_t *out) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, cp__names[i]) == 0) {
            *out = (cp_log_level_t)i;
            return true;
        }
    if (strcmp(s, "warning") == 0) {
        *out = CP_LOG_WARN;
        return true;
    }
    return false;
}

bool cp_log_enabled(cp_log_level_t level) { return level >= cp__level; }

void cp_log(cp_log_level_t level, const char *msg, const char *kvfmt, ...) {
    if (level < cp__level)
        return;
    char ts[CP_TIME_STRLEN];
    int64_t now = cp_clock_wall_ms();
    /* always with milliseconds, so lines sort and align */
    size_t n = cp_time_format(now - now % 1000, ts);
    cp_buf_append(&cp__out, "ts=", 3);
    cp_buf_append(&cp__out, ts, n - 1);
    cp_buf_printf(&cp__out, ".%03dZ level=%s msg=%s", (int)(now % 1000), cp__names[level],
                  cp_log_quote(msg));
    if (cp__req)
        cp_buf_printf(&cp__out, " req=%llu", (unsigned long long)cp__req);
    if (kvfmt && *kvfmt) {
        cp_buf_putc(&cp__out, ' ');
        va_list ap;
        va_start(ap, kvfmt);
        cp_buf_vprintf(&cp__out, kvfmt, ap);
        va_end(ap);
    }
    cp_buf_putc(&cp__out, '\n');
    if (level >= CP_LOG_ERROR || cp__out.len > 64 * 1024)
        cp_log_flush();
}

void cp_log_flush(void) {
    size_t off = 0;
    while (off < cp__out.len) {
        ssize_t w = write(STDERR_FILENO, cp__out.data + off, cp__out.len - off);
        if (w <= 0)
            break; /* stderr gone: drop the logs rather than block */
        off += (size_t)w;
    }
    cp_buf_clear(&cp__out);
}

const char *cp_log_quote_n(const char *s, size_t n) {
    static char ring[4][504];
    static int next;
    char *copy = ring[next++ & 3];
    if (n > sizeof ring[0] - 1)
        n = sizeof ring[0] - 1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return cp_log_quote(copy);
}

const char *cp_log_quote(const char *s) {
    static char ring[8][512];
    static int next;
    if (s == NULL)
        return "null";
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p >= 0x7f) {
            plain = false;
            break;
        }
    if (plain)
        return s;
    char *out = ring[next++ & 7];
    size_t o = 0;
    out[o++] = '"';
    for (const char *p = s; *p && o < sizeof ring[0] - 3; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < ' ') {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}
