/* cp_sim_plot.c — the simulator's plots (see cp_sim_plot.h). Long runs are
 * drawn in buckets of several minutes (the mean of each bucket, the
 * maximum for the busiest-server line), so a day stays a few tens of KB. */
#include "sim/cp_sim_plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/cp_svg.h"
#include "util/base/cp_alloc.h"

#define W 960.0
#define H 440.0
#define L 60.0 /* plot area */
#define R 20.0
#define T 40.0
#define B 50.0
#define MAXPTS 360

static const char *const cp__palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                          "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                          "#bcbd22", "#17becf"};

typedef struct cp__axes {
    double xmax, ymax; /* minutes, utilization */
} cp__axes_t;

static double cp__x(const cp__axes_t *a, double minute) {
    return L + (W - L - R) * minute / a->xmax;
}
static double cp__y(const cp__axes_t *a, double u) { return H - B - (H - T - B) * u / a->ymax; }

static void cp__frame(cp_svg_t *s, const cp__axes_t *a, const char *title) {
    cp_svg_text(s, W / 2, 24, 15, "middle", "#222", "%s", title);
    for (double u = 0; u <= a->ymax + 1e-9; u += 0.2) {
        double y = cp__y(a, u);
        cp_svg_line(s, L, y, W - R, y, "#e0e0e0", 1, NULL);
        cp_svg_text(s, L - 6, y + 4, 11, "end", "#444", "%.1f", u);
    }
    double step = a->xmax > 2 * 1440 ? 1440 : a->xmax > 360 ? 120 : a->xmax > 60 ? 30 : 10;
    for (double m = 0; m <= a->xmax + 1e-9; m += step) {
        double x = cp__x(a, m);
        cp_svg_line(s, x, T, x, H - B, "#f0f0f0", 1, NULL);
        if (step >= 1440)
            cp_svg_text(s, x, H - B + 16, 11, "middle", "#444", "d%.0f", m / 1440);
        else
            cp_svg_text(s, x, H - B + 16, 11, "middle", "#444", "%02.0f:%02.0f",
                        floor(fmod(m, 1440) / 60), fmod(m, 60));
    }
    cp_svg_rect(s, L, T, W - L - R, H - T - B, "none", "#888");
    cp_svg_text(s, W / 2, H - 12, 12, "middle", "#444", "simulated time");
    cp_svg_text(s, 14, T - 8, 12, "start", "#444", "utilization");
    const double th[2] = {0.80, 0.95};
    const char *lab[2] = {"0.80 new meetings", "0.95 full"};
    for (int i = 0; i < 2; i++) {
        if (th[i] > a->ymax)
            continue;
        double y = cp__y(a, th[i]);
        cp_svg_line(s, L, y, W - R, y, "#b00", 1, "6,4");
        cp_svg_text(s, W - R - 4, y - 4, 10, "end", "#b00", "%s", lab[i]);
    }
}

/* Values per bucket: the mean (or the max) of `get` over each bucket. */
typedef double (*cp__get_fn)(const cp_sim_metrics_t *m, size_t minute, size_t arg);

static size_t cp__series(const cp_sim_metrics_t *m, const cp__axes_t *a, cp__get_fn get,
                         size_t arg, bool use_max, double *xs, double *ys) {
    size_t per = (m->nmin + MAXPTS - 1) / MAXPTS;
    if (per < 1)
        per = 1;
    size_t n = 0;
    for (size_t i = 0; i < m->nmin; i += per) {
        double acc = use_max ? -INFINITY : 0;
        size_t k = 0;
        for (size_t j = i; j < i + per && j < m->nmin; j++, k++) {
            double v = get(m, j, arg);
            acc = use_max ? (v > acc ? v : acc) : acc + v;
        }
        double v = use_max ? acc : acc / (double)k;
        xs[n] = cp__x(a, (double)i + (double)(k - 1) / 2.0);
        ys[n] = cp__y(a, v > a->ymax ? a->ymax : v);
        n++;
    }
    return n;
}

static double cp__srv(const cp_sim_metrics_t *m, size_t i, size_t s) {
    return m->server_util[i * m->nservers + s];
}
static double cp__pool(const cp_sim_metrics_t *m, size_t i, size_t s) {
    (void)s;
    return m->min[i].pool_util;
}
static double cp__max(const cp_sim_metrics_t *m, size_t i, size_t s) {
    (void)s;
    return m->min[i].max_util;
}
static double cp__minu(const cp_sim_metrics_t *m, size_t i, size_t s) {
    (void)s;
    return m->min[i].min_util;
}
static double cp__lstar(const cp_sim_metrics_t *m, size_t i, size_t s) {
    (void)s;
    return m->min[i].lstar;
}

