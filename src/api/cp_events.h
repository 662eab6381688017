/* cp_events.h — the event log of `confpool serve` ([log] events=PATH):
 * every input the engine receives, with the `now` it was given, as JSON
 * lines. `confpool sim --replay` feeds the same inputs in the same order
 * to the same engine code, which makes the same decisions; or, with other
 * servers or another policy, answers "what if" about a real day.
 *
 * Lines (times are ms since the epoch, loads are milli-units):
 *   {"ev":"start","v":1,"t":..,"engine":{..every engine setting..},
 *    "pools":[{"name","policy","cascade"}],"restored":{"servers":N,"meetings":M}}
 *   {"ev":"server_put","t","id","address","pool","region","capacity","report_interval","status"}
 *   {"ev":"server_drain"|"server_resume"|"server_down","t","id","status"}
 *   {"ev":"server_remove","t","id","force","status"}
 *   {"ev":"report","t","id","other_load","cpu","meetings":{"id":n}}   (absent fields: null)
 *   {"ev":"meeting_create","t","id","organizer","subject","pool","start","end",
 *    "expected","modalities","status"}
 *   {"ev":"meeting_update","t","id","start","end","expected","subject","status"} (only given fields)
 *   {"ev":"meeting_end","t","id","status"}
 *   {"ev":"join","t","meeting","participant","modalities","status","server","activated"}
 *   {"ev":"leave","t","meeting","participant","status"}
 * Refused joins are logged too: random policies draw from the engine's
 * generator even when they refuse, and replay must draw the same.
 *
 * One log per process (like the logfmt log): lines are buffered and
 * written once per loop iteration by cp_events_flush, so recording costs
 * no system call per request. A crash loses at most the last iteration. */
#ifndef CP_EVENTS_H
#define CP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cp_engine.h"

/** Opens (appends to) path and writes the start line for engine e as
 *  configured now (call after the restore). Returns 0, or -1 with a
 *  message in err. */
int cp_events_open(const char *path, const cp_engine_t *e, cp_ms_t now, char *err,
                   size_t errlen);
/** True while a log is open. */
bool cp_events_enabled(void);
/** Writes buffered lines. */
void cp_events_flush(void);
/** Flushes and closes the log. */
void cp_events_close(void);

void cp_events_server_put(cp_ms_t now, const cp_server_spec_t *spec, cp_status_t st);
/** op is "server_drain", "server_resume" or "server_down". */
void cp_events_server_op(cp_ms_t now, const char *op, const char *id, cp_status_t st);
void cp_events_server_remove(cp_ms_t now, const char *id, bool force, cp_status_t st);
void cp_events_report(cp_ms_t now, const char *id, const cp_report_t *r);
void cp_events_meeting_create(cp_ms_t now, const cp_meeting_spec_t *spec, cp_status_t st);
void cp_events_meeting_update(cp_ms_t now, const char *id, const cp_meeting_update_t *u,
                              cp_status_t st);
void cp_events_meeting_end(cp_ms_t now, const char *id, cp_status_t st);
void cp_events_join(cp_ms_t now, const char *mid, const char *pid, unsigned mods, cp_status_t st,
                    const cp_join_t *j);
void cp_events_leave(cp_ms_t now, const char *mid, const char *pid, cp_status_t st);

#endif
