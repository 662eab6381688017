/* cp_engine.h — the placement engine: pools, servers, meetings, the load
 * model, admission and placement.
 *
 * Pure and deterministic: state + event + time -> new state, a decision, and
 * a journal of changes to persist. The engine never reads a clock, opens a
 * socket or touches a file; every call takes `now`. Timers that fall due
 * (ramp-up ends, idle grace, expiry) run at the start of each call, in
 * deadline order, so the outcome depends only on the sequence of
 * (event, time) pairs. The daemon and the simulator drive the same code.
 *
 * Structs below are public for reading. Only the engine writes them. */
#ifndef CP_ENGINE_H
#define CP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cp_pset.h"
#include "engine/cp_types.h"

/* ---- configuration ---------------------------------------------------- */

typedef struct cp_engine_config {
    /* load model, in milli-units */
    cp_mu_t meeting_base; /* per active meeting (default 2 units) */
    cp_mu_t cost_audio;   /* per participant with audio (1) */
    cp_mu_t cost_video;   /* per participant with video (4) */
    cp_mu_t cost_sharing; /* per participant with screen sharing (2) */
    /* admission thresholds, as utilization fractions */
    double new_meeting_below; /* a new meeting fits if util after <= this (0.80) */
    double join_below;        /* joins admitted while util after < this (0.95) */
    uint32_t retry_after;     /* seconds suggested on refusal (15) */
    cp_ms_t ramp_up;          /* expected size counts in full this long (15 min) */
    bool learn_attendance;    /* scale expected sizes by what the pool's meetings
                                 turned out to be (on) */
    /* meetings */
    uint32_t default_size;    /* expected_participants when not given (5) */
    uint32_t large_threshold; /* expected size that makes a meeting large (250) */
    cp_ms_t idle_grace;       /* empty this long -> deactivated (60 s) */
    cp_ms_t expire_after;     /* scheduled meeting ends this long after its end (14 d) */
    cp_ms_t adhoc_expire;     /* meet-now without end expires this long after last use (8 h) */
    cp_ms_t retain_ended;     /* ended meetings are forgotten after this (30 d) */
    /* servers */
    cp_ms_t report_timeout; /* a reporting server silent this long is down (30 s) */
    bool rehome_eager;      /* re-home a down server's meetings at once, not on next join */
    /* large meetings */
    bool plan_large;        /* plan room for large meetings when scheduled (on) */
    bool plan_strict;       /* refuse a large meeting that cannot be planned (off) */
    cp_ms_t plan_lead;      /* hold the host this long before the start; 0: from
                               the pool's observed meeting durations */
    cp_ms_t plan_duration;  /* assumed length of a large meeting without an end (1 h) */
    cp_ms_t hold_after_start; /* a host is released if its meeting has not started
                                 this long after its start (15 min) */
    /* placement */
    cp_policy_t policy; /* default policy of new pools */
    uint64_t seed;      /* for random policies and hash seeding */
    bool track_changes; /* journal changes for the store (off in the simulator) */
} cp_engine_config_t;

/** Fills cfg with the documented defaults. */
void cp_engine_config_defaults(cp_engine_config_t *cfg);

/* ---- objects ------------------------------------------------------------ */

typedef struct cp_pool cp_pool_t;
typedef struct cp_server cp_server_t;
typedef struct cp_meeting cp_meeting_t;
typedef struct cp_engine cp_engine_t;

struct cp_capclass; /* internal: servers of one pool with equal capacity */
typedef struct cp_leg cp_leg_t;

struct cp_pool {
    char name[CP_ID_MAX + 1];
    cp_policy_t policy;
    cp_server_t **servers; /* every server of the pool, in registration order */
    size_t nservers, servers_cap;
    cp_server_t **eligible; /* up and not held: may take new meetings */
    size_t neligible, eligible_cap;
    struct cp_capclass *classes;
    size_t nclasses, classes_cap;
    size_t rr_next; /* round-robin cursor */
    uint32_t active_meetings;
    bool cascade; /* a meeting larger than any one server may span several */
    /* durations of ended activations, in 10-minute buckets (the last one
     * holds everything longer): the default planning lead */
    uint32_t durations[49];
    uint32_t ndurations;
    /* attendance learnt from ended activations (see cp_load.c) */
    double att_log;      /* mean log(peak units / expected units), given sizes */
    double att_factor;   /* exp(att_log) */
    uint32_t att_n;
    double adhoc_units;  /* mean peak units of meet-now meetings (milli-units) */
    uint32_t adhoc_n;
};

