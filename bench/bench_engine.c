/* bench_engine.c — engine speed: placements/s and decision-time
 * percentiles with 1,000 servers and 100,000 active meetings, and sticky
 * lookups/s for joins to active meetings.
 *
 * Baseline in the same run: a naive least-utilization placement that
 * scans every server (what a straightforward implementation does), over
 * the same server loads. The ratio is what the capacity-class heaps buy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cp_engine.h"
#include "util/cp_clock.h"

#define NSERVERS 1000
#define NACTIVE 100000
#define NPLACE 200000
#define NLOOKUP 2000000

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t pct(uint64_t *v, size_t n, double p) {
    qsort(v, n, sizeof *v, cmp_u64);
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

/* "n<i>", as the benchmark named the meetings, without snprintf. */
static size_t fmt_id(char *buf, int i) {
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf[0] = 'n';
    for (int k = 0; k < n; k++)
        buf[1 + k] = tmp[n - 1 - k];
    buf[n + 1] = '\0';
    return (size_t)n + 1;
}

/* The naive baseline: scan all servers for the least utilization after
 * placement, like a simple loop over a server list. */
static size_t naive_place(const cp_mu_t *load, const cp_mu_t *cap, size_t n, cp_mu_t L) {
    size_t best = (size_t)-1;
    double bu = 2.0;
    for (size_t i = 0; i < n; i++) {
        double u = (double)(load[i] + L) / (double)cap[i];
        if (u <= 0.8 && u < bu) {
            bu = u;
            best = i;
        }
    }
    return best;
}

