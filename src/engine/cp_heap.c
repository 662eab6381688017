/* cp_heap.c — indexed binary min-heap (see cp_heap.h). */
#include "engine/cp_heap.h"

#include "util/base/cp_alloc.h"

static inline size_t *cp__pos(const cp_heap_t *h, void *item) {
    return (size_t *)((char *)item + h->pos_off);
}

static inline void cp__set(cp_heap_t *h, size_t i, void *item) {
    h->items[i] = item;
    *cp__pos(h, item) = i;
}

static void cp__up(cp_heap_t *h, size_t i) {
    void *item = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!h->less(item, h->items[parent]))
            break;
        cp__set(h, i, h->items[parent]);
        i = parent;
    }
    cp__set(h, i, item);
}

static void cp__down(cp_heap_t *h, size_t i) {
    void *item = h->items[i];
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= h->len)
            break;
        size_t c = (l + 1 < h->len && h->less(h->items[l + 1], h->items[l])) ? l + 1 : l;
        if (!h->less(h->items[c], item))
            break;
        cp__set(h, i, h->items[c]);
        i = c;
    }
    cp__set(h, i, item);
}

void cp_heap_init(cp_heap_t *h, size_t pos_off, cp_heap_less_fn less) {
    h->items = NULL;
    h->len = h->cap = 0;
    h->pos_off = pos_off;
    h->less = less;
}

void cp_heap_free(cp_heap_t *h) {
    cp_free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}

void cp_heap_push(cp_heap_t *h, void *item) {
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->items = cp_reallocarray(h->items, h->cap, sizeof *h->items);
    }
    h->items[h->len] = item;
    *cp__pos(h, item) = h->len;
    h->len++;
    cp__up(h, h->len - 1);
}

void cp_heap_remove(cp_heap_t *h, void *item) {
    size_t i = *cp__pos(h, item);
    if (i == CP_HEAP_NONE || i >= h->len || h->items[i] != item)
        return;
    *cp__pos(h, item) = CP_HEAP_NONE;
    h->len--;
    if (i == h->len)
        return;
    cp__set(h, i, h->items[h->len]);
    cp_heap_update(h, h->items[i]);
}

void cp_heap_update(cp_heap_t *h, void *item) {
    size_t i = *cp__pos(h, item);
    if (i == CP_HEAP_NONE)
        return;
    if (i > 0 && h->less(item, h->items[(i - 1) / 2]))
        cp__up(h, i);
    else
        cp__down(h, i);
}
