/* test_sim_determinism.c — a run is a function of (model, options, seed):
 * the same seed gives a byte-identical summary.json, whatever the number of
 * threads of a datacenter run; another seed gives another day. */
#include "sim/cp_sim_dc.h"
#include "sim/cp_sim_report.h"
#include "sim_fixture.h"

/* A quarter of the lync2013 pool, 3 servers, 06:00 to 10:00. */
static void fx_small_day(cp_sim_model_t *m, cp_sim_opts_t *o, uint64_t seed) {
    cp_sim_model_lync2013(m);
    m->users = 20000;
    m->servers = 3;
    m->large_share = 0.002; /* a few large meetings, so their outcomes are covered */
    cp_sim_opts_defaults(o);
    o->seed = seed;
    o->t0 += MIN(6 * 60);
    o->duration = MIN(4 * 60);
}

/* summary.json of the given policies, as bytes. */
static void fx_summary(uint64_t seed, unsigned pools, unsigned threads, cp_buf_t *out) {
    static const int pols[] = {CP_POLICY_LEAST_UTILIZATION, CP_POLICY_POWER_OF_TWO,
                               CP_POLICY_RANDOM, CP_SIM_CLAIRVOYANT};
    cp_sim_model_t m;
    cp_sim_opts_t o;
    fx_small_day(&m, &o, seed);
    cp_sim_result_t res[4];
    const cp_sim_result_t *rp[4];
    cp_sim_t *sims[4] = {0};
    for (int i = 0; i < 4; i++) {
        o.policy = pols[i];
        if (pools > 1) {
            cp_sim_dc_run(&m, &o, pools, threads, &res[i], NULL, NULL);
        } else {
            sims[i] = cp_sim_new(&m, &o);
            while (cp_sim_run(sims[i], cp_sim_end(sims[i])))
                ;
            res[i] = *cp_sim_result(sims[i]);
        }
        rp[i] = &res[i];
    }
    cp_sim_run_info_t info = {.model = &m, .model_source = "lync2013", .seed = seed,
                              .t0 = o.t0, .duration = o.duration, .servers = 3,
                              .capacity = 3 * 1250 * CP_MU_PER_UNIT};
    cp_sim_report_json(out, &info, rp, 4);
    for (int i = 0; i < 4; i++) {
        if (sims[i])
            cp_sim_free(sims[i]);
        else
            cp_sim_result_free(&res[i]);
    }
    cp_sim_model_free(&m);
}

static void same_seed_gives_identical_summaries(void **state) {
    (void)state;
    cp_buf_t a = CP_BUF_INIT, b = CP_BUF_INIT;
    fx_summary(42, 1, 1, &a);
    fx_summary(42, 1, 1, &b);
    assert_true(a.len > 500);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* the run did something: meetings were held and measured */
    assert_non_null(strstr(a.data, "\"policy\":\"clairvoyant\""));
    assert_null(strstr(a.data, "\"meetings\":{\"total\":0,"));
    cp_buf_free(&a);
    cp_buf_free(&b);
}

static void another_seed_gives_another_day(void **state) {
    (void)state;
    cp_buf_t a = CP_BUF_INIT, b = CP_BUF_INIT;
    fx_summary(42, 1, 1, &a);
    fx_summary(43, 1, 1, &b);
    assert_false(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    cp_buf_free(&a);
    cp_buf_free(&b);
}

static void datacenter_result_does_not_depend_on_threads(void **state) {
    (void)state;
    cp_buf_t a = CP_BUF_INIT, b = CP_BUF_INIT;
    fx_summary(7, 4, 1, &a);
    fx_summary(7, 4, 3, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_non_null(strstr(a.data, "\"pools\":4"));
    cp_buf_free(&a);
    cp_buf_free(&b);
}

/* Every policy sees the same workload: the generator has its own random
 * stream, so placements cannot change who joins when. */
static void policies_see_the_same_workload(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_opts_t o;
    fx_small_day(&m, &o, 5);
    uint64_t gen[2], attempts[2];
    for (int i = 0; i < 2; i++) {
        o.policy = i ? CP_POLICY_RANDOM : CP_POLICY_BEST_FIT;
        cp_sim_t *s = cp_sim_new(&m, &o);
        while (cp_sim_run(s, cp_sim_end(s)))
            ;
        gen[i] = cp_sim_result(s)->generated;
        attempts[i] = cp_sim_result(s)->join_attempts;
        cp_sim_free(s);
    }
    assert_true(gen[0] > 100);
    assert_int_equal(gen[0], gen[1]);
    assert_int_equal(attempts[0], attempts[1]);
    cp_sim_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_gives_identical_summaries),
        cmocka_unit_test(another_seed_gives_another_day),
        cmocka_unit_test(datacenter_result_does_not_depend_on_threads),
        cmocka_unit_test(policies_see_the_same_workload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