struct cp_server {
    char id[CP_ID_MAX + 1];
    char *address;
    char *region; /* NULL when not given */
    cp_pool_t *pool;
    cp_mu_t capacity;
    cp_mu_t other_load; /* non-conferencing work on the machine */
    cp_mu_t conf_load;  /* sum of predicted loads of hosted meetings */
    cp_mu_t new_limit;  /* load at or below which a new meeting fits */
    cp_mu_t join_limit; /* load below which joins are admitted */
    cp_server_state_t state;
    uint32_t meetings;     /* active meetings hosted */
    uint32_t participants; /* observed participants over hosted meetings */
    double cpu;            /* last reported CPU fraction, or -1 */
    cp_ms_t created;
    cp_ms_t last_report;  /* CP_TIME_NONE if never */
    cp_ms_t empty_since;  /* while draining: when the last meeting left */
    cp_ms_t report_interval; /* 0: static, never times out; else expected report period */
    cp_ms_t watch_since;  /* reports are awaited from here (registration or resume) */
    cp_ms_t down_since;   /* while down */
    cp_down_reason_t down_reason;
    cp_server_state_t state_before_down; /* restored when a timed-out server reports again */
    uint64_t seq;         /* registration order, breaks placement ties */
    /* internal */
    cp_ms_t deadline;     /* report timeout, CP_TIME_NONE if not watched */
    size_t timer_pos;
    struct cp_capclass *cls;
    size_t elig_idx; /* in pool->eligible, or SIZE_MAX */
    size_t heap_pos; /* in cls->heap */
    cp_leg_t *hosted; /* legs of active meetings on this server (intrusive list) */
    cp_meeting_t **holds; /* scheduled large meetings planned on this server */
    uint32_t nholds, holds_cap;
    /* other load by hour of day (UTC), the highest seen in that hour on
     * the last day it was seen: the planner's forecast for a later time */
    cp_mu_t other_by_hour[24];
    int32_t other_day[24]; /* day number of that sample, 0: none */
    int32_t journal_idx;
};

/* The part of an active meeting hosted on one server. An ordinary meeting
 * has one leg; a cascaded meeting (larger than any one server) has several,
 * each meant for `cap` participants. */
struct cp_leg {
    cp_server_t *server;     /* NULL when the leg is not in use */
    cp_mu_t observed;        /* its participants' load (without the base) */
    cp_meeting_t *meeting;
    uint32_t participants;   /* observed on this server */
    uint32_t joined;         /* participant ids routed to this leg */
    uint32_t cap;            /* participants planned here (cascades); 0: the whole meeting */
    cp_mu_t joined_units;    /* sum of costs of those ids */
    cp_mu_t predicted;       /* counted on server->conf_load */
    cp_ms_t empty_since;     /* extra legs: when it emptied */
    cp_leg_t *host_prev, *host_next; /* in server->hosted */
};

/* The plan of a large meeting: the host kept free for it, and from when. */
typedef struct cp_plan {
    cp_plan_status_t status;
    cp_server_t *host;       /* NULL when none (impossible, or cascade) */
    char host_id[CP_ID_MAX + 1];
    cp_ms_t hold_from;       /* the host takes no new meetings from here ... */
    cp_ms_t hold_until;      /* ... until the meeting starts on it, or this */
    cp_ms_t busy_until;      /* its load is reserved on the host until here */
    cp_ms_t lead;
    cp_ms_t free_at;         /* when the host is forecast to have room */
    cp_ms_t suggested_start; /* nearest start that fits, when impossible */
    cp_mu_t load;            /* the load it reserves */
    uint32_t cascade_servers; /* servers it will span, when it cascades */
    char reason[256];
} cp_plan_t;

