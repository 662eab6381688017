/* cp_sim_gen.h — the workload generator: turns a model into a stream of
 * meetings, each with its participants' join and leave times.
 *
 * Meetings are generated one minute-slot at a time, a little ahead of the
 * simulated clock, so only meetings about to start or running exist in
 * memory: a day of ten million meetings streams through in bounded memory.
 * All randomness comes from the generator's own cp_rng, never from the
 * engine's, so every placement policy sees exactly the same workload. */
#ifndef CP_SIM_GEN_H
#define CP_SIM_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cp_engine.h"
#include "sim/cp_sim_model.h"

/** Kinds of meetings. */
enum {
    CP_SIM_SCHEDULED = 0, /* booked in a calendar, starts on the grid */
    CP_SIM_ADHOC = 1,     /* meet-now: created at its first join, no expected size */
    CP_SIM_LARGE = 2,     /* booked well ahead with a large expected size */
};

/** Flags of a meeting occurrence. */
enum {
    CP_SIM_F_CREATE = 1, /* schedule it in the engine before its first join */
    CP_SIM_F_END = 2,    /* end it in the engine after its last participant left */
    CP_SIM_F_RECURRING = 4,
};

/** Participant states during a run. */
enum { CP_SIM_P_PENDING = 0, CP_SIM_P_JOINED, CP_SIM_P_REFUSED, CP_SIM_P_LEFT };

/** One person who tries to join. Times are ms from the meeting's start. */
typedef struct cp_sim_part {
    int32_t join, leave;
    uint32_t server; /* sim server index while joined */
    uint8_t mods;
    uint8_t state;
} cp_sim_part_t;

/** One meeting occurrence, from the generator to the simulator core.
 *  Allocated as one block with its participant arrays. */
typedef struct cp_sim_mtg {
    /* set by the generator */
    uint64_t id;        /* engine id "m<id>" (a recurring series keeps its first id) */
    uint64_t occ;       /* occurrence number, unique over the run */
    uint8_t kind, flags, mods;
    uint32_t expected;  /* expected_participants given at scheduling; 0 for meet-now */
    uint32_t n;         /* participants who try to join */
    cp_ms_t create;     /* when it is scheduled (CP_SIM_F_CREATE) */
    cp_ms_t start;      /* time origin of participant offsets */
    cp_ms_t sched_start, sched_end; /* engine's start/end; CP_TIME_NONE for meet-now */
    cp_ms_t last_leave; /* absolute */
    cp_mu_t peak_load;  /* true peak load if every join is admitted */
    uint32_t peak_count;
    cp_sim_part_t *parts;  /* sorted by join time */
    uint32_t *leave_order; /* indices of parts sorted by leave time */
    /* run state, owned by the simulator core */
    cp_meeting_t *em;     /* engine meeting (re-looked up after an advance) */
    uint64_t em_epoch;
    uint32_t inst;        /* distributor instance */
    uint32_t host;        /* sim server index of the current activation, or UINT32_MAX */
    uint32_t present;     /* admitted participants who have not left */
    uint32_t next_join, next_leave;
    uint32_t admitted, refused;
    cp_mu_t load;         /* true load now */
    uint8_t phase;        /* where the core is in the meeting's life */
    bool next_is_leave;   /* the queued event of the RUN phase */
    bool hosted_once;
    cp_ms_t qtime;        /* time of its next event */
    size_t qpos;          /* position in the core's queue */
    struct cp_sim_mtg *srv_prev, *srv_next; /* in its host's list (report meetings) */
    struct cp_sim_plan_note *plan; /* large meetings: the engine's plan at scheduling */
    char eid[24];         /* the engine id */
} cp_sim_mtg_t;

/** Allocates a meeting for n participants (arrays zeroed). */
cp_sim_mtg_t *cp_sim_mtg_alloc(uint32_t n);
/** Sorts the participants, fills leave_order, last_leave, the engine id
 *  and the true peak (with per-modality costs and the meeting base). */
void cp_sim_mtg_finish(cp_sim_mtg_t *m, const cp_mu_t cost[8], cp_mu_t base);
void cp_sim_mtg_free(cp_sim_mtg_t *m);

typedef struct cp_sim_gen cp_sim_gen_t;
typedef void (*cp_sim_emit_fn)(void *ctx, cp_sim_mtg_t *m);

/** A generator for [t0, t_end). scale is the meeting arrival rate, per
 *  minute, at the busiest point of the day curve; cost and base price
 *  participants as the engine does. */
cp_sim_gen_t *cp_sim_gen_new(const cp_sim_model_t *model, const cp_mu_t cost[8], cp_mu_t base,
                             uint64_t seed, cp_ms_t t0, cp_ms_t t_end, double scale);
void cp_sim_gen_free(cp_sim_gen_t *g);
/** When the next slot must be generated (its meetings may be created from
 *  then on), or CP_TIME_NONE when everything was generated. */
cp_ms_t cp_sim_gen_next(const cp_sim_gen_t *g);
/** Generates the next slot and hands each meeting to emit (ownership too). */
void cp_sim_gen_step(cp_sim_gen_t *g, cp_sim_emit_fn emit, void *ctx);
/** Meetings generated so far. */
uint64_t cp_sim_gen_count(const cp_sim_gen_t *g);

/** The arrival rate scale that gives the model's target volume: users x
 *  peak_share participants at the busiest minute (measured on a generated
 *  day with a fixed seed, so it is a property of the model), or
 *  meetings_per_day when that is set. */
double cp_sim_gen_scale(const cp_sim_model_t *model, const cp_mu_t cost[8], cp_mu_t base);

#endif
