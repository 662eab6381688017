/* cp_buf.h — a growable byte buffer.
 *
 * Used for response bodies, JSON output and I/O queues. The buffer always
 * keeps a NUL after its contents so data can be handed to C string APIs. */
#ifndef CP_BUF_H
#define CP_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cp_buf {
    char *data;
    size_t len;
    size_t cap;
} cp_buf_t;

#define CP_BUF_INIT {NULL, 0, 0}

/** Ensures room for n more bytes (plus the trailing NUL). */
void cp_buf_reserve(cp_buf_t *b, size_t n);
/** Appends n bytes. */
void cp_buf_append(cp_buf_t *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
void cp_buf_puts(cp_buf_t *b, const char *s);
/** Appends one byte. */
void cp_buf_putc(cp_buf_t *b, char c);
/** Appends formatted text. */
void cp_buf_printf(cp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cp_buf_vprintf(cp_buf_t *b, const char *fmt, va_list ap);
/** Appends a signed decimal integer. */
void cp_buf_put_i64(cp_buf_t *b, long long v);
/** Drops the first n bytes (consumed output). */
void cp_buf_consume(cp_buf_t *b, size_t n);
/** Empties the buffer, keeping its memory. */
static inline void cp_buf_clear(cp_buf_t *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}
/** Releases the buffer's memory. */
void cp_buf_free(cp_buf_t *b);

#endif
