/* cp_sim_model.h — workload models for the simulator: who meets when, how
 * many, for how long, with which media, plus the pool and how servers
 * report. The built-in `lync2013` model follows the published Lync Server
 * 2013 user model; a model file (INI) or `--set section.key=value` changes
 * any parameter. docs/CAPACITY.md documents every key. */
#ifndef CP_SIM_MODEL_H
#define CP_SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cp_engine.h"

#define CP_SIM_HOURS 24
#define CP_SIM_LENGTHS 4

typedef enum cp_sim_report_mode {
    CP_SIM_REPORT_OTHER = 0, /* servers report their non-conferencing load */
    CP_SIM_REPORT_CPU,       /* servers report total CPU; the engine infers other load */
    CP_SIM_REPORT_NONE,      /* no reports: the engine only knows what it placed */
} cp_sim_report_mode_t;

/** A server of the simulated pool. */
typedef struct cp_sim_server_spec {
    char id[CP_ID_MAX + 1];
    double capacity;    /* load units */
    double other_scale; /* multiplies the model's non-conferencing load */
} cp_sim_server_spec_t;

typedef struct cp_sim_model {
    char name[64];
    /* [users] */
    double users;            /* users homed on the pool */
    double peak_share;       /* share of users in conferences at the busiest minute */
    double meetings_per_day; /* if > 0, sets the volume directly instead */
    /* [day] */
    double hourly[CP_SIM_HOURS]; /* relative meeting arrival rate per hour of day */
    /* [workload] */
    double adhoc_share;     /* meet-now meetings: no schedule, no expected size */
    double grid[4];         /* weights of scheduled starts at :00 :15 :30 :45 */
    double schedule_lead;   /* minutes: scheduled meetings exist this long before first join */
    double recurring_share; /* scheduled meetings that are one occurrence of a daily series */
    double recurring_noise; /* sigma of attendance between occurrences */
    /* [size] attendance: people who try to join */
    double size_median, size_sigma, size_min;
    double tail_share, tail_min, tail_max, tail_alpha;
    double adhoc_median, adhoc_sigma;
    /* [large] */
    double large_share, large_min, large_max, large_alpha;
    double large_notice;     /* minutes ahead the meeting is scheduled */
    double large_audio_only; /* share of attendees on audio only */
    /* [duration] minutes */
    double lengths[CP_SIM_LENGTHS], length_weights[CP_SIM_LENGTHS];
    double overrun_median, overrun_sigma;
    double adhoc_dur_median, adhoc_dur_sigma;
    double dur_min, dur_max;
    /* [join] minutes and shares */
    double early_share, early_window, ontime_mean, late_share;
    double leave_early_share, leave_spread, adhoc_spread;
    /* [modality] */
    double sharing_meetings, video_meetings, audio_only;
    /* [expected] invited / attended */
    double expected_bias, expected_noise;
    /* [other] non-conferencing load, as a fraction of capacity */
    double other_night, other_peak, other_spread, other_noise, other_knot;
    /* [topology] */
    unsigned servers;
    double capacity;
    cp_sim_server_spec_t *server_list; /* explicit servers ([server.ID]), or NULL */
    size_t nserver_list;
    /* [report] */
    double report_interval, report_staleness; /* minutes */
    double report_history; /* minutes of reports (other load only) before the run */
    cp_sim_report_mode_t report_mode;
    bool report_meetings; /* reports carry participant counts per meeting */
    unsigned instances;   /* distributor instances sharing reports */
    /* [load] [meetings] [servers] [pool]: the engine, as in confpool.ini */
    cp_engine_config_t engine;
} cp_sim_model_t;

/** Fills m with the built-in lync2013 model. */
void cp_sim_model_lync2013(cp_sim_model_t *m);
/** Loads a named built-in model ("lync2013") or an INI file over the
 *  lync2013 defaults. Returns 0, or -1 with a message in err. */
int cp_sim_model_load(cp_sim_model_t *m, const char *name_or_path, char *err, size_t errlen);
/** Applies "section.key=value" (or section and key apart). Returns 0, or -1
 *  with a message in err. */
int cp_sim_model_set(cp_sim_model_t *m, const char *section, const char *key, const char *value,
                     char *err, size_t errlen);
int cp_sim_model_set_kv(cp_sim_model_t *m, const char *assignment, char *err, size_t errlen);
/** Reads [server.ID] sections (capacity=, other_scale=) from an INI file
 *  and makes them the pool. Returns 0, or -1 with a message. */
int cp_sim_model_load_pool(cp_sim_model_t *m, const char *path, char *err, size_t errlen);
/** Makes the pool N equal servers of the model's capacity (drops a list). */
void cp_sim_model_uniform_pool(cp_sim_model_t *m, unsigned n);
/** Deep copy (the server list is duplicated). */
void cp_sim_model_copy(cp_sim_model_t *dst, const cp_sim_model_t *src);
void cp_sim_model_free(cp_sim_model_t *m);
/** Checks cross-field consistency. Returns 0, or -1 with a message. */
int cp_sim_model_check(const cp_sim_model_t *m, char *err, size_t errlen);
/** Writes every key with its current value, as an INI file, into buf. */
struct cp_buf;
void cp_sim_model_dump(const cp_sim_model_t *m, struct cp_buf *b);

/** Relative arrival rate at minute-of-day x (the hourly table, linearly
 *  interpolated between hour midpoints, wrapping around midnight). */
double cp_sim_model_day_curve(const cp_sim_model_t *m, double minute_of_day);
/** The largest value of the day curve. */
double cp_sim_model_day_peak(const cp_sim_model_t *m);

#endif
