/* test_util_metrics.c — the metrics registry and the Prometheus text
 * writer: counter and histogram arithmetic, cumulative buckets, label
 * escaping, number formatting, series resolution, atomic updates from
 * several threads, and collectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/cp_metrics.h"
#include "util/cp_prom.h"

static char *render(cp_metrics_t *m) {
    static cp_buf_t b = CP_BUF_INIT;
    cp_buf_clear(&b);
    cp_metrics_render(m, &b);
    return b.data ? b.data : "";
}

/* True if text has a line exactly equal to line. */
static bool has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static void test_counter_counts_and_renders_with_labels(void **state) {
    (void)state;
    cp_metrics_t *m = cp_metrics_new();
    cp_metric_family_t *f =
        cp_metrics_counter(m, "x_placements_total", "Placements.", "pool,result");
    cp_counter_t *placed = cp_metrics_counter_at(f, "default", "placed");
    cp_counter_t *refused = cp_metrics_counter_at(f, "default", "refused");
    for (int i = 0; i < 7; i++)
        cp_counter_inc(placed);
    cp_counter_add(refused, 3);
    /* Resolving again gives the same series, not a new one. */
    assert_ptr_equal(cp_metrics_counter_at(f, "default", "placed"), placed);
    assert_int_equal(cp_counter_get(placed), 7);
    char *out = render(m);
    assert_true(has_line(out, "# HELP x_placements_total Placements."));
    assert_true(has_line(out, "# TYPE x_placements_total counter"));
    assert_true(has_line(out, "x_placements_total{pool=\"default\",result=\"placed\"} 7"));
    assert_true(has_line(out, "x_placements_total{pool=\"default\",result=\"refused\"} 3"));
    cp_metrics_free(m);
}

static void test_family_without_labels_and_gauge(void **state) {
    (void)state;
    cp_metrics_t *m = cp_metrics_new();
    cp_gauge_t *g = cp_metrics_gauge_at(cp_metrics_gauge(m, "x_temp", "T.", NULL));
    cp_gauge_set(g, 2.5);
    cp_gauge_add(g, -1.25);
    assert_true(cp_gauge_get(g) == 1.25);
    assert_true(has_line(render(m), "x_temp 1.25"));
    cp_metrics_free(m);
}

static void test_histogram_buckets_are_cumulative_and_count_matches(void **state) {
    (void)state;
    cp_metrics_t *m = cp_metrics_new();
    static const double bounds[] = {0.001, 0.01, 0.1};
    cp_metric_family_t *f = cp_metrics_histogram(m, "x_seconds", "Time.", "route", bounds, 3);
    cp_histogram_t *h = cp_metrics_histogram_at(f, "/v1/pool");
    cp_histogram_observe(h, 0.0005); /* first bucket */
    cp_histogram_observe(h, 0.001);  /* a bound is inclusive: le="0.001" */
    cp_histogram_observe(h, 0.05);
    cp_histogram_observe(h, 3);      /* only +Inf */
    assert_int_equal(cp_histogram_count(h), 4);
    assert_true(fabs(cp_histogram_sum(h) - 3.0515) < 1e-12);
    char *out = render(m);
    assert_true(has_line(out, "# TYPE x_seconds histogram"));
    assert_true(has_line(out, "x_seconds_bucket{route=\"/v1/pool\",le=\"0.001\"} 2"));
    assert_true(has_line(out, "x_seconds_bucket{route=\"/v1/pool\",le=\"0.01\"} 2"));
    assert_true(has_line(out, "x_seconds_bucket{route=\"/v1/pool\",le=\"0.1\"} 3"));
    assert_true(has_line(out, "x_seconds_bucket{route=\"/v1/pool\",le=\"+Inf\"} 4"));
    assert_true(has_line(out, "x_seconds_count{route=\"/v1/pool\"} 4"));
    assert_true(has_line(out, "x_seconds_sum{route=\"/v1/pool\"} 3.0515"));
    cp_metrics_free(m);
}

static void test_label_values_and_help_are_escaped(void **state) {
    (void)state;
    cp_metrics_t *m = cp_metrics_new();
    cp_metric_family_t *f = cp_metrics_counter(m, "x_total", "a \\ b\nc", "v");
    cp_counter_inc(cp_metrics_counter_at(f, "q\"b\\s\nn"));
    char *out = render(m);
    assert_true(has_line(out, "# HELP x_total a \\\\ b\\nc"));
    assert_true(has_line(out, "x_total{v=\"q\\\"b\\\\s\\nn\"} 1"));
    cp_metrics_free(m);
}