struct cp_meeting {
    /* Hot fields first: a sticky lookup touches the id map's slot and this
     * first cache line only. */
    cp_server_t *server; /* while active: the server of its first leg */
    cp_meeting_state_t state;
    uint32_t participants; /* observed now, over all legs */
    cp_pset_t pset;        /* joined participant ids */
    char id[CP_ID_MAX + 1];
    uint8_t modalities;    /* CP_MOD_* of the meeting (default audio) */
    char *organizer;
    char *subject; /* NULL when not given */
    cp_pool_t *pool;
    cp_ms_t start, end; /* CP_TIME_NONE for a meet-now meeting */
    cp_ms_t created;
    cp_ms_t activated;   /* start of the current (or last) activation */
    cp_ms_t ended;       /* when it became ended */
    cp_ms_t empty_since; /* while active with nobody in it */
    cp_ms_t last_active; /* last deactivation */
    uint32_t expected;   /* expected_participants (default_size if not given) */
    bool expected_given; /* the scheduler gave it */
    uint32_t peak;       /* highest participant count over all activations */
    uint32_t prior_peak; /* peak of earlier activations, fixed at activation */
    cp_mu_t predicted;   /* sum of its legs' predictions while active */
    cp_mu_t peak_units;  /* highest observed participant load of this activation */
    uint64_t seq;        /* creation order; list cursor */
    char rehomed_from[CP_ID_MAX + 1]; /* last server it was moved away from, or "" */
    cp_plan_t *plan;     /* large meetings with a start: their plan */
    cp_leg_t leg0;       /* the first leg */
    cp_leg_t **extra;    /* further legs of a cascaded meeting */
    uint32_t nextra, extra_cap;
    /* internal */
    cp_ms_t deadline; /* next timer, CP_TIME_NONE if none */
    size_t timer_pos;
    cp_meeting_t *graveyard_next;
    int32_t journal_idx;
};

/* ---- lifecycle and time ----------------------------------------------- */

/** Creates an engine with a copy of cfg. Never returns NULL. */
cp_engine_t *cp_engine_new(const cp_engine_config_t *cfg);
/** Frees the engine and everything it owns. */
void cp_engine_free(cp_engine_t *e);
/** The engine's configuration. */
const cp_engine_config_t *cp_engine_config(const cp_engine_t *e);
/** Runs every timer due at or before now, in deadline order, each at its
 *  own deadline. Call it before looking objects up for an event: pointers
 *  returned by lookups stay valid until the next cp_engine_advance. Event
 *  calls that take `now` also run due timers first (but free nothing).
 *  `now` must not go backwards; an earlier value counts as the latest. */
void cp_engine_advance(cp_engine_t *e, cp_ms_t now);
/** The earliest pending timer (meetings and servers), or CP_TIME_NONE. */
cp_ms_t cp_engine_next_deadline(const cp_engine_t *e);

/* ---- load model ----------------------------------------------------------- */

/** Cost of one participant with the given modalities. */
cp_mu_t cp_engine_cost(const cp_engine_t *e, unsigned modalities);
/** Number of leg slots of m (1 + extra); slots whose server is NULL are
 *  not in use. */
static inline uint32_t cp_meeting_nlegs(const cp_meeting_t *m) { return 1 + m->nextra; }
/** Leg slot i of m. */
static inline cp_leg_t *cp_meeting_leg(cp_meeting_t *m, uint32_t i) {
    return i == 0 ? &m->leg0 : m->extra[i - 1];
}
static inline const cp_leg_t *cp_meeting_leg_c(const cp_meeting_t *m, uint32_t i) {
    return i == 0 ? &m->leg0 : m->extra[i - 1];
}
/** A meeting's load now: predicted while active, expected while scheduled,
 *  0 once ended. */
cp_mu_t cp_engine_meeting_load(const cp_engine_t *e, const cp_meeting_t *m);
/** Utilization of a server: (other + conference) / capacity. */
double cp_server_utilization(const cp_server_t *s);
/** other + conference load. */
static inline cp_mu_t cp_server_load(const cp_server_t *s) {
    return s->other_load + s->conf_load;
}

