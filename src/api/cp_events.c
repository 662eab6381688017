/* cp_events.c — the event log writer (see cp_events.h). */
#include "api/cp_events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/base/cp_buf.h"
#include "util/base/cp_jw.h"

#define CP__FLUSH_AT (1 << 20)

static int cp__fd = -1;
static cp_buf_t cp__buf = CP_BUF_INIT;

bool cp_events_enabled(void) { return cp__fd >= 0; }

void cp_events_flush(void) {
    size_t off = 0;
    while (cp__fd >= 0 && off < cp__buf.len) {
        ssize_t w = write(cp__fd, cp__buf.data + off, cp__buf.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* disk full or gone: drop rather than block the loop */
        off += (size_t)w;
    }
    cp_buf_clear(&cp__buf);
}

void cp_events_close(void) {
    cp_events_flush();
    if (cp__fd >= 0)
        close(cp__fd);
    cp__fd = -1;
    cp_buf_free(&cp__buf);
}

/* ---- line helpers -------------------------------------------------------------- */

static void cp__begin(cp_jw_t *w, const char *ev, cp_ms_t now) {
    cp_jw_init(w, &cp__buf);
    cp_jw_obj(w);
    cp_jw_key(w, "ev");
    cp_jw_str(w, ev);
    cp_jw_key(w, "t");
    cp_jw_int(w, now);
}

static void cp__end(cp_jw_t *w) {
    cp_jw_obj_end(w);
    cp_buf_putc(&cp__buf, '\n');
    if (cp__buf.len > CP__FLUSH_AT)
        cp_events_flush();
}

static void cp__str(cp_jw_t *w, const char *k, const char *v) {
    cp_jw_key(w, k);
    cp_jw_str_or_null(w, v);
}

static void cp__int(cp_jw_t *w, const char *k, int64_t v) {
    cp_jw_key(w, k);
    cp_jw_int(w, v);
}

static void cp__time(cp_jw_t *w, const char *k, cp_ms_t v) {
    cp_jw_key(w, k);
    if (v == CP_TIME_NONE)
        cp_jw_null(w);
    else
        cp_jw_int(w, v);
}

/* Doubles that must come back bit for bit. */
static void cp__exact(cp_jw_t *w, const char *k, double v) {
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.17g", v);
    cp_jw_key(w, k);
    cp_jw_raw(w, tmp, (size_t)n);
}

static void cp__status(cp_jw_t *w, cp_status_t st) { cp__str(w, "status", cp_status_name(st)); }

/* ---- the start line -------------------------------------------------------------- */

static void cp__engine_config(cp_jw_t *w, const cp_engine_config_t *c) {
    cp_jw_key(w, "engine");
    cp_jw_obj(w);
    cp__int(w, "meeting_base", c->meeting_base);
    cp__int(w, "cost_audio", c->cost_audio);
    cp__int(w, "cost_video", c->cost_video);
    cp__int(w, "cost_sharing", c->cost_sharing);
    cp__exact(w, "new_meeting_below", c->new_meeting_below);
    cp__exact(w, "join_below", c->join_below);
    cp__int(w, "retry_after", c->retry_after);
    cp__int(w, "ramp_up", c->ramp_up);
    cp_jw_key(w, "learn_attendance");
    cp_jw_bool(w, c->learn_attendance);
    cp__int(w, "default_size", c->default_size);
    cp__int(w, "large_threshold", c->large_threshold);
    cp__int(w, "idle_grace", c->idle_grace);
    cp__int(w, "expire_after", c->expire_after);
    cp__int(w, "adhoc_expire", c->adhoc_expire);
    cp__int(w, "retain_ended", c->retain_ended);
    cp__int(w, "report_timeout", c->report_timeout);
    cp_jw_key(w, "rehome_eager");
    cp_jw_bool(w, c->rehome_eager);
    cp_jw_key(w, "plan_large");
    cp_jw_bool(w, c->plan_large);
    cp_jw_key(w, "plan_strict");
    cp_jw_bool(w, c->plan_strict);
    cp__int(w, "plan_lead", c->plan_lead);
    cp__int(w, "plan_duration", c->plan_duration);
    cp__int(w, "hold_after_start", c->hold_after_start);
    cp__str(w, "policy", cp_policy_name(c->policy));
    /* As a string: JSON numbers above 2^53 do not survive every parser. */
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cp__str(w, "seed", seed);
    cp_jw_obj_end(w);
}

int cp_events_open(const char *path, const cp_engine_t *e, cp_ms_t now, char *err,
                   size_t errlen) {
    cp_events_close();
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the event log %s: %s", path, strerror(errno));
        return -1;
    }
    cp__fd = fd;
    cp_jw_t w;
    cp__begin(&w, "start", now);
    cp__int(&w, "v", 1);
    cp__engine_config(&w, cp_engine_config(e));
    cp_jw_key(&w, "pools");
    cp_jw_arr(&w);
    size_t it = 0;
    const cp_pool_t *p;
    while ((p = cp_engine_pool_next(e, &it))) {
        cp_jw_obj(&w);
        cp__str(&w, "name", p->name);
        cp__str(&w, "policy", cp_policy_name(p->policy));
        cp_jw_key(&w, "cascade");
        cp_jw_bool(&w, p->cascade);
        cp_jw_obj_end(&w);
    }
    cp_jw_arr_end(&w);
    /* State restored from the database is not in the log: a replay starts
     * from an empty engine and says so when this is not zero. */
    cp_jw_key(&w, "restored");
    cp_jw_obj(&w);
    cp__int(&w, "servers", (int64_t)cp_engine_server_count(e));
    cp__int(&w, "meetings", (int64_t)cp_engine_meeting_count(e));
    cp_jw_obj_end(&w);
    cp__end(&w);
    cp_events_flush();
    return 0;
}

