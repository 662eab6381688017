/* cp_metrics.c — the metrics registry (see cp_metrics.h).
 *
 * A family holds its series in a singly linked list, appended under the
 * registry's mutex and rendered in creation order. A histogram series
 * keeps one count per bucket (not cumulative, so an observation touches
 * one bucket); rendering accumulates them and derives _count from the same
 * reads, so _count always equals the +Inf bucket in one scrape. */
#include "util/cp_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/base/cp_alloc.h"
#include "util/cp_prom.h"

typedef enum cp__type { CP__COUNTER, CP__GAUGE, CP__HISTOGRAM } cp__type_t;

struct cp_histogram {
    const cp_metric_family_t *family;
    _Atomic uint64_t sum_bits; /* a double, updated by compare-and-swap */
    _Atomic uint64_t buckets[]; /* nbounds + 1 (the last is +Inf) */
};

typedef struct cp__series {
    struct cp__series *next;
    char **values;
    union {
        cp_counter_t counter;
        cp_gauge_t gauge;
        cp_histogram_t *hist;
    } u;
} cp__series_t;

struct cp_metric_family {
    cp_metrics_t *reg;
    cp_metric_family_t *next;
    cp__type_t type;
    char *name, *help;
    size_t nlabels;
    char *labels[CP_METRICS_MAX_LABELS];
    size_t nbounds;
    double bounds[CP_METRICS_MAX_BUCKETS];
    char le[CP_METRICS_MAX_BUCKETS][32]; /* the bounds as "le" label values */
    cp__series_t *head, *tail;
};

typedef struct cp__collector {
    cp_metrics_collect_fn fn;
    void *ctx;
} cp__collector_t;

struct cp_metrics {
    pthread_mutex_t mu;
    cp_metric_family_t *head, *tail;
    cp__collector_t *collectors;
    size_t ncollectors;
};

static _Noreturn void cp__misuse(const char *what, const char *name) {
    fprintf(stderr, "confpool: fatal: metrics: %s: %s\n", what, name ? name : "(null)");
    abort();
}

cp_metrics_t *cp_metrics_new(void) {
    cp_metrics_t *m = cp_calloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void cp__series_free(const cp_metric_family_t *f, cp__series_t *s) {
    for (size_t i = 0; i < f->nlabels; i++)
        cp_free(s->values[i]);
    cp_free(s->values);
    if (f->type == CP__HISTOGRAM)
        cp_free(s->u.hist);
    cp_free(s);
}

void cp_metrics_free(cp_metrics_t *m) {
    if (!m)
        return;
    cp_metric_family_t *f = m->head;
    while (f) {
        cp_metric_family_t *fn = f->next;
        cp__series_t *s = f->head;
        while (s) {
            cp__series_t *sn = s->next;
            cp__series_free(f, s);
            s = sn;
        }
        for (size_t i = 0; i < f->nlabels; i++)
            cp_free(f->labels[i]);
        cp_free(f->name);
        cp_free(f->help);
        cp_free(f);
        f = fn;
    }
    cp_free(m->collectors);
    pthread_mutex_destroy(&m->mu);
    cp_free(m);
}

static void cp__split_labels(cp_metric_family_t *f, const char *labels) {
    if (labels == NULL || *labels == '\0')
        return;
    const char *p = labels;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (f->nlabels == CP_METRICS_MAX_LABELS)
            cp__misuse("too many labels", f->name);
        char *name = cp_strndup(p, n);
        if (!cp_prom_label_valid(name) ||
            (f->type == CP__HISTOGRAM && strcmp(name, "le") == 0))
            cp__misuse("invalid label name", name);
        for (size_t i = 0; i < f->nlabels; i++)
            if (strcmp(f->labels[i], name) == 0)
                cp__misuse("duplicate label name", name);
        f->labels[f->nlabels++] = name;
        if (!comma)
            break;
        p = comma + 1;
    }
}

