/* cp_jw.c — streaming JSON writer (see cp_jw.h). */
#include "util/base/cp_jw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/base/cp_time.h"

void cp_jw_init(cp_jw_t *w, cp_buf_t *b) {
    memset(w, 0, sizeof *w);
    w->b = b;
}

/* Called before every value: a comma between array items or object
 * members, nothing right after a key. */
static void cp__val(cp_jw_t *w) {
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth])
        cp_buf_putc(w->b, ',');
    w->need_comma[w->depth] = true;
}

static void cp__open(cp_jw_t *w, char c) {
    cp__val(w);
    cp_buf_putc(w->b, c);
    if (w->depth < CP_JW_MAX_DEPTH - 1)
        w->depth++;
    w->need_comma[w->depth] = false;
}

static void cp__close(cp_jw_t *w, char c) {
    cp_buf_putc(w->b, c);
    if (w->depth > 0)
        w->depth--;
}

void cp_jw_obj(cp_jw_t *w) { cp__open(w, '{'); }
void cp_jw_obj_end(cp_jw_t *w) { cp__close(w, '}'); }
void cp_jw_arr(cp_jw_t *w) { cp__open(w, '['); }
void cp_jw_arr_end(cp_jw_t *w) { cp__close(w, ']'); }

void cp_jw_key(cp_jw_t *w, const char *key) {
    cp__val(w);
    cp_json_escape(w->b, key, strlen(key));
    cp_buf_putc(w->b, ':');
    w->after_key = true;
}

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0. */
static size_t cp__utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        min = 0x80;
        c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        min = 0x800;
        c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return len;
}

void cp_json_escape(cp_buf_t *b, const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    cp_buf_reserve(b, n + 2);
    cp_buf_putc(b, '"');
    size_t run = 0; /* start of a run of bytes copied verbatim */
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = cp__utf8_len(s + i, n - i);
            if (l) {
                i += l;
                continue;
            }
        }
        cp_buf_append(b, s + run, i - run);
        switch (c) {
        case '"': cp_buf_append(b, "\\\"", 2); break;
        case '\\': cp_buf_append(b, "\\\\", 2); break;
        case '\n': cp_buf_append(b, "\\n", 2); break;
        case '\r': cp_buf_append(b, "\\r", 2); break;
        case '\t': cp_buf_append(b, "\\t", 2); break;
        default:
            if (c < 0x20)
                cp_buf_printf(b, "\\u%04x", c);
            else
                cp_buf_append(b, "\\ufffd", 6); /* invalid UTF-8 byte */
        }
        i++;
        run = i;
    }
    cp_buf_append(b, s + run, n - run);
    cp_buf_putc(b, '"');
}

void cp_jw_strn(cp_jw_t *w, const char *s, size_t n) {
    cp__val(w);
    cp_json_escape(w->b, s, n);
}

void cp_jw_str(cp_jw_t *w, const char *s) { cp_jw_strn(w, s, strlen(s)); }

void cp_jw_str_or_null(cp_jw_t *w, const char *s) {
    if (s)
        cp_jw_str(w, s);
    else
        cp_jw_null(w);
}

void cp_jw_int(cp_jw_t *w, int64_t v) {
    cp__val(w);
    cp_buf_put_i64(w->b, v);
}

void cp_jw_num(cp_jw_t *w, double v) {
    if (!isfinite(v)) {
        cp_jw_null(w);
        return;
    }
    cp__val(w);
    cp_buf_printf(w->b, "%.6g", v);
}

void cp_jw_fixed(cp_jw_t *w, double v, int decimals) {
    if (!isfinite(v)) {
        cp_jw_null(w);
        return;
    }
    cp__val(w);
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        cp_buf_puts(w->b, "0");
        return;
    }
    if (memchr(tmp, '.', (size_t)n)) {
        while (tmp[n - 1] == '0')
            n--;
        if (tmp[n - 1] == '.')
            n--;
    }
    if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
        cp_buf_putc(w->b, '0');
    else
        cp_buf_append(w->b, tmp, (size_t)n);
}

void cp_jw_bool(cp_jw_t *w, bool v) {
    cp__val(w);
    cp_buf_puts(w->b, v ? "true" : "false");
}

void cp_jw_null(cp_jw_t *w) {
    cp__val(w);
    cp_buf_append(w->b, "null", 4);
}

void cp_jw_units(cp_jw_t *w, int64_t mu) {
    cp__val(w);
    if (mu < 0) {
        cp_buf_putc(w->b, '-');
        mu = -mu;
    }
    cp_buf_put_i64(w->b, mu / 1000);
    int frac = (int)(mu % 1000);
    if (frac) {
        char tmp[5];
        int n = snprintf(tmp, sizeof tmp, ".%03d", frac);
        while (n > 1 && tmp[n - 1] == '0')
            n--;
        cp_buf_append(w->b, tmp, (size_t)n);
    }
}

void cp_jw_time(cp_jw_t *w, int64_t ms) {
    if (ms == INT64_MIN) {
        cp_jw_null(w);
        return;
    }
    cp__val(w);
    char tmp[CP_TIME_STRLEN];
    size_t n = cp_time_format(ms, tmp);
    cp_buf_putc(w->b, '"');
    cp_buf_append(w->b, tmp, n);
    cp_buf_putc(w->b, '"');
}

void cp_jw_raw(cp_jw_t *w, const char *json, size_t n) {
    cp__val(w);
    cp_buf_append(w->b, json, n);
}
