/* cp_buf.c — growable byte buffer (see cp_buf.h). */
#include "util/base/cp_buf.h"

#include <stdio.h>
#include <string.h>

#include "util/base/cp_alloc.h"

void cp_buf_reserve(cp_buf_t *b, size_t n) {
    if (b->len + n + 1 <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < b->len + n + 1)
        ncap *= 2;
    b->data = cp_realloc(b->data, ncap);
    b->cap = ncap;
}

void cp_buf_append(cp_buf_t *b, const void *p, size_t n) {
    cp_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cp_buf_puts(cp_buf_t *b, const char *s) { cp_buf_append(b, s, strlen(s)); }

void cp_buf_putc(cp_buf_t *b, char c) {
    cp_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void cp_buf_vprintf(cp_buf_t *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    cp_buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        cp_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void cp_buf_printf(cp_buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cp_buf_put_i64(cp_buf_t *b, long long v) {
    char tmp[24];
    char *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    cp_buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void cp_buf_consume(cp_buf_t *b, size_t n) {
    if (n >= b->len) {
        cp_buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void cp_buf_free(cp_buf_t *b) {
    cp_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