int main(void) {
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cfg.track_changes = false; /* the store is measured separately */
    cfg.retain_ended = getenv("RETAIN0") ? 0 : cfg.retain_ended;
    cp_engine_t *e = cp_engine_new(&cfg);
    cp_ms_t now = 1790000000000LL;
    char id[32];
    for (int i = 0; i < NSERVERS; i++) {
        snprintf(id, sizeof id, "fe%04d", i);
        /* two hardware generations */
        cp_server_spec_t spec = {.id = id, .address = "fe.example.com:443",
                                 .capacity = (i % 2 ? 1250 : 2500) * (cp_mu_t)CP_MU_PER_UNIT};
        cp_server_t *s;
        bool created;
        cp_engine_server_put(e, &spec, now, &s, &created);
    }
    /* 100,000 active meetings */
    cp_meeting_t **active = malloc(sizeof *active * NACTIVE);
    for (int i = 0; i < NACTIVE; i++) {
        snprintf(id, sizeof id, "a%d", i);
        cp_meeting_spec_t ms = {.id = id, .organizer = "o", .start = CP_TIME_NONE,
                                .end = CP_TIME_NONE, .expected = (uint32_t)(2 + i % 7)};
        const char *why;
        cp_engine_meeting_create(e, &ms, now, &active[i], &why);
        cp_join_t j;
        if (cp_engine_join(e, active[i], "p1", 2, 0, now, &j) != CP_OK) {
            fprintf(stderr, "bench: setup placement refused at %d\n", i);
            return 1;
        }
    }
    /* Placements at steady state: activate a new meeting, end an old one. */
    cp_meeting_t **fresh = malloc(sizeof *fresh * NPLACE);
    for (int i = 0; i < NPLACE; i++) {
        snprintf(id, sizeof id, "n%d", i);
        cp_meeting_spec_t ms = {.id = id, .organizer = "o", .start = CP_TIME_NONE,
                                .end = CP_TIME_NONE, .expected = (uint32_t)(2 + i % 7)};
        const char *why;
        cp_engine_meeting_create(e, &ms, now, &fresh[i], &why);
    }
    uint64_t *lat = malloc(sizeof *lat * NPLACE);
    uint64_t t_total = 0;
    for (int i = 0; i < NPLACE; i++) {
        cp_join_t j;
        uint64_t t0 = cp_clock_mono_ns();
        cp_status_t st = cp_engine_join(e, fresh[i], "p1", 2, 0, now, &j);
        uint64_t t1 = cp_clock_mono_ns();
        if (st != CP_OK) {
            fprintf(stderr, "bench: placement refused at %d\n", i);
            return 1;
        }
        lat[i] = t1 - t0;
        t_total += t1 - t0;
        cp_meeting_t *old = i < NACTIVE ? active[i] : fresh[i - NACTIVE];
        cp_engine_meeting_end(e, old, now);
    }
    double place_rate = NPLACE / ((double)t_total / 1e9);
    uint64_t p50 = pct(lat, NPLACE, 0.50), p99 = pct(lat, NPLACE, 0.99);

    /* The naive baseline over the same loads. */
    cp_mu_t *load = malloc(sizeof *load * NSERVERS), *cap = malloc(sizeof *cap * NSERVERS);
    size_t it = 0, k = 0;
    cp_server_t *s;
    while ((s = cp_engine_server_next(e, &it))) {
        load[k] = cp_server_load(s);
        cap[k++] = s->capacity;
    }
    uint64_t nt0 = cp_clock_mono_ns();
    volatile size_t sink = 0;
    for (int i = 0; i < NPLACE; i++) {
        cp_mu_t L = (cp_mu_t)(4 + i % 7) * CP_MU_PER_UNIT;
        size_t b = naive_place(load, cap, NSERVERS, L);
        load[b] += L;
        load[(size_t)i % NSERVERS] -= L / 2; /* keep the loads moving, roughly steady */
        sink += b;
    }
    double naive_rate = NPLACE / ((double)(cp_clock_mono_ns() - nt0) / 1e9);

    /* Sticky lookups: a join to an active meeting by id, participant already in. */
    size_t nlive = 0;
    cp_meeting_t **live = malloc(sizeof *live * NACTIVE);
    for (int i = NPLACE - NACTIVE; i < NPLACE; i++)
        live[nlive++] = fresh[i];
    /* Ids are formatted on the fly, as a request would carry them: the
     * benchmark itself must not add a cache miss per lookup. */
    char idbuf[32];
    uint64_t lt0 = cp_clock_mono_ns();
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < NLOOKUP; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t mlen = fmt_id(idbuf, NPLACE - NACTIVE + (int)(x % nlive));
        cp_meeting_t *m = cp_engine_meeting(e, idbuf, mlen);
        cp_join_t j;
        cp_engine_join(e, m, "p1", 2, 0, now, &j);
        sink += (size_t)j.server;
    }
    double join_rate = NLOOKUP / ((double)(cp_clock_mono_ns() - lt0) / 1e9);
    /* The sticky lookup alone: meeting id -> its server. */
    lt0 = cp_clock_mono_ns();
    for (int i = 0; i < NLOOKUP; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t mlen = fmt_id(idbuf, NPLACE - NACTIVE + (int)(x % nlive));
        cp_meeting_t *m = cp_engine_meeting(e, idbuf, mlen);
        sink += (size_t)m->server;
    }
    double lookup_rate = NLOOKUP / ((double)(cp_clock_mono_ns() - lt0) / 1e9);

    printf("engine placements/s            %12.0f   (1,000 servers, 100,000 active meetings)\n",
           place_rate);
    printf("engine decision time p50       %10.2f us\n", (double)p50 / 1e3);
    printf("engine decision time p99       %10.2f us\n", (double)p99 / 1e3);
    printf("naive scan placements/s        %12.0f   (baseline, same loads)\n", naive_rate);
    printf("ratio engine / naive            %11.1fx\n", place_rate / naive_rate);
    printf("sticky lookups/s               %12.0f   (meeting id -> its server)\n", lookup_rate);
    printf("repeated joins/s               %12.0f   (join to an active meeting, participant already in)\n",
           join_rate);
    printf("RESULT place_per_s=%.0f p50_us=%.2f p99_us=%.2f naive_per_s=%.0f lookup_per_s=%.0f "
           "join_per_s=%.0f\n",
           place_rate, (double)p50 / 1e3, (double)p99 / 1e3, naive_rate, lookup_rate, join_rate);
    (void)sink;
    cp_engine_free(e);
    free(active);
    free(fresh);
    free(lat);
    free(load);
    free(cap);
    free(live);
    return 0;
}