/* ---- pools ---------------------------------------------------------------- */

/** The pool called name, or NULL. */
cp_pool_t *cp_engine_pool(const cp_engine_t *e, const char *name);
/** The pool called name, created (with the default policy) if needed. */
cp_pool_t *cp_engine_pool_ensure(cp_engine_t *e, const char *name);
/** Iterates pools: start with *it = 0; NULL at the end. */
cp_pool_t *cp_engine_pool_next(const cp_engine_t *e, size_t *it);
/** Sets a pool's placement policy. */
void cp_engine_pool_set_policy(cp_engine_t *e, cp_pool_t *p, cp_policy_t policy);
/** Lets meetings of p larger than any one server span several. */
void cp_engine_pool_set_cascade(cp_engine_t *e, cp_pool_t *p, bool cascade);

/** Aggregate figures of a pool, as served by GET /v1/pool. */
typedef struct cp_pool_stats {
    uint32_t servers, up;
    cp_mu_t capacity, load; /* over up servers */
    uint32_t active_meetings, participants;
    double utilization; /* load / capacity over up servers */
    double imbalance;   /* max server utilization / mean, over up servers */
} cp_pool_stats_t;
void cp_engine_pool_stats(const cp_engine_t *e, const cp_pool_t *p, cp_pool_stats_t *out);

/* ---- servers -------------------------------------------------------------- */

typedef struct cp_server_spec {
    const char *id;
    const char *address;
    const char *pool;   /* NULL -> "default" */
    const char *region; /* may be NULL */
    cp_mu_t capacity;
    cp_ms_t report_interval; /* 0: static server (no failure detection) */
} cp_server_spec_t;

/** Creates or updates a server. *created tells which. Moving a server that
 *  hosts meetings to another pool is CP_E_CONFLICT. */
cp_status_t cp_engine_server_put(cp_engine_t *e, const cp_server_spec_t *spec, cp_ms_t now,
                                 cp_server_t **out, bool *created);
/** The server with that id, or NULL. */
cp_server_t *cp_engine_server(const cp_engine_t *e, const char *id, size_t len);
/** Iterates servers in registration order: start with *it = 0. */
cp_server_t *cp_engine_server_next(const cp_engine_t *e, size_t *it);
size_t cp_engine_server_count(const cp_engine_t *e);
/** Stops new meetings on s; its meetings and joins to them go on. */
cp_status_t cp_engine_server_drain(cp_engine_t *e, cp_server_t *s, cp_ms_t now);
/** Returns a draining or down server to up. */
cp_status_t cp_engine_server_resume(cp_engine_t *e, cp_server_t *s, cp_ms_t now);
/** Marks s down by hand (static servers never time out): it takes nothing
 *  new and its meetings are re-homed, at once or on their next join as
 *  configured. Only resume brings it back. */
cp_status_t cp_engine_server_down(cp_engine_t *e, cp_server_t *s, cp_ms_t now);
/** Removes s. CP_E_CONFLICT while it hosts active meetings, unless force,
 *  which re-homes them first. s is freed on success. */
cp_status_t cp_engine_server_remove(cp_engine_t *e, cp_server_t *s, bool force, cp_ms_t now);

/** One meeting's entry in a load report. */
typedef struct cp_report_meeting {
    const char *id;
    size_t len;
    uint32_t participants;
} cp_report_meeting_t;

typedef struct cp_report {
    bool has_other_load, has_cpu;
    cp_mu_t other_load;
    double cpu; /* 0..1 */
    const cp_report_meeting_t *meetings;
    size_t nmeetings;
    bool has_meetings;
    /* Output, optional (may be NULL): end[i] is set to 1 when the server
     * must end meetings[i] because it is not hosted there (moved away
     * while the server was down, ended, or unknown). */
    uint8_t *end;
} cp_report_t;

/** Applies a load report from s. A report from a server that timed out
 *  brings it back to the state it had; an admin's down sticks. */
