/* cp_sim.c — the simulator core: set-up, the virtual clock and its event
 * sources, the per-minute sample, and the true non-conferencing load.
 *
 * Sources of events, in the order they run when due at the same instant:
 * the generator (brings meetings into the queue), the minute sample, load
 * reports, then meeting events (by time, then by occurrence number). Each
 * meeting sits in the queue once, keyed by its next event. */
#include "sim/cp_sim_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/cp_sim_dist.h"
#include "util/base/cp_alloc.h"

#define CP__MIN 60000LL
#define CP__ADVANCE_EVERY (10 * CP__MIN)

const char *cp_sim_policy_name(int policy) {
    if (policy == CP_SIM_CLAIRVOYANT)
        return "clairvoyant";
    return cp_policy_name((cp_policy_t)policy);
}

bool cp_sim_policy_parse(const char *s, int *out) {
    if (strcmp(s, "clairvoyant") == 0) {
        *out = CP_SIM_CLAIRVOYANT;
        return true;
    }
    cp_policy_t p;
    if (!cp_policy_parse(s, &p))
        return false;
    *out = (int)p;
    return true;
}

void cp_sim_opts_defaults(cp_sim_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->policy = CP_POLICY_LEAST_UTILIZATION;
    o->seed = 1;
    o->t0 = 1772409600000LL; /* 2026-03-02T00:00:00Z, a Monday */
    o->duration = 1440 * CP__MIN;
}

/* ---- the queue: a binary heap of (next event, occurrence, meeting) --------------- */

typedef struct cp_sim_qent cp__qent_t;

static inline bool cp__before(const cp__qent_t *a, const cp__qent_t *b) {
    return a->t < b->t || (a->t == b->t && a->occ < b->occ);
}

void cp__sim_queue_push(cp_sim_t *s, cp_sim_mtg_t *m, cp_ms_t t) {
    if (s->hlen == s->hcap) {
        s->hcap = s->hcap ? s->hcap * 2 : 1024;
        s->heap = cp_reallocarray(s->heap, s->hcap, sizeof *s->heap);
    }
    m->qtime = t;
    cp__qent_t e = {t, m->occ, m};
    size_t i = s->hlen++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cp__before(&e, &s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = e;
}

static cp_sim_mtg_t *cp__queue_pop(cp_sim_t *s) {
    cp_sim_mtg_t *top = s->heap[0].m;
    cp__qent_t last = s->heap[--s->hlen];
    size_t n = s->hlen, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && cp__before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!cp__before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n)
        s->heap[i] = last;
    return top;
}

/* ---- the true non-conferencing load ------------------------------------------------ */

cp_mu_t cp_sim_other_load(const cp_sim_t *s, size_t i, cp_ms_t t) {
    const cp_sim_model_t *m = &s->model;
    const cp_ms_t day = 1440 * CP__MIN;
    cp_ms_t in_day = (t % day + day) % day;
    int64_t mi = in_day / CP__MIN;
    double mf = (double)(in_day - mi * CP__MIN) / (double)CP__MIN;
    double level = s->level[mi] * (1 - mf) + s->level[mi + 1] * mf;
    double noise = 0;
    if (m->other_noise > 0) {
        /* A slow wander: random knots every `knot` minutes, joined by lines;
         * a function of (server, time) only, so every policy sees the same. */
        double x = (double)(t - s->t0) / 60000.0 / m->other_knot;
        double k = floor(x), f = x - k;
        uint64_t key = s->other_seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL);
        double a = 2 * cp_dist_hash_unit(key ^ (uint64_t)(int64_t)k) - 1;
        double b = 2 * cp_dist_hash_unit(key ^ (uint64_t)(int64_t)(k + 1)) - 1;
        noise = m->other_noise * (a * (1 - f) + b * f);
    }
    double v = (double)s->cap[i] * s->other_factor[i] * level * (1 + noise);
    return v > 0 ? (cp_mu_t)llround(v) : 0;
}

/* The true other load now, interpolated between the values at the minute
 * boundaries around now (the function is piecewise linear on a coarser
 * grid, so this is exact up to rounding, and much cheaper per event). */
cp_mu_t cp__sim_other_now(cp_sim_t *s, size_t i) {
    cp_ms_t t = s->now;
    if (s->other_at == CP_TIME_NONE || t < s->other_at || t >= s->other_at + CP__MIN) {
        cp_ms_t at = t - ((t - s->t0) % CP__MIN + CP__MIN) % CP__MIN;
        bool next = s->other_at != CP_TIME_NONE && at == s->other_at + CP__MIN;
        for (size_t k = 0; k < s->ns; k++) {
            s->other_a[k] = next ? s->other_b[k] : cp_sim_other_load(s, k, at);
            s->other_b[k] = cp_sim_other_load(s, k, at + CP__MIN);
        }
        s->other_at = at;
    }
    cp_mu_t a = s->other_a[i], b = s->other_b[i];
    return a + (b - a) * (t - s->other_at) / CP__MIN;
}

