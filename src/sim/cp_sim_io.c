/* cp_sim_io.c — files and the progress bar for the simulator's commands. */
#include "sim/cp_sim_io.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cp_clock.h"

int cp_sim_mkdirs(const char *dir) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

FILE *cp_sim_open(const char *dir, const char *name, char *err, size_t errlen) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return f;
}

int cp_sim_write_file(const char *dir, const char *name, const cp_buf_t *b, char *err,
                      size_t errlen) {
    FILE *f = cp_sim_open(dir, name, err, errlen);
    if (f == NULL)
        return -1;
    size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    int rc = fclose(f);
    if (n != b->len || rc != 0) {
        snprintf(err, errlen, "writing %s/%s: %s", dir, name, strerror(errno));
        return -1;
    }
    return 0;
}

void cp_sim_flush_buf(FILE *f, cp_buf_t *b, size_t threshold) {
    if (f == NULL || b->len == 0 || b->len < threshold)
        return;
    fwrite(b->data, 1, b->len, f);
    cp_buf_clear(b);
}

void cp_progress_init(cp_progress_t *p, int mode) {
    memset(p, 0, sizeof *p);
    p->enabled = mode > 0 || (mode == 0 && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO));
    p->t_start = cp_clock_mono_ns();
}

void cp_progress_update(cp_progress_t *p, double fraction, const char *label) {
    if (!p->enabled)
        return;
    uint64_t now = cp_clock_mono_ns();
    if (now - p->t_start < 1000000000ULL || now - p->last_draw < 100000000ULL)
        return;
    p->last_draw = now;
    if (fraction < 0)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    char bar[41];
    int fill = (int)(fraction * 40);
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%% %-40.40s", bar, fraction * 100, label ? label : "");
    fflush(stderr);
    p->drawn = true;
}

void cp_progress_done(cp_progress_t *p) {
    if (p->drawn) {
        fprintf(stderr, "\r%*s\r", 92, "");
        fflush(stderr);
        p->drawn = false;
    }
}
