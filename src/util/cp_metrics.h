/* cp_metrics.h — a small metrics registry: counters, gauges and histograms
 * with label sets, rendered in the Prometheus text format (cp_prom.h).
 *
 * Families are declared once, with their label names. A series (one set of
 * label values) is resolved once, when the caller first needs it, and the
 * caller keeps the pointer: updating a series is then one or two atomic
 * operations, with no lookup and no allocation, from any thread (the
 * daemon's writer thread records commit times; the loop thread the rest).
 *
 * Declaring families, resolving series and rendering take the registry's
 * mutex; updates never do. Series live until the registry is freed.
 * Values that are cheaper to compute at scrape time than to maintain (per
 * server load, meeting counts) come from collectors: callbacks that write
 * whole families with cp_prom_* after the registry's own. */
#ifndef CP_METRICS_H
#define CP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/base/cp_buf.h"

/** Label names per family, at most. */
#define CP_METRICS_MAX_LABELS 4
/** Finite bucket bounds per histogram, at most. */
#define CP_METRICS_MAX_BUCKETS 24

typedef struct cp_metrics cp_metrics_t;
typedef struct cp_metric_family cp_metric_family_t;

/** A counter series: a monotonically increasing integer. */
typedef struct cp_counter {
    _Atomic uint64_t value;
} cp_counter_t;

/** A gauge series: a double that goes up and down (bits of the double). */
typedef struct cp_gauge {
    _Atomic uint64_t bits;
} cp_gauge_t;

/** A histogram series with its family's fixed bucket bounds. */
typedef struct cp_histogram cp_histogram_t;

/** Writes whole families into out at scrape time (on the rendering
 *  thread, under the registry's mutex: it must not call into the
 *  registry). Each family it writes must have a name no other uses. */
typedef void (*cp_metrics_collect_fn)(void *ctx, cp_buf_t *out);

/** Creates an empty registry. Never returns NULL. */
cp_metrics_t *cp_metrics_new(void);
/** Frees the registry, its families and series. Series pointers die. */
void cp_metrics_free(cp_metrics_t *m);

/** Declares a counter family. labels is a comma-separated list of label
 *  names ("pool,policy,result") or NULL. Names are checked: an invalid or
 *  duplicate name is a programming error and aborts. The name should end
 *  in _total. */
cp_metric_family_t *cp_metrics_counter(cp_metrics_t *m, const char *name, const char *help,
                                       const char *labels);
/** Declares a gauge family (see cp_metrics_counter). */
cp_metric_family_t *cp_metrics_gauge(cp_metrics_t *m, const char *name, const char *help,
                                     const char *labels);
/** Declares a histogram family with nbounds increasing finite upper
 *  bounds (the +Inf bucket is implicit). "le" may not be a label. */
cp_metric_family_t *cp_metrics_histogram(cp_metrics_t *m, const char *name, const char *help,
                                         const char *labels, const double *bounds,
                                         size_t nbounds);
/** Adds a collector, called on every render after the registry's families,
 *  in the order added. */
void cp_metrics_add_collector(cp_metrics_t *m, cp_metrics_collect_fn fn, void *ctx);

/** Resolves the series with these label values (one per label name of the
 *  family, in order; none for a family without labels), creating it at
 *  zero the first time. Resolve once and keep the pointer: this walks the
 *  family's series and may allocate. The family's type must match. */
cp_counter_t *cp_metrics_counter_at(cp_metric_family_t *f, ...);
cp_gauge_t *cp_metrics_gauge_at(cp_metric_family_t *f, ...);
cp_histogram_t *cp_metrics_histogram_at(cp_metric_family_t *f, ...);
/** The same with the values in an array of the family's label count. */
void *cp_metrics_series(cp_metric_family_t *f, const char *const *values);

/** Adds n to a counter. */
static inline void cp_counter_add(cp_counter_t *c, uint64_t n) {
    atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}
static inline void cp_counter_inc(cp_counter_t *c) { cp_counter_add(c, 1); }
static inline uint64_t cp_counter_get(const cp_counter_t *c) {
    return atomic_load_explicit(&c->value, memory_order_relaxed);
}

static inline void cp_gauge_set(cp_gauge_t *g, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    atomic_store_explicit(&g->bits, bits, memory_order_relaxed);
}
static inline double cp_gauge_get(const cp_gauge_t *g) {
    uint64_t bits = atomic_load_explicit(&g->bits, memory_order_relaxed);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}
/** Adds d (may be negative) to a gauge. */
void cp_gauge_add(cp_gauge_t *g, double d);

/** Records one observation: finds its bucket among the fixed bounds (a
 *  short binary search), then three atomic additions. No allocation. */
void cp_histogram_observe(cp_histogram_t *h, double v);
/** Observations so far (for tests). */
uint64_t cp_histogram_count(const cp_histogram_t *h);
/** Sum of the observations so far (for tests). */
double cp_histogram_sum(const cp_histogram_t *h);

/** Appends every family, then the collectors' output, to out. */
void cp_metrics_render(cp_metrics_t *m, cp_buf_t *out);

#endif
