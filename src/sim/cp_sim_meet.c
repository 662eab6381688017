/* cp_sim_meet.c — one meeting's life in the simulator: scheduled in the
 * engine, its participants joining and leaving, ended; and the truth that
 * goes with it (true load on each server, who is where).
 *
 * The engine decides; the core only does what the engine answered: a
 * refused participant stays out (and does not leave later), an admitted
 * one is on the server the engine returned. */
#include "sim/cp_sim_int.h"

#include <stdio.h>
#include <string.h>

#include "util/base/cp_alloc.h"

#define CP__NOHOST UINT32_MAX

static cp_meeting_t *cp__em(cp_sim_t *s, cp_sim_mtg_t *m) {
    /* Engine pointers are only promised until the next advance. */
    if (m->em == NULL || m->em_epoch != s->epoch) {
        m->em = cp_engine_meeting(s->eng[m->inst], m->eid, strlen(m->eid));
        m->em_epoch = s->epoch;
    }
    return m->em;
}

static size_t cp__pid(char *buf, uint32_t i) {
    char tmp[12];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf[0] = 'p';
    for (size_t k = 0; k < n; k++)
        buf[1 + k] = tmp[n - 1 - k];
    buf[n + 1] = '\0';
    return n + 1;
}

/* ---- the big-meeting list (for L*) ------------------------------------------------ */

static void cp__big_add(cp_sim_t *s, cp_sim_mtg_t *m) {
    if (m->qpos || m->load < s->big_threshold)
        return;
    if (s->nbig == s->bigcap) {
        s->bigcap = s->bigcap ? s->bigcap * 2 : 64;
        s->big = cp_reallocarray(s->big, s->bigcap, sizeof *s->big);
    }
    s->big[s->nbig++] = m;
    m->qpos = s->nbig; /* index + 1 */
}

static void cp__big_remove(cp_sim_t *s, cp_sim_mtg_t *m) {
    if (m->qpos == 0)
        return;
    size_t i = m->qpos - 1;
    cp_sim_mtg_t *last = s->big[--s->nbig];
    s->big[i] = last;
    last->qpos = i + 1;
    m->qpos = 0;
}

/* ---- truth: people and meetings on servers ------------------------------------------ */

static void cp__host_list_add(cp_sim_t *s, cp_sim_mtg_t *m) {
    m->srv_prev = NULL;
    m->srv_next = s->hosted[m->host];
    if (m->srv_next)
        m->srv_next->srv_prev = m;
    s->hosted[m->host] = m;
}

static void cp__host_list_remove(cp_sim_t *s, cp_sim_mtg_t *m) {
    if (m->srv_prev)
        m->srv_prev->srv_next = m->srv_next;
    else
        s->hosted[m->host] = m->srv_next;
    if (m->srv_next)
        m->srv_next->srv_prev = m->srv_prev;
    m->srv_prev = m->srv_next = NULL;
}

/* The meeting's fixed cost sits on its host while anyone is in it. */
static void cp__base_on(cp_sim_t *s, cp_sim_mtg_t *m) {
    s->conf[m->host] += s->base;
    s->mtgs[m->host]++;
    m->load += s->base;
    cp__host_list_add(s, m);
}

static void cp__base_off(cp_sim_t *s, cp_sim_mtg_t *m) {
    s->conf[m->host] -= s->base;
    s->mtgs[m->host]--;
    m->load -= s->base;
    cp__host_list_remove(s, m);
}

/* ---- events ---------------------------------------------------------------------------- */

static bool cp__leave_due(cp_sim_mtg_t *m, cp_ms_t *t) {
    while (m->next_leave < m->n && m->parts[m->leave_order[m->next_leave]].state != CP_SIM_P_JOINED &&
           m->parts[m->leave_order[m->next_leave]].state != CP_SIM_P_PENDING)
        m->next_leave++; /* refused: never joined, never leaves */
    if (m->next_leave >= m->n)
        return false;
    *t = m->start + m->parts[m->leave_order[m->next_leave]].leave;
    return true;
}

/* The next join or leave; false when none is left. *is_leave breaks ties
 * towards the leave, which frees room first. */
static bool cp__next_run(cp_sim_mtg_t *m, cp_ms_t *t, bool *is_leave) {
    cp_ms_t tl = 0, tj = 0;
    bool hl = cp__leave_due(m, &tl), hj = m->next_join < m->n;
    if (hj)
        tj = m->start + m->parts[m->next_join].join;
    if (!hl && !hj)
        return false;
    *is_leave = hl && (!hj || tl <= tj);
    *t = *is_leave ? tl : tj;
    return true;
}