void cp_sim_plot_servers(cp_buf_t *b, const cp_sim_metrics_t *m, const char *title) {
    cp_svg_t s;
    cp_svg_begin(&s, b, W, H);
    cp__axes_t a = {.xmax = m->nmin > 1 ? (double)m->nmin : 1, .ymax = 1.0};
    for (size_t i = 0; i < m->nmin; i++)
        if (m->min[i].max_util > a.ymax)
            a.ymax = ceil(m->min[i].max_util * 5) / 5;
    if (a.ymax > 2)
        a.ymax = 2;
    cp__frame(&s, &a, title);
    double xs[MAXPTS + 1], ys[MAXPTS + 1], x2[2 * MAXPTS + 2], y2[2 * MAXPTS + 2];
    size_t n;
    if (m->keep_servers) {
        for (size_t sv = 0; sv < m->nservers; sv++) {
            n = cp__series(m, &a, cp__srv, sv, false, xs, ys);
            cp_svg_polyline(&s, xs, ys, n, cp__palette[sv % 10], 1, 0.75);
        }
    } else {
        /* Too many servers for a line each: the band from least to most
         * utilized server. */
        n = cp__series(m, &a, cp__max, 0, false, xs, ys);
        size_t k = 0;
        for (size_t i = 0; i < n; i++, k++)
            x2[k] = xs[i], y2[k] = ys[i];
        n = cp__series(m, &a, cp__minu, 0, false, xs, ys);
        for (size_t i = n; i-- > 0; k++)
            x2[k] = xs[i], y2[k] = ys[i];
        cp_svg_polygon(&s, x2, y2, k, "#1f77b4", 0.35);
    }
    n = cp__series(m, &a, cp__lstar, 0, false, xs, ys);
    cp_svg_polyline(&s, xs, ys, n, "#2ca02c", 1.5, 1);
    n = cp__series(m, &a, cp__pool, 0, false, xs, ys);
    cp_svg_polyline(&s, xs, ys, n, "#000", 2, 1);
    double lx = L + 10, ly = T + 14;
    cp_svg_line(&s, lx, ly - 4, lx + 20, ly - 4, "#000", 2, NULL);
    cp_svg_text(&s, lx + 26, ly, 11, "start", "#222", "pool utilization");
    cp_svg_line(&s, lx + 140, ly - 4, lx + 160, ly - 4, "#2ca02c", 1.5, NULL);
    cp_svg_text(&s, lx + 166, ly, 11, "start", "#222", "L* (lower bound)");
    cp_svg_line(&s, lx + 290, ly - 4, lx + 310, ly - 4, "#1f77b4", 1, NULL);
    cp_svg_text(&s, lx + 316, ly, 11, "start", "#222",
                m->keep_servers ? "one line per server (%zu)" : "least..most utilized server (%zu)",
                m->nservers);
    cp_svg_end(&s);
}

/* ---- policy bars ------------------------------------------------------------------ */

typedef struct cp__panel {
    const char *title;
    double (*value)(const cp_sim_result_t *r);
    int decimals;
} cp__panel_t;

static double cp__v_peak(const cp_sim_result_t *r) { return r->peak_util; }
static double cp__v_p99(const cp_sim_result_t *r) { return r->stats.ratio_p99; }
static double cp__v_hot(const cp_sim_result_t *r) { return r->stats.hot_pmin; }
static double cp__v_ref(const cp_sim_result_t *r) {
    return r->join_attempts ? 100.0 * (double)r->joins_refused / (double)r->join_attempts : 0;
}

void cp_sim_plot_policies(cp_buf_t *b, const char *title, const cp_sim_result_t *const *res,
                          size_t n) {
    static const cp__panel_t panels[] = {
        {"peak server utilization", cp__v_peak, 3},
        {"p99 max-util / L* (busy minutes)", cp__v_p99, 3},
        {"hot participant-minutes (>0.90)", cp__v_hot, 0},
        {"joins refused (%)", cp__v_ref, 2},
    };
    const size_t np = sizeof panels / sizeof panels[0];
    double pw = 300, ph = 220, gap = 20;
    double w = 2 * pw + 3 * gap, h = 2 * ph + 3 * gap + 40 + 20.0 * (double)n;
    cp_svg_t s;
    cp_svg_begin(&s, b, w, h);
    cp_svg_text(&s, w / 2, 24, 15, "middle", "#222", "%s", title);
    for (size_t p = 0; p < np; p++) {
        double ox = gap + (double)(p % 2) * (pw + gap), oy = 40 + gap + (double)(p / 2) * (ph + gap);
        cp_svg_rect(&s, ox, oy, pw, ph, "none", "#ccc");
        cp_svg_text(&s, ox + pw / 2, oy + 16, 12, "middle", "#222", "%s", panels[p].title);
        double vmax = 0;
        for (size_t i = 0; i < n; i++) {
            double v = panels[p].value(res[i]);
            if (isfinite(v) && v > vmax)
                vmax = v;
        }
        if (vmax <= 0)
            vmax = 1;
        double bx = ox + 12, by = oy + ph - 20, bh = ph - 56;
        double bw = (pw - 24) / (double)(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            double v = panels[p].value(res[i]);
            double hh = isfinite(v) ? bh * v / vmax : 0;
            cp_svg_rect(&s, bx + (double)i * bw + 3, by - hh, bw - 6, hh, cp__palette[i % 10],
                        NULL);
            char label[32];
            if (isfinite(v))
                snprintf(label, sizeof label, "%.*f", panels[p].decimals, v);
            else
                snprintf(label, sizeof label, "n/a");
            cp_svg_text(&s, bx + (double)i * bw + bw / 2, by - hh - 4, 10, "middle", "#222", "%s",
                        label);
        }
        cp_svg_line(&s, ox + 8, by, ox + pw - 8, by, "#888", 1, NULL);
    }
    double ly = 40 + 3 * gap + 2 * ph;
    for (size_t i = 0; i < n; i++) {
        cp_svg_rect(&s, gap, ly + 20.0 * (double)i - 10, 12, 12, cp__palette[i % 10], NULL);
        cp_svg_text(&s, gap + 18, ly + 20.0 * (double)i, 12, "start", "#222", "%s",
                    cp_sim_policy_name(res[i]->policy));
    }
    cp_svg_end(&s);
}
