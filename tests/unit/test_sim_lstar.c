/* test_sim_lstar.c — the lower bound L*(t) and the per-minute metrics,
 * from the formula itself and from small hand-made traces run through the
 * simulator and the real engine. */
#include <math.h>

#include "sim/cp_sim_metrics.h"
#include "sim_fixture.h"

#define U(x) ((cp_mu_t)((x) * CP_MU_PER_UNIT))

static void lstar_is_the_larger_of_average_and_largest_meeting(void **state) {
    (void)state;
    /* average 30/200 = 0.15; largest meeting 40/100 = 0.40 */
    assert_float_equal(cp_sim_lstar(U(30), U(200), U(40), U(100)), 0.40, 1e-12);
    /* average 180/200 = 0.90 dominates a meeting of 40 */
    assert_float_equal(cp_sim_lstar(U(180), U(200), U(40), U(100)), 0.90, 1e-12);
    /* mixed capacities: the meeting is measured against the largest server */
    assert_float_equal(cp_sim_lstar(U(50), U(300), U(60), U(200)), 0.30, 1e-12);
    assert_float_equal(cp_sim_lstar(0, U(100), 0, U(100)), 0.0, 0);
    assert_float_equal(cp_sim_lstar(U(10), 0, 0, 0), 0.0, 0);
}

static void percentiles_are_nearest_rank(void **state) {
    (void)state;
    double v[] = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
    assert_float_equal(cp_sim_percentile(v, 10, 0.50), 5, 0);
    assert_float_equal(cp_sim_percentile(v, 10, 0.99), 10, 0);
    assert_float_equal(cp_sim_percentile(v, 10, 0.10), 1, 0);
    assert_true(isnan(cp_sim_percentile(v, 0, 0.5)));
}

/* Samples fed by hand: the busy filter, the ratio, hot participants. */
static void samples_feed_ratio_busy_and_hot(void **state) {
    (void)state;
    cp_sim_metrics_t m;
    cp_sim_metrics_init(&m, 2, true);
    cp_mu_t cap[2] = {U(100), U(100)};
    uint32_t parts[2] = {30, 50};
    /* minute 0: quiet (0.20 average): not busy */
    cp_mu_t l0[2] = {U(10), U(30)};
    cp_sim_metrics_sample(&m, l0, cap, parts, 2, U(5));
    /* minute 1: 0.80 average, busiest 0.95 -> ratio 0.95/0.80; 50 people hot */
    cp_mu_t l1[2] = {U(65), U(95)};
    const cp_sim_minute_t *r = cp_sim_metrics_sample(&m, l1, cap, parts, 2, U(5));
    assert_float_equal(r->pool_util, 0.80, 1e-6);
    assert_float_equal(r->lstar, 0.80, 1e-6);
    assert_int_equal(r->hot_parts, 50);
    /* minute 2: 0.60 average, perfectly even */
    cp_mu_t l2[2] = {U(60), U(60)};
    cp_sim_metrics_sample(&m, l2, cap, parts, 2, U(5));
    /* a server with capacity 0 (down) is left out */
    cp_mu_t l3[2] = {U(70), U(999)};
    cp_mu_t cap3[2] = {U(100), 0};
    r = cp_sim_metrics_sample(&m, l3, cap3, parts, 2, U(5));
    assert_float_equal(r->pool_util, 0.70, 1e-6);
    assert_float_equal(r->max_util, 0.70, 1e-6);
    cp_sim_stats_t st;
    cp_sim_metrics_summarize(&m, &st);
    assert_int_equal(st.minutes, 4);
    assert_int_equal(st.busy_minutes, 3);
    assert_float_equal(st.ratio_max, 0.95 / 0.80, 1e-6);
    assert_float_equal(st.ratio_p50, 1.0, 1e-6);
    assert_float_equal(st.hot_pmin, 50, 0);
    assert_float_equal(m.server_util[1 * 2 + 1], 0.95, 1e-6);
    cp_sim_metrics_free(&m);
}

/* Two servers of 100 units. Meeting A: 10 people from minute 0.5 to 10.5
 * (12 units with its base); meeting B: 40 people from 2.5 to 5.5 (42
 * units). The engine puts B on the server A is not on. */
