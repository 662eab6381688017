/* cp_svg.c — the SVG writer (see cp_svg.h). */
#include "sim/cp_svg.h"

#include <stdarg.h>
#include <stdio.h>

void cp_svg_begin(cp_svg_t *s, cp_buf_t *b, double w, double h) {
    s->b = b;
    s->w = w;
    s->h = h;
    cp_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                  "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
                  w, h, w, h);
    cp_buf_printf(b, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
}

void cp_svg_end(cp_svg_t *s) { cp_buf_puts(s->b, "</svg>\n"); }

void cp_svg_rect(cp_svg_t *s, double x, double y, double w, double h, const char *fill,
                 const char *stroke) {
    cp_buf_printf(s->b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"",
                  x, y, w, h, fill);
    if (stroke)
        cp_buf_printf(s->b, " stroke=\"%s\"", stroke);
    cp_buf_puts(s->b, "/>\n");
}

void cp_svg_line(cp_svg_t *s, double x1, double y1, double x2, double y2, const char *stroke,
                 double width, const char *dash) {
    cp_buf_printf(s->b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"%.2g\"",
                  x1, y1, x2, y2, stroke, width);
    if (dash)
        cp_buf_printf(s->b, " stroke-dasharray=\"%s\"", dash);
    cp_buf_puts(s->b, "/>\n");
}

static void cp__points(cp_svg_t *s, const double *x, const double *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        cp_buf_printf(s->b, "%s%.1f,%.1f", i ? " " : "", x[i], y[i]);
}

void cp_svg_polyline(cp_svg_t *s, const double *x, const double *y, size_t n, const char *stroke,
                     double width, double opacity) {
    cp_buf_puts(s->b, "<polyline fill=\"none\" points=\"");
    cp__points(s, x, y, n);
    cp_buf_printf(s->b, "\" stroke=\"%s\" stroke-width=\"%.2g\"", stroke, width);
    if (opacity < 1)
        cp_buf_printf(s->b, " stroke-opacity=\"%.2g\"", opacity);
    cp_buf_puts(s->b, "/>\n");
}

void cp_svg_polygon(cp_svg_t *s, const double *x, const double *y, size_t n, const char *fill,
                    double opacity) {
    cp_buf_puts(s->b, "<polygon points=\"");
    cp__points(s, x, y, n);
    cp_buf_printf(s->b, "\" fill=\"%s\" fill-opacity=\"%.2g\"/>\n", fill, opacity);
}

void cp_svg_text(cp_svg_t *s, double x, double y, double size, const char *anchor,
                 const char *fill, const char *fmt, ...) {
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cp_buf_printf(s->b,
                  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.3g\" text-anchor=\"%s\" "
                  "fill=\"%s\">",
                  x, y, size, anchor, fill);
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '<': cp_buf_puts(s->b, "&lt;"); break;
        case '>': cp_buf_puts(s->b, "&gt;"); break;
        case '&': cp_buf_puts(s->b, "&amp;"); break;
        case '"': cp_buf_puts(s->b, "&quot;"); break;
        default: cp_buf_putc(s->b, *p);
        }
    }
    cp_buf_puts(s->b, "</text>\n");
}
