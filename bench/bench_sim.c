/* bench_sim.c — simulator speed: one simulated day of the lync2013 pool
 * (80,000 users, 12 front ends) through the real engine, against a bare
 * discrete-event loop measured in the same run.
 *
 * The baseline pops the same number of events from a binary heap and does
 * nothing with them: the floor any event-driven simulator pays. The ratio
 * says what driving the engine (placement, load model, timers, the truth
 * bookkeeping, reports, metrics) costs on top of just ordering events.
 * Prints a RESULT line for bench/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cp_sim.h"
#include "util/base/cp_rng.h"
#include "util/cp_clock.h"

typedef struct ev {
    int64_t t;
    uint64_t seq;
} ev_t;

static inline int before(const ev_t *a, const ev_t *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

/* A bare event loop: a heap of `live` pending events; each pop schedules
 * the next event of the same entity a little later, like a meeting. */
static double bare_loop(uint64_t events, size_t live, uint64_t *checksum) {
    ev_t *h = malloc(live * sizeof *h);
    cp_rng_t rng;
    cp_rng_seed(&rng, 1);
    size_t n = 0;
    for (size_t i = 0; i < live; i++) {
        ev_t e = {(int64_t)cp_rng_below(&rng, 86400000), i};
        size_t k = n++;
        while (k && before(&e, &h[(k - 1) / 2])) {
            h[k] = h[(k - 1) / 2];
            k = (k - 1) / 2;
        }
        h[k] = e;
    }
    uint64_t t0 = cp_clock_mono_ns(), sum = 0;
    for (uint64_t done = 0; done < events; done++) {
        ev_t top = h[0];
        sum += (uint64_t)top.t ^ top.seq;
        /* re-insert with a later time: sift the root down */
        ev_t e = {top.t + 1 + (int64_t)cp_rng_below(&rng, 300000), top.seq};
        size_t k = 0;
        for (;;) {
            size_t c = 2 * k + 1;
            if (c >= n)
                break;
            if (c + 1 < n && before(&h[c + 1], &h[c]))
                c++;
            if (!before(&h[c], &e))
                break;
            h[k] = h[c];
            k = c;
        }
        h[k] = e;
    }
    double s = (double)(cp_clock_mono_ns() - t0) / 1e9;
    *checksum = sum;
    free(h);
    return s;
}

int main(void) {
    cp_sim_model_t m;
    cp_sim_model_lync2013(&m);
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    uint64_t t0 = cp_clock_mono_ns();
    cp_sim_t *s = cp_sim_new(&m, &o);
    uint64_t t1 = cp_clock_mono_ns();
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    uint64_t t2 = cp_clock_mono_ns();
    const cp_sim_result_t *r = cp_sim_result(s);
    double wall = (double)(t2 - t0) / 1e9, run = (double)(t2 - t1) / 1e9;
    /* Events: every call into the engine (schedules, joins, leaves, ends,
     * reports). The live set of the baseline is the peak number of meetings. */
    uint64_t events = r->engine_calls;
    uint64_t sum;
    double bare = bare_loop(events, r->stats.peak_meetings ? r->stats.peak_meetings : 1000, &sum);
    double sim_rate = (double)events / run, bare_rate = (double)events / bare;
    printf("one simulated day, lync2013 (80,000 users, 12 front ends, least_utilization, seed 1)\n");
    printf("  wall time                  %8.3f s  (goal < 2 s; calibration %.3f s of it)\n", wall,
           (double)(t1 - t0) / 1e9);
    printf("  simulated seconds per s    %8.0f   (x real time)\n", 86400.0 / wall);
    printf("  meetings                   %8llu   joins %llu, engine calls %llu\n",
           (unsigned long long)r->generated, (unsigned long long)r->join_attempts,
           (unsigned long long)events);
    printf("  engine calls per second    %8.0f\n", sim_rate);
    printf("  bare event loop per second %8.0f   (baseline: heap of %u pending events, no work)\n",
           bare_rate, r->stats.peak_meetings);
    printf("  ratio sim / bare loop      %8.3f   (share of the bare loop's speed kept while "
           "driving the engine)\n",
           sim_rate / bare_rate);
    printf("RESULT sim_day_s=%.3f sim_speedup=%.0f events_per_s=%.0f bare_per_s=%.0f ratio=%.3f "
           "check=%llu\n",
           wall, 86400.0 / wall, sim_rate, bare_rate, sim_rate / bare_rate,
           (unsigned long long)(sum & 0xff));
    cp_sim_free(s);
    cp_sim_model_free(&m);
    return 0;
}
