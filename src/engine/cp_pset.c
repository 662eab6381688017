/* cp_pset.c — participant id set (see cp_pset.h). Linear probing with
 * backward-shift deletion, like cp_map, but owning its keys. */
#include "engine/cp_pset.h"

#include <string.h>

#include "util/base/cp_alloc.h"
#include "util/base/cp_hash.h"

static uint32_t cp__slot(const cp_pset_t *s, uint64_t h, const char *id, size_t len) {
    uint32_t mask = s->cap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const cp_pset_entry_t *e = &s->slots[i];
        if (e->len == 0 || (e->hash == h && e->len == len && memcmp(cp_pset_id(e), id, len) == 0))
            return i;
    }
}

cp_pset_entry_t *cp_pset_find(const cp_pset_t *s, const char *id, size_t len, uint64_t seed) {
    if (s->len == 0)
        return NULL;
    uint64_t h = cp_hash_bytes(id, len, seed);
    cp_pset_entry_t *e = &s->slots[cp__slot(s, h, id, len)];
    return e->len ? e : NULL;
}

static void cp__grow(cp_pset_t *s) {
    uint32_t ncap = s->cap ? s->cap * 2 : 8;
    cp_pset_entry_t *old = s->slots;
    uint32_t ocap = s->cap;
    s->slots = cp_calloc(ncap, sizeof *s->slots);
    s->cap = ncap;
    for (uint32_t i = 0; i < ocap; i++) {
        if (old[i].len == 0)
            continue;
        uint32_t j = (uint32_t)old[i].hash & (ncap - 1);
        while (s->slots[j].len)
            j = (j + 1) & (ncap - 1);
        s->slots[j] = old[i];
    }
    cp_free(old);
}

cp_pset_entry_t *cp_pset_add(cp_pset_t *s, const char *id, size_t len, uint8_t mods,
                             uint64_t seed) {
    if ((s->len + 1) * 4 > s->cap * 3)
        cp__grow(s);
    uint64_t h = cp_hash_bytes(id, len, seed);
    cp_pset_entry_t *e = &s->slots[cp__slot(s, h, id, len)];
    e->hash = h;
    if (len > CP_PSET_INLINE) {
        e->id.ptr = cp_strndup(id, len);
    } else {
        memcpy(e->id.inl, id, len);
        e->id.inl[len] = '\0';
    }
    e->len = (uint32_t)len;
    e->mods = mods;
    e->leg = 0;
    s->len++;
    return e;
}

int cp_pset_remove(cp_pset_t *s, const char *id, size_t len, uint64_t seed) {
    if (s->len == 0)
        return 0;
    uint64_t h = cp_hash_bytes(id, len, seed);
    uint32_t mask = s->cap - 1;
    uint32_t i = cp__slot(s, h, id, len);
    if (s->slots[i].len == 0)
        return 0;
    if (s->slots[i].len > CP_PSET_INLINE)
        cp_free(s->slots[i].id.ptr);
    uint32_t j = i;
    for (;;) {
        s->slots[i].len = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (s->slots[j].len == 0) {
                s->len--;
                return 1;
            }
            uint32_t home = (uint32_t)s->slots[j].hash & mask;
            if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j)))
                break;
        }
        s->slots[i] = s->slots[j];
        i = j;
    }
}

void cp_pset_clear(cp_pset_t *s) {
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->slots[i].len > CP_PSET_INLINE)
            cp_free(s->slots[i].id.ptr);
    cp_free(s->slots);
    s->slots = NULL;
    s->cap = s->len = 0;
}
