/* cp_load.c — the load model.
 *
 *   meeting load   = meeting_base + sum of participant costs
 *   expected load  = meeting_base + max(expected_participants, peak of
 *                    earlier activations) x cost(meeting modalities)
 *   predicted load = max(observed, expected) during ramp-up, then observed
 *
 * A server's conference load is the sum of its meetings' predicted loads.
 * The engine adds a meeting's prediction the moment it places it
 * (optimistic accounting), so a burst of first joins never piles onto the
 * server that looked emptiest before the burst. Load reports then correct
 * participant counts and other load. */
#include "engine/cp_engine_int.h"

double cp_server_utilization(const cp_server_t *s) {
    if (s->capacity <= 0)
        return 0.0;
    return (double)cp_server_load(s) / (double)s->capacity;
}

bool cp__in_ramp(const cp_engine_t *e, const cp_meeting_t *m) {
    return m->activated != CP_TIME_NONE && e->now < m->activated + e->cfg.ramp_up;
}

/* Observed load of a leg with `participants` people, of whom `joined` are
 * known by id with total cost joined_units. People counted by a report but
 * not known by id cost as much as the average known one. */
static cp_mu_t cp__observed(const cp_engine_t *e, const cp_meeting_t *m, uint32_t participants,
                            cp_mu_t joined_units, uint32_t joined) {
    cp_mu_t units;
    if (participants == joined)
        units = joined_units;
    else if (joined > 0)
        units = joined_units * (cp_mu_t)participants / (cp_mu_t)joined;
    else
        units = (cp_mu_t)participants * e->cost[m->modalities];
    return e->cfg.meeting_base + units;
}

uint32_t cp__expected_size(const cp_meeting_t *m) {
    return m->expected > m->prior_peak ? m->expected : m->prior_peak;
}

/* What a leg is expected to carry: the whole meeting for an ordinary one,
 * its planned share for a leg of a cascade. */
static cp_mu_t cp__expected(const cp_engine_t *e, const cp_leg_t *leg) {
    const cp_meeting_t *m = leg->meeting;
    uint32_t n = leg->cap ? leg->cap : cp__expected_size(m);
    return e->cfg.meeting_base + (cp_mu_t)n * e->cost[m->modalities];
}

cp_mu_t cp__leg_predict(const cp_engine_t *e, const cp_leg_t *leg, uint32_t participants,
                        cp_mu_t joined_units, uint32_t joined) {
    const cp_meeting_t *m = leg->meeting;
    cp_mu_t obs = cp__observed(e, m, participants, joined_units, joined);
    if (!cp__in_ramp(e, m))
        return obs;
    cp_mu_t exp = cp__expected(e, leg);
    return obs > exp ? obs : exp;
}

cp_mu_t cp_engine_meeting_load(const cp_engine_t *e, const cp_meeting_t *m) {
    switch (m->state) {
    case CP_MEETING_ACTIVE: return m->predicted;
    case CP_MEETING_SCHEDULED: {
        uint32_t n = m->expected > m->peak ? m->expected : m->peak;
        return e->cfg.meeting_base + (cp_mu_t)n * e->cost[m->modalities];
    }
    case CP_MEETING_ENDED: return 0;
    }
    return 0;
}

void cp__server_add_load(cp_engine_t *e, cp_server_t *s, cp_mu_t delta) {
    if (delta == 0)
        return;
    s->conf_load += delta;
    cp__pool_load_changed(e, s);
}