static void lstar_on_a_hand_made_trace(void **state) {
    (void)state;
    cp_sim_model_t model;
    fx_empty_model(&model, 2, 100);
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.duration = MIN(15);
    o.keep_servers = true;
    cp_sim_t *s = cp_sim_new(&model, &o);
    cp_sim_inject(s, fx_meeting(s, 10, 0.5, 10.5));
    cp_sim_inject(s, fx_meeting(s, 40, 2.5, 5.5));
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    const cp_sim_metrics_t *m = cp_sim_metrics(s);
    assert_int_equal(m->nmin, 15);
    /* minute 1: A alone -> average 12/200, largest meeting 12/100 */
    assert_float_equal(m->min[1].pool_util, 0.06, 1e-6);
    assert_float_equal(m->min[1].lstar, 0.12, 1e-6);
    assert_float_equal(m->min[1].max_util, 0.12, 1e-6);
    /* minute 3: A and B on different servers -> L* = 0.42 = busiest */
    assert_float_equal(m->min[3].pool_util, 0.27, 1e-6);
    assert_float_equal(m->min[3].lstar, 0.42, 1e-6);
    assert_float_equal(m->min[3].max_util, 0.42, 1e-6);
    assert_int_equal(m->min[3].participants, 50);
    assert_int_equal(m->min[3].meetings, 2);
    /* minute 7: B has left */
    assert_float_equal(m->min[7].lstar, 0.12, 1e-6);
    /* minute 11: nobody */
    assert_float_equal(m->min[11].lstar, 0.0, 0);
    assert_float_equal(m->min[11].pool_util, 0.0, 0);
    const cp_sim_result_t *r = cp_sim_result(s);
    assert_int_equal(r->join_attempts, 50);
    assert_int_equal(r->joins_refused, 0);
    assert_int_equal(r->meetings, 2);
    assert_float_equal(r->peak_util, 0.42, 1e-9);
    cp_sim_free(s);
    cp_sim_model_free(&model);
}

/* Many equal small meetings on two servers: the average sets L*, and the
 * engine's even spread keeps the busiest server at it (ratio 1). Then the
 * same under round robin with unequal meetings shows a ratio above 1. */
static void average_sets_lstar_when_meetings_are_small(void **state) {
    (void)state;
    cp_sim_model_t model;
    fx_empty_model(&model, 2, 100);
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.duration = MIN(10);
    cp_sim_t *s = cp_sim_new(&model, &o);
    for (int i = 0; i < 8; i++)
        cp_sim_inject(s, fx_meeting(s, 4, 1.0 + i * 0.01, 9));
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    const cp_sim_minute_t *r = &cp_sim_metrics(s)->min[5];
    /* 8 meetings x 6 units = 48 over 200 */
    assert_float_equal(r->pool_util, 0.24, 1e-6);
    assert_float_equal(r->lstar, 0.24, 1e-6);
    assert_float_equal(r->max_util, 0.24, 1e-6);
    cp_sim_free(s);

    o.policy = CP_POLICY_ROUND_ROBIN;
    s = cp_sim_new(&model, &o);
    /* alternate 10 and 2 people: round robin stacks the big ones together */
    for (int i = 0; i < 6; i++)
        cp_sim_inject(s, fx_meeting(s, i % 2 ? 2 : 10, 1.0 + i * 0.01, 9));
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    r = &cp_sim_metrics(s)->min[5];
    /* 3 x 12 on one server, 3 x 4 on the other: 48/200 = 0.24, busiest 0.36 */
    assert_float_equal(r->pool_util, 0.24, 1e-6);
    assert_float_equal(r->lstar, 0.24, 1e-6);
    assert_float_equal(r->max_util, 0.36, 1e-6);
    cp_sim_free(s);
    cp_sim_model_free(&model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lstar_is_the_larger_of_average_and_largest_meeting),
        cmocka_unit_test(percentiles_are_nearest_rank),
        cmocka_unit_test(samples_feed_ratio_busy_and_hot),
        cmocka_unit_test(lstar_on_a_hand_made_trace),
        cmocka_unit_test(average_sets_lstar_when_meetings_are_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