static cp_metric_family_t *cp__declare(cp_metrics_t *m, cp__type_t type, const char *name,
                                       const char *help, const char *labels) {
    if (!cp_prom_name_valid(name))
        cp__misuse("invalid metric name", name);
    cp_metric_family_t *f = cp_calloc(1, sizeof *f);
    f->reg = m;
    f->type = type;
    f->name = cp_strdup(name);
    f->help = cp_strdup(help ? help : "");
    cp__split_labels(f, labels);
    pthread_mutex_lock(&m->mu);
    for (cp_metric_family_t *g = m->head; g; g = g->next)
        if (strcmp(g->name, name) == 0)
            cp__misuse("duplicate metric name", name);
    if (m->tail)
        m->tail->next = f;
    else
        m->head = f;
    m->tail = f;
    pthread_mutex_unlock(&m->mu);
    return f;
}

cp_metric_family_t *cp_metrics_counter(cp_metrics_t *m, const char *name, const char *help,
                                       const char *labels) {
    return cp__declare(m, CP__COUNTER, name, help, labels);
}

cp_metric_family_t *cp_metrics_gauge(cp_metrics_t *m, const char *name, const char *help,
                                     const char *labels) {
    return cp__declare(m, CP__GAUGE, name, help, labels);
}

cp_metric_family_t *cp_metrics_histogram(cp_metrics_t *m, const char *name, const char *help,
                                         const char *labels, const double *bounds,
                                         size_t nbounds) {
    if (nbounds == 0 || nbounds > CP_METRICS_MAX_BUCKETS)
        cp__misuse("histogram needs 1 to CP_METRICS_MAX_BUCKETS bounds", name);
    for (size_t i = 0; i < nbounds; i++)
        if (!(bounds[i] > -1e308 && bounds[i] < 1e308) || (i && bounds[i] <= bounds[i - 1]))
            cp__misuse("histogram bounds must be finite and increasing", name);
    cp_metric_family_t *f = cp__declare(m, CP__HISTOGRAM, name, help, labels);
    f->nbounds = nbounds;
    for (size_t i = 0; i < nbounds; i++) {
        cp_buf_t b = CP_BUF_INIT;
        f->bounds[i] = bounds[i];
        cp_prom_number(&b, bounds[i]);
        snprintf(f->le[i], sizeof f->le[i], "%s", b.data);
        cp_buf_free(&b);
    }
    return f;
}

void cp_metrics_add_collector(cp_metrics_t *m, cp_metrics_collect_fn fn, void *ctx) {
    pthread_mutex_lock(&m->mu);
    m->collectors = cp_reallocarray(m->collectors, m->ncollectors + 1, sizeof *m->collectors);
    m->collectors[m->ncollectors++] = (cp__collector_t){fn, ctx};
    pthread_mutex_unlock(&m->mu);
}

/* ---- series ---------------------------------------------------------------- */

void *cp_metrics_series(cp_metric_family_t *f, const char *const *values) {
    cp_metrics_t *m = f->reg;
    pthread_mutex_lock(&m->mu);
    cp__series_t *s;
    for (s = f->head; s; s = s->next) {
        size_t i = 0;
        while (i < f->nlabels && strcmp(s->values[i], values[i] ? values[i] : "") == 0)
            i++;
        if (i == f->nlabels)
            break;
    }
    if (s == NULL) {
        s = cp_calloc(1, sizeof *s);
        s->values = cp_calloc(f->nlabels ? f->nlabels : 1, sizeof *s->values);
        for (size_t i = 0; i < f->nlabels; i++)
            s->values[i] = cp_strdup(values[i] ? values[i] : "");
        if (f->type == CP__HISTOGRAM) {
            s->u.hist = cp_calloc(1, sizeof *s->u.hist +
                                         (f->nbounds + 1) * sizeof s->u.hist->buckets[0]);
            s->u.hist->family = f;
        }
        if (f->tail)
            f->tail->next = s;
        else
            f->head = s;
        f->tail = s;
    }
    pthread_mutex_unlock(&m->mu);
    switch (f->type) {
    case CP__COUNTER: return &s->u.counter;
    case CP__GAUGE: return &s->u.gauge;
    case CP__HISTOGRAM: return s->u.hist;
    }
    return NULL;
}

static void *cp__series_va(cp_metric_family_t *f, cp__type_t type, va_list ap) {
    if (f->type != type)
        cp__misuse("series of the wrong type", f->name);
    const char *values[CP_METRICS_MAX_LABELS];
    for (size_t i = 0; i < f->nlabels; i++)
        values[i] = va_arg(ap, const char *);
    return cp_metrics_series(f, values);
}