/* ---- inputs ------------------------------------------------------------------------ */

void cp_events_server_put(cp_ms_t now, const cp_server_spec_t *spec, cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "server_put", now);
    cp__str(&w, "id", spec->id);
    cp__str(&w, "address", spec->address);
    cp__str(&w, "pool", spec->pool);
    cp__str(&w, "region", spec->region);
    cp__int(&w, "capacity", spec->capacity);
    cp__int(&w, "report_interval", spec->report_interval);
    cp__status(&w, st);
    cp__end(&w);
}

void cp_events_server_op(cp_ms_t now, const char *op, const char *id, cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, op, now);
    cp__str(&w, "id", id);
    cp__status(&w, st);
    cp__end(&w);
}

void cp_events_server_remove(cp_ms_t now, const char *id, bool force, cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "server_remove", now);
    cp__str(&w, "id", id);
    cp_jw_key(&w, "force");
    cp_jw_bool(&w, force);
    cp__status(&w, st);
    cp__end(&w);
}

void cp_events_report(cp_ms_t now, const char *id, const cp_report_t *r) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "report", now);
    cp__str(&w, "id", id);
    cp_jw_key(&w, "other_load");
    if (r->has_other_load)
        cp_jw_int(&w, r->other_load);
    else
        cp_jw_null(&w);
    if (r->has_cpu)
        cp__exact(&w, "cpu", r->cpu);
    else {
        cp_jw_key(&w, "cpu");
        cp_jw_null(&w);
    }
    cp_jw_key(&w, "meetings");
    if (r->has_meetings) {
        cp_jw_obj(&w);
        for (size_t i = 0; i < r->nmeetings; i++) {
            char key[CP_ID_MAX + 1];
            size_t n = r->meetings[i].len < CP_ID_MAX ? r->meetings[i].len : CP_ID_MAX;
            memcpy(key, r->meetings[i].id, n);
            key[n] = '\0';
            cp__int(&w, key, r->meetings[i].participants);
        }
        cp_jw_obj_end(&w);
    } else {
        cp_jw_null(&w);
    }
    cp__end(&w);
}

void cp_events_meeting_create(cp_ms_t now, const cp_meeting_spec_t *spec, cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "meeting_create", now);
    cp__str(&w, "id", spec->id);
    cp__str(&w, "organizer", spec->organizer);
    cp__str(&w, "subject", spec->subject);
    cp__str(&w, "pool", spec->pool);
    cp__time(&w, "start", spec->start);
    cp__time(&w, "end", spec->end);
    cp__int(&w, "expected", spec->expected);
    cp__int(&w, "modalities", spec->modalities);
    cp__status(&w, st);
    cp__end(&w);
}

void cp_events_meeting_update(cp_ms_t now, const char *id, const cp_meeting_update_t *u,
                              cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "meeting_update", now);
    cp__str(&w, "id", id);
    if (u->has_start)
        cp__time(&w, "start", u->start);
    if (u->has_end)
        cp__time(&w, "end", u->end);
    if (u->has_expected)
        cp__int(&w, "expected", u->expected);
    if (u->has_subject)
        cp__str(&w, "subject", u->subject);
    cp__status(&w, st);
    cp__end(&w);
}

void cp_events_meeting_end(cp_ms_t now, const char *id, cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "meeting_end", now);
    cp__str(&w, "id", id);
    cp__status(&w, st);
    cp__end(&w);
}

void cp_events_join(cp_ms_t now, const char *mid, const char *pid, unsigned mods, cp_status_t st,
                    const cp_join_t *j) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "join", now);
    cp__str(&w, "meeting", mid);
    cp__str(&w, "participant", pid);
    cp__int(&w, "modalities", mods);
    cp__status(&w, st);
    cp__str(&w, "server", st == CP_OK && j->server ? j->server->id : NULL);
    cp_jw_key(&w, "activated");
    cp_jw_bool(&w, st == CP_OK && j->activated);
    cp__end(&w);
}

void cp_events_leave(cp_ms_t now, const char *mid, const char *pid, cp_status_t st) {
    if (cp__fd < 0)
        return;
    cp_jw_t w;
    cp__begin(&w, "leave", now);
    cp__str(&w, "meeting", mid);
    cp__str(&w, "participant", pid);
    cp__status(&w, st);
    cp__end(&w);
}
