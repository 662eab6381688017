/* cp_svg.h — a very small SVG writer: rectangles, lines, polylines and
 * text into a cp_buf. Coordinates are printed with one decimal, so plots
 * stay small enough to commit. */
#ifndef CP_SVG_H
#define CP_SVG_H

#include <stddef.h>

#include "util/base/cp_buf.h"

typedef struct cp_svg {
    cp_buf_t *b;
    double w, h;
} cp_svg_t;

/** Starts a document of w x h pixels with a white background. */
void cp_svg_begin(cp_svg_t *s, cp_buf_t *b, double w, double h);
void cp_svg_end(cp_svg_t *s);
/** A rectangle; stroke may be NULL for none. */
void cp_svg_rect(cp_svg_t *s, double x, double y, double w, double h, const char *fill,
                 const char *stroke);
/** A line; dash may be NULL for a solid one. */
void cp_svg_line(cp_svg_t *s, double x1, double y1, double x2, double y2, const char *stroke,
                 double width, const char *dash);
/** An open polyline through n points. */
void cp_svg_polyline(cp_svg_t *s, const double *x, const double *y, size_t n, const char *stroke,
                     double width, double opacity);
/** A closed, filled polygon through n points. */
void cp_svg_polygon(cp_svg_t *s, const double *x, const double *y, size_t n, const char *fill,
                    double opacity);
/** Text; anchor is "start", "middle" or "end". The text is escaped. */
void cp_svg_text(cp_svg_t *s, double x, double y, double size, const char *anchor,
                 const char *fill, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