static void test_numbers_read_back_exactly(void **state) {
    (void)state;
    struct {
        double v;
        const char *text;
    } cases[] = {{0, "0"},         {42, "42"},       {-3, "-3"},          {0.1, "0.1"},
                 {0.344, "0.344"}, {1e-6, "1e-06"},  {INFINITY, "+Inf"},  {-INFINITY, "-Inf"},
                 {NAN, "NaN"},     {1.0 / 3, "0.33333333333333331"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cp_buf_t b = CP_BUF_INIT;
        cp_prom_number(&b, cases[i].v);
        assert_string_equal(b.data, cases[i].text);
        cp_buf_free(&b);
    }
}

static void test_names_are_checked(void **state) {
    (void)state;
    assert_true(cp_prom_name_valid("confpool_x:y_total"));
    assert_false(cp_prom_name_valid("9x"));
    assert_false(cp_prom_name_valid("x-y"));
    assert_false(cp_prom_name_valid(""));
    assert_true(cp_prom_label_valid("pool"));
    assert_false(cp_prom_label_valid("__name"));
    assert_false(cp_prom_label_valid("a:b"));
}

typedef struct hammer {
    cp_counter_t *c;
    cp_histogram_t *h;
} hammer_t;

static void *hammer(void *arg) {
    hammer_t *x = arg;
    for (int i = 0; i < 100000; i++) {
        cp_counter_inc(x->c);
        cp_histogram_observe(x->h, (i % 4) * 0.5);
    }
    return NULL;
}

static void test_updates_from_threads_are_not_lost(void **state) {
    (void)state;
    cp_metrics_t *m = cp_metrics_new();
    static const double bounds[] = {0.25, 0.75};
    hammer_t x = {cp_metrics_counter_at(cp_metrics_counter(m, "x_total", "", NULL)),
                  cp_metrics_histogram_at(cp_metrics_histogram(m, "x_h", "", NULL, bounds, 2))};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, &x);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(cp_counter_get(x.c), 400000);
    assert_int_equal(cp_histogram_count(x.h), 400000);
    /* values 0, 0.5, 1, 1.5 in turn: sum 3 per 4 observations, exact in binary */
    assert_true(cp_histogram_sum(x.h) == 300000.0);
    char *out = render(m);
    assert_true(has_line(out, "x_h_bucket{le=\"0.25\"} 100000"));
    assert_true(has_line(out, "x_h_bucket{le=\"0.75\"} 200000"));
    assert_true(has_line(out, "x_h_bucket{le=\"+Inf\"} 400000"));
    cp_metrics_free(m);
}

static void collect(void *ctx, cp_buf_t *out) {
    cp_prom_family(out, "x_servers", "gauge", "Servers.");
    cp_prom_sample(out, "x_servers", *(double *)ctx, "pool", "a", NULL);
}

static void test_collectors_write_after_the_families(void **state) {
    (void)state;
    cp_metrics_t *m = cp_metrics_new();
    double v = 12;
    cp_counter_inc(cp_metrics_counter_at(cp_metrics_counter(m, "x_total", "", NULL)));
    cp_metrics_add_collector(m, collect, &v);
    char *out = render(m);
    assert_true(has_line(out, "x_servers{pool=\"a\"} 12"));
    assert_true(strstr(out, "x_total 1") < strstr(out, "# HELP x_servers"));
    v = 13;
    assert_true(has_line(render(m), "x_servers{pool=\"a\"} 13"));
    cp_metrics_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_counts_and_renders_with_labels),
        cmocka_unit_test(test_family_without_labels_and_gauge),
        cmocka_unit_test(test_histogram_buckets_are_cumulative_and_count_matches),
        cmocka_unit_test(test_label_values_and_help_are_escaped),
        cmocka_unit_test(test_numbers_read_back_exactly),
        cmocka_unit_test(test_names_are_checked),
        cmocka_unit_test(test_updates_from_threads_are_not_lost),
        cmocka_unit_test(test_collectors_write_after_the_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
