/* cp_sim_io.h — the I/O the simulator's commands share: output
 * directories, whole-file writes, and the progress bar. Kept apart so the
 * simulator core stays free of I/O. */
#ifndef CP_SIM_IO_H
#define CP_SIM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/base/cp_buf.h"

/** Creates dir and its parents. Returns 0, or -1 with errno set. */
int cp_sim_mkdirs(const char *dir);
/** Writes b to dir/name (replacing it). Returns 0, or -1 with a message. */
int cp_sim_write_file(const char *dir, const char *name, const cp_buf_t *b, char *err,
                      size_t errlen);
/** Opens dir/name for writing, or NULL with a message. */
FILE *cp_sim_open(const char *dir, const char *name, char *err, size_t errlen);
/** Appends b to f when it holds more than `threshold` bytes (0: always). */
void cp_sim_flush_buf(FILE *f, cp_buf_t *b, size_t threshold);

/** A progress bar on stderr. It appears only when both stdout and stderr
 *  are terminals and the work has run for more than a second. */
typedef struct cp_progress {
    bool enabled, drawn;
    uint64_t t_start, last_draw;
} cp_progress_t;

/** mode: -1 never, 0 auto (terminals only), 1 always (after one second). */
void cp_progress_init(cp_progress_t *p, int mode);
/** fraction of the work done in [0, 1]; label is shown next to the bar. */
void cp_progress_update(cp_progress_t *p, double fraction, const char *label);
/** Erases the bar if it was drawn. */
void cp_progress_done(cp_progress_t *p);

#endif
