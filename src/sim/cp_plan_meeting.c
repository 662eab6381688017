/* cp_plan_meeting.c — `confpool plan meeting`: does a meeting of --size
 * people fit at --at on an ordinary simulated day?
 *
 * Each of --seeds days is the model's day with that one meeting added,
 * booked --notice ahead (so a large one gets the engine's plan and its
 * host is held). For each day: the plan, what happened at the start, how
 * many joins got in, how hot the host got during the meeting, and how hot
 * the *other* servers got, during the meeting and over the whole day
 * (holding a host pushes its share of the day's meetings onto them). The
 * summary gives the share of participants admitted, the days on which all
 * of them were, and the days on which another server reached 0.95.
 * `--set large.plan=0` answers the same question without planning. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/cp_plan_int.h"
#include "sim/cp_sim_dc.h"
#include "sim/cp_sim_dist.h"
#include "util/base/cp_alloc.h"
#include "util/base/cp_rng.h"
#include "util/base/cp_time.h"

#define CP__MIN 60000LL
#define CP__FULL 0.95 /* the join threshold: a server here refuses every join */

/* "10:00" (time of day on the simulated day) or an RFC 3339 time. */
static bool cp__parse_at(const char *s, cp_ms_t t0, cp_ms_t *out) {
    unsigned h, mi;
    char tail;
    if (sscanf(s, "%u:%u%c", &h, &mi, &tail) == 2 && h < 24 && mi < 60) {
        *out = t0 + ((cp_ms_t)h * 60 + mi) * CP__MIN;
        return true;
    }
    return cp_time_parse(s, strlen(s), out);
}

/* The meeting asked about: `size` people who join over the first minutes
 * as the model's participants do, for `length`. */
static cp_sim_mtg_t *cp__meeting(const cp__plan_args_t *a, const cp_sim_model_t *m, cp_sim_t *s,
                                 cp_ms_t start, uint64_t seed) {
    cp_mu_t cost[8], base;
    cp_sim_costs(s, cost, &base);
    cp_rng_t rng;
    cp_rng_seed(&rng, seed ^ 0x706c616eULL);
    cp_sim_mtg_t *mt = cp_sim_mtg_alloc(a->size);
    mt->kind = CP_SIM_LARGE;
    mt->flags = CP_SIM_F_CREATE | CP_SIM_F_END;
    mt->mods = (uint8_t)(a->mods ? a->mods : CP_MOD_AUDIO);
    mt->start = mt->sched_start = start;
    mt->sched_end = start + a->length;
    mt->create = start - a->notice;
    mt->expected = a->size;
    double D = (double)a->length / 60000.0;
    double audio_only = a->audio_only >= 0 ? a->audio_only : m->large_audio_only;
    for (uint32_t i = 0; i < a->size; i++) {
        double u = cp_rng_unit(&rng), j;
        if (u < m->early_share)
            j = -cp_dist_uniform(&rng, 0, m->early_window);
        else if (u < m->early_share + m->late_share)
            j = cp_dist_uniform(&rng, 3, D / 2 > 3 ? D / 2 : 3);
        else
            j = cp_dist_exp(&rng, m->ontime_mean);
        double l = cp_rng_unit(&rng) < m->leave_early_share
                       ? cp_dist_uniform(&rng, (j > 0 ? j : 0) + 1, D > j + 1 ? D : j + 2)
                       : D + m->leave_spread * cp_dist_normal(&rng);
        if (l < j + 0.5)
            l = j + 0.5;
        mt->parts[i].join = (int32_t)llround(j * 60000.0);
        mt->parts[i].leave = (int32_t)llround(l * 60000.0);
        mt->parts[i].mods = cp_rng_unit(&rng) < audio_only ? CP_MOD_AUDIO : mt->mods;
    }
    cp_sim_mtg_finish(mt, cost, base);
    return mt;
}

typedef struct cp__day {
    bool hosted;
    uint32_t admitted, refused;
    char server[CP_ID_MAX + 1], plan[16], outcome[16], plan_host[CP_ID_MAX + 1];
    cp_ms_t lead;         /* of the plan, CP_TIME_NONE without one */
    double held_at_first; /* planned host's true utilization at the first join, or -1 */
    double host_peak, others_peak, others_day_peak;
} cp__day_t;

