/* cp_sim_gen.c — the workload generator (see cp_sim_gen.h).
 *
 * Per minute slot: meet-now meetings arrive as a Poisson process following
 * the day curve; scheduled meetings arrive on the :00/:15/:30/:45 grid
 * ("join storms"); occurrences of daily series come back a day later.
 * Large meetings are drawn for the whole run at the start, because they
 * are booked well ahead. Each meeting gets its size, its length, its
 * media, an expected size with estimation noise, and for each participant
 * a join and a leave time (early, on time, late; leaving early or at the
 * end). */
#include "sim/cp_sim_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cp_sim_dist.h"
#include "util/base/cp_alloc.h"

#define CP__MIN 60000LL
#define CP__DAY (1440 * CP__MIN)

typedef struct cp__occ {
    cp_ms_t start;
    uint64_t id;
    double size; /* the series' typical attendance */
    uint8_t mods, len_idx;
    cp_ms_t series_end;
} cp__occ_t;

struct cp_sim_gen {
    cp_sim_model_t m;
    cp_mu_t cost[8], base;
    cp_rng_t rng;
    cp_ms_t t0, t_end, lookahead;
    double scale, peak;
    int64_t slot, nslots;
    uint64_t next_id, next_occ, count;
    bool large_done;

    cp__occ_t *rq; /* FIFO of future occurrences, in start order */
    size_t rq_head, rq_len, rq_cap;
};

/* ---- meetings ----------------------------------------------------------------- */

cp_sim_mtg_t *cp_sim_mtg_alloc(uint32_t n) {
    size_t size = sizeof(cp_sim_mtg_t) + (size_t)n * (sizeof(cp_sim_part_t) + sizeof(uint32_t));
    cp_sim_mtg_t *m = cp_calloc(1, size);
    m->n = n;
    m->parts = (cp_sim_part_t *)(m + 1);
    m->leave_order = (uint32_t *)(m->parts + n);
    m->host = UINT32_MAX;
    m->sched_start = m->sched_end = CP_TIME_NONE;
    return m;
}

void cp_sim_mtg_free(cp_sim_mtg_t *m) {
    if (m) {
        cp_free(m->plan);
        cp_free(m);
    }
}

static int cp__part_cmp(const void *a, const void *b) {
    const cp_sim_part_t *x = a, *y = b;
    if (x->join != y->join)
        return x->join < y->join ? -1 : 1;
    if (x->leave != y->leave)
        return x->leave < y->leave ? -1 : 1;
    return (x->mods > y->mods) - (x->mods < y->mods);
}

static void cp__sort_parts(cp_sim_part_t *p, uint32_t n) {
    if (n > 24) {
        qsort(p, n, sizeof *p, cp__part_cmp);
        return;
    }
    for (uint32_t i = 1; i < n; i++) {
        cp_sim_part_t x = p[i];
        uint32_t j = i;
        while (j > 0 && cp__part_cmp(&p[j - 1], &x) > 0) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = x;
    }
}

/* (leave time, index) pairs sort without a global for qsort's comparator,
 * so runs may go on in parallel threads. */
typedef struct cp__lv {
    int32_t leave;
    uint32_t idx;
} cp__lv_t;