cp_counter_t *cp_metrics_counter_at(cp_metric_family_t *f, ...) {
    va_list ap;
    va_start(ap, f);
    void *s = cp__series_va(f, CP__COUNTER, ap);
    va_end(ap);
    return s;
}

cp_gauge_t *cp_metrics_gauge_at(cp_metric_family_t *f, ...) {
    va_list ap;
    va_start(ap, f);
    void *s = cp__series_va(f, CP__GAUGE, ap);
    va_end(ap);
    return s;
}

cp_histogram_t *cp_metrics_histogram_at(cp_metric_family_t *f, ...) {
    va_list ap;
    va_start(ap, f);
    void *s = cp__series_va(f, CP__HISTOGRAM, ap);
    va_end(ap);
    return s;
}

/* ---- updates ----------------------------------------------------------------- */

static double cp__bits_to_double(uint64_t bits) {
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static uint64_t cp__double_to_bits(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

static void cp__atomic_add_double(_Atomic uint64_t *cell, double d) {
    uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(cell, &old,
                                                  cp__double_to_bits(cp__bits_to_double(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void cp_gauge_add(cp_gauge_t *g, double d) { cp__atomic_add_double(&g->bits, d); }

void cp_histogram_observe(cp_histogram_t *h, double v) {
    const cp_metric_family_t *f = h->family;
    /* The first bound >= v; past the last bound is the +Inf bucket. */
    size_t lo = 0, hi = f->nbounds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= f->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    atomic_fetch_add_explicit(&h->buckets[lo], 1, memory_order_relaxed);
    cp__atomic_add_double(&h->sum_bits, v);
}

uint64_t cp_histogram_count(const cp_histogram_t *h) {
    uint64_t n = 0;
    for (size_t i = 0; i <= h->family->nbounds; i++)
        n += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
    return n;
}

double cp_histogram_sum(const cp_histogram_t *h) {
    return cp__bits_to_double(atomic_load_explicit(&h->sum_bits, memory_order_relaxed));
}

/* ---- rendering ----------------------------------------------------------------- */

static const char *cp__type_name(cp__type_t t) {
    switch (t) {
    case CP__COUNTER: return "counter";
    case CP__GAUGE: return "gauge";
    case CP__HISTOGRAM: return "histogram";
    }
    return "untyped";
}

static void cp__render_hist(cp_buf_t *out, const cp_metric_family_t *f, const cp__series_t *s) {
    const char *const *names = (const char *const *)f->labels;
    const char *const *values = (const char *const *)s->values;
    uint64_t cum = 0;
    for (size_t i = 0; i <= f->nbounds; i++) {
        cum += atomic_load_explicit(&s->u.hist->buckets[i], memory_order_relaxed);
        cp_prom_sample_arr(out, f->name, "_bucket", f->nlabels, names, values, "le",
                           i < f->nbounds ? f->le[i] : "+Inf", (double)cum);
    }
    cp_prom_sample_arr(out, f->name, "_sum", f->nlabels, names, values, NULL, NULL,
                       cp_histogram_sum(s->u.hist));
    cp_prom_sample_arr(out, f->name, "_count", f->nlabels, names, values, NULL, NULL,
                       (double)cum);
}

void cp_metrics_render(cp_metrics_t *m, cp_buf_t *out) {
    pthread_mutex_lock(&m->mu);
    for (const cp_metric_family_t *f = m->head; f; f = f->next) {
        cp_prom_family(out, f->name, cp__type_name(f->type), f->help);
        const char *const *names = (const char *const *)f->labels;
        for (const cp__series_t *s = f->head; s; s = s->next) {
            const char *const *values = (const char *const *)s->values;
            if (f->type == CP__HISTOGRAM)
                cp__render_hist(out, f, s);
            else
                cp_prom_sample_arr(out, f->name, NULL, f->nlabels, names, values, NULL, NULL,
                                   f->type == CP__COUNTER ? (double)cp_counter_get(&s->u.counter)
                                                          : cp_gauge_get(&s->u.gauge));
        }
    }
    for (size_t i = 0; i < m->ncollectors; i++)
        m->collectors[i].fn(m->collectors[i].ctx, out);
    pthread_mutex_unlock(&m->mu);
}
