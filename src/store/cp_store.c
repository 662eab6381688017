/* cp_store.c — the backend-neutral face of the store: picks a backend from
 * the path and dispatches to it. */
#include <stdio.h>
#include <string.h>

#include "store/cp_store_int.h"

int cp_store_errf(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

cp_store_t *cp_store_open(const char *path, char *err, size_t errlen) {
    if (!path || !*path) {
        cp_store_errf(err, errlen, "store: no database path given");
        return NULL;
    }
    if (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0) {
        cp_store_errf(err, errlen, "store: the PostgreSQL backend is not built in this version");
        return NULL;
    }
    return cp_store_sqlite_open(path, err, errlen);
}

void cp_store_close(cp_store_t *st) {
    if (st)
        st->be->close(st);
}

int cp_store_schema_version(cp_store_t *st) { return st->be->schema_version(st); }

int cp_store_load(cp_store_t *st, const cp_store_loader_t *loader, void *ctx, char *err,
                  size_t errlen) {
    return st->be->load(st, loader, ctx, err, errlen);
}

int cp_store_commit_many(cp_store_t *st, const cp_batch_t *const *bs, size_t n, char *err,
                         size_t errlen) {
    size_t ops = 0;
    for (size_t i = 0; i < n; i++)
        ops += cp_batch_len(bs[i]);
    if (ops == 0)
        return 0; /* nothing to make durable */
    return st->be->commit(st, bs, n, err, errlen);
}

int cp_store_commit(cp_store_t *st, const cp_batch_t *b, char *err, size_t errlen) {
    return cp_store_commit_many(st, &b, 1, err, errlen);
}

int cp_store_check(cp_store_t *st, char *err, size_t errlen) {
    return st->be->check(st, err, errlen);
}