cp_mu_t cp_sim_server_load(const cp_sim_t *s, size_t i) {
    return cp_sim_other_load(s, i, s->now) + s->conf[i];
}

cp_mu_t cp_sim_server_capacity(const cp_sim_t *s, size_t i) { return s->cap[i]; }

void cp__sim_peak_check(cp_sim_t *s, size_t srv) {
    double u = (double)(cp__sim_other_now(s, srv) + s->conf[srv]) / (double)s->cap[srv];
    if (u > s->peak[srv])
        s->peak[srv] = u;
    if (u > s->res.peak_util) {
        s->res.peak_util = u;
        s->res.peak_server = srv;
        s->res.peak_at = s->now;
    }
}

/* ---- set-up --------------------------------------------------------------------------- */

static void cp__add_servers(cp_sim_t *s) {
    const cp_sim_model_t *m = &s->model;
    s->ns = m->nserver_list ? m->nserver_list : m->servers;
    size_t n = s->ns;
    s->sid = cp_calloc(n, sizeof *s->sid);
    s->cap = cp_calloc(n, sizeof *s->cap);
    s->conf = cp_calloc(n, sizeof *s->conf);
    s->parts = cp_calloc(n, sizeof *s->parts);
    s->mtgs = cp_calloc(n, sizeof *s->mtgs);
    s->peak = cp_calloc(n, sizeof *s->peak);
    s->other_factor = cp_calloc(n, sizeof *s->other_factor);
    s->other_a = cp_calloc(n, sizeof *s->other_a);
    s->other_b = cp_calloc(n, sizeof *s->other_b);
    s->other_at = CP_TIME_NONE;
    s->hosted = cp_calloc(n, sizeof *s->hosted);
    s->tmp_load = cp_calloc(n, sizeof *s->tmp_load);
    s->tmp_util = cp_calloc(n, sizeof *s->tmp_util);
    s->esrv = cp_calloc(n * s->ninst, sizeof *s->esrv);
    int width = n >= 100 ? (n >= 100000 ? 7 : n >= 10000 ? 5 : n >= 1000 ? 4 : 3) : 2;
    s->min_cap = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        double capacity, scale = 1.0;
        if (m->nserver_list) {
            snprintf(s->sid[i], sizeof s->sid[i], "%s", m->server_list[i].id);
            capacity = m->server_list[i].capacity;
            scale = m->server_list[i].other_scale;
        } else {
            snprintf(s->sid[i], sizeof s->sid[i], "fe%0*u", width & 7, (unsigned)(i + 1));
            capacity = m->capacity;
        }
        s->cap[i] = (cp_mu_t)llround(capacity * CP_MU_PER_UNIT);
        if (s->cap[i] > s->max_cap)
            s->max_cap = s->cap[i];
        if (s->cap[i] < s->min_cap)
            s->min_cap = s->cap[i];
        /* Each machine carries a little more or less of the other work. */
        double u = cp_dist_hash_unit(s->other_seed ^ (0xa5a5ULL + i));
        s->other_factor[i] = scale * (1 + m->other_spread * (2 * u - 1));
        for (unsigned k = 0; k < s->ninst; k++) {
            cp_server_spec_t spec = {.id = s->sid[i], .address = s->sid[i],
                                     .capacity = s->cap[i]};
            bool created;
            cp_engine_server_put(s->eng[k], &spec, cp__sim_feed_since(s), &s->esrv[k * n + i],
                                 &created);
        }
    }
}

