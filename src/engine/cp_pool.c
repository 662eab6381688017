/* cp_pool.c — pools, their capacity classes, and which servers may take
 * new meetings.
 *
 * A server is eligible for new meetings while it is up (not draining, not
 * down). Eligible servers sit in their pool's `eligible` array (for the
 * baseline policies, which scan or sample) and in the heap of their
 * capacity class (for least utilization, which only looks at heap tops). */
#include <math.h>
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

static bool cp__class_less(const void *a, const void *b) {
    const cp_server_t *x = a, *y = b;
    cp_mu_t lx = cp_server_load(x), ly = cp_server_load(y);
    if (lx != ly)
        return lx < ly;
    return x->seq < y->seq;
}

cp_pool_t *cp_engine_pool_ensure(cp_engine_t *e, const char *name) {
    cp_pool_t *p = cp_engine_pool(e, name);
    if (p)
        return p;
    p = cp_calloc(1, sizeof *p);
    size_t n = strlen(name);
    if (n > CP_ID_MAX)
        n = CP_ID_MAX;
    memcpy(p->name, name, n);
    p->name[n] = '\0';
    p->policy = e->cfg.policy;
    p->att_factor = 1.0;
    if (e->npools == e->pools_cap) {
        e->pools_cap = e->pools_cap ? e->pools_cap * 2 : 4;
        e->pools = cp_reallocarray(e->pools, e->pools_cap, sizeof *e->pools);
    }
    e->pools[e->npools++] = p;
    cp_map_put(&e->pool_map, p->name, strlen(p->name), p);
    return p;
}

void cp_engine_pool_set_policy(cp_engine_t *e, cp_pool_t *p, cp_policy_t policy) {
    (void)e;
    p->policy = policy;
}

void cp_engine_pool_set_cascade(cp_engine_t *e, cp_pool_t *p, bool cascade) {
    (void)e;
    p->cascade = cascade;
}

void cp__pool_free(cp_pool_t *p) {
    for (size_t i = 0; i < p->nclasses; i++)
        cp_heap_free(&p->classes[i].heap);
    cp_free(p->classes);
    cp_free(p->servers);
    cp_free(p->eligible);
    cp_free(p);
}

void cp__server_limits(const cp_engine_t *e, cp_server_t *s) {
    double cap = (double)s->capacity;
    s->new_limit = (cp_mu_t)floor(cap * e->cfg.new_meeting_below + 1e-6);
    s->join_limit = (cp_mu_t)ceil(cap * e->cfg.join_below - 1e-6);
}

static struct cp_capclass *cp__class(cp_pool_t *p, cp_mu_t capacity) {
    for (size_t i = 0; i < p->nclasses; i++)
        if (p->classes[i].capacity == capacity)
            return &p->classes[i];
    if (p->nclasses == p->classes_cap) {
        /* Classes hold heaps that servers point into: growing the array
         * moves them, so re-point every member. */
        size_t ncap = p->classes_cap ? p->classes_cap * 2 : 2;
        struct cp_capclass *nc = cp_calloc(ncap, sizeof *nc);
        if (p->nclasses)
            memcpy(nc, p->classes, p->nclasses * sizeof *nc);
        for (size_t i = 0; i < p->nclasses; i++)
            for (size_t j = 0; j < nc[i].heap.len; j++)
                ((cp_server_t *)nc[i].heap.items[j])->cls = &nc[i];
        cp_free(p->classes);
        p->classes = nc;
        p->classes_cap = ncap;
    }
    struct cp_capclass *c = &p->classes[p->nclasses++];
    c->capacity = capacity;
    cp_heap_init(&c->heap, offsetof(cp_server_t, heap_pos), cp__class_less);
    return c;
}

static bool cp__eligible(const cp_engine_t *e, const cp_server_t *s) {
    return s->state == CP_SERVER_UP && s->capacity > 0 && !cp_server_held(e, s);
}

static void cp__elig_add(cp_pool_t *p, cp_server_t *s) {
    if (p->neligible == p->eligible_cap) {
        p->eligible_cap = p->eligible_cap ? p->eligible_cap * 2 : 8;
        p->eligible = cp_reallocarray(p->eligible, p->eligible_cap, sizeof *p->eligible);
    }
    s->elig_idx = p->neligible;
    p->eligible[p->neligible++] = s;
    s->cls = cp__class(p, s->capacity);
    cp_heap_push(&s->cls->heap, s);
}

static void cp__elig_remove(cp_pool_t *p, cp_server_t *s) {
    size_t i = s->elig_idx;
    cp_server_t *last = p->eligible[--p->neligible];
    p->eligible[i] = last;
    last->elig_idx = i;
    s->elig_idx = SIZE_MAX;
    cp_heap_remove(&s->cls->heap, s);
    s->cls = NULL;
}

void cp__pool_attach(cp_engine_t *e, cp_server_t *s) {
    (void)e;
    cp_pool_t *p = s->pool;
    if (p->nservers == p->servers_cap) {
        p->servers_cap = p->servers_cap ? p->servers_cap * 2 : 8;
        p->servers = cp_reallocarray(p->servers, p->servers_cap, sizeof *p->servers);
    }
    p->servers[p->nservers++] = s;
    s->elig_idx = SIZE_MAX;
    s->heap_pos = CP_HEAP_NONE;
    s->cls = NULL;
    cp__pool_refresh(e, s);
}

void cp__pool_detach(cp_engine_t *e, cp_server_t *s) {
    (void)e;
    cp_pool_t *p = s->pool;
    if (s->elig_idx != SIZE_MAX)
        cp__elig_remove(p, s);
    for (size_t i = 0; i < p->nservers; i++) {
        if (p->servers[i] == s) {
            memmove(&p->servers[i], &p->servers[i + 1], (p->nservers - i - 1) * sizeof *p->servers);
            p->nservers--;
            break;
        }
    }
    if (p->rr_next > p->nservers)
        p->rr_next = 0;
}

void cp__pool_refresh(cp_engine_t *e, cp_server_t *s) {
    (void)e;
    cp_pool_t *p = s->pool;
    bool want = cp__eligible(e, s);
    bool in = s->elig_idx != SIZE_MAX;
    if (in && (!want || s->cls->capacity != s->capacity)) {
        cp__elig_remove(p, s);
        in = false;
    }
    if (want && !in)
        cp__elig_add(p, s);
}

void cp__pool_load_changed(cp_engine_t *e, cp_server_t *s) {
    (void)e;
    if (s->cls)
        cp_heap_update(&s->cls->heap, s);
}

void cp_engine_pool_stats(const cp_engine_t *e, const cp_pool_t *p, cp_pool_stats_t *out) {
    (void)e;
    memset(out, 0, sizeof *out);
    double sum_util = 0, max_util = 0;
    for (size_t i = 0; i < p->nservers; i++) {
        const cp_server_t *s = p->servers[i];
        out->servers++;
        out->active_meetings += s->meetings;
        out->participants += s->participants;
        if (s->state != CP_SERVER_UP)
            continue;
        out->up++;
        out->capacity += s->capacity;
        out->load += cp_server_load(s);
        double u = cp_server_utilization(s);
        sum_util += u;
        if (u > max_util)
            max_util = u;
    }
    out->utilization = out->capacity > 0 ? (double)out->load / (double)out->capacity : 0.0;
    double mean = out->up ? sum_util / out->up : 0.0;
    out->imbalance = mean > 0 ? max_util / mean : (out->up ? 1.0 : 0.0);
}
