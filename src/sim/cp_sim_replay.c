/* cp_sim_replay.c — replaying an event log (see cp_sim_replay.h). */
#include "sim/cp_sim_replay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base/cp_alloc.h"
#include "util/base/cp_map.h"

#define CP__MIN 60000LL

enum { CP__M_TRIED = 1, CP__M_HOSTED = 2 };

struct cp_replay {
    cp_replay_opts_t opts;
    cp_engine_t *e;
    cp_replay_stats_t st;
    cp_replay_join_fn hook;
    void *hook_ctx;
    cp_sim_metrics_t metrics;
    cp_ms_t next_minute;
    /* meetings seen, for the meeting counts: id -> flags (in the key's tail) */
    cp_map_t seen;
    char **keys;
    size_t nkeys, keys_cap;
    /* recorded capacities, for what-if servers of the mean capacity */
    double cap_sum;
    uint64_t cap_n;
    uint64_t attempts, admitted, pool_full, meeting_full, engine_calls;
    cp_mu_t *load, *cap;
    uint32_t *parts;
    size_t arr_cap;
    int policy_seen;
};

cp_replay_t *cp_replay_new(const cp_replay_opts_t *o) {
    cp_replay_t *r = cp_calloc(1, sizeof *r);
    r->opts = *o;
    r->next_minute = CP_TIME_NONE;
    r->st.first = r->st.last = CP_TIME_NONE;
    r->policy_seen = -1;
    cp_sim_metrics_init(&r->metrics, 0, false);
    cp_map_init(&r->seen, 0x7265706c6179ULL);
    return r;
}

void cp_replay_free(cp_replay_t *r) {
    if (r == NULL)
        return;
    cp_engine_free(r->e);
    cp_sim_metrics_free(&r->metrics);
    cp_map_free(&r->seen);
    for (size_t i = 0; i < r->nkeys; i++)
        cp_free(r->keys[i]);
    cp_free(r->keys);
    cp_free(r->load);
    cp_free(r->cap);
    cp_free(r->parts);
    cp_free(r);
}

void cp_replay_set_join_hook(cp_replay_t *r, cp_replay_join_fn fn, void *ctx) {
    r->hook = fn;
    r->hook_ctx = ctx;
}

const cp_replay_stats_t *cp_replay_stats(const cp_replay_t *r) { return &r->st; }
const cp_sim_metrics_t *cp_replay_metrics(const cp_replay_t *r) { return &r->metrics; }
cp_engine_t *cp_replay_engine(const cp_replay_t *r) { return r->e; }

/* ---- json helpers --------------------------------------------------------------- */