cp_sim_t *cp_sim_new(const cp_sim_model_t *model, const cp_sim_opts_t *opts) {
    cp_sim_t *s = cp_calloc(1, sizeof *s);
    cp_sim_model_copy(&s->model, model);
    s->opts = *opts;
    s->t0 = s->now = opts->t0;
    s->t_end = opts->t0 + opts->duration;
    s->next_minute = s->t0;
    s->next_advance = s->t0;
    /* The day curve is linear between hour midpoints, so a table per
     * minute, interpolated, is exact. */
    double peak = cp_sim_model_day_peak(model);
    for (int k = 0; k <= 1440; k++)
        s->level[k] = model->other_night + (model->other_peak - model->other_night) *
                                               cp_sim_model_day_curve(model, k) / peak;
    s->other_seed = opts->seed * 0x2545f4914f6cdd1dULL ^ 0x6f74686572ULL; /* "other" */
    s->ninst = model->instances ? model->instances : 1;
    if (s->ninst > CP_SIM_MAX_INSTANCES)
        s->ninst = CP_SIM_MAX_INSTANCES;

    /* The engine as the daemon runs it, except that the simulator ends
     * every meeting itself and forgets it at once (bounded memory), and
     * journals nothing. */
    cp_engine_config_t cfg = model->engine;
    cfg.track_changes = false;
    cfg.retain_ended = 0;
    cfg.expire_after = -1;
    cfg.adhoc_expire = -1;
    if (opts->policy == CP_SIM_CLAIRVOYANT) {
        cfg.policy = CP_POLICY_LEAST_UTILIZATION;
        cfg.ramp_up = 400LL * 1440 * CP__MIN; /* the expected (true) peak counts all along */
        cfg.learn_attendance = false;         /* ... as given: it is the truth */
    } else {
        cfg.policy = (cp_policy_t)opts->policy;
    }
    for (unsigned k = 0; k < s->ninst; k++) {
        cfg.seed = opts->seed + k * 0x9e3779b97f4a7c15ULL;
        s->eng[k] = cp_engine_new(&cfg);
    }
    for (unsigned mods = 0; mods < 8; mods++)
        s->cost[mods] = cp_engine_cost(s->eng[0], mods);
    s->base = cfg.meeting_base;

    cp__add_servers(s);
    cp__sim_feed_history(s);
    s->big_threshold = s->max_cap / 20;
    cp_sim_metrics_init(&s->metrics, s->ns, opts->keep_servers);
    cp__sim_feed_init(s);

    double scale = opts->scale > 0 ? opts->scale : cp_sim_gen_scale(model, s->cost, s->base);
    s->res.scale = scale;
    s->res.policy = opts->policy;
    s->res.pools = 1;
    s->gen = cp_sim_gen_new(model, s->cost, s->base, opts->seed, s->t0, s->t_end, scale);
    return s;
}

void cp_sim_free(cp_sim_t *s) {
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->hlen; i++)
        cp_sim_mtg_free(s->heap[i].m);
    for (unsigned k = 0; k < s->ninst; k++)
        cp_engine_free(s->eng[k]);
    cp__sim_feed_free(s);
    cp_sim_gen_free(s->gen);
    cp_sim_metrics_free(&s->metrics);
    cp_free(s->heap);
    cp_free(s->big);
    cp_free(s->sid);
    cp_free(s->cap);
    cp_free(s->conf);
    cp_free(s->parts);
    cp_free(s->mtgs);
    cp_free(s->peak);
    cp_free(s->other_factor);
    cp_free(s->other_a);
    cp_free(s->other_b);
    cp_free(s->hosted);
    cp_free(s->tmp_load);
    cp_free(s->tmp_util);
    cp_free(s->esrv);
    cp_free(s->res.large);
    cp_sim_model_free(&s->model);
    cp_free(s);
}

void cp_sim_costs(const cp_sim_t *s, cp_mu_t cost[8], cp_mu_t *base) {
    memcpy(cost, s->cost, sizeof s->cost);
    *base = s->base;
}

void cp_sim_set_minute_hook(cp_sim_t *s, cp_sim_minute_fn fn, void *ctx) {
    s->hook = fn;
    s->hook_ctx = ctx;
}

static void cp__admit(void *ctx, cp_sim_mtg_t *m) {
    cp_sim_t *s = ctx;
    m->inst = (uint32_t)(m->id % s->ninst);
    if (s->opts.policy == CP_SIM_CLAIRVOYANT) {
        /* Every occurrence is its own engine meeting, so that each one can
         * be told its own true peak. */
        m->flags |= CP_SIM_F_CREATE | CP_SIM_F_END;
        snprintf(m->eid, sizeof m->eid, "o%llu", (unsigned long long)m->occ);
    }
    cp__sim_meeting_admit(s, m);
}

void cp_sim_inject(cp_sim_t *s, cp_sim_mtg_t *m) {
    if (m->id == 0) {
        m->id = (1ULL << 40) + ++s->inject_id;
        snprintf(m->eid, sizeof m->eid, "m%llu", (unsigned long long)m->id);
    }
    m->occ = (1ULL << 62) + ++s->inject_id;
    if (m->create < s->now)
        m->create = s->now;
    cp__admit(s, m);
}

/* ---- the minute sample ---------------------------------------------------------------- */

