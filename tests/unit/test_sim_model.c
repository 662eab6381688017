/* test_sim_model.c — the lync2013 workload model: its published figures
 * (meeting sizes, durations, 5% of users in conferences at the peak), join
 * storms on the grid, other load following the day, and model files with
 * overrides. */
#include <math.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

#include "sim/cp_sim_gen.h"
#include "sim_fixture.h"
#include "util/base/cp_buf.h"

typedef struct fx_stats {
    uint64_t meetings, u20, u100, o250, large, adhoc, on_grid, scheduled, recurring;
    double size, dur;
    uint64_t by_minute_of_hour[60];
} fx_stats_t;

static void fx_emit(void *ctx, cp_sim_mtg_t *mt) {
    fx_stats_t *st = ctx;
    st->meetings++;
    st->size += mt->n;
    st->u20 += mt->n < 20;
    st->u100 += mt->n < 100;
    st->o250 += mt->n > 250;
    st->large += mt->kind == CP_SIM_LARGE;
    st->adhoc += mt->kind == CP_SIM_ADHOC;
    st->recurring += (mt->flags & CP_SIM_F_RECURRING) != 0;
    if (mt->kind == CP_SIM_SCHEDULED) {
        st->scheduled++;
        st->on_grid += (mt->start / 60000) % 15 == 0;
    }
    if (mt->n)
        st->dur += (double)(mt->last_leave - (mt->start + mt->parts[0].join)) / 60000.0;
    for (uint32_t i = 0; i < mt->n; i++) {
        cp_ms_t j = mt->start + mt->parts[i].join;
        st->by_minute_of_hour[(j / 60000) % 60]++;
    }
    cp_sim_mtg_free(mt);
}

static void lync2013_meetings_have_the_published_shape(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    cp_mu_t cost[8] = {1000, 1000, 4000, 5000, 2000, 3000, 6000, 7000};
    /* ten days at ten times the rate: about a million meetings */
    cp_sim_gen_t *g = cp_sim_gen_new(&m, cost, 2000, 3, 0, 10LL * 86400000, 200.0);
    fx_stats_t st = {0};
    while (cp_sim_gen_next(g) != CP_TIME_NONE)
        cp_sim_gen_step(g, fx_emit, &st);
    cp_sim_gen_free(g);
    double n = (double)st.meetings;
    print_message("meetings %.0f mean size %.3f duration %.1f min <20 %.5f <100 %.6f >250 %.6f "
                  "large %.6f ad hoc %.3f\n",
                  n, st.size / n, st.dur / n, st.u20 / n, st.u100 / n, st.o250 / n, st.large / n,
                  st.adhoc / n);
    assert_true(n > 500000);
    assert_true(st.size / n >= 4.0 && st.size / n <= 6.0);      /* average meeting 4 to 6 */
    assert_true(st.u20 / n >= 0.80);                             /* 80% under 20 */
    assert_true(st.u100 / n >= 0.9998);                          /* 99.98% under 100 */
    assert_true(st.o250 / n < 0.01);                             /* under 1% over 250 */
    assert_true(st.dur / n >= 38 && st.dur / n <= 54);           /* 38 to 54 minutes */
    assert_true(fabs(st.large / n - m.large_share) < 0.5 * m.large_share); /* configured share */
    assert_true(fabs(st.adhoc / n - m.adhoc_share) < 0.01);
    /* scheduled meetings start on the quarter-hour grid, and joins bunch
     * in the minutes after :00 and :30 (join storms) */
    assert_int_equal(st.on_grid, st.scheduled);
    assert_true(st.recurring > 0);
    uint64_t storm = st.by_minute_of_hour[0] + st.by_minute_of_hour[1] + st.by_minute_of_hour[2];
    uint64_t calm = st.by_minute_of_hour[20] + st.by_minute_of_hour[21] + st.by_minute_of_hour[22];
    assert_true(storm > 4 * calm);
    cp_sim_model_free(&m);
}