static const char *cp__s(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool cp__i(json_t *o, const char *k, int64_t *out) {
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static int64_t cp__i0(json_t *o, const char *k, int64_t dflt) {
    int64_t v;
    return cp__i(o, k, &v) ? v : dflt;
}

static cp_ms_t cp__time(json_t *o, const char *k) {
    int64_t v;
    return cp__i(o, k, &v) ? v : CP_TIME_NONE;
}

static bool cp__b(json_t *o, const char *k, bool dflt) {
    json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static double cp__d(json_t *o, const char *k, double dflt) {
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* ---- meeting bookkeeping (for counts only) ---------------------------------------- */

static uint8_t *cp__flags(cp_replay_t *r, const char *id) {
    size_t n = strlen(id);
    char *k = cp_map_get(&r->seen, id, n);
    if (k)
        return (uint8_t *)k + n + 1;
    k = cp_malloc(n + 2);
    memcpy(k, id, n + 1);
    k[n + 1] = 0;
    cp_map_put(&r->seen, k, n, k);
    if (r->nkeys == r->keys_cap) {
        r->keys_cap = r->keys_cap ? r->keys_cap * 2 : 256;
        r->keys = cp_reallocarray(r->keys, r->keys_cap, sizeof *r->keys);
    }
    r->keys[r->nkeys++] = k;
    return (uint8_t *)k + n + 1;
}

/* ---- sampling ------------------------------------------------------------------------ */

static void cp__sample(cp_replay_t *r, cp_ms_t t) {
    cp_engine_advance(r->e, t);
    size_t n = cp_engine_server_count(r->e);
    if (n > r->arr_cap) {
        r->arr_cap = n;
        r->load = cp_reallocarray(r->load, n, sizeof *r->load);
        r->cap = cp_reallocarray(r->cap, n, sizeof *r->cap);
        r->parts = cp_reallocarray(r->parts, n, sizeof *r->parts);
    }
    size_t it = 0, i = 0;
    cp_server_t *s;
    cp_mu_t maxm = 0;
    uint32_t meetings = 0;
    while ((s = cp_engine_server_next(r->e, &it))) {
        bool up = s->state != CP_SERVER_DOWN;
        r->load[i] = cp_server_load(s);
        r->cap[i] = up ? s->capacity : 0;
        r->parts[i] = s->participants;
        meetings += s->meetings;
        for (const cp_leg_t *l = s->hosted; l; l = l->host_next)
            if (l->predicted > maxm)
                maxm = l->predicted;
        i++;
    }
    /* Servers come and go in a trace: the sample covers those there now. */
    r->metrics.nservers = n;
    cp_sim_metrics_sample(&r->metrics, r->load, r->cap, r->parts, meetings, maxm);
}

static void cp__catch_up(cp_replay_t *r, cp_ms_t t) {
    if (r->e == NULL)
        return;
    if (r->next_minute == CP_TIME_NONE)
        r->next_minute = t - (t % CP__MIN + CP__MIN) % CP__MIN + CP__MIN;
    while (r->next_minute <= t) {
        cp__sample(r, r->next_minute);
        r->next_minute += CP__MIN;
    }
    cp_engine_advance(r->e, t);
}

/* ---- events ------------------------------------------------------------------------------ */

static void cp__start(cp_replay_t *r, json_t *o) {
    r->st.starts++;
    json_t *rest = json_object_get(o, "restored");
    r->st.restored_servers += (uint64_t)cp__i0(rest, "servers", 0);
    r->st.restored_meetings += (uint64_t)cp__i0(rest, "meetings", 0);
    if (r->e)
        return; /* a restart: the engine goes on with the state it has */
    cp_engine_config_t c;
    cp_engine_config_defaults(&c);
    json_t *en = json_object_get(o, "engine");
    if (json_is_object(en)) {
        c.meeting_base = cp__i0(en, "meeting_base", c.meeting_base);
        c.cost_audio = cp__i0(en, "cost_audio", c.cost_audio);
        c.cost_video = cp__i0(en, "cost_video", c.cost_video);
        c.cost_sharing = cp__i0(en, "cost_sharing", c.cost_sharing);
        c.new_meeting_below = cp__d(en, "new_meeting_below", c.new_meeting_below);
        c.join_below = cp__d(en, "join_below", c.join_below);
        c.retry_after = (uint32_t)cp__i0(en, "retry_after", c.retry_after);
        c.ramp_up = cp__i0(en, "ramp_up", c.ramp_up);
        c.learn_attendance = cp__b(en, "learn_attendance", c.learn_attendance);
        c.default_size = (uint32_t)cp__i0(en, "default_size", c.default_size);
        c.large_threshold = (uint32_t)cp__i0(en, "large_threshold", c.large_threshold);
        c.idle_grace = cp__i0(en, "idle_grace", c.idle_grace);
        c.expire_after = cp__i0(en, "expire_after", c.expire_after);
        c.adhoc_expire = cp__i0(en, "adhoc_expire", c.adhoc_expire);
        c.retain_ended = cp__i0(en, "retain_ended", c.retain_ended);
        c.report_timeout = cp__i0(en, "report_timeout", c.report_timeout);
        c.rehome_eager = cp__b(en, "rehome_eager", c.rehome_eager);
        c.plan_large = cp__b(en, "plan_large", c.plan_large);
        c.plan_strict = cp__b(en, "plan_strict", c.plan_strict);
        c.plan_lead = cp__i0(en, "plan_lead", c.plan_lead);
        c.plan_duration = cp__i0(en, "plan_duration", c.plan_duration);
        c.hold_after_start = cp__i0(en, "hold_after_start", c.hold_after_start);
        const char *p = cp__s(en, "policy");
        if (p)
            cp_policy_parse(p, &c.policy);
        const char *seed = cp__s(en, "seed");
        if (seed)
            c.seed = strtoull(seed, NULL, 10);
    }
    c.track_changes = false;
    if (r->opts.policy >= 0 && r->opts.policy < CP_POLICY_COUNT)
        c.policy = (cp_policy_t)r->opts.policy;
    r->policy_seen = (int)c.policy;
    r->e = cp_engine_new(&c);
    json_t *pools = json_object_get(o, "pools");
    size_t i;
    json_t *pj;
    json_array_foreach(pools, i, pj) {
        const char *name = cp__s(pj, "name");
        if (name == NULL)
            continue;
        cp_pool_t *p = cp_engine_pool_ensure(r->e, name);
        cp_policy_t pol = c.policy;
        const char *ps = cp__s(pj, "policy");
        if (r->opts.policy < 0 && ps)
            cp_policy_parse(ps, &pol);
        cp_engine_pool_set_policy(r->e, p, pol);
        cp_engine_pool_set_cascade(r->e, p, cp__b(pj, "cascade", false));
    }
}

/* With what-if servers, they are registered at the first server the trace
 * registers (so the recorded capacity is known). */
static void cp__whatif_servers(cp_replay_t *r, cp_ms_t t) {
    if (cp_engine_server_count(r->e) > 0)
        return;
    double cap = r->opts.capacity > 0 ? r->opts.capacity
                                       : (r->cap_n ? r->cap_sum / (double)r->cap_n : 1250.0);
    for (unsigned k = 0; k < r->opts.servers; k++) {
        char id[32];
        snprintf(id, sizeof id, "fe%02u", k + 1);
        cp_server_spec_t spec = {.id = id, .address = id,
                                 .capacity = (cp_mu_t)llround(cap * CP_MU_PER_UNIT)};
        cp_server_t *s;
        bool created;
        cp_engine_server_put(r->e, &spec, t, &s, &created);
    }
}

static cp_server_t *cp__server(cp_replay_t *r, json_t *o) {
    const char *id = cp__s(o, "id");
    return id ? cp_engine_server(r->e, id, strlen(id)) : NULL;
}

static void cp__report(cp_replay_t *r, json_t *o, cp_ms_t t) {
    cp_server_t *s = cp__server(r, o);
    if (s == NULL)
        return;
    cp_report_t rep = {0};
    int64_t other;
    if (cp__i(o, "other_load", &other)) {
        rep.has_other_load = true;
        rep.other_load = other;
    }
    json_t *cpu = json_object_get(o, "cpu");
    if (json_is_number(cpu)) {
        rep.has_cpu = true;
        rep.cpu = json_number_value(cpu);
    }
    json_t *jm = json_object_get(o, "meetings");
    size_t n = json_is_object(jm) ? json_object_size(jm) : 0;
    cp_report_meeting_t *rm = cp_calloc(n ? n : 1, sizeof *rm);
    uint8_t *end = cp_calloc(n ? n : 1, 1);
    size_t i = 0;
    const char *key;
    json_t *v;
    if (n)
        json_object_foreach(jm, key, v) {
            rm[i].id = key;
            rm[i].len = strlen(key);
            rm[i].participants = json_is_integer(v) ? (uint32_t)json_integer_value(v) : 0;
            i++;
        }
    rep.meetings = rm;
    rep.nmeetings = i;
    rep.has_meetings = json_is_object(jm);
    rep.end = end;
    cp_engine_server_report(r->e, s, &rep, t);
    r->engine_calls++;
    cp_free(rm);
    cp_free(end);
}

static void cp__join(cp_replay_t *r, json_t *o, cp_ms_t t) {
    const char *mid = cp__s(o, "meeting"), *pid = cp__s(o, "participant");
    if (mid == NULL || pid == NULL)
        return;
    cp_meeting_t *m = cp_engine_meeting(r->e, mid, strlen(mid));
    r->st.joins++;
    cp_replay_join_t rj = {.t = t, .meeting = mid, .participant = pid,
                           .recorded_status = cp__s(o, "status"),
                           .recorded_server = cp__s(o, "server")};
    cp_join_t j;
    memset(&j, 0, sizeof j);
    if (m == NULL) {
        r->st.unknown_meetings++;
        rj.status = CP_E_NOT_FOUND;
    } else {
        rj.status = cp_engine_join(r->e, m, pid, strlen(pid), (unsigned)cp__i0(o, "modalities", 0),
                                   t, &j);
        r->engine_calls++;
        uint8_t *f = cp__flags(r, mid);
        *f |= CP__M_TRIED;
        r->attempts++;
        if (rj.status == CP_OK) {
            r->admitted++;
            *f |= CP__M_HOSTED;
            rj.server = j.server ? j.server->id : NULL;
        } else if (rj.status == CP_E_POOL_FULL) {
            r->pool_full++;
        } else if (rj.status == CP_E_MEETING_FULL) {
            r->meeting_full++;
        }
    }
    const char *rs = rj.recorded_status ? rj.recorded_status : "";
    const char *rv = rj.recorded_server ? rj.recorded_server : "";
    rj.match = strcmp(rs, cp_status_name(rj.status)) == 0 &&
               strcmp(rv, rj.server ? rj.server : "") == 0;
    if (rj.match)
        r->st.joins_match++;
    else
        r->st.joins_differ++;
    if (r->hook)
        r->hook(r->hook_ctx, &rj);
}

int cp_replay_line(cp_replay_t *r, json_t *o, char *err, size_t errlen) {
    const char *ev = cp__s(o, "ev");
    int64_t t;
    if (!json_is_object(o) || ev == NULL || !cp__i(o, "t", &t)) {
        snprintf(err, errlen, "not an event: needs \"ev\" and \"t\"");
        r->st.skipped++;
        return -1;
    }
    r->st.lines++;
    if (r->st.first == CP_TIME_NONE)
        r->st.first = t;
    if (r->st.last != CP_TIME_NONE && t < r->st.last)
        t = r->st.last; /* the engine's clock never goes back */
    r->st.last = t;
    if (strcmp(ev, "start") == 0) {
        cp__catch_up(r, t);
        cp__start(r, o);
        return 0;
    }
    if (r->e == NULL) {
        snprintf(err, errlen, "event before the start line");
        r->st.skipped++;
        return -1;
    }
    cp__catch_up(r, t);
    bool whatif = r->opts.servers > 0;
    cp_engine_t *e = r->e;
    if (strcmp(ev, "server_put") == 0) {
        double cap = (double)cp__i0(o, "capacity", 0) / CP_MU_PER_UNIT;
        if (whatif) {
            r->cap_sum += cap;
            r->cap_n++;
            cp__whatif_servers(r, t);
            return 0;
        }
        cp_server_spec_t spec = {.id = cp__s(o, "id"), .address = cp__s(o, "address"),
                                 .pool = cp__s(o, "pool"), .region = cp__s(o, "region"),
                                 .capacity = cp__i0(o, "capacity", 0),
                                 .report_interval = cp__i0(o, "report_interval", 0)};
        cp_server_t *s;
        bool created;
        if (spec.id && spec.address)
            cp_engine_server_put(e, &spec, t, &s, &created);
        r->engine_calls++;
    } else if (strncmp(ev, "server_", 7) == 0 || strcmp(ev, "report") == 0) {
        if (whatif)
            return 0; /* the recorded servers are replaced */
        cp_server_t *s = cp__server(r, o);
        if (strcmp(ev, "report") == 0) {
            cp__report(r, o, t);
            return 0;
        }
        if (s == NULL)
            return 0;
        r->engine_calls++;
        if (strcmp(ev, "server_drain") == 0)
            cp_engine_server_drain(e, s, t);
        else if (strcmp(ev, "server_resume") == 0)
            cp_engine_server_resume(e, s, t);
        else if (strcmp(ev, "server_down") == 0)
            cp_engine_server_down(e, s, t);
        else if (strcmp(ev, "server_remove") == 0)
            cp_engine_server_remove(e, s, cp__b(o, "force", false), t);
    } else if (strcmp(ev, "meeting_create") == 0) {
        cp_meeting_spec_t spec = {.id = cp__s(o, "id"), .organizer = cp__s(o, "organizer"),
                                  .subject = cp__s(o, "subject"), .pool = cp__s(o, "pool"),
                                  .start = cp__time(o, "start"), .end = cp__time(o, "end"),
                                  .expected = (uint32_t)cp__i0(o, "expected", 0),
                                  .modalities = (unsigned)cp__i0(o, "modalities", 0)};
        if (whatif)
            spec.pool = NULL; /* every what-if server is in the default pool */
        cp_meeting_t *m;
        const char *why;
        if (spec.id && spec.organizer)
            cp_engine_meeting_create(e, &spec, t, &m, &why);
        r->engine_calls++;
    } else if (strcmp(ev, "meeting_update") == 0 || strcmp(ev, "meeting_end") == 0) {
        const char *id = cp__s(o, "id");
        cp_meeting_t *m = id ? cp_engine_meeting(e, id, strlen(id)) : NULL;
        if (m == NULL)
            return 0;
        r->engine_calls++;
        if (strcmp(ev, "meeting_end") == 0) {
            cp_engine_meeting_end(e, m, t);
        } else {
            cp_meeting_update_t u = {0};
            json_t *v;
            if ((v = json_object_get(o, "start"))) {
                u.has_start = true;
                u.start = cp__time(o, "start");
            }
            if ((v = json_object_get(o, "end"))) {
                u.has_end = true;
                u.end = cp__time(o, "end");
            }
            int64_t x;
            if (cp__i(o, "expected", &x)) {
                u.has_expected = true;
                u.expected = (uint32_t)x;
            }
            if ((v = json_object_get(o, "subject"))) {
                u.has_subject = true;
                u.subject = cp__s(o, "subject");
            }
            const char *why;
            cp_engine_meeting_update(e, m, &u, t, &why);
        }
    } else if (strcmp(ev, "join") == 0) {
        cp__join(r, o, t);
    } else if (strcmp(ev, "leave") == 0) {
        const char *mid = cp__s(o, "meeting"), *pid = cp__s(o, "participant");
        cp_meeting_t *m = mid ? cp_engine_meeting(e, mid, strlen(mid)) : NULL;
        if (m && pid) {
            cp_engine_leave(e, m, pid, strlen(pid), t);
            r->engine_calls++;
        }
    } else {
        r->st.skipped++; /* an event of a newer daemon: ignored */
    }
    return 0;
}

void cp_replay_finish(cp_replay_t *r, cp_sim_result_t *res) {
    memset(res, 0, sizeof *res);
    if (r->e && r->st.last != CP_TIME_NONE)
        cp__catch_up(r, r->st.last);
    res->policy = r->policy_seen >= 0 ? r->policy_seen : 0;
    res->pools = 1;
    res->join_attempts = r->attempts;
    res->joins_ok = r->admitted;
    res->joins_refused = r->pool_full + r->meeting_full;
    res->refused_pool_full = r->pool_full;
    res->refused_meeting_full = r->meeting_full;
    res->engine_calls = r->engine_calls;
    for (size_t i = 0; i < r->nkeys; i++) {
        uint8_t f = (uint8_t)r->keys[i][strlen(r->keys[i]) + 1];
        res->meetings += (f & CP__M_TRIED) != 0;
        res->meetings_hosted += (f & CP__M_HOSTED) != 0;
        res->meetings_refused += (f & CP__M_TRIED) && !(f & CP__M_HOSTED);
    }
    cp_sim_metrics_summarize(&r->metrics, &res->stats);
    res->peak_util = res->stats.max_util_sampled;
}