static void cp__sample(cp_sim_t *s) {
    /* Advancing frees the meetings the engine forgot; it also ends the
     * validity of meeting pointers, so do it every few minutes only. */
    if (s->now >= s->next_advance) {
        for (unsigned k = 0; k < s->ninst; k++)
            cp_engine_advance(s->eng[k], s->now);
        s->epoch++;
        s->next_advance = s->now + CP__ADVANCE_EVERY;
    }
    cp_mu_t maxm = 0;
    for (size_t i = 0; i < s->nbig; i++)
        if (s->big[i]->load > maxm)
            maxm = s->big[i]->load;
    uint32_t meetings = 0;
    for (size_t i = 0; i < s->ns; i++) {
        s->tmp_load[i] = cp_sim_other_load(s, i, s->now) + s->conf[i];
        meetings += s->mtgs[i];
        cp__sim_peak_check(s, i);
    }
    const cp_sim_minute_t *row =
        cp_sim_metrics_sample(&s->metrics, s->tmp_load, s->cap, s->parts, meetings, maxm);
    if (s->hook) {
        for (size_t i = 0; i < s->ns; i++)
            s->tmp_util[i] = cp_server_utilization(s->esrv[i]);
        cp_sim_view_t v = {.load = s->tmp_load, .cap = s->cap, .parts = s->parts,
                           .meetings = s->mtgs, .engine_util = s->tmp_util};
        s->hook(s->hook_ctx, s->now, row, &v);
    }
    s->next_minute += CP__MIN;
    if (s->next_minute >= s->t_end)
        s->next_minute = CP_TIME_NONE;
}

/* ---- the run loop ------------------------------------------------------------------------- */

static inline cp_ms_t cp__min_t(cp_ms_t a, cp_ms_t b) {
    if (a == CP_TIME_NONE)
        return b;
    if (b == CP_TIME_NONE)
        return a;
    return a < b ? a : b;
}

static void cp__finish(cp_sim_t *s) {
    /* Meetings still running at the end are cut: account them as they are. */
    while (s->hlen)
        cp__sim_meeting_retire(s, cp__queue_pop(s));
    cp_sim_metrics_summarize(&s->metrics, &s->res.stats);
    if (s->ns)
        snprintf(s->res.peak_server_id, sizeof s->res.peak_server_id, "%s",
                 s->sid[s->res.peak_server]);
    s->res.generated = cp_sim_gen_count(s->gen);
    if (s->nwork) {
        double n = (double)s->nwork;
        s->res.mean_size = s->sum_size / n;
        s->res.mean_duration_min = s->sum_dur / n;
        s->res.share_under_20 = (double)s->n_u20 / n;
        s->res.share_under_100 = (double)s->n_u100 / n;
        s->res.share_over_250 = (double)s->n_o250 / n;
    }
    s->finished = true;
}

bool cp_sim_run(cp_sim_t *s, cp_ms_t until) {
    if (s->finished)
        return false;
    cp_ms_t limit = until < s->t_end ? until : s->t_end;
    for (;;) {
        cp_ms_t tg = cp_sim_gen_next(s->gen);
        cp_ms_t tm = s->next_minute;
        cp_ms_t tr = cp__sim_feed_next(s);
        cp_ms_t te = s->hlen ? s->heap[0].t : CP_TIME_NONE;
        cp_ms_t t = cp__min_t(cp__min_t(tg, tm), cp__min_t(tr, te));
        if (t == CP_TIME_NONE || t >= limit)
            break;
        s->now = t;
        if (t == tg)
            cp_sim_gen_step(s->gen, cp__admit, s);
        else if (t == tm)
            cp__sample(s);
        else if (t == tr)
            cp__sim_feed_step(s);
        else
            cp__sim_meeting_event(s, cp__queue_pop(s));
    }
    if (limit > s->now)
        s->now = limit;
    if (limit == s->t_end) {
        cp__finish(s);
        return false;
    }
    return true;
}

cp_ms_t cp_sim_now(const cp_sim_t *s) { return s->now; }
cp_ms_t cp_sim_start(const cp_sim_t *s) { return s->t0; }
cp_ms_t cp_sim_end(const cp_sim_t *s) { return s->t_end; }
const cp_sim_result_t *cp_sim_result(const cp_sim_t *s) { return &s->res; }
const cp_sim_metrics_t *cp_sim_metrics(const cp_sim_t *s) { return &s->metrics; }
size_t cp_sim_server_count(const cp_sim_t *s) { return s->ns; }
const char *cp_sim_server_id(const cp_sim_t *s, size_t i) { return s->sid[i]; }
double cp_sim_server_peak(const cp_sim_t *s, size_t i) { return s->peak[i]; }
cp_engine_t *cp_sim_engine(const cp_sim_t *s, unsigned k) {
    return k < s->ninst ? s->eng[k] : NULL;
}