static void cp__schedule(cp_sim_t *s, cp_sim_mtg_t *m);

void cp__sim_meeting_admit(cp_sim_t *s, cp_sim_mtg_t *m) {
    if (m->flags & CP_SIM_F_CREATE) {
        m->phase = CP_SIM_PH_CREATE;
        cp__sim_queue_push(s, m, m->create);
        return;
    }
    cp__schedule(s, m);
}

static void cp__create(cp_sim_t *s, cp_sim_mtg_t *m) {
    cp_engine_t *e = s->eng[m->inst];
    cp_meeting_spec_t spec = {.id = m->eid, .organizer = "sim", .modalities = m->mods,
                              .start = m->sched_start, .end = m->sched_end,
                              .expected = m->expected};
    if (m->kind == CP_SIM_ADHOC)
        spec.start = spec.end = CP_TIME_NONE;
    if (s->opts.policy == CP_SIM_CLAIRVOYANT) {
        /* Expected load = true peak: round the peak up to whole participants
         * of the meeting's modalities. */
        cp_mu_t per = s->cost[m->mods] > 0 ? s->cost[m->mods] : 1;
        cp_mu_t need = m->peak_load > s->base ? m->peak_load - s->base : 0;
        cp_mu_t n = (need + per - 1) / per;
        spec.expected = n > 0 ? (uint32_t)n : 1;
    }
    cp_meeting_t *em = NULL;
    const char *why;
    s->res.engine_calls++;
    if (cp_engine_meeting_create(e, &spec, s->now, &em, &why) != CP_OK)
        em = cp_engine_meeting(e, m->eid, strlen(m->eid));
    m->em = em;
    m->em_epoch = s->epoch;
    if (m->kind == CP_SIM_LARGE && em && em->plan) {
        const char *st = cp_plan_status_name(em->plan->status);
        m->plan = cp_calloc(1, sizeof *m->plan);
        snprintf(m->plan->status, sizeof m->plan->status, "%s", st ? st : "");
        snprintf(m->plan->host, sizeof m->plan->host, "%s", em->plan->host_id);
    }
}

static void cp__join(cp_sim_t *s, cp_sim_mtg_t *m) {
    uint32_t i = m->next_join++;
    cp_sim_part_t *p = &m->parts[i];
    char pid[16];
    size_t plen = cp__pid(pid, i);
    cp_meeting_t *em = cp__em(s, m);
    cp_join_t j;
    s->res.join_attempts++;
    s->res.engine_calls++;
    cp_status_t st = em ? cp_engine_join(s->eng[m->inst], em, pid, plen, p->mods, s->now, &j)
                        : CP_E_NOT_FOUND;
    if (st != CP_OK || j.server == NULL || j.server->seq == 0 || j.server->seq > s->ns) {
        p->state = CP_SIM_P_REFUSED;
        m->refused++;
        s->res.joins_refused++;
        if (st == CP_E_POOL_FULL)
            s->res.refused_pool_full++;
        else if (st == CP_E_MEETING_FULL)
            s->res.refused_meeting_full++;
        return;
    }
    uint32_t srv = (uint32_t)(j.server->seq - 1);
    if (j.activated || m->host == CP__NOHOST) {
        if (m->present > 0 && m->host != srv) {
            /* Re-activated elsewhere while people are still in it (only
             * possible when reports zeroed the count): move its base. */
            cp__base_off(s, m);
            m->host = srv;
            cp__base_on(s, m);
        }
        m->host = srv;
        m->hosted_once = true;
    }
    p->state = CP_SIM_P_JOINED;
    p->server = srv;
    m->admitted++;
    s->res.joins_ok++;
    if (m->present == 0)
        cp__base_on(s, m);
    cp_mu_t c = s->cost[p->mods];
    s->conf[srv] += c;
    s->parts[srv]++;
    m->present++;
    m->load += c;
    cp__big_add(s, m);
    cp__sim_peak_check(s, srv);
}

