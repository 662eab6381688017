/* cp_prom.c — Prometheus text exposition format 0.0.4 (see cp_prom.h). */
#include "util/cp_prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool cp__alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool cp__digit(char c) { return c >= '0' && c <= '9'; }

bool cp_prom_name_valid(const char *name) {
    if (!name || !(cp__alpha(*name) || *name == ':'))
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!cp__alpha(*p) && !cp__digit(*p) && *p != ':')
            return false;
    return true;
}

bool cp_prom_label_valid(const char *name) {
    if (!name || !cp__alpha(*name) || strncmp(name, "__", 2) == 0)
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!cp__alpha(*p) && !cp__digit(*p))
            return false;
    return true;
}

/* HELP text escapes backslash and newline; label values also the quote. */
static void cp__escape(cp_buf_t *b, const char *s, bool quote) {
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        if (*p == '\\')
            rep = "\\\\";
        else if (*p == '\n')
            rep = "\\n";
        else if (quote && *p == '"')
            rep = "\\\"";
        if (rep) {
            cp_buf_append(b, run, (size_t)(p - run));
            cp_buf_append(b, rep, 2);
            run = p + 1;
        }
    }
    cp_buf_puts(b, run);
}

void cp_prom_family(cp_buf_t *b, const char *name, const char *type, const char *help) {
    cp_buf_puts(b, "# HELP ");
    cp_buf_puts(b, name);
    cp_buf_putc(b, ' ');
    cp__escape(b, help ? help : "", false);
    cp_buf_puts(b, "\n# TYPE ");
    cp_buf_puts(b, name);
    cp_buf_putc(b, ' ');
    cp_buf_puts(b, type);
    cp_buf_putc(b, '\n');
}

void cp_prom_number(cp_buf_t *b, double v) {
    if (isnan(v)) {
        cp_buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        cp_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) { /* 2^53: exact as an integer */
        cp_buf_put_i64(b, (long long)v);
        return;
    }
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        snprintf(tmp, sizeof tmp, "%.17g", v);
    cp_buf_puts(b, tmp);
}

static void cp__label(cp_buf_t *b, bool *first, const char *name, const char *value) {
    cp_buf_putc(b, *first ? '{' : ',');
    *first = false;
    cp_buf_puts(b, name);
    cp_buf_append(b, "=\"", 2);
    cp__escape(b, value ? value : "", true);
    cp_buf_putc(b, '"');
}

void cp_prom_sample_arr(cp_buf_t *b, const char *name, const char *suffix, size_t nlabels,
                        const char *const *names, const char *const *values,
                        const char *extra_name, const char *extra_value, double value) {
    cp_buf_puts(b, name);
    if (suffix)
        cp_buf_puts(b, suffix);
    bool first = true;
    for (size_t i = 0; i < nlabels; i++)
        cp__label(b, &first, names[i], values[i]);
    if (extra_name)
        cp__label(b, &first, extra_name, extra_value);
    if (!first)
        cp_buf_putc(b, '}');
    cp_buf_putc(b, ' ');
    cp_prom_number(b, value);
    cp_buf_putc(b, '\n');
}

void cp_prom_sample(cp_buf_t *b, const char *name, double value, ...) {
    cp_buf_puts(b, name);
    bool first = true;
    va_list ap;
    va_start(ap, value);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        cp__label(b, &first, k, v);
    }
    va_end(ap);
    if (!first)
        cp_buf_putc(b, '}');
    cp_buf_putc(b, ' ');
    cp_prom_number(b, value);
    cp_buf_putc(b, '\n');
}
