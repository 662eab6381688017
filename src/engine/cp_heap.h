/* cp_heap.h — an indexed binary min-heap of pointers.
 *
 * Each item stores its own position (a size_t at pos_off), so an item can
 * be removed or re-keyed in O(log n) without searching. The engine uses it
 * for meeting timers and for the servers of a capacity class ordered by
 * load. */
#ifndef CP_HEAP_H
#define CP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_HEAP_NONE SIZE_MAX

typedef bool (*cp_heap_less_fn)(const void *a, const void *b);

typedef struct cp_heap {
    void **items;
    size_t len, cap;
    size_t pos_off; /* offset of the item's size_t position field */
    cp_heap_less_fn less;
} cp_heap_t;

void cp_heap_init(cp_heap_t *h, size_t pos_off, cp_heap_less_fn less);
void cp_heap_free(cp_heap_t *h);
/** Adds item (which must not be in a heap). */
void cp_heap_push(cp_heap_t *h, void *item);
/** Removes item if present. */
void cp_heap_remove(cp_heap_t *h, void *item);
/** Restores order after item's key changed. */
void cp_heap_update(cp_heap_t *h, void *item);
/** The least item, or NULL. */
static inline void *cp_heap_top(const cp_heap_t *h) { return h->len ? h->items[0] : NULL; }
/** True if item is in some heap (its position is set). */
static inline bool cp_heap_has(const cp_heap_t *h, const void *item) {
    return *(const size_t *)((const char *)item + h->pos_off) != CP_HEAP_NONE;
}

#endif