static void cp__leave(cp_sim_t *s, cp_sim_mtg_t *m) {
    uint32_t i = m->leave_order[m->next_leave++];
    cp_sim_part_t *p = &m->parts[i];
    if (p->state != CP_SIM_P_JOINED)
        return;
    char pid[16];
    size_t plen = cp__pid(pid, i);
    cp_meeting_t *em = cp__em(s, m);
    s->res.engine_calls++;
    if (em)
        cp_engine_leave(s->eng[m->inst], em, pid, plen, s->now);
    p->state = CP_SIM_P_LEFT;
    cp_mu_t c = s->cost[p->mods];
    s->conf[p->server] -= c;
    s->parts[p->server]--;
    m->present--;
    m->load -= c;
    if (m->present == 0)
        cp__base_off(s, m);
}

/* Queues the meeting's next join or leave, or its end once everyone left. */
static void cp__schedule(cp_sim_t *s, cp_sim_mtg_t *m) {
    cp_ms_t t;
    bool is_leave;
    if (cp__next_run(m, &t, &is_leave)) {
        m->phase = CP_SIM_PH_RUN;
        m->next_is_leave = is_leave;
        cp__sim_queue_push(s, m, t < s->now ? s->now : t);
        return;
    }
    /* Everyone is gone: end it once the engine would have let it go idle. */
    m->phase = CP_SIM_PH_END;
    if (!(m->flags & CP_SIM_F_END)) {
        cp__sim_meeting_retire(s, m);
        return;
    }
    cp_ms_t grace = m->hosted_once ? cp_engine_config(s->eng[m->inst])->idle_grace : 0;
    cp__sim_queue_push(s, m, s->now + (grace > 0 ? grace : 0));
}

void cp__sim_meeting_event(cp_sim_t *s, cp_sim_mtg_t *m) {
    switch (m->phase) {
    case CP_SIM_PH_CREATE:
        cp__create(s, m);
        break;
    case CP_SIM_PH_RUN:
        if (m->next_is_leave)
            cp__leave(s, m);
        else
            cp__join(s, m);
        break;
    case CP_SIM_PH_END:
        if (m->flags & CP_SIM_F_END) {
            cp_meeting_t *em = cp__em(s, m);
            s->res.engine_calls++;
            if (em)
                cp_engine_meeting_end(s->eng[m->inst], em, s->now);
        }
        cp__sim_meeting_retire(s, m);
        return;
    default:
        cp__sim_meeting_retire(s, m);
        return;
    }
    cp__schedule(s, m);
}

static void cp__record_large(cp_sim_t *s, const cp_sim_mtg_t *m) {
    cp_sim_result_t *r = &s->res;
    if (r->nlarge == s->large_cap) {
        s->large_cap = s->large_cap ? s->large_cap * 2 : 8;
        r->large = cp_reallocarray(r->large, s->large_cap, sizeof *r->large);
    }
    cp_sim_large_t *l = &r->large[r->nlarge++];
    memset(l, 0, sizeof *l);
    snprintf(l->id, sizeof l->id, "%s", m->eid);
    l->start = m->start;
    l->n = m->n;
    l->expected = m->expected;
    l->admitted = m->admitted;
    l->refused = m->refused;
    if (m->hosted_once && m->host < s->ns)
        snprintf(l->server, sizeof l->server, "%s", s->sid[m->host]);
    if (m->plan) {
        memcpy(l->plan_status, m->plan->status, sizeof l->plan_status);
        memcpy(l->plan_host, m->plan->host, sizeof l->plan_host);
    }
}

void cp__sim_meeting_retire(cp_sim_t *s, cp_sim_mtg_t *m) {
    cp__big_remove(s, m);
    if (m->present > 0 && m->host < s->ns)
        cp__host_list_remove(s, m);
    if (m->admitted + m->refused > 0) {
        s->res.meetings++;
        if (m->hosted_once)
            s->res.meetings_hosted++;
        else
            s->res.meetings_refused++;
    }
    s->nwork++;
    s->sum_size += m->n;
    if (m->n) {
        cp_ms_t first = m->start + m->parts[0].join;
        s->sum_dur += (double)(m->last_leave - first) / 60000.0;
    }
    s->n_u20 += m->n < 20;
    s->n_u100 += m->n < 100;
    s->n_o250 += m->n > 250;
    if (m->kind == CP_SIM_LARGE) {
        s->res.large_total++;
        s->res.large_hosted += m->hosted_once;
        s->res.large_attempts += m->admitted + m->refused;
        s->res.large_refused += m->refused;
        cp__record_large(s, m);
    }
    cp_sim_mtg_free(m);
}
