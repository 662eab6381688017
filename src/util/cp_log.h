/* cp_log.h — structured logs in logfmt on stderr.
 *
 *   ts=2026-11-26T09:00:00.123Z level=info msg=placement meeting=m1 server=fe3 ...
 *
 * Lines are buffered and written once per event-loop iteration
 * (cp_log_flush), so a placement log line costs no system call of its own,
 * even in a storm of refusals (logged as warnings). Errors are flushed at
 * once. */
#ifndef CP_LOG_H
#define CP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cp_log_level {
    CP_LOG_DEBUG = 0,
    CP_LOG_INFO = 1,
    CP_LOG_WARN = 2,
    CP_LOG_ERROR = 3,
} cp_log_level_t;

/** Sets the least level written (default info). */
void cp_log_set_level(cp_log_level_t level);
/** Parses "debug", "info", "warn", "error". */
bool cp_log_level_parse(const char *s, cp_log_level_t *out);
/** True if level would be written. */
bool cp_log_enabled(cp_log_level_t level);
/** Writes one line: ts, level and msg, then the formatted key=value pairs.
 *  Use cp_log_quote for values that may hold spaces or quotes. */
void cp_log(cp_log_level_t level, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Tags every line written from now on with req=<id>, right after msg,
 *  until called with 0. The API sets it while it handles a request, so
 *  the lines of one request can be found together (ids are per process,
 *  the same as in GET /v1/decisions). */
void cp_log_set_request(uint64_t id);
/** Writes buffered lines to stderr. */
void cp_log_flush(void);
/** Returns s quoted for logfmt when needed (a static ring of buffers, so a
 *  handful of calls may appear in one cp_log). */
const char *cp_log_quote(const char *s);
/** The same for n bytes of s (need not be NUL-terminated; at most 500). */
const char *cp_log_quote_n(const char *s, size_t n);

#endif
