/* test_sim_policies.c — placement policies on lync2013 days, run through
 * the real engine: least utilization beats random and round robin.
 *
 * With the default engine settings no policy gets any server hot: a new
 * meeting is admitted only while the server's predicted load stays at or
 * below 0.80, and during ramp-up the prediction (the learnt expected
 * size, or more if more came) is at or above the truth, so true
 * utilization stays under about 0.80 for every policy alike, even at 10
 * front ends with 3% of meetings refused (docs/CAPACITY.md). Hot
 * participant-minutes are zero everywhere and only balance differs; the
 * default-day test checks that least utilization stays cool. The
 * comparison on hot participant-minutes is made where placement alone
 * decides: prediction from observed load (ramp_up 0, as Lync 2013 did),
 * no large meetings (they need the planner, not a policy), a near-full
 * pool of 11 front ends, over three simulated days. */
#include "sim/cp_sim_dc.h"
#include "sim_fixture.h"

static void fx_run(const cp_sim_model_t *m, int policy, unsigned days, double scale,
                   cp_sim_result_t *out) {
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.policy = policy;
    o.seed = 1;
    o.scale = scale;
    cp_sim_dc_run(m, &o, days, 2, out, NULL, NULL);
}

static double fx_scale(const cp_sim_model_t *m) {
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_sim_t *s = cp_sim_new(m, &o);
    double scale = cp_sim_result(s)->scale;
    cp_sim_free(s);
    return scale;
}

static void least_utilization_beats_random_and_round_robin(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    m.servers = 11;
    m.large_share = 0;
    m.engine.ramp_up = 0;
    double scale = fx_scale(&m);
    cp_sim_result_t lu, rr, rnd;
    fx_run(&m, CP_POLICY_LEAST_UTILIZATION, 3, scale, &lu);
    fx_run(&m, CP_POLICY_ROUND_ROBIN, 3, scale, &rr);
    fx_run(&m, CP_POLICY_RANDOM, 3, scale, &rnd);
    print_message("peak utilization: least_utilization %.3f round_robin %.3f random %.3f\n",
                  lu.peak_util, rr.peak_util, rnd.peak_util);
    print_message("hot participant-minutes: %.0f %.0f %.0f\n", lu.stats.hot_pmin,
                  rr.stats.hot_pmin, rnd.stats.hot_pmin);
    /* the baselines do get hot: the comparison means something */
    assert_true(rr.stats.hot_pmin > 0);
    assert_true(rnd.stats.hot_pmin > 0);
    assert_true(lu.peak_util < rr.peak_util);
    assert_true(lu.peak_util < rnd.peak_util);
    assert_true(lu.stats.hot_pmin < rr.stats.hot_pmin);
    assert_true(lu.stats.hot_pmin < rnd.stats.hot_pmin);
    /* and it is better balanced against the lower bound */
    assert_true(lu.stats.ratio_p99 < rr.stats.ratio_p99);
    assert_true(lu.stats.ratio_p99 < rnd.stats.ratio_p99);
    /* same workload for each: the same joins were attempted */
    assert_int_equal(lu.join_attempts, rr.join_attempts);
    assert_int_equal(lu.join_attempts, rnd.join_attempts);
    cp_sim_result_free(&lu);
    cp_sim_result_free(&rr);
    cp_sim_result_free(&rnd);
    cp_sim_model_free(&m);
}

/* The default lync2013 day at 12 front ends: least utilization is the
 * best balanced of the three, its busiest server is the least hot, and
 * admission control keeps every server below 0.90. */
static void default_day_least_utilization_is_best_balanced(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    double scale = fx_scale(&m);
    cp_sim_result_t lu, rr, rnd;
    fx_run(&m, CP_POLICY_LEAST_UTILIZATION, 1, scale, &lu);
    fx_run(&m, CP_POLICY_ROUND_ROBIN, 1, scale, &rr);
    fx_run(&m, CP_POLICY_RANDOM, 1, scale, &rnd);
    print_message("p99 max-util/L*: %.3f %.3f %.3f; peak %.3f %.3f %.3f; hot %.0f %.0f %.0f\n",
                  lu.stats.ratio_p99, rr.stats.ratio_p99, rnd.stats.ratio_p99, lu.peak_util,
                  rr.peak_util, rnd.peak_util, lu.stats.hot_pmin, rr.stats.hot_pmin,
                  rnd.stats.hot_pmin);
    assert_true(lu.stats.busy_minutes > 60);
    assert_true(lu.stats.ratio_p99 < rr.stats.ratio_p99);
    assert_true(lu.stats.ratio_p99 < rnd.stats.ratio_p99);
    assert_true(lu.stats.ratio_p50 < rr.stats.ratio_p50);
    assert_true(lu.stats.ratio_p50 < rnd.stats.ratio_p50);
    assert_true(lu.peak_util <= rr.peak_util);
    assert_true(lu.peak_util <= rnd.peak_util);
    assert_true(lu.peak_util < 0.90);
    assert_true(lu.stats.hot_pmin <= rr.stats.hot_pmin);
    assert_true(lu.stats.hot_pmin <= rnd.stats.hot_pmin);
    cp_sim_result_free(&lu);
    cp_sim_result_free(&rr);
    cp_sim_result_free(&rnd);
    cp_sim_model_free(&m);
}

/* The clairvoyant reference is a simulator policy, never an engine one. */
static void clairvoyant_exists_only_in_the_simulator(void **state) {
    (void)state;
    int p;
    cp_policy_t ep;
    assert_true(cp_sim_policy_parse("clairvoyant", &p));
    assert_int_equal(p, CP_SIM_CLAIRVOYANT);
    assert_false(cp_policy_parse("clairvoyant", &ep));
    assert_string_equal(cp_sim_policy_name(CP_SIM_CLAIRVOYANT), "clairvoyant");
    assert_true(cp_sim_policy_parse("power_of_two", &p));
    assert_int_equal(p, CP_POLICY_POWER_OF_TWO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(least_utilization_beats_random_and_round_robin),
        cmocka_unit_test(default_day_least_utilization_is_best_balanced),
        cmocka_unit_test(clairvoyant_exists_only_in_the_simulator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