static size_t cp__server_index(const cp_sim_t *s, const char *id) {
    for (size_t i = 0; i < cp_sim_server_count(s); i++)
        if (strcmp(cp_sim_server_id(s, i), id) == 0)
            return i;
    return SIZE_MAX;
}

static double cp__util(const cp_sim_t *s, size_t i) {
    return (double)cp_sim_server_load(s, i) / (double)cp_sim_server_capacity(s, i);
}

static void cp__one_day(const cp__plan_args_t *a, const cp_sim_model_t *m, double scale,
                        cp_ms_t at, unsigned k, cp__day_t *d) {
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    o.policy = a->policy;
    o.seed = cp_sim_dc_seed(a->seed, k);
    o.scale = scale;
    memset(d, 0, sizeof *d);
    d->lead = CP_TIME_NONE;
    d->held_at_first = -1;
    cp_sim_t *s = cp_sim_new(m, &o);
    cp_sim_mtg_t *mt = cp__meeting(a, m, s, at, o.seed);
    cp_ms_t first = at + mt->parts[0].join; /* participants are sorted by join */
    cp_sim_inject(s, mt); /* owned by the simulator from here; not processed yet */
    char eid[sizeof mt->eid];
    memcpy(eid, mt->eid, sizeof eid);
    cp_engine_t *e = cp_sim_engine(s, 0);
    /* Just before the first join: the plan, and how empty its host is. */
    cp_sim_run(s, first);
    cp_meeting_t *em = cp_engine_meeting(e, eid, strlen(eid));
    if (em && em->plan) {
        d->lead = em->plan->lead;
        size_t h = em->plan->host_id[0] ? cp__server_index(s, em->plan->host_id) : SIZE_MAX;
        if (h != SIZE_MAX)
            d->held_at_first = cp__util(s, h);
    }
    /* Then minute by minute through the meeting, noting how hot its host
     * and the other servers get, and what became of the plan. */
    cp_sim_run(s, at);
    size_t ns = cp_sim_server_count(s);
    for (cp_ms_t t = at; t < at + a->length && t < cp_sim_end(s); t += CP__MIN) {
        cp_sim_run(s, t + CP__MIN);
        em = cp_engine_meeting(e, eid, strlen(eid));
        if (em && em->plan)
            snprintf(d->outcome, sizeof d->outcome, "%s", cp_plan_status_name(em->plan->status));
        const char *host = em && em->state == CP_MEETING_ACTIVE && em->server ? em->server->id
                                                                             : NULL;
        for (size_t i = 0; i < ns; i++) {
            double u = cp__util(s, i);
            if (host && strcmp(host, cp_sim_server_id(s, i)) == 0) {
                if (u > d->host_peak)
                    d->host_peak = u;
            } else if (u > d->others_peak) {
                d->others_peak = u;
            }
        }
    }
    while (cp_sim_run(s, cp_sim_end(s)))
        ;
    const cp_sim_result_t *r = cp_sim_result(s);
    for (size_t i = 0; i < r->nlarge; i++) {
        const cp_sim_large_t *l = &r->large[i];
        if (strcmp(l->id, eid) != 0)
            continue;
        d->hosted = l->server[0] != '\0';
        d->admitted = l->admitted;
        d->refused = l->refused;
        memcpy(d->server, l->server, sizeof d->server);
        memcpy(d->plan, l->plan_status, sizeof d->plan);
        memcpy(d->plan_host, l->plan_host, sizeof d->plan_host);
    }
    /* The other servers over the whole day: every server but the one the
     * meeting ran on (all of them if it never ran). */
    for (size_t i = 0; i < ns; i++) {
        double u = cp_sim_server_peak(s, i);
        if (strcmp(cp_sim_server_id(s, i), d->server) != 0 && u > d->others_day_peak)
            d->others_day_peak = u;
    }
    cp_sim_free(s);
}

