/* cp_alloc.c — allocation that aborts on OOM (see cp_alloc.h). */
#include "util/base/cp_alloc.h"

#include <stdlib.h>
#include <string.h>

static void *cp__oom(void *p) {
    if (p == NULL)
        abort();
    return p;
}

void *cp_malloc(size_t n) { return cp__oom(malloc(n ? n : 1)); }

void *cp_calloc(size_t count, size_t size) {
    return cp__oom(calloc(count ? count : 1, size ? size : 1));
}

void *cp_realloc(void *p, size_t n) { return cp__oom(realloc(p, n ? n : 1)); }

void *cp_reallocarray(void *p, size_t count, size_t size) {
    if (size != 0 && count > (size_t)-1 / size)
        abort();
    return cp_realloc(p, count * size);
}

void *cp_aligned_alloc(size_t align, size_t size) {
    return cp__oom(aligned_alloc(align, size ? size : align));
}

char *cp_strdup(const char *s) {
    if (s == NULL)
        return NULL;
    return cp_strndup(s, strlen(s));
}

char *cp_strndup(const char *s, size_t n) {
    char *d = cp_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void cp_free(void *p) { free(p); }
