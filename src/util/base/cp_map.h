/* cp_map.h — open-addressing hash map from string keys to pointers.
 *
 * The map does not copy keys: each key must live as long as its entry,
 * which is natural when the key is the id stored inside the value
 * (meeting->id). Linear probing with backward-shift deletion, so there are
 * no tombstones and lookups stay short after many deletions. */
#ifndef CP_MAP_H
#define CP_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cp_map_slot {
    uint64_t hash;
    const char *key; /* NULL marks an empty slot */
    size_t klen;
    void *val;
} cp_map_slot_t;

typedef struct cp_map {
    cp_map_slot_t *slots;
    size_t cap; /* a power of two, or 0 before the first insert */
    size_t len;
    uint64_t seed;
} cp_map_t;

/** Initialises an empty map; seed perturbs the hash. */
void cp_map_init(cp_map_t *m, uint64_t seed);
/** Releases the map's table (not the keys or values). */
void cp_map_free(cp_map_t *m);
/** Returns the value for key, or NULL. */
void *cp_map_get(const cp_map_t *m, const char *key, size_t klen);
/** Inserts or replaces key; returns the previous value or NULL. */
void *cp_map_put(cp_map_t *m, const char *key, size_t klen, void *val);
/** Removes key; returns its value or NULL if absent. */
void *cp_map_del(cp_map_t *m, const char *key, size_t klen);
/** Iterates: start with *it = 0; returns the next value or NULL at the end.
 *  The map must not change during iteration. */
void *cp_map_next(const cp_map_t *m, size_t *it);

#endif
