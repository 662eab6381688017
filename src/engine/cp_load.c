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
#include <math.h>

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

/* Attendance learning. Invitations overshoot attendance, not everyone
 * uses every medium, and a meet-now meeting carries no size at all; taken
 * raw, expected sizes reserve far more than meetings use. So each pool
 * learns, from its ended activations, the typical ratio of a meeting's
 * peak participant load to the load its expected size implies (a mean of
 * logarithms: one huge overshoot cannot dominate), and the typical peak of
 * meet-now meetings. After 20 samples these replace the raw figures; a
 * meeting's own peak of earlier activations stays a floor. Large meetings
 * are planned on their given size and never scaled. */
#define CP__LEARN_MIN 20
#define CP__LEARN_FULL 50 /* plain mean up to here, then a moving average */

static bool cp__learns(const cp_engine_t *e, const cp_meeting_t *m) {
    return e->cfg.learn_attendance && m->expected < e->cfg.large_threshold;
}

void cp__learn_attendance(const cp_engine_t *e, cp_meeting_t *m) {
    if (!cp__learns(e, m) || m->peak_units <= 0)
        return;
    cp_pool_t *p = m->pool;
    if (m->expected_given) {
        double implied = (double)m->expected * (double)e->cost[m->modalities];
        if (implied <= 0)
            return;
        double x = log((double)m->peak_units / implied);
        p->att_n++;
        double w = p->att_n <= CP__LEARN_FULL ? 1.0 / p->att_n : 1.0 / CP__LEARN_FULL;
        p->att_log += w * (x - p->att_log);
        p->att_factor = exp(p->att_log);
    } else {
        p->adhoc_n++;
        double w = p->adhoc_n <= CP__LEARN_FULL ? 1.0 / p->adhoc_n : 1.0 / CP__LEARN_FULL;
        p->adhoc_units += w * ((double)m->peak_units - p->adhoc_units);
    }
}

/* What a leg is expected to carry: the whole meeting for an ordinary one,
 * its planned share for a leg of a cascade. */
static cp_mu_t cp__expected(const cp_engine_t *e, const cp_leg_t *leg) {
    const cp_meeting_t *m = leg->meeting;
    cp_mu_t c = e->cost[m->modalities];
    if (leg->cap)
        return e->cfg.meeting_base + (cp_mu_t)leg->cap * c;
    cp_mu_t units = (cp_mu_t)cp__expected_size(m) * c;
    const cp_pool_t *p = m->pool;
    if (cp__learns(e, m)) {
        cp_mu_t learnt = -1;
        if (m->expected_given && p->att_n >= CP__LEARN_MIN)
            learnt = (cp_mu_t)llround((double)m->expected * (double)c * p->att_factor);
        else if (!m->expected_given && p->adhoc_n >= CP__LEARN_MIN)
            learnt = (cp_mu_t)llround(p->adhoc_units);
        if (learnt >= 0) {
            cp_mu_t floor = (cp_mu_t)m->prior_peak * c;
            units = learnt > floor ? learnt : floor;
        }
    }
    return e->cfg.meeting_base + units;
}

cp_mu_t cp__leg_observed(const cp_engine_t *e, const cp_leg_t *leg) {
    return cp__observed(e, leg->meeting, leg->participants, leg->joined_units, leg->joined) -
           e->cfg.meeting_base;
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
