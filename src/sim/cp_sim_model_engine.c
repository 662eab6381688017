/* cp_sim_model_engine.c — the engine's own keys in a simulator model.
 *
 * [load], [meetings], [servers], [pool] and the planner's keys of [large]
 * (plan, strict, lead, duration, hold_after_start; the workload's [large]
 * keys have other names) are handed to the daemon's config parser, so a
 * model file reads them exactly as confpool.ini does. The dump writes them
 * back, so that a run's model.ini reproduces engine overrides too. Keys
 * the simulator sets itself (policy, seed, expiry, retention) are not
 * written. */
#include "sim/cp_sim_model_engine.h"

#include <string.h>

#include "util/base/cp_buf.h"
#include "util/cp_config.h"

static const char *const cp__planner_keys[] = {"plan", "strict", "lead", "duration",
                                               "hold_after_start"};

bool cp_sim_model_engine_key(const char *section, const char *key) {
    if (strcmp(section, "load") == 0 || strcmp(section, "meetings") == 0 ||
        strcmp(section, "servers") == 0 || strcmp(section, "pool") == 0)
        return true;
    if (strcmp(section, "large") == 0)
        for (size_t i = 0; i < sizeof cp__planner_keys / sizeof cp__planner_keys[0]; i++)
            if (strcmp(key, cp__planner_keys[i]) == 0)
                return true;
    return false;
}

int cp_sim_model_engine_set(cp_engine_config_t *engine, const char *section, const char *key,
                            const char *value, char *err, size_t errlen) {
    cp_config_t cfg;
    cp_config_defaults(&cfg);
    cfg.engine = *engine;
    int rc = cp_config_set(&cfg, section, key, value, err, errlen);
    if (rc == 0)
        *engine = cfg.engine;
    cp_config_free(&cfg);
    return rc;
}

static void cp__units(cp_buf_t *b, const char *key, cp_mu_t mu) {
    cp_buf_printf(b, "%s = %.10g\n", key, (double)mu / CP_MU_PER_UNIT);
}

/* A duration in the largest unit that divides it exactly. */
static void cp__dur(cp_buf_t *b, const char *key, cp_ms_t ms) {
    static const struct {
        cp_ms_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    cp_buf_printf(b, "%s = ", key);
    if (ms > 0)
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (ms % units[i].ms == 0) {
                cp_buf_printf(b, "%lld%s\n", (long long)(ms / units[i].ms), units[i].unit);
                return;
            }
    cp_buf_printf(b, ms ? "%lldms\n" : "%lld\n", (long long)ms);
}

static void cp__flag(cp_buf_t *b, const char *key, bool v) {
    cp_buf_printf(b, "%s = %d\n", key, v ? 1 : 0);
}

void cp_sim_model_engine_dump(const cp_engine_config_t *e, cp_buf_t *b) {
    cp_buf_puts(b, "\n; the engine, as in confpool.ini (docs/OPERATIONS.md)\n[load]\n");
    cp__units(b, "meeting_base", e->meeting_base);
    cp__units(b, "audio", e->cost_audio);
    cp__units(b, "video", e->cost_video);
    cp__units(b, "sharing", e->cost_sharing);
    cp_buf_printf(b, "new_meeting_below = %.10g\n", e->new_meeting_below);
    cp_buf_printf(b, "join_below = %.10g\n", e->join_below);
    cp__dur(b, "ramp_up", e->ramp_up);
    cp__flag(b, "learn_attendance", e->learn_attendance);
    cp_buf_printf(b, "retry_after = %u\n", e->retry_after);
    cp_buf_puts(b, "\n[meetings]\n");
    cp_buf_printf(b, "default_size = %u\n", e->default_size);
    cp_buf_printf(b, "large_threshold = %u\n", e->large_threshold);
    cp__dur(b, "idle_grace", e->idle_grace);
    cp_buf_puts(b, "\n[servers]\n");
    cp__dur(b, "report_timeout", e->report_timeout);
    cp_buf_printf(b, "rehome = %s\n", e->rehome_eager ? "eager" : "lazy");
    cp_buf_puts(b, "\n; the large-meeting planner\n[large]\n");
    cp__flag(b, "plan", e->plan_large);
    cp__flag(b, "strict", e->plan_strict);
    cp__dur(b, "lead", e->plan_lead);
    cp__dur(b, "duration", e->plan_duration);
    cp__dur(b, "hold_after_start", e->hold_after_start);
}