/* 5% of the users are in conferences at the busiest minute (no refusals:
 * capacity is ample and prediction follows observed load). The model is
 * calibrated on the expected concurrency; a real day's busiest minute is a
 * few percent above it (the maximum of a noisy curve). */
static void peak_concurrency_matches_users_times_share(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    m.servers = 2;
    m.capacity = 1e6;
    m.engine.ramp_up = 0;
    m.large_share = 0;
    double sum = 0;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        cp_sim_opts_t o;
        cp_sim_opts_defaults(&o);
        o.seed = seed;
        o.t0 += MIN(7 * 60); /* the busy morning is enough */
        o.duration = MIN(6 * 60);
        cp_sim_t *s = cp_sim_new(&m, &o);
        while (cp_sim_run(s, cp_sim_end(s)))
            ;
        const cp_sim_result_t *r = cp_sim_result(s);
        assert_int_equal(r->joins_refused, 0);
        sum += r->stats.peak_participants;
        cp_sim_free(s);
    }
    double peak = sum / 2, target = 80000 * 0.05;
    print_message("peak participants %.0f, target %.0f\n", peak, target);
    assert_true(peak > 0.95 * target && peak < 1.15 * target);
    cp_sim_model_free(&m);
}

static void day_curve_interpolates_between_hour_midpoints(void **state) {
    (void)state;
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    assert_float_equal(cp_sim_model_day_curve(&m, 10 * 60 + 30), m.hourly[10], 1e-12);
    assert_float_equal(cp_sim_model_day_curve(&m, 11 * 60), (m.hourly[10] + m.hourly[11]) / 2,
                       1e-12);
    /* wraps around midnight */
    assert_float_equal(cp_sim_model_day_curve(&m, 0), (m.hourly[23] + m.hourly[0]) / 2, 1e-12);
    assert_float_equal(cp_sim_model_day_peak(&m), 1.0, 0);
    /* the other load follows the day: busy at 10:00, quiet at 03:00 */
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_sim_t *s = cp_sim_new(&m, &o);
    cp_mu_t night = cp_sim_other_load(s, 0, o.t0 + MIN(3 * 60));
    cp_mu_t day = cp_sim_other_load(s, 0, o.t0 + MIN(10 * 60 + 30));
    assert_true(day > 3 * night);
    assert_true(day > (cp_mu_t)(0.15 * 1250 * CP_MU_PER_UNIT));
    cp_sim_free(s);
    cp_sim_model_free(&m);
}

