/* cp_sim_model_engine.h — the engine's own keys in a simulator model file:
 * which ones go to the daemon's config parser, and writing them back. */
#ifndef CP_SIM_MODEL_ENGINE_H
#define CP_SIM_MODEL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cp_engine.h"

struct cp_buf;

/** True if section.key belongs to the engine: every key of [load],
 *  [meetings], [servers] and [pool], and the planner's keys of [large]. */
bool cp_sim_model_engine_key(const char *section, const char *key);
/** Parses an engine key into *engine exactly as confpool.ini does.
 *  Returns 0, or -1 with a message in err (engine left unchanged). */
int cp_sim_model_engine_set(cp_engine_config_t *engine, const char *section, const char *key,
                            const char *value, char *err, size_t errlen);
/** Appends the engine keys a run depends on to b, as INI sections that
 *  cp_sim_model_engine_set reads back to the same values. */
void cp_sim_model_engine_dump(const cp_engine_config_t *engine, struct cp_buf *b);

#endif
