/* cp_plan_int.h — what the two questions of `confpool plan` share: the
 * parsed command line and the model it names (cp_plan.c), and the
 * `plan meeting` question (cp_plan_meeting.c). */
#ifndef CP_PLAN_INT_H
#define CP_PLAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/cp_sim.h"

typedef struct cp__plan_args {
    const char *model;
    const char **sets;
    size_t nsets;
    int policy;
    unsigned seeds, threads;
    uint64_t seed;
    cp_ms_t duration;
    double users, max_refused, audio_only;
    long servers;
    bool include_large;
    uint32_t size;
    const char *at;
    cp_ms_t length, notice;
    unsigned mods;
} cp__plan_args_t;

/** Loads the model the arguments name, with --servers, --users and --set
 *  applied. Returns 0, or -1 after printing the error. */
int cp__plan_model(const cp__plan_args_t *a, cp_sim_model_t *m);
/** `confpool plan meeting`: prints the answer; returns the exit code. */
int cp__plan_meeting(const cp__plan_args_t *a);

#endif
