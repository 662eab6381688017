/* cp_jw.h — a streaming JSON writer into a cp_buf.
 *
 * Inserts commas and colons itself, escapes strings (invalid UTF-8 becomes
 * U+FFFD so output is always valid JSON), and prints load units and times
 * in the API's formats. Used for every response body and the simulator's
 * summaries; it allocates nothing beyond the buffer. */
#ifndef CP_JW_H
#define CP_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/base/cp_buf.h"

#define CP_JW_MAX_DEPTH 32

typedef struct cp_jw {
    cp_buf_t *b;
    int depth;
    bool need_comma[CP_JW_MAX_DEPTH];
    bool after_key;
} cp_jw_t;

/** Starts writing into b (appending). */
void cp_jw_init(cp_jw_t *w, cp_buf_t *b);
void cp_jw_obj(cp_jw_t *w);
void cp_jw_obj_end(cp_jw_t *w);
void cp_jw_arr(cp_jw_t *w);
void cp_jw_arr_end(cp_jw_t *w);
/** Writes an object key; the next value belongs to it. */
void cp_jw_key(cp_jw_t *w, const char *key);
void cp_jw_str(cp_jw_t *w, const char *s);
void cp_jw_strn(cp_jw_t *w, const char *s, size_t n);
/** A string, or null when s is NULL. */
void cp_jw_str_or_null(cp_jw_t *w, const char *s);
void cp_jw_int(cp_jw_t *w, int64_t v);
/** A double with up to 6 significant digits; NaN and infinities become null. */
void cp_jw_num(cp_jw_t *w, double v);
/** A double rounded to `decimals` places, trailing zeros trimmed. */
void cp_jw_fixed(cp_jw_t *w, double v, int decimals);
void cp_jw_bool(cp_jw_t *w, bool v);
void cp_jw_null(cp_jw_t *w);
/** Milli-units as units: 1500 -> 1.5. */
void cp_jw_units(cp_jw_t *w, int64_t mu);
/** An RFC 3339 UTC time, or null for CP_TIME_NONE (INT64_MIN). */
void cp_jw_time(cp_jw_t *w, int64_t ms);
/** Appends pre-rendered JSON as one value. */
void cp_jw_raw(cp_jw_t *w, const char *json, size_t n);

/** Appends s as a JSON string literal (with quotes) to b. */
void cp_json_escape(cp_buf_t *b, const char *s, size_t n);

#endif