static int cp__lv_cmp(const void *a, const void *b) {
    const cp__lv_t *x = a, *y = b;
    if (x->leave != y->leave)
        return x->leave < y->leave ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static void cp__sort_leaves(const cp_sim_part_t *p, uint32_t *o, uint32_t n) {
    if (n > 24) {
        cp__lv_t *v = cp_malloc(n * sizeof *v);
        for (uint32_t i = 0; i < n; i++)
            v[i] = (cp__lv_t){p[i].leave, i};
        qsort(v, n, sizeof *v, cp__lv_cmp);
        for (uint32_t i = 0; i < n; i++)
            o[i] = v[i].idx;
        cp_free(v);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        o[i] = i;
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = o[i], j = i;
        while (j > 0 && (p[o[j - 1]].leave > p[x].leave ||
                         (p[o[j - 1]].leave == p[x].leave && o[j - 1] > x))) {
            o[j] = o[j - 1];
            j--;
        }
        o[j] = x;
    }
}

void cp_sim_mtg_finish(cp_sim_mtg_t *m, const cp_mu_t cost[8], cp_mu_t base) {
    cp__sort_parts(m->parts, m->n);
    cp__sort_leaves(m->parts, m->leave_order, m->n);
    snprintf(m->eid, sizeof m->eid, "m%llu", (unsigned long long)m->id);
    /* Sweep joins and leaves in time order (a leave before a join at the
     * same instant, as the core processes them) for the true peak. */
    cp_mu_t load = 0, peak = 0;
    uint32_t count = 0, peak_count = 0, i = 0, j = 0;
    while (i < m->n) {
        const cp_sim_part_t *jp = &m->parts[i];
        const cp_sim_part_t *lp = j < m->n ? &m->parts[m->leave_order[j]] : NULL;
        if (lp && lp->leave <= jp->join) {
            load -= cost[lp->mods];
            count--;
            j++;
            continue;
        }
        load += cost[jp->mods];
        count++;
        i++;
        if (load > peak)
            peak = load;
        if (count > peak_count)
            peak_count = count;
    }
    m->peak_load = m->n ? base + peak : 0;
    m->peak_count = peak_count;
    m->last_leave = m->n ? m->start + m->parts[m->leave_order[m->n - 1]].leave : m->start;
}

/* ---- draws ------------------------------------------------------------------------ */

static uint32_t cp__round_size(double x, double lo, double hi) {
    if (x < lo)
        x = lo;
    if (x > hi)
        x = hi;
    return (uint32_t)floor(x + 0.5);
}

static uint32_t cp__draw_size(cp_sim_gen_t *g, bool adhoc) {
    const cp_sim_model_t *m = &g->m;
    if (adhoc)
        return cp__round_size(cp_dist_lognormal(&g->rng, m->adhoc_median, m->adhoc_sigma),
                              m->size_min, m->tail_min);
    if (cp_rng_unit(&g->rng) < m->tail_share)
        return cp__round_size(
            cp_dist_pareto_trunc(&g->rng, m->tail_min, m->tail_max, m->tail_alpha), m->tail_min,
            m->tail_max - 1);
    return cp__round_size(cp_dist_lognormal(&g->rng, m->size_median, m->size_sigma), m->size_min,
                          m->tail_max - 1);
}

static uint8_t cp__draw_mods(cp_sim_gen_t *g) {
    double w[3] = {g->m.sharing_meetings, g->m.video_meetings,
                   1.0 - g->m.sharing_meetings - g->m.video_meetings};
    switch (cp_dist_choice(&g->rng, w, 3)) {
    case 0: return CP_MOD_AUDIO | CP_MOD_SHARING;
    case 1: return CP_MOD_AUDIO | CP_MOD_VIDEO;
    default: return CP_MOD_AUDIO;
    }
}

static double cp__clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Actual length in minutes of a scheduled meeting booked for L minutes. */
static double cp__draw_length(cp_sim_gen_t *g, double L) {
    const cp_sim_model_t *m = &g->m;
    double d = L * cp_dist_lognormal(&g->rng, m->overrun_median, m->overrun_sigma);
    double hi = m->dur_max < 3 * L ? m->dur_max : 3 * L;
    return cp__clip(d, m->dur_min, hi > m->dur_min ? hi : m->dur_min);
}

static uint32_t cp__draw_expected(cp_sim_gen_t *g, uint32_t n) {
    double x = (double)n * cp_dist_lognormal(&g->rng, g->m.expected_bias, g->m.expected_noise);
    return x < 1 ? 1 : (uint32_t)floor(x + 0.5);
}

/* Join and leave offsets (minutes from start) for each participant of a
 * meeting that lasts D minutes. */
static void cp__draw_participants(cp_sim_gen_t *g, cp_sim_mtg_t *mt, double D, bool adhoc,
                                  double audio_only) {
    const cp_sim_model_t *m = &g->m;
    for (uint32_t i = 0; i < mt->n; i++) {
        double j;
        if (adhoc) {
            j = i == 0 ? 0 : cp_dist_exp(&g->rng, m->adhoc_spread);
        } else {
            double u = cp_rng_unit(&g->rng);
            if (u < m->early_share)
                j = -cp_dist_uniform(&g->rng, 0, m->early_window);
            else if (u < m->early_share + m->late_share)
                j = cp_dist_uniform(&g->rng, 3, D / 2 > 3 ? D / 2 : 3);
            else
                j = cp_dist_exp(&g->rng, m->ontime_mean);
        }
        double l;
        double in = j > 0 ? j : 0;
        if (cp_rng_unit(&g->rng) < m->leave_early_share)
            l = in + 1 < D ? cp_dist_uniform(&g->rng, in + 1, D) : D;
        else
            l = D + m->leave_spread * cp_dist_normal(&g->rng);
        if (l < j + 0.5)
            l = j + 0.5; /* everyone stays at least half a minute */
        cp_sim_part_t *p = &mt->parts[i];
        p->join = (int32_t)llround(j * 60000.0);
        p->leave = (int32_t)llround(l * 60000.0);
        p->mods = cp_rng_unit(&g->rng) < audio_only ? CP_MOD_AUDIO : mt->mods;
    }
}

/* Nothing happens before the run starts: early joiners of the first
 * minutes come at t0. */
static void cp__clamp_to_start(cp_sim_gen_t *g, cp_sim_mtg_t *mt) {
    cp_ms_t floor_off = g->t0 - mt->start;
    if (floor_off <= 0)
        return;
    for (uint32_t i = 0; i < mt->n; i++) {
        cp_sim_part_t *p = &mt->parts[i];
        if (p->join < floor_off)
            p->join = (int32_t)floor_off;
        if (p->leave <= p->join)
            p->leave = p->join + 30000;
    }
}

static cp_ms_t cp__first_join(const cp_sim_mtg_t *mt) {
    return mt->n ? mt->start + mt->parts[0].join : mt->start;
}

static void cp__emit(cp_sim_gen_t *g, cp_sim_mtg_t *mt, cp_sim_emit_fn emit, void *ctx) {
    cp__clamp_to_start(g, mt);
    cp_sim_mtg_finish(mt, g->cost, g->base);
    if (mt->create > cp__first_join(mt))
        mt->create = cp__first_join(mt);
    if (mt->create < g->t0)
        mt->create = g->t0;
    mt->occ = ++g->next_occ;
    g->count++;
    emit(ctx, mt);
}

/* ---- one meeting of each kind --------------------------------------------------------- */

static void cp__adhoc(cp_sim_gen_t *g, cp_ms_t at, cp_sim_emit_fn emit, void *ctx) {
    const cp_sim_model_t *m = &g->m;
    uint32_t n = cp__draw_size(g, true);
    cp_sim_mtg_t *mt = cp_sim_mtg_alloc(n);
    mt->id = ++g->next_id;
    mt->kind = CP_SIM_ADHOC;
    mt->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
    mt->mods = cp__draw_mods(g);
    mt->start = mt->create = at;
    double D = cp__clip(cp_dist_lognormal(&g->rng, m->adhoc_dur_median, m->adhoc_dur_sigma),
                        m->dur_min, m->dur_max);
    cp__draw_participants(g, mt, D, true, m->audio_only);
    cp__emit(g, mt, emit, ctx);
}

/* A scheduled meeting starting at `start`; occ is set for a later
 * occurrence of a daily series. */
static void cp__scheduled(cp_sim_gen_t *g, cp_ms_t start, const cp__occ_t *occ,
                          bool may_recur, cp_sim_emit_fn emit, void *ctx) {
    const cp_sim_model_t *m = &g->m;
    bool recurring, first = occ == NULL;
    double size;
    uint8_t mods, len_idx;
    uint64_t id;
    if (occ) {
        recurring = true;
        size = occ->size;
        mods = occ->mods;
        len_idx = occ->len_idx;
        id = occ->id;
    } else {
        recurring = may_recur && cp_rng_unit(&g->rng) < m->recurring_share;
        size = cp__draw_size(g, false);
        mods = cp__draw_mods(g);
        len_idx = (uint8_t)cp_dist_choice(&g->rng, m->length_weights, CP_SIM_LENGTHS);
        id = ++g->next_id;
    }
    /* Attendance of a series varies around its typical size. */
    uint32_t n = recurring ? cp__round_size(size * cp_dist_lognormal(&g->rng, 1.0,
                                                                       m->recurring_noise),
                                            m->size_min, m->tail_max - 1)
                           : (uint32_t)size;
    double L = m->lengths[len_idx];
    cp_sim_mtg_t *mt = cp_sim_mtg_alloc(n);
    mt->id = id;
    mt->kind = CP_SIM_SCHEDULED;
    mt->mods = mods;
    mt->start = start;
    mt->flags = recurring ? CP_SIM_F_RECURRING : 0;
    cp_ms_t series_end = start + (cp_ms_t)llround(L * 60000.0);
    if (recurring) {
        cp_ms_t last = occ ? occ->series_end : start;
        if (!occ)
            while (last + CP__DAY < g->t_end)
                last += CP__DAY;
        series_end = last + (cp_ms_t)llround(L * 60000.0);
        if (first)
            mt->flags |= CP_SIM_F_CREATE;
        if (start + CP__DAY >= g->t_end) {
            mt->flags |= CP_SIM_F_END;
        } else {
            if (g->rq_len == g->rq_cap) {
                size_t ncap = g->rq_cap ? g->rq_cap * 2 : 64;
                cp__occ_t *nq = cp_malloc(ncap * sizeof *nq);
                for (size_t i = 0; i < g->rq_len; i++)
                    nq[i] = g->rq[(g->rq_head + i) % g->rq_cap];
                cp_free(g->rq);
                g->rq = nq;
                g->rq_cap = ncap;
                g->rq_head = 0;
            }
            cp__occ_t *nx = &g->rq[(g->rq_head + g->rq_len++) % g->rq_cap];
            *nx = (cp__occ_t){.start = start + CP__DAY, .id = id, .size = size, .mods = mods,
                              .len_idx = len_idx, .series_end = last};
        }
    } else {
        mt->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
    }
    /* A series is scheduled once, for the span of its occurrences in the
     * run; later occurrences reuse that engine meeting. */
    mt->sched_start = start;
    mt->sched_end = series_end;
    uint32_t expected = cp__draw_expected(g, n);
    if (recurring && first) {
        /* Earlier occurrences happened before the run: the conferencing
         * database remembers their peak, which the engine takes as a
         * floor for the expected size. We pass it in the expected size,
         * which the engine combines the same way (max). */
        uint32_t prev = cp__round_size(size * cp_dist_lognormal(&g->rng, 1.0, m->recurring_noise),
                                       1, 1e9);
        if (prev > expected)
            expected = prev;
    }
    mt->expected = expected;
    double D = cp__draw_length(g, L);
    cp__draw_participants(g, mt, D, false, m->audio_only);
    mt->create = start - (cp_ms_t)llround(m->schedule_lead * 60000.0);
    cp__emit(g, mt, emit, ctx);
}

/* ---- slots ------------------------------------------------------------------------- */

static double cp__rate(const cp_sim_gen_t *g, cp_ms_t t) {
    double mod = (double)(t % CP__DAY) / 60000.0;
    return g->scale * cp_sim_model_day_curve(&g->m, mod) / g->peak;
}

/* Large meetings for the whole run: a Poisson number, placed on the day
 * curve and snapped to the hour grid. */
static void cp__large(cp_sim_gen_t *g, cp_sim_emit_fn emit, void *ctx) {
    const cp_sim_model_t *m = &g->m;
    if (m->large_share <= 0 || g->nslots <= 0)
        return;
    double *cum = cp_malloc((size_t)g->nslots * sizeof *cum);
    double total = 0;
    for (int64_t k = 0; k < g->nslots; k++) {
        total += cp__rate(g, g->t0 + k * CP__MIN + CP__MIN / 2) * m->large_share;
        cum[k] = total;
    }
    uint64_t count = cp_dist_poisson(&g->rng, total);
    for (uint64_t c = 0; c < count; c++) {
        double u = cp_rng_unit(&g->rng) * total;
        int64_t lo = 0, hi = g->nslots - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        cp_ms_t at = g->t0 + lo * CP__MIN;
        cp_ms_t hour = at - at % (60 * CP__MIN);
        size_t gi = cp_dist_choice(&g->rng, m->grid, 4);
        cp_ms_t start = hour + (cp_ms_t)gi * 15 * CP__MIN;
        if (start < g->t0)
            start = g->t0;
        uint32_t n = cp__round_size(
            cp_dist_pareto_trunc(&g->rng, m->large_min, m->large_max + 1, m->large_alpha),
            m->large_min, m->large_max);
        cp_sim_mtg_t *mt = cp_sim_mtg_alloc(n);
        mt->id = ++g->next_id;
        mt->kind = CP_SIM_LARGE;
        mt->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
        mt->mods = CP_MOD_AUDIO | CP_MOD_SHARING;
        mt->start = start;
        size_t li = cp_dist_choice(&g->rng, m->length_weights, CP_SIM_LENGTHS);
        double L = m->lengths[li];
        mt->sched_start = start;
        mt->sched_end = start + (cp_ms_t)llround(L * 60000.0);
        mt->expected = cp__draw_expected(g, n);
        cp__draw_participants(g, mt, cp__draw_length(g, L), false, m->large_audio_only);
        mt->create = start - (cp_ms_t)llround(m->large_notice * 60000.0);
        cp__emit(g, mt, emit, ctx);
    }
    cp_free(cum);
}

cp_sim_gen_t *cp_sim_gen_new(const cp_sim_model_t *model, const cp_mu_t cost[8], cp_mu_t base,
                             uint64_t seed, cp_ms_t t0, cp_ms_t t_end, double scale) {
    cp_sim_gen_t *g = cp_calloc(1, sizeof *g);
    g->m = *model;
    g->m.server_list = NULL;
    g->m.nserver_list = 0;
    memcpy(g->cost, cost, sizeof g->cost);
    g->base = base;
    cp_rng_seed(&g->rng, seed ^ 0x67656e6572617465ULL); /* "generate" */
    g->t0 = t0;
    g->t_end = t_end;
    g->scale = scale;
    g->peak = cp_sim_model_day_peak(model);
    g->nslots = (t_end - t0 + CP__MIN - 1) / CP__MIN;
    g->lookahead = (cp_ms_t)llround((model->early_window + model->schedule_lead + 1) * 60000.0);
    if (scale <= 0)
        g->nslots = 0;
    return g;
}

void cp_sim_gen_free(cp_sim_gen_t *g) {
    if (g == NULL)
        return;
    cp_free(g->rq);
    cp_free(g);
}

cp_ms_t cp_sim_gen_next(const cp_sim_gen_t *g) {
    if (!g->large_done)
        return g->t0;
    if (g->slot >= g->nslots)
        return CP_TIME_NONE;
    cp_ms_t t = g->t0 + g->slot * CP__MIN - g->lookahead;
    return t < g->t0 ? g->t0 : t;
}

void cp_sim_gen_step(cp_sim_gen_t *g, cp_sim_emit_fn emit, void *ctx) {
    if (!g->large_done) {
        g->large_done = true;
        cp__large(g, emit, ctx);
        return;
    }
    if (g->slot >= g->nslots)
        return;
    const cp_sim_model_t *m = &g->m;
    cp_ms_t s0 = g->t0 + g->slot * CP__MIN;
    g->slot++;
    double rate = cp__rate(g, s0) * (1.0 - m->large_share);
    /* Occurrences of daily series due in this minute. */
    while (g->rq_len && g->rq[g->rq_head].start < s0 + CP__MIN) {
        cp__occ_t o = g->rq[g->rq_head];
        g->rq_head = (g->rq_head + 1) % g->rq_cap;
        g->rq_len--;
        cp__scheduled(g, o.start, &o, false, emit, ctx);
    }
    /* Scheduled meetings start on the quarter-hour grid. */
    int64_t minute_of_hour = (s0 / CP__MIN) % 60;
    if (minute_of_hour % 15 == 0) {
        double wsum = m->grid[0] + m->grid[1] + m->grid[2] + m->grid[3];
        double w = wsum > 0 ? m->grid[minute_of_hour / 15] / wsum : 0;
        /* On the first day a share of the scheduled meetings belong to daily
         * series, which then come back every day from the queue above; later
         * days draw only the meetings that are not part of a series, so the
         * volume stays that of the model. */
        bool first_day = s0 < g->t0 + CP__DAY;
        double lambda = rate * (1.0 - m->adhoc_share) * 60.0 * w;
        uint64_t k = cp_dist_poisson(&g->rng, first_day ? lambda : lambda * (1 - m->recurring_share));
        for (uint64_t i = 0; i < k; i++)
            cp__scheduled(g, s0, NULL, first_day, emit, ctx);
    }
    uint64_t k = cp_dist_poisson(&g->rng, rate * m->adhoc_share);
    for (uint64_t i = 0; i < k; i++)
        cp__adhoc(g, s0 + (cp_ms_t)cp_rng_below(&g->rng, CP__MIN), emit, ctx);
}

uint64_t cp_sim_gen_count(const cp_sim_gen_t *g) { return g->count; }

/* ---- calibration ------------------------------------------------------------------- */

/* Mean presence profiles: for a meeting starting at minute 0 (a grid
 * point, or the start of an ad hoc minute slot), how many of its
 * participants are present, on average, at each minute boundary after. */
#define CP__PROF_BEFORE 16
#define CP__PROF_LEN (CP__PROF_BEFORE + 3 * 1440)

typedef struct cp__prof {
    double *p;
    uint64_t n;
} cp__prof_t;

static void cp__prof_emit(void *ctx, cp_sim_mtg_t *mt) {
    cp__prof_t *pr = ctx;
    pr->n++;
    for (uint32_t i = 0; i < mt->n; i++) {
        /* present at boundary b (minutes from the slot) when j <= b < l */
        int64_t j = mt->start + mt->parts[i].join, l = mt->start + mt->parts[i].leave;
        int64_t bj = j >= 0 ? (j + CP__MIN - 1) / CP__MIN : -((-j) / CP__MIN);
        int64_t bl = l >= 0 ? (l + CP__MIN - 1) / CP__MIN : -((-l) / CP__MIN);
        for (int64_t b = bj; b < bl; b++)
            if (b + CP__PROF_BEFORE >= 0 && b + CP__PROF_BEFORE < CP__PROF_LEN)
                pr->p[b + CP__PROF_BEFORE] += 1.0;
    }
    cp_sim_mtg_free(mt);
}

double cp_sim_gen_scale(const cp_sim_model_t *model, const cp_mu_t cost[8], cp_mu_t base) {
    double peak = cp_sim_model_day_peak(model);
    if (model->meetings_per_day > 0) {
        double sum = 0;
        for (int k = 0; k < 1440; k++)
            sum += cp_sim_model_day_curve(model, k + 0.5) / peak;
        return model->meetings_per_day / sum;
    }
    double target = model->users * model->peak_share;
    if (target <= 0)
        return 0;
    /* The expected concurrency of a day is the arrival rate convolved with
     * the mean presence profile of one meeting. Profiles come from many
     * meetings drawn with a fixed seed, so the volume is a property of the
     * model, not of one random day. Large meetings are left out (about 1%
     * of participants at the default share). */
    const int samples = 20000;
    cp_sim_model_t m = *model;
    m.recurring_share = 0;
    m.large_share = 0;
    cp_sim_gen_t *g = cp_sim_gen_new(&m, cost, base, 0x63616c6962ULL, -2 * CP__DAY, 2 * CP__DAY, 1);
    cp__prof_t sched = {cp_calloc(CP__PROF_LEN, sizeof(double)), 0};
    cp__prof_t adhoc = {cp_calloc(CP__PROF_LEN, sizeof(double)), 0};
    for (int i = 0; i < samples; i++) {
        cp__scheduled(g, 0, NULL, false, cp__prof_emit, &sched);
        cp__adhoc(g, (cp_ms_t)cp_rng_below(&g->rng, CP__MIN), cp__prof_emit, &adhoc);
    }
    cp_sim_gen_free(g);
    double wsum = m.grid[0] + m.grid[1] + m.grid[2] + m.grid[3];
    double *ra = cp_malloc(1440 * sizeof *ra), *rs = cp_malloc(1440 * sizeof *rs);
    for (int mod = 0; mod < 1440; mod++) {
        /* arrivals per unit scale: ad hoc each minute, scheduled on the grid */
        double rate = cp_sim_model_day_curve(&m, mod) / peak;
        ra[mod] = rate * m.adhoc_share / (double)adhoc.n;
        rs[mod] = mod % 15 == 0 && wsum > 0 ? rate * (1 - m.adhoc_share) * 60.0 *
                                                  m.grid[(mod % 60) / 15] / wsum / (double)sched.n
                                            : 0;
    }
    double best = 0;
    for (int b = 0; b < 1440; b++) {
        double c = 0;
        for (int k = -CP__PROF_LEN + CP__PROF_BEFORE + 1; k <= CP__PROF_BEFORE; k++) {
            int slot = b + k; /* minutes of the day, wrapping: the day repeats */
            int d = b - slot + CP__PROF_BEFORE;
            if (d < 0 || d >= CP__PROF_LEN)
                continue;
            int mod = ((slot % 1440) + 1440) % 1440;
            c += ra[mod] * adhoc.p[d] + rs[mod] * sched.p[d];
        }
        if (c > best)
            best = c;
    }
    cp_free(ra);
    cp_free(rs);
    cp_free(sched.p);
    cp_free(adhoc.p);
    return best > 0 ? target / best : 0;
}