static void cp__print_day(unsigned k, const cp__day_t *d) {
    char lead[32] = "-", held[32] = "-";
    if (d->lead != CP_TIME_NONE)
        snprintf(lead, sizeof lead, "%lldm", (long long)(d->lead / CP__MIN));
    if (d->held_at_first >= 0)
        snprintf(held, sizeof held, "%.3f", d->held_at_first);
    bool ok = d->hosted && d->refused == 0;
    printf("%4u  %-4s  %-10s  %-8s  %-6s  %5s  %10s  %8u  %7u  %9.3f  %11.3f  %10.3f\n", k + 1,
           ok ? "yes" : "no", d->plan[0] ? d->plan : "-", d->outcome[0] ? d->outcome : "-",
           d->server[0] ? d->server : "-", lead, held, d->admitted, d->refused, d->host_peak,
           d->others_peak, d->others_day_peak);
}

int cp__plan_meeting(const cp__plan_args_t *a) {
    if (a->size == 0 || a->at == NULL) {
        fprintf(stderr, "confpool plan meeting: --size and --at are required\n");
        return 2;
    }
    cp_sim_model_t m;
    if (cp__plan_model(a, &m) != 0)
        return 2;
    cp_sim_opts_t o;
    cp_sim_opts_defaults(&o);
    cp_ms_t at;
    if (!cp__parse_at(a->at, o.t0, &at) || at < o.t0 || at >= o.t0 + o.duration) {
        fprintf(stderr, "confpool plan meeting: --at must be HH:MM or a time on the simulated "
                        "day\n");
        cp_sim_model_free(&m);
        return 2;
    }
    cp_sim_t *probe = cp_sim_new(&m, &o);
    double scale = cp_sim_result(probe)->scale;
    size_t ns = cp_sim_server_count(probe);
    cp_sim_free(probe);
    char ts[CP_TIME_STRLEN];
    cp_time_format(at, ts);
    printf("plan meeting: %u people at %s (%lld min), model %s, %zu servers, %s, planning %s, "
           "%u simulated day(s)\n",
           a->size, ts, (long long)(a->length / CP__MIN), m.name, ns,
           cp_sim_policy_name(a->policy), m.engine.plan_large ? "on" : "off", a->seeds);
    printf("%4s  %-4s  %-10s  %-8s  %-6s  %5s  %10s  %8s  %7s  %9s  %11s  %10s\n", "day", "fits",
           "plan", "outcome", "server", "lead", "held@first", "admitted", "refused", "host peak",
           "others peak", "others day");
    unsigned fits = 0, refused_days = 0, hot_days = 0, full_days = 0;
    uint64_t admitted = 0, attempts = 0;
    double host_max = 0, others_max = 0, others_day_max = 0;
    char common[CP_ID_MAX + 1] = "";
    unsigned common_n = 0;
    cp__day_t *days = cp_calloc(a->seeds, sizeof *days);
    for (unsigned k = 0; k < a->seeds; k++) {
        cp__day_t *d = &days[k];
        cp__one_day(a, &m, scale, at, k, d);
        fits += d->hosted && d->refused == 0;
        refused_days += d->refused > 0;
        hot_days += d->host_peak > 0.90;
        full_days += d->others_day_peak >= CP__FULL;
        admitted += d->admitted;
        attempts += (uint64_t)d->admitted + d->refused;
        if (d->host_peak > host_max)
            host_max = d->host_peak;
        if (d->others_peak > others_max)
            others_max = d->others_peak;
        if (d->others_day_peak > others_day_max)
            others_day_max = d->others_day_peak;
        cp__print_day(k, d);
        unsigned same = 0;
        for (unsigned j = 0; j <= k; j++)
            same += strcmp(days[j].server, d->server) == 0 && d->server[0];
        if (same > common_n) {
            common_n = same;
            memcpy(common, d->server, sizeof common);
        }
    }
    printf("answer: fits on %u of %u days", fits, a->seeds);
    if (common[0])
        printf("; most often on %s (%u days)", common, common_n);
    printf("; admitted %llu of %llu participants (%.1f%%)", (unsigned long long)admitted,
           (unsigned long long)attempts, attempts ? 100.0 * (double)admitted / (double)attempts : 0);
    printf("; risk: joins refused on %u days, host above 0.90 on %u days; host peak %.3f, "
           "other servers' peak %.3f during the meeting, %.3f over the day (at or above %.2f on "
           "%u days)\n",
           refused_days, hot_days, host_max, others_max, others_day_max, CP__FULL, full_days);
    cp_free(days);
    cp_sim_model_free(&m);
    return fits == a->seeds ? 0 : 1;
}
