/* cp_engine_int.h — the engine's internals, shared by its modules only.
 *
 * Modules: cp_engine.c (lifecycle, time, timers), cp_pool.c (pools,
 * capacity classes, eligibility), cp_load.c (the load model), cp_place.c
 * (placement policies), cp_server.c, cp_meeting.c, cp_journal.c
 * (changes to persist) and cp_restore.c. */
#ifndef CP_ENGINE_INT_H
#define CP_ENGINE_INT_H

#include "engine/cp_engine.h"
#include "engine/cp_heap.h"
#include "util/base/cp_map.h"
#include "util/base/cp_rng.h"

/* Servers of one pool with the same capacity, ordered by load. Within a
 * class the least-loaded server is also the least utilized after any
 * placement, so "least utilization after placement" only compares the
 * tops of a pool's few classes. */
struct cp_capclass {
    cp_mu_t capacity;
    cp_heap_t heap; /* eligible servers by (load, seq) */
};

typedef enum cp_jkind {
    CP_J_NONE = 0, /* cancelled entry */
    CP_J_SERVER,
    CP_J_SERVER_DEL,
    CP_J_MEETING,
    CP_J_MEETING_DEL,
    CP_J_PART_ADD,
    CP_J_PART_DEL,
    CP_J_PART_CLEAR,
} cp_jkind_t;

typedef struct cp_jentry {
    uint8_t kind;
    uint8_t mods;
    uint8_t leg;
    void *obj;       /* server or meeting for upserts */
    uint32_t a, b;   /* offsets in the journal's string arena */
} cp_jentry_t;

typedef struct cp_order_entry {
    uint64_t seq;
    cp_meeting_t *m; /* NULL once the meeting is forgotten */
} cp_order_entry_t;

struct cp_engine {
    cp_engine_config_t cfg;
    cp_ms_t now;
    uint64_t hash_seed;
    cp_rng_t rng;
    cp_mu_t cost[8]; /* participant cost per modality set */

    cp_map_t pool_map;
    cp_pool_t **pools;
    size_t npools, pools_cap;

    cp_map_t server_map;
    cp_server_t **servers; /* registration order */
    size_t nservers, servers_cap;
    uint64_t server_seq;

    cp_map_t meeting_map;
    cp_order_entry_t *order; /* creation order, with holes */
    size_t norder, order_cap, order_holes;
    uint64_t meeting_seq;

    cp_heap_t timers;        /* meetings by deadline */
    cp_heap_t server_timers; /* watched servers by report deadline */
    cp_meeting_t *graveyard; /* forgotten meetings, freed at the next advance */

    cp_jentry_t *journal;
    size_t njournal, journal_cap;
    char *jstr; /* string arena for the journal */
    size_t jstr_len, jstr_cap;
};

/* cp_engine.c */
/** Runs due timers up to now without freeing anything (event calls use
 *  this; cp_engine_advance also frees the graveyard). */
void cp__run_timers(cp_engine_t *e, cp_ms_t now);
/** Recomputes m's next deadline and its place in the timer heap. */
void cp__timer_update(cp_engine_t *e, cp_meeting_t *m);

/* cp_pool.c */
void cp__pool_free(cp_pool_t *p);
/** Adds s to its pool's server list and, if eligible, to placement. */
void cp__pool_attach(cp_engine_t *e, cp_server_t *s);
/** Removes s from its pool entirely. */
void cp__pool_detach(cp_engine_t *e, cp_server_t *s);
/** Re-evaluates whether s may take new meetings and updates the sets. */
void cp__pool_refresh(cp_engine_t *e, cp_server_t *s);
/** Call after s's load changed. */
void cp__pool_load_changed(cp_engine_t *e, cp_server_t *s);
/** Recomputes s's admission limits from its capacity. */
void cp__server_limits(const cp_engine_t *e, cp_server_t *s);

/* cp_load.c */
/** Load `leg` would have with these observed figures. */
cp_mu_t cp__leg_predict(const cp_engine_t *e, const cp_leg_t *leg, uint32_t participants,
                        cp_mu_t joined_units, uint32_t joined);
/** The expected participants of m: given at scheduling, or the peak of its
 *  earlier activations if larger. */
uint32_t cp__expected_size(const cp_meeting_t *m);
/** A leg's observed participant load, without the meeting base. */
cp_mu_t cp__leg_observed(const cp_engine_t *e, const cp_leg_t *leg);
/** Learns from an ending activation of m (see cp_load.c). */
void cp__learn_attendance(const cp_engine_t *e, cp_meeting_t *m);
/** The other load s is forecast to carry over [from, until). */
cp_mu_t cp__other_forecast(const cp_engine_t *e, const cp_server_t *s, cp_ms_t from,
                           cp_ms_t until);
/** Adds delta to s's conference load and keeps placement order. */
void cp__server_add_load(cp_engine_t *e, cp_server_t *s, cp_mu_t delta);
/** True while m is young enough for its expected size to count in full. */
bool cp__in_ramp(const cp_engine_t *e, const cp_meeting_t *m);

/* cp_place.c */
/** Picks a server of p for a new meeting of load L under policy, or NULL
 *  when none may take it. */
cp_server_t *cp__place(cp_engine_t *e, cp_pool_t *p, cp_mu_t L, cp_policy_t policy);

