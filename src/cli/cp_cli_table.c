/* cp_cli_table.c — aligned text tables for the CLI. Widths count UTF-8
 * characters, not bytes, so rows with bar glyphs line up. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cp_cli_int.h"
#include "util/base/cp_alloc.h"

struct cp_table {
    size_t ncols;
    char **heads; /* NULL: no header line */
    char *align;
    char **cells; /* nrows * ncols, row-major */
    size_t nrows, ncells, cap;
};

cp_table_t *cp_table_new(size_t ncols, const char *const *heads, const char *align) {
    cp_table_t *t = cp_calloc(1, sizeof *t);
    t->ncols = ncols;
    t->align = cp_strdup(align);
    if (heads) {
        t->heads = cp_calloc(ncols, sizeof *t->heads);
        for (size_t i = 0; i < ncols; i++)
            t->heads[i] = cp_strdup(heads[i]);
    }
    return t;
}

void cp_table_row(cp_table_t *t) {
    /* Pad an unfinished row, so a forgotten cell cannot shift the rest. */
    while (t->ncells < t->nrows * t->ncols)
        cp_table_cell(t, "%s", "");
    t->nrows++;
}

void cp_table_cell(cp_table_t *t, const char *fmt, ...) {
    if (t->ncells == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->cells = cp_reallocarray(t->cells, t->cap, sizeof *t->cells);
    }
    cp_buf_t b = CP_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cp_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    t->cells[t->ncells++] = b.data ? b.data : cp_strdup("");
}

static size_t cp__width(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) /* count lead bytes only */
            n++;
    return n;
}

static void cp__put(cp_buf_t *line, const char *s, size_t width, char align) {
    size_t pad = width - cp__width(s);
    if (align == 'r')
        cp_buf_printf(line, "%*s%s", (int)pad, "", s);
    else
        cp_buf_printf(line, "%s%*s", s, (int)pad, "");
}

void cp_table_print(cp_table_t *t, FILE *f) {
    while (t->ncells < t->nrows * t->ncols)
        cp_table_cell(t, "%s", "");
    size_t *w = cp_calloc(t->ncols, sizeof *w);
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->heads)
            w[c] = cp__width(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t x = cp__width(t->cells[r * t->ncols + c]);
            if (x > w[c])
                w[c] = x;
        }
    }
    cp_buf_t line = CP_BUF_INIT;
    for (size_t r = t->heads ? 0 : 1; r <= t->nrows; r++) {
        cp_buf_clear(&line);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? t->heads[c] : t->cells[(r - 1) * t->ncols + c];
            if (c)
                cp_buf_puts(&line, "  ");
            cp__put(&line, s, w[c], t->align[c]);
        }
        while (line.len && line.data[line.len - 1] == ' ') /* no trailing blanks */
            line.data[--line.len] = '\0';
        fputs(line.data, f);
        fputc('\n', f);
    }
    cp_buf_free(&line);
    cp_free(w);
    cp_table_free(t);
}

void cp_table_free(cp_table_t *t) {
    for (size_t i = 0; i < t->ncells; i++)
        cp_free(t->cells[i]);
    if (t->heads)
        for (size_t c = 0; c < t->ncols; c++)
            cp_free(t->heads[c]);
    cp_free(t->heads);
    cp_free(t->cells);
    cp_free(t->align);
    cp_free(t);
}
