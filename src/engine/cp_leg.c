/* cp_leg.c — legs: the part of an active meeting that one server hosts.
 *
 * Every active meeting has at least its first leg; a cascaded meeting has
 * more. A leg carries its own observed participants and predicted load,
 * which is what its server counts. The meeting's totals (participants,
 * predicted load) are kept as sums over its legs, and `m->server` names the
 * server of its first leg in use. */
#include <stdio.h>
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

/* The first leg in use decides m->server. */
static void cp__primary(cp_meeting_t *m) {
    m->server = NULL;
    for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++) {
        cp_leg_t *l = cp_meeting_leg(m, i);
        if (l->server) {
            m->server = l->server;
            return;
        }
    }
}

void cp__leg_attach(cp_engine_t *e, cp_leg_t *leg, cp_server_t *s) {
    cp_meeting_t *m = leg->meeting;
    leg->server = s;
    leg->predicted = 0;
    leg->host_prev = NULL;
    leg->host_next = s->hosted;
    if (s->hosted)
        s->hosted->host_prev = leg;
    s->hosted = leg;
    s->meetings++;
    s->participants += leg->participants;
    if (s->empty_since != CP_TIME_NONE) {
        s->empty_since = CP_TIME_NONE;
        cp__journal_server(e, s);
    }
    cp__primary(m);
    cp__leg_reload(e, leg);
}

void cp__leg_detach(cp_engine_t *e, cp_leg_t *leg) {
    cp_server_t *s = leg->server;
    if (s == NULL)
        return;
    cp_meeting_t *m = leg->meeting;
    cp__server_add_load(e, s, -leg->predicted);
    m->predicted -= leg->predicted;
    leg->predicted = 0;
    s->meetings--;
    s->participants -= leg->participants;
    if (leg->host_prev)
        leg->host_prev->host_next = leg->host_next;
    else
        s->hosted = leg->host_next;
    if (leg->host_next)
        leg->host_next->host_prev = leg->host_prev;
    leg->host_prev = leg->host_next = NULL;
    leg->server = NULL;
    cp__primary(m);
    if (s->state == CP_SERVER_DRAINING && s->meetings == 0) {
        s->empty_since = e->now;
        cp__journal_server(e, s);
    }
}

void cp__leg_reload(cp_engine_t *e, cp_leg_t *leg) {
    cp_meeting_t *m = leg->meeting;
    if (m->state != CP_MEETING_ACTIVE || leg->server == NULL)
        return;
    cp_mu_t p = cp__leg_predict(e, leg, leg->participants, leg->joined_units, leg->joined);
    cp_mu_t delta = p - leg->predicted;
    leg->predicted = p;
    m->predicted += delta;
    cp__server_add_load(e, leg->server, delta);
    /* the meeting's observed participant load, for attendance learning */
    leg->observed = cp__leg_observed(e, leg);
    cp_mu_t total = 0;
    for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++) {
        const cp_leg_t *l = cp_meeting_leg(m, i);
        if (l->server)
            total += l->observed;
    }
    if (total > m->peak_units)
        m->peak_units = total;
}

void cp__meeting_reload(cp_engine_t *e, cp_meeting_t *m) {
    for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++)
        cp__leg_reload(e, cp_meeting_leg(m, i));
}

void cp__leg_set_count(cp_engine_t *e, cp_leg_t *leg, uint32_t n) {
    cp_meeting_t *m = leg->meeting;
    if (leg->server)
        leg->server->participants = leg->server->participants - leg->participants + n;
    m->participants = m->participants - leg->participants + n;
    leg->participants = n;
    if (m->participants > m->peak)
        m->peak = m->participants;
    if (m->participants == 0) {
        if (m->empty_since == CP_TIME_NONE)
            m->empty_since = e->now;
    } else {
        m->empty_since = CP_TIME_NONE;
    }
    if (leg != &m->leg0) {
        if (n == 0) {
            if (leg->empty_since == CP_TIME_NONE)
                leg->empty_since = e->now;
        } else {
            leg->empty_since = CP_TIME_NONE;
        }
    }
}

cp_leg_t *cp__leg_on(cp_meeting_t *m, const cp_server_t *s) {
    for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++) {
        cp_leg_t *l = cp_meeting_leg(m, i);
        if (l->server == s)
            return l;
    }
    return NULL;
}

uint32_t cp__leg_index(const cp_meeting_t *m, const cp_leg_t *leg) {
    if (leg == &m->leg0)
        return 0;
    for (uint32_t i = 0; i < m->nextra; i++)
        if (m->extra[i] == leg)
            return i + 1;
    return 0;
}

static void cp__leg_init(cp_leg_t *leg, cp_meeting_t *m) {
    memset(leg, 0, sizeof *leg);
    leg->meeting = m;
    leg->empty_since = CP_TIME_NONE;
}

cp_leg_t *cp__leg_new(cp_meeting_t *m) {
    /* Reuse a slot not in use first, so slot numbers (kept by participant
     * entries) stay small and stable. */
    for (uint32_t i = 0; i < m->nextra; i++)
        if (m->extra[i]->server == NULL && m->extra[i]->joined == 0) {
            cp__leg_init(m->extra[i], m);
            return m->extra[i];
        }
    return cp__leg_append(m);
}

cp_leg_t *cp__leg_append(cp_meeting_t *m) {
    if (m->nextra == m->extra_cap) {
        m->extra_cap = m->extra_cap ? m->extra_cap * 2 : 4;
        m->extra = cp_reallocarray(m->extra, m->extra_cap, sizeof *m->extra);
    }
    cp_leg_t *leg = cp_malloc(sizeof *leg);
    cp__leg_init(leg, m);
    m->extra[m->nextra++] = leg;
    return leg;
}

void cp__legs_forget(cp_meeting_t *m) {
    for (uint32_t i = 0; i < m->nextra; i++)
        cp_free(m->extra[i]);
    cp_free(m->extra);
    m->extra = NULL;
    m->nextra = m->extra_cap = 0;
    cp__leg_init(&m->leg0, m);
    m->predicted = 0;
    m->server = NULL;
}

void cp__legs_clear(cp_engine_t *e, cp_meeting_t *m) {
    for (uint32_t i = 0; i < cp_meeting_nlegs(m); i++)
        cp__leg_detach(e, cp_meeting_leg(m, i));
    cp__legs_forget(m);
}

bool cp__leg_rehome(cp_engine_t *e, cp_leg_t *leg) {
    cp_meeting_t *m = leg->meeting;
    snprintf(m->rehomed_from, sizeof m->rehomed_from, "%s", leg->server->id);
    cp__leg_detach(e, leg);
    cp_mu_t L = cp__leg_predict(e, leg, leg->participants, leg->joined_units, leg->joined);
    cp_server_t *to = cp__place(e, m->pool, L, m->pool->policy);
    if (to) {
        cp__leg_attach(e, leg, to);
        cp__journal_meeting(e, m);
        return true;
    }
    if (m->server == NULL) {
        /* Nothing of it is hosted any more: scheduled again. */
        cp__meeting_deactivate(e, m);
        return false;
    }
    /* A cascaded meeting lost one leg: its people rejoin elsewhere. */
    cp__leg_set_count(e, leg, 0);
    cp__timer_update(e, m);
    cp__journal_meeting(e, m);
    return false;
}
