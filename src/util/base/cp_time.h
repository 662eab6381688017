/* cp_time.h — RFC 3339 formatting and parsing of millisecond UTC times.
 *
 * Pure arithmetic (no libc time zone or clock calls), so the engine and the
 * simulator can use it too. Reading the clock lives in util/cp_clock.h. */
#ifndef CP_TIME_H
#define CP_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_TIME_STRLEN 32

/** Formats ms as "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" before Z when the
 *  milliseconds are not zero. buf needs CP_TIME_STRLEN bytes. Returns the
 *  length. */
size_t cp_time_format(int64_t ms, char *buf);
/** Parses an RFC 3339 date-time ("2026-11-26T09:00:00Z", fractions and
 *  numeric offsets allowed) into UTC ms. Returns false if malformed. */
bool cp_time_parse(const char *s, size_t len, int64_t *out);
/** Parses a duration: plain seconds ("90"), or a number with a unit
 *  suffix ms, s, m, h, d ("15m", "1d", "1.5h"). Returns false if malformed. */
bool cp_duration_parse(const char *s, int64_t *out_ms);
/** Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t cp_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
