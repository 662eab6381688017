/* cp_place.c — placement policies: which server gets a new meeting.
 *
 * Every policy only considers eligible servers of the meeting's pool on
 * which the meeting fits: load + L <= new_limit (utilization after placement
 * at or below the new-meeting threshold). Ties break on registration order
 * so decisions are reproducible.
 *
 *   least_utilization  the default: least utilization after placement.
 *                      O(capacity classes) via per-class heaps.
 *   power_of_two       two random candidates, the less utilized one; robust
 *                      when load information is stale or shared.
 *   round_robin, random, least_meetings
 *                      what the open-source peers do (baselines).
 *   best_fit           the most utilized server that still fits (packing). */
#include "engine/cp_engine_int.h"

static inline bool cp__fits(const cp_server_t *s, cp_mu_t L) {
    return cp_server_load(s) + L <= s->new_limit;
}

/* True if a is a better (less utilized after adding L) choice than b. */
static inline bool cp__less_util(const cp_server_t *a, const cp_server_t *b, cp_mu_t L) {
    int c = cp__util_cmp(cp_server_load(a) + L, a->capacity, cp_server_load(b) + L, b->capacity);
    return c < 0 || (c == 0 && a->seq < b->seq);
}

static cp_server_t *cp__least_util(cp_pool_t *p, cp_mu_t L) {
    cp_server_t *best = NULL;
    for (size_t i = 0; i < p->nclasses; i++) {
        cp_server_t *s = cp_heap_top(&p->classes[i].heap);
        if (s && (best == NULL || cp__less_util(s, best, L)))
            best = s;
    }
    return best && cp__fits(best, L) ? best : NULL;
}

static cp_server_t *cp__power_of_two(cp_engine_t *e, cp_pool_t *p, cp_mu_t L) {
    size_t n = p->neligible;
    if (n == 0)
        return NULL;
    cp_server_t *a = p->eligible[cp_rng_below(&e->rng, n)];
    cp_server_t *b = a;
    if (n > 1) {
        size_t i = a->elig_idx;
        size_t j = cp_rng_below(&e->rng, n - 1);
        b = p->eligible[j >= i ? j + 1 : j];
    }
    cp_server_t *pick = cp__less_util(a, b, L) ? a : b;
    if (cp__fits(pick, L))
        return pick;
    /* Both samples are full: rather than refuse, look at the whole pool. */
    return cp__least_util(p, L);
}

static cp_server_t *cp__round_robin(cp_pool_t *p, cp_mu_t L) {
    size_t n = p->nservers;
    for (size_t k = 0; k < n; k++) {
        size_t i = (p->rr_next + k) % n;
        cp_server_t *s = p->servers[i];
        if (s->elig_idx != SIZE_MAX && cp__fits(s, L)) {
            p->rr_next = (i + 1) % n;
            return s;
        }
    }
    return NULL;
}

static cp_server_t *cp__random(cp_engine_t *e, cp_pool_t *p, cp_mu_t L) {
    size_t n = p->neligible;
    if (n == 0)
        return NULL;
    size_t start = cp_rng_below(&e->rng, n);
    for (size_t k = 0; k < n; k++) {
        cp_server_t *s = p->eligible[(start + k) % n];
        if (cp__fits(s, L))
            return s;
    }
    return NULL;
}

static cp_server_t *cp__least_meetings(cp_pool_t *p, cp_mu_t L) {
    cp_server_t *best = NULL;
    for (size_t i = 0; i < p->nservers; i++) {
        cp_server_t *s = p->servers[i];
        if (s->elig_idx == SIZE_MAX || !cp__fits(s, L))
            continue;
        if (best == NULL || s->meetings < best->meetings ||
            (s->meetings == best->meetings && cp__less_util(s, best, L)))
            best = s;
    }
    return best;
}

static cp_server_t *cp__best_fit(cp_pool_t *p, cp_mu_t L) {
    cp_server_t *best = NULL;
    for (size_t i = 0; i < p->nservers; i++) {
        cp_server_t *s = p->servers[i];
        if (s->elig_idx == SIZE_MAX || !cp__fits(s, L))
            continue;
        if (best == NULL) {
            best = s;
            continue;
        }
        int c = cp__util_cmp(cp_server_load(s) + L, s->capacity, cp_server_load(best) + L,
                             best->capacity);
        if (c > 0 || (c == 0 && s->seq < best->seq))
            best = s;
    }
    return best;
}

cp_server_t *cp__place(cp_engine_t *e, cp_pool_t *p, cp_mu_t L, cp_policy_t policy) {
    switch (policy) {
    case CP_POLICY_LEAST_UTILIZATION: return cp__least_util(p, L);
    case CP_POLICY_POWER_OF_TWO: return cp__power_of_two(e, p, L);
    case CP_POLICY_ROUND_ROBIN: return cp__round_robin(p, L);
    case CP_POLICY_RANDOM: return cp__random(e, p, L);
    case CP_POLICY_LEAST_MEETINGS: return cp__least_meetings(p, L);
    case CP_POLICY_BEST_FIT: return cp__best_fit(p, L);
    case CP_POLICY_COUNT: break;
    }
    return cp__least_util(p, L);
}
