/* cp_sim_replay.h — replays the event log of `confpool serve` (see
 * api/cp_events.h) through the engine, one line at a time, and measures
 * the run the way the simulator does (from the engine's view of load,
 * since a trace carries no other truth).
 *
 * As recorded, the replay makes the daemon's decisions again, and says
 * for each join whether they match. With other servers or another policy
 * it answers "what if" about that day. Parsing the file is the caller's
 * job; this takes parsed lines, so it stays free of I/O. */
#ifndef CP_SIM_REPLAY_H
#define CP_SIM_REPLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/cp_sim.h"

typedef struct cp_replay_opts {
    unsigned servers; /* > 0: replace the recorded servers by this many */
    double capacity;  /* their capacity in units; 0: the mean recorded capacity */
    int policy;       /* -1: as recorded; else a policy for every pool */
} cp_replay_opts_t;

/** One join as replayed, next to what the daemon answered. */
typedef struct cp_replay_join {
    cp_ms_t t;
    const char *meeting, *participant;
    cp_status_t status;
    const char *server; /* NULL unless admitted */
    const char *recorded_status, *recorded_server; /* from the trace */
    bool match;
} cp_replay_join_t;

typedef void (*cp_replay_join_fn)(void *ctx, const cp_replay_join_t *j);

typedef struct cp_replay_stats {
    uint64_t lines, starts, skipped, unknown_meetings;
    uint64_t joins, joins_match, joins_differ;
    uint64_t restored_servers, restored_meetings; /* state the trace does not carry */
    cp_ms_t first, last;
} cp_replay_stats_t;

typedef struct cp_replay cp_replay_t;

cp_replay_t *cp_replay_new(const cp_replay_opts_t *o);
void cp_replay_free(cp_replay_t *r);
void cp_replay_set_join_hook(cp_replay_t *r, cp_replay_join_fn fn, void *ctx);
/** Applies one trace line. Returns 0, or -1 with a message in err for a
 *  line that is not a trace event (it is then skipped). */
int cp_replay_line(cp_replay_t *r, json_t *line, char *err, size_t errlen);
/** Samples up to the last event and fills res (policy, joins, meetings,
 *  metrics) from the engine's view. */
void cp_replay_finish(cp_replay_t *r, cp_sim_result_t *res);
const cp_replay_stats_t *cp_replay_stats(const cp_replay_t *r);
const cp_sim_metrics_t *cp_replay_metrics(const cp_replay_t *r);
/** The engine (NULL before the first start line). */
cp_engine_t *cp_replay_engine(const cp_replay_t *r);

#endif
