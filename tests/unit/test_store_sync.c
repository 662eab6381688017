/* test_store_sync.c — a commit is on stable storage when it returns: the
 * WAL is fsynced inside every commit (synchronous=FULL), not later at a
 * checkpoint. A kill -9 test cannot see this (the page cache outlives the
 * process), so a shim VFS counts the syncs SQLite asks the OS for. */
#include "test_store_helpers.h"

#include <poll.h>
#include <sqlite3.h>

#include "store/cp_writer.h"

/* ---- a VFS that forwards everything and counts xSync on WAL files ------- */

typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real; /* lives right after this struct */
    bool wal;
} shim_file_t;

static sqlite3_vfs *real_vfs;
static int wal_syncs;

#define REAL(f) (((shim_file_t *)(f))->real)

static int shim_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int shim_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off) {
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int shim_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off) {
    return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int shim_truncate(sqlite3_file *f, sqlite3_int64 size) {
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int shim_sync(sqlite3_file *f, int flags) {
    if (((shim_file_t *)f)->wal)
        wal_syncs++;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int shim_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int shim_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int shim_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int shim_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int shim_fcntl(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int shim_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int shim_devchar(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int shim_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int shim_shm_lock(sqlite3_file *f, int off, int n, int flags) {
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void shim_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int shim_shm_unmap(sqlite3_file *f, int del) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* No xFetch/xUnfetch (version 2): SQLite then reads without mmap. */
static const sqlite3_io_methods shim_io = {
    2,           shim_close,     shim_read,      shim_write,      shim_truncate,
    shim_sync,   shim_size,      shim_lock,      shim_unlock,     shim_reserved,
    shim_fcntl,  shim_sector,    shim_devchar,   shim_shm_map,    shim_shm_lock,
    shim_shm_barrier, shim_shm_unmap, NULL, NULL,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                     int *out) {
    (void)vfs;
    shim_file_t *s = (shim_file_t *)f;
    s->real = (sqlite3_file *)(s + 1);
    s->wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
    s->base.pMethods = s->real->pMethods ? &shim_io : NULL;
    return rc;
}

static sqlite3_vfs shim_vfs;

static int setup_vfs(void **state) {
    (void)state;
    real_vfs = sqlite3_vfs_find(NULL);
    shim_vfs = *real_vfs;
    shim_vfs.zName = "cp-sync-count";
    shim_vfs.szOsFile = (int)sizeof(shim_file_t) + real_vfs->szOsFile;
    shim_vfs.xOpen = shim_open;
    shim_vfs.pNext = NULL;
    return sqlite3_vfs_register(&shim_vfs, 1) == SQLITE_OK ? 0 : -1; /* the default now */
}

static int teardown_vfs(void **state) {
    (void)state;
    sqlite3_vfs_unregister(&shim_vfs);
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

static void every_commit_syncs_the_wal_before_returning(void **state) {
    (void)state;
    cp_test_dir_t d;
    cp_test_dir_make(&d);
    cp_store_t *st = cp_test_open(d.db);
    cp_batch_t *b = cp_batch_new();
    for (uint64_t i = 1; i <= 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "fe-%llu", (unsigned long long)i);
        cp_server_rec_t s = cp_test_server(id, i);
        cp_batch_server(b, &s);
        int before = wal_syncs;
        cp_test_commit(st, b);
        if (wal_syncs <= before)
            fail_msg("commit %llu returned without syncing the WAL", (unsigned long long)i);
        cp_batch_reset(b);
    }
    cp_batch_free(b);
    cp_store_close(st);
    cp_test_dir_remove(&d);
}

static void the_writer_syncs_before_it_reports_durable(void **state) {
    (void)state;
    cp_test_dir_t d;
    cp_test_dir_make(&d);
    cp_store_t *st = cp_test_open(d.db);
    int before = wal_syncs;
    cp_writer_t *w = cp_writer_start(st);
    cp_batch_t *b = cp_writer_batch(w);
    cp_server_rec_t s = cp_test_server("fe-1", 1);
    cp_batch_server(b, &s);
    cp_writer_submit(w, b, 1);
    /* The thread counts its sync before it publishes durable (a release
     * store that cp_writer_durable acquires), so reading the count after
     * seeing durable is ordered. */
    struct pollfd p = {.fd = cp_writer_fd(w), .events = POLLIN};
    for (int i = 0; i < 100 && cp_writer_durable(w) < 1; i++)
        poll(&p, 1, 100);
    assert_int_equal(cp_writer_durable(w), 1);
    assert_true(wal_syncs > before);
    cp_writer_stop(w);
    cp_store_close(st);
    cp_test_dir_remove(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_commit_syncs_the_wal_before_returning),
        cmocka_unit_test(the_writer_syncs_before_it_reports_durable),
    };
    return cmocka_run_group_tests(tests, setup_vfs, teardown_vfs);
}
