/* cp_map.c — linear-probing string map (see cp_map.h). */
#include "util/base/cp_map.h"

#include <string.h>

#include "util/base/cp_alloc.h"
#include "util/base/cp_hash.h"

void cp_map_init(cp_map_t *m, uint64_t seed) {
    memset(m, 0, sizeof *m);
    m->seed = seed;
}

void cp_map_free(cp_map_t *m) {
    cp_free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}

static size_t cp__find(const cp_map_t *m, uint64_t h, const char *key, size_t klen) {
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const cp_map_slot_t *s = &m->slots[i];
        if (s->key == NULL)
            return i;
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return i;
    }
}

static void cp__grow(cp_map_t *m) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    cp_map_slot_t *old = m->slots;
    size_t ocap = m->cap;
    m->slots = cp_calloc(ncap, sizeof *m->slots);
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].key == NULL)
            continue;
        size_t j = old[i].hash & (ncap - 1);
        while (m->slots[j].key != NULL)
            j = (j + 1) & (ncap - 1);
        m->slots[j] = old[i];
    }
    cp_free(old);
}

void *cp_map_get(const cp_map_t *m, const char *key, size_t klen) {
    if (m->len == 0)
        return NULL;
    uint64_t h = cp_hash_bytes(key, klen, m->seed);
    const cp_map_slot_t *s = &m->slots[cp__find(m, h, key, klen)];
    return s->key ? s->val : NULL;
}

void *cp_map_put(cp_map_t *m, const char *key, size_t klen, void *val) {
    if ((m->len + 1) * 4 > m->cap * 3)
        cp__grow(m);
    uint64_t h = cp_hash_bytes(key, klen, m->seed);
    cp_map_slot_t *s = &m->slots[cp__find(m, h, key, klen)];
    void *prev = NULL;
    if (s->key) {
        prev = s->val;
    } else {
        m->len++;
        s->hash = h;
        s->klen = klen;
    }
    s->key = key; /* the new owner's copy of the key */
    s->val = val;
    return prev;
}

void *cp_map_del(cp_map_t *m, const char *key, size_t klen) {
    if (m->len == 0)
        return NULL;
    uint64_t h = cp_hash_bytes(key, klen, m->seed);
    size_t mask = m->cap - 1;
    size_t i = cp__find(m, h, key, klen);
    if (m->slots[i].key == NULL)
        return NULL;
    void *val = m->slots[i].val;
    /* Backward-shift: pull later members of the probe run into the hole
     * whenever their home slot does not lie strictly between hole and them. */
    size_t j = i;
    for (;;) {
        m->slots[i].key = NULL;
        for (;;) {
            j = (j + 1) & mask;
            if (m->slots[j].key == NULL) {
                m->len--;
                return val;
            }
            size_t home = m->slots[j].hash & mask;
            if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j)))
                break;
        }
        m->slots[i] = m->slots[j];
        i = j;
    }
}

void *cp_map_next(const cp_map_t *m, size_t *it) {
    while (*it < m->cap) {
        const cp_map_slot_t *s = &m->slots[(*it)++];
        if (s->key)
            return s->val;
    }
    return NULL;
}