/* cp_leg.c */
void cp__leg_attach(cp_engine_t *e, cp_leg_t *leg, cp_server_t *s);
void cp__leg_detach(cp_engine_t *e, cp_leg_t *leg);
/** Recomputes leg's prediction and moves the difference onto its server. */
void cp__leg_reload(cp_engine_t *e, cp_leg_t *leg);
/** Reloads every leg of m. */
void cp__meeting_reload(cp_engine_t *e, cp_meeting_t *m);
/** Sets leg's observed count, keeping server and meeting totals, the peak
 *  and the empty-since marks in step. */
void cp__leg_set_count(cp_engine_t *e, cp_leg_t *leg, uint32_t n);
/** The leg of m on s, or NULL. */
cp_leg_t *cp__leg_on(cp_meeting_t *m, const cp_server_t *s);
/** The slot number of leg in m. */
uint32_t cp__leg_index(const cp_meeting_t *m, const cp_leg_t *leg);
/** A leg slot not in use (reused or appended). */
cp_leg_t *cp__leg_new(cp_meeting_t *m);
/** A new leg slot at the end. */
cp_leg_t *cp__leg_append(cp_meeting_t *m);
/** Detaches every leg of m and frees the extra slots. */
void cp__legs_clear(cp_engine_t *e, cp_meeting_t *m);
/** Frees the extra slots of m without detaching (restore only). */
void cp__legs_forget(cp_meeting_t *m);
/** Places leg anew after its server went away. */
bool cp__leg_rehome(cp_engine_t *e, cp_leg_t *leg);

/* cp_join.c */
/** Applies a reported participant count to one leg. */
void cp__leg_observe(cp_engine_t *e, cp_leg_t *leg, uint32_t participants);

/* cp_meeting.c */
/** Runs m's due timer work at time now. */
void cp__meeting_timer(cp_engine_t *e, cp_meeting_t *m);
/** The next time something happens to m on its own, or CP_TIME_NONE. */
cp_ms_t cp__meeting_deadline(const cp_engine_t *e, const cp_meeting_t *m);
/** Frees a meeting object (not its index entries). */
void cp__meeting_free(cp_meeting_t *m);
/** Takes m off its servers; it is scheduled again. */
void cp__meeting_deactivate(cp_engine_t *e, cp_meeting_t *m);
/** Adds m to the id map and the creation order. */
void cp__meeting_index(cp_engine_t *e, cp_meeting_t *m);
/** Rebuilds a meeting from its record (legs parked, not attached). */
cp_meeting_t *cp__meeting_restore(cp_engine_t *e, const cp_meeting_rec_t *r);

/* cp_plan.c */
/** The host held for m (while it waits to start), or NULL. */
cp_server_t *cp__plan_host(const cp_meeting_t *m);
/** Records the outcome of m's plan when it activates. */
void cp__plan_activated(cp_engine_t *e, cp_meeting_t *m);
/** Re-establishes m's hold after a restore. */
void cp__plan_restored(cp_engine_t *e, cp_meeting_t *m);
/** Records that m could not start anywhere. */
void cp__plan_refused(cp_engine_t *e, cp_meeting_t *m);
/** Computes and installs m's plan (an impossible one only if asked). */
cp_plan_status_t cp__plan_make(cp_engine_t *e, cp_meeting_t *m, bool install_impossible);
/** The plan a meeting with these figures would get, not installed. */
cp_plan_status_t cp__plan_probe(cp_engine_t *e, cp_pool_t *pool, uint32_t expected,
                                unsigned mods, cp_ms_t start, cp_ms_t end,
                                const cp_meeting_t *self, cp_plan_t *out);
/** Frees m's plan and its hold. */
void cp__plan_release(cp_engine_t *e, cp_meeting_t *m);
/** Gives up m's hold, keeping the plan's record. */
void cp__plan_unhold(cp_engine_t *e, cp_meeting_t *m);
/** The next hold boundary of m, or CP_TIME_NONE. */
cp_ms_t cp__plan_deadline(const cp_engine_t *e, const cp_meeting_t *m);
/** A hold boundary of m passed: its host's eligibility changes. */
void cp__plan_tick(cp_engine_t *e, cp_meeting_t *m);
/** s is being removed: its holds are planned again elsewhere. */
void cp__plan_server_gone(cp_engine_t *e, cp_server_t *s);
/** Adds an activation's duration to the pool's statistics. */
void cp__pool_record_duration(cp_pool_t *p, cp_ms_t d);

/* cp_server.c */
/** Rebuilds a server from its record. */
cp_server_t *cp__server_restore(cp_engine_t *e, const cp_server_rec_t *r);
/** Recomputes s's report deadline and its place in the server timer heap. */
void cp__server_timer_update(cp_engine_t *e, cp_server_t *s);
/** s missed its report deadline: it goes down. */
void cp__server_timer(cp_engine_t *e, cp_server_t *s);

/* cp_journal.c */
void cp__journal_server(cp_engine_t *e, cp_server_t *s);
void cp__journal_server_deleted(cp_engine_t *e, cp_server_t *s);
void cp__journal_meeting(cp_engine_t *e, cp_meeting_t *m);
void cp__journal_meeting_deleted(cp_engine_t *e, cp_meeting_t *m);
void cp__journal_part(cp_engine_t *e, cp_jkind_t kind, const cp_meeting_t *m, const char *pid,
                      size_t plen, unsigned mods, unsigned leg);
void cp__journal_free(cp_engine_t *e);

/* Cross-multiplied comparison of (la + L)/ca against (lb + L)/cb, exact. */
static inline int cp__util_cmp(cp_mu_t la, cp_mu_t ca, cp_mu_t lb, cp_mu_t cb) {
    __int128 x = (__int128)la * cb, y = (__int128)lb * ca;
    return (x > y) - (x < y);
}

#endif