static void model_file_and_overrides(void **state) {
    (void)state;
    char path[] = "/tmp/test_sim_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *ini = "[model]\nname = small\n[users]\nusers = 1000\npeak_share = 10%\n"
                      "[size]\nmedian = 6\n[duration]\nadhoc_median = 20m\n"
                      "[load]\nramp_up = 5m\n[server.big]\ncapacity = 2500\n"
                      "[server.small]\ncapacity = 625\nother_scale = 0.5\n";
    assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
    close(fd);
    cp_sim_model_t m;
    char err[256];
    assert_int_equal(cp_sim_model_load(&m, path, err, sizeof err), 0);
    assert_string_equal(m.name, "small");
    assert_float_equal(m.users, 1000, 0);
    assert_float_equal(m.peak_share, 0.10, 1e-12);
    assert_float_equal(m.size_median, 6, 0);
    assert_float_equal(m.adhoc_dur_median, 20, 1e-9);
    assert_int_equal(m.engine.ramp_up, 5 * 60000);
    assert_int_equal(m.nserver_list, 2);
    assert_float_equal(m.server_list[1].other_scale, 0.5, 0);
    /* untouched keys keep the lync2013 values */
    assert_float_equal(m.size_sigma, 0.55, 0);
    /* overrides */
    assert_int_equal(cp_sim_model_set_kv(&m, "size.median=5", err, sizeof err), 0);
    assert_float_equal(m.size_median, 5, 0);
    assert_int_equal(cp_sim_model_set_kv(&m, "server.big.capacity=3000", err, sizeof err), 0);
    assert_float_equal(m.server_list[0].capacity, 3000, 0);
    assert_int_equal(cp_sim_model_set_kv(&m, "day.hourly=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
                                             "1,1,1,2", err, sizeof err), 0);
    assert_float_equal(m.hourly[23], 2, 0);
    assert_int_equal(cp_sim_model_set_kv(&m, "report.mode=cpu", err, sizeof err), 0);
    assert_int_equal(m.report_mode, CP_SIM_REPORT_CPU);
    /* errors name the key */
    assert_int_equal(cp_sim_model_set_kv(&m, "size.nope=1", err, sizeof err), -1);
    assert_non_null(strstr(err, "[size] nope"));
    assert_int_equal(cp_sim_model_set_kv(&m, "size.median=-1", err, sizeof err), -1);
    assert_int_equal(cp_sim_model_set_kv(&m, "day.hourly=1,2", err, sizeof err), -1);
    assert_int_equal(cp_sim_model_set_kv(&m, "nodot", err, sizeof err), -1);
    assert_int_equal(cp_sim_model_set_kv(&m, "load.bogus=1", err, sizeof err), -1);
    /* [large] holds the workload's keys and the engine's planner keys */
    assert_int_equal(cp_sim_model_set_kv(&m, "large.share=0.001", err, sizeof err), 0);
    assert_float_equal(m.large_share, 0.001, 0);
    assert_int_equal(cp_sim_model_set_kv(&m, "large.plan=0", err, sizeof err), 0);
    assert_false(m.engine.plan_large);
    assert_int_equal(cp_sim_model_set_kv(&m, "large.lead=90m", err, sizeof err), 0);
    assert_int_equal(m.engine.plan_lead, 90 * 60000);
    assert_int_equal(cp_sim_model_set_kv(&m, "large.plan=7", err, sizeof err), -1);
    assert_non_null(strstr(err, "[large] plan"));
    assert_int_equal(cp_sim_model_set_kv(&m, "large.bogus=1", err, sizeof err), -1);
    assert_int_equal(cp_sim_model_set_kv(&m, "load.learn_attendance=0", err, sizeof err), 0);
    /* the dump reads back to the same model */
    cp_buf_t b = CP_BUF_INIT;
    cp_sim_model_dump(&m, &b);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    cp_sim_model_t back;
    assert_int_equal(cp_sim_model_load(&back, path, err, sizeof err), 0);
    cp_buf_t b2 = CP_BUF_INIT;
    cp_sim_model_dump(&back, &b2);
    assert_int_equal(b.len, b2.len);
    assert_memory_equal(b.data, b2.data, b.len);
    /* ... engine settings included */
    assert_int_equal(back.engine.ramp_up, 5 * 60000);
    assert_false(back.engine.plan_large);
    assert_int_equal(back.engine.plan_lead, 90 * 60000);
    assert_false(back.engine.learn_attendance);
    assert_int_equal(back.engine.hold_after_start, m.engine.hold_after_start);
    cp_buf_free(&b);
    cp_buf_free(&b2);
    cp_sim_model_free(&back);
    /* a bad file points at the line */
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *bad = "[size]\nmedian = 4\nwat = 1\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    assert_int_equal(cp_sim_model_load(&back, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3:"));
    cp_sim_model_free(&back);
    unlink(path);
    assert_int_equal(cp_sim_model_load(&back, "/nonexistent/model.ini", err, sizeof err), -1);
    cp_sim_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lync2013_meetings_have_the_published_shape),
        cmocka_unit_test(peak_concurrency_matches_users_times_share),
        cmocka_unit_test(day_curve_interpolates_between_hour_midpoints),
        cmocka_unit_test(model_file_and_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
