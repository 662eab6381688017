/* cp_sim_int.h — the simulator core's internals, shared by cp_sim.c (run
 * loop, queue, sampling), cp_sim_meet.c (meeting events and the truth) and
 * cp_sim_feed.c (load reports to the engines). */
#ifndef CP_SIM_INT_H
#define CP_SIM_INT_H

#include "sim/cp_sim.h"

/* Where a meeting is in its life. */
enum { CP_SIM_PH_CREATE = 0, CP_SIM_PH_RUN, CP_SIM_PH_END, CP_SIM_PH_DONE };

/* A report measured at `at` and delivered `staleness` later. */
typedef struct cp_sim_snap {
    cp_ms_t deliver;
    uint32_t server;
    bool cpu;
    double value;  /* other load (units x1000) or CPU fraction */
    char (*ids)[24];
    uint32_t *counts;
    size_t n;
} cp_sim_snap_t;

struct cp_sim {
    cp_sim_model_t model;
    cp_sim_opts_t opts;
    cp_mu_t cost[8], base;
    unsigned ninst;
    cp_engine_t *eng[CP_SIM_MAX_INSTANCES];
    cp_server_t **esrv; /* ninst x ns */
    uint64_t epoch;     /* engine advances so far: invalidates meeting pointers */

    /* servers: the truth */
    size_t ns;
    char (*sid)[CP_ID_MAX + 1];
    cp_mu_t *cap, *conf, max_cap, min_cap;
    uint32_t *parts, *mtgs;
    double *peak; /* highest true utilization of each server so far */
    double *other_factor;
    cp_mu_t *other_a, *other_b; /* true other load at the last and next minute */
    cp_ms_t other_at;
    cp_sim_mtg_t **hosted; /* meetings with people in them, per server */
    cp_mu_t *tmp_load;
    double *tmp_util;
    uint64_t other_seed;
    double level[1441]; /* other load level (fraction of capacity) per minute of day */

    cp_ms_t t0, t_end, now;
    cp_sim_gen_t *gen;
    uint64_t inject_id;

    /* meetings by next event time; keys inline so sifting touches no
     * meeting */
    struct cp_sim_qent {
        cp_ms_t t;
        uint64_t occ;
        cp_sim_mtg_t *m;
    } *heap;
    size_t hlen, hcap;
    cp_ms_t next_advance;

    /* meetings large enough to set L* (load >= 5% of the largest server) */
    cp_sim_mtg_t **big;
    size_t nbig, bigcap;
    cp_mu_t big_threshold;

    /* reports */
    cp_ms_t rep_interval, rep_stale;
    int64_t rep_round;
    size_t rep_server;
    cp_ms_t rep_next;     /* next snapshot or delivery, cached */
    cp_sim_snap_t *snaps; /* FIFO ring */
    size_t snap_head, snap_len, snap_cap;

    /* sampling */
    cp_ms_t next_minute;
    cp_sim_metrics_t metrics;
    cp_sim_minute_fn hook;
    void *hook_ctx;

    cp_sim_result_t res;
    size_t large_cap;
    double sum_size, sum_dur;
    uint64_t n_u20, n_u100, n_o250, nwork;
    bool finished;
};

/* cp_sim.c */
void cp__sim_queue_push(cp_sim_t *s, cp_sim_mtg_t *m, cp_ms_t t);
void cp__sim_peak_check(cp_sim_t *s, size_t srv);
/** True other load of server i now (cached per minute, interpolated). */
cp_mu_t cp__sim_other_now(cp_sim_t *s, size_t i);

/* cp_sim_meet.c */
/** Runs the meeting's event due now; reschedules or retires it. */
void cp__sim_meeting_event(cp_sim_t *s, cp_sim_mtg_t *m);
/** Accounts and frees a meeting (also for meetings cut by the end). */
void cp__sim_meeting_retire(cp_sim_t *s, cp_sim_mtg_t *m);
/** Queues a new meeting for its first event. */
void cp__sim_meeting_admit(cp_sim_t *s, cp_sim_mtg_t *m);

/* cp_sim_feed.c */
void cp__sim_feed_init(cp_sim_t *s);
/** When the servers start reporting: [report] history before the run. */
cp_ms_t cp__sim_feed_since(const cp_sim_t *s);
/** Gives the engines the servers' reports of that history (other load,
 *  once a minute, before any meeting), as a daemon that has been running
 *  has seen them; they are not counted in the result. */
void cp__sim_feed_history(cp_sim_t *s);
void cp__sim_feed_free(cp_sim_t *s);
/** Next snapshot or delivery time, or CP_TIME_NONE. */
cp_ms_t cp__sim_feed_next(const cp_sim_t *s);
/** Takes the due snapshot or delivers the due report. */
void cp__sim_feed_step(cp_sim_t *s);

#endif