cp_status_t cp_engine_server_report(cp_engine_t *e, cp_server_t *s, const cp_report_t *r,
                                    cp_ms_t now);

/* ---- meetings --------------------------------------------------------------- */

typedef struct cp_meeting_spec {
    const char *id; /* required; the front door generates one if the client did not */
    const char *organizer;
    const char *subject; /* may be NULL */
    const char *pool;    /* NULL -> "default" */
    cp_ms_t start, end;  /* CP_TIME_NONE for meet-now */
    uint32_t expected;   /* 0 -> default_size */
    unsigned modalities; /* 0 -> audio */
} cp_meeting_spec_t;

/** Schedules a meeting. Reserves nothing. CP_E_CONFLICT if the id exists,
 *  CP_E_INVALID (with *why set) for an unknown pool or end <= start. */
cp_status_t cp_engine_meeting_create(cp_engine_t *e, const cp_meeting_spec_t *spec, cp_ms_t now,
                                     cp_meeting_t **out, const char **why);
/** The meeting with that id, or NULL. */
cp_meeting_t *cp_engine_meeting(const cp_engine_t *e, const char *id, size_t len);
/** Plans a large meeting without storing anything: the answer
 *  cp_engine_meeting_create would give it now. out->status is
 *  CP_PLAN_NONE when the spec is not a large meeting with a start. */
cp_status_t cp_engine_plan(cp_engine_t *e, const cp_meeting_spec_t *spec, cp_ms_t now,
                           cp_plan_t *out);

/** Changes to a scheduled meeting; fields left at their "unset" value
 *  (has_* false) keep their value. */
typedef struct cp_meeting_update {
    bool has_start, has_end, has_expected, has_subject;
    cp_ms_t start, end; /* CP_TIME_NONE clears */
    uint32_t expected;
    const char *subject;
} cp_meeting_update_t;

/** Reschedules m (which must be scheduled, not active): its plan and hold
 *  are released and made again. CP_E_CONFLICT if it is active,
 *  CP_E_GONE if ended, CP_E_INVALID (with *why) for end <= start,
 *  CP_E_CAPACITY in strict mode when it cannot be planned (nothing
 *  changes then). */
cp_status_t cp_engine_meeting_update(cp_engine_t *e, cp_meeting_t *m,
                                     const cp_meeting_update_t *u, cp_ms_t now, const char **why);

/** True if s is kept free for a large meeting now (no new meetings). */
bool cp_server_held(const cp_engine_t *e, const cp_server_t *s);
/** The planning lead of pool p now. */
cp_ms_t cp_engine_pool_lead(const cp_engine_t *e, const cp_pool_t *p);

/** The first meeting created after the one with sequence number seq
 *  (0 = from the start), or NULL. Meetings come in creation order. */
cp_meeting_t *cp_engine_meeting_after(const cp_engine_t *e, uint64_t seq);
size_t cp_engine_meeting_count(const cp_engine_t *e);
/** Ends m (cancel or end): frees its server's resources; it can no longer
 *  be joined. CP_E_GONE if it already ended. */
cp_status_t cp_engine_meeting_end(cp_engine_t *e, cp_meeting_t *m, cp_ms_t now);

/** What a join decided, for the reply and the decision log. */
typedef struct cp_join {
    cp_server_t *server;   /* where the participant goes */
    bool cascaded;         /* the meeting spans several servers */
    uint32_t participants; /* in the meeting after the join */
    bool activated;        /* this join activated the meeting */
    bool new_participant;  /* false for a repeated join of the same id */
    bool rehomed;          /* this join moved the meeting off a down server */
    double util_before, util_after; /* of the chosen (or refusing) server */
    cp_policy_t policy;
} cp_join_t;

/** Joins participant pid to m. modalities 0 means the meeting's.
 *  Activates m on the first join, sticks to its server afterwards.
 *  CP_E_GONE for an ended meeting, CP_E_POOL_FULL when no server may take a
 *  new meeting, CP_E_MEETING_FULL when m's server is past the join
 *  threshold. A repeated join of the same pid counts once. */
