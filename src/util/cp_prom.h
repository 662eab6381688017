/* cp_prom.h — writing the Prometheus text exposition format 0.0.4.
 *
 *   # HELP confpool_server_utilization Utilization of a server ...
 *   # TYPE confpool_server_utilization gauge
 *   confpool_server_utilization{server="fe1",pool="default"} 0.344
 *
 * Escapes HELP text (\\ and \n) and label values (\\, \" and \n), and
 * prints numbers so that Prometheus parses them back exactly (integers as
 * integers, +Inf, -Inf, NaN). The registry (cp_metrics.h) writes through
 * this, and so do collectors that compute gauges at scrape time. */
#ifndef CP_PROM_H
#define CP_PROM_H

#include <stdbool.h>

#include "util/base/cp_buf.h"

/** The content type of a scrape reply. */
#define CP_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** True if name is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
bool cp_prom_name_valid(const char *name);
/** True if name is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not "__…". */
bool cp_prom_label_valid(const char *name);

/** Writes the "# HELP" and "# TYPE" lines of a family; type is "counter",
 *  "gauge" or "histogram". Every sample of the family must follow before
 *  the next family starts. */
void cp_prom_family(cp_buf_t *b, const char *name, const char *type, const char *help);

/** Writes one sample line: name, then labels as NULL-terminated pairs
 *  (label name, value), then the value. Example:
 *  cp_prom_sample(b, "x_total", 3, "pool", "default", NULL); */
void cp_prom_sample(cp_buf_t *b, const char *name, double value, ...)
    __attribute__((sentinel));

/** Writes one sample line with nlabels names and values from arrays, an
 *  optional extra label (extra_name NULL for none, e.g. "le" of a bucket),
 *  and the value. suffix (may be NULL) is appended to name ("_bucket"). */
void cp_prom_sample_arr(cp_buf_t *b, const char *name, const char *suffix, size_t nlabels,
                        const char *const *names, const char *const *values,
                        const char *extra_name, const char *extra_value, double value);

/** Appends v as Prometheus reads it: integers without a fraction, else the
 *  shortest form that reads back to the same double; +Inf, -Inf, NaN. */
void cp_prom_number(cp_buf_t *b, double v);

#endif
