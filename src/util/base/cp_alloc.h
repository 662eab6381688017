/* cp_alloc.h — allocation that never returns NULL.
 *
 * Like Redis' zmalloc: running out of memory aborts the process, so callers
 * never check for NULL. Code that may legitimately fail to allocate uses
 * plain malloc and handles it. */
#ifndef CP_ALLOC_H
#define CP_ALLOC_H

#include <stddef.h>

/** Allocates n bytes, or aborts. */
void *cp_malloc(size_t n);
/** Allocates n zeroed bytes, or aborts. */
void *cp_calloc(size_t count, size_t size);
/** Resizes p to n bytes, or aborts. */
void *cp_realloc(void *p, size_t n);
/** Resizes an array of count elements of size bytes, checking overflow, or aborts. */
void *cp_reallocarray(void *p, size_t count, size_t size);
/** Allocates size bytes aligned to align (a power of two dividing size),
 *  or aborts. Release with cp_free. */
void *cp_aligned_alloc(size_t align, size_t size);
/** Copies the NUL-terminated s, or returns NULL when s is NULL. */
char *cp_strdup(const char *s);
/** Copies n bytes of s and terminates them with NUL. */
char *cp_strndup(const char *s, size_t n);
/** Releases p (may be NULL). */
void cp_free(void *p);

#endif