cp_status_t cp_engine_join(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                           unsigned modalities, cp_ms_t now, cp_join_t *out);
/** Removes participant pid from m. Idempotent. CP_E_GONE if m ended. */
cp_status_t cp_engine_leave(cp_engine_t *e, cp_meeting_t *m, const char *pid, size_t plen,
                            cp_ms_t now);

/* ---- persistence -------------------------------------------------------------- */

/** Persistent fields of a server. Strings are borrowed. */
typedef struct cp_server_rec {
    const char *id, *address, *pool, *region; /* region may be NULL */
    cp_mu_t capacity, other_load;
    cp_server_state_t state;
    double cpu;
    cp_ms_t created, last_report, empty_since;
    uint64_t seq;
    cp_ms_t report_interval, watch_since, down_since;
    cp_down_reason_t down_reason;
    cp_server_state_t state_before_down;
} cp_server_rec_t;

/** Persistent fields of a meeting. Strings are borrowed. */
typedef struct cp_meeting_rec {
    const char *id, *organizer, *subject, *pool; /* subject may be NULL */
    const char *server;                          /* NULL unless active */
    cp_meeting_state_t state;
    cp_ms_t start, end, created, activated, ended, empty_since, last_active;
    uint32_t expected, peak, prior_peak, participants;
    unsigned modalities;
    uint64_t seq;
    const char *rehomed_from; /* NULL if never moved */
    bool expected_given;
    /* Legs of a cascaded meeting, "server/cap/participants" joined by ','
     * ("-" for a slot not in use); NULL for an ordinary meeting. */
    const char *legs;
    /* plan of a large meeting; plan_status CP_PLAN_NONE when none */
    cp_plan_status_t plan_status;
    const char *plan_host, *plan_reason; /* may be NULL */
    cp_ms_t plan_hold_from, plan_hold_until, plan_busy_until, plan_lead, plan_free_at,
        plan_suggested_start;
    cp_mu_t plan_load;
    uint32_t plan_cascade_servers;
} cp_meeting_rec_t;

void cp_server_to_rec(const cp_server_t *s, cp_server_rec_t *r);
/** Fills r from m; legs_buf receives the legs of a cascaded meeting, which
 *  r->legs then points to (NULL for an ordinary meeting). */
void cp_meeting_to_rec(const cp_meeting_t *m, cp_meeting_rec_t *r, char *legs_buf,
                       size_t legs_len);

/** Receives the journal of changes made since the last drain, in order.
 *  Upserts carry the object's state at drain time. */
typedef struct cp_change_sink {
    void (*server)(void *ctx, const cp_server_rec_t *r);
    void (*server_deleted)(void *ctx, const char *id);
    void (*meeting)(void *ctx, const cp_meeting_rec_t *r);
    void (*meeting_deleted)(void *ctx, const char *id);
    void (*participant_joined)(void *ctx, const char *mid, const char *pid, unsigned mods,
                               unsigned leg);
    void (*participant_left)(void *ctx, const char *mid, const char *pid);
    void (*participants_cleared)(void *ctx, const char *mid);
} cp_change_sink_t;

/** True when changes wait to be drained. */
bool cp_engine_has_changes(const cp_engine_t *e);
/** Hands every pending change to sink and clears the journal. */
void cp_engine_drain_changes(cp_engine_t *e, const cp_change_sink_t *sink, void *ctx);

/** Restores a server from the store (before any meeting that it hosts). */
cp_status_t cp_engine_restore_server(cp_engine_t *e, const cp_server_rec_t *r);
/** Restores a meeting from the store. */
cp_status_t cp_engine_restore_meeting(cp_engine_t *e, const cp_meeting_rec_t *r);
/** Restores one joined participant of a restored meeting, on leg `leg`. */
cp_status_t cp_engine_restore_participant(cp_engine_t *e, const char *mid, const char *pid,
                                          unsigned mods, unsigned leg);
/** Finishes a restore: recomputes loads and timers as of now. Restoring
 *  journals nothing. */
void cp_engine_restore_done(cp_engine_t *e, cp_ms_t now);

#endif
