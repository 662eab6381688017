/* cp_sim_model.c — workload model parameters: the lync2013 defaults, the
 * table of keys, INI loading and overrides (see cp_sim_model.h). */
#include "sim/cp_sim_model.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cp_sim_model_engine.h"
#include "util/base/cp_alloc.h"
#include "util/base/cp_buf.h"
#include "util/base/cp_time.h"

/* ---- the built-in model ------------------------------------------------------ */

/* A workday in the pool's time zone: quiet nights, a morning ramp, a dip at
 * lunch and a second peak in the afternoon. Relative weights per hour. */
static const double cp__lync_hourly[CP_SIM_HOURS] = {
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.20, 0.60, 0.90, 1.00, 0.85,
    0.50, 0.75, 0.95, 0.90, 0.70, 0.35, 0.15, 0.08, 0.05, 0.04, 0.03, 0.02,
};

void cp_sim_model_lync2013(cp_sim_model_t *m) {
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "lync2013");
    m->users = 80000;
    m->peak_share = 0.05;
    memcpy(m->hourly, cp__lync_hourly, sizeof m->hourly);
    m->adhoc_share = 0.30;
    m->grid[0] = 0.55, m->grid[1] = 0.075, m->grid[2] = 0.30, m->grid[3] = 0.075;
    m->schedule_lead = 5;
    m->recurring_share = 0.35;
    m->recurring_noise = 0.15;
    m->size_median = 4, m->size_sigma = 0.55, m->size_min = 2;
    m->tail_share = 0.02, m->tail_min = 20, m->tail_max = 250, m->tail_alpha = 3.5;
    m->adhoc_median = 3, m->adhoc_sigma = 0.35;
    m->large_share = 0.0001, m->large_min = 250, m->large_max = 1000, m->large_alpha = 1.0;
    m->large_notice = 1440;
    m->large_audio_only = 0.5;
    m->lengths[0] = 30, m->lengths[1] = 60, m->lengths[2] = 90, m->lengths[3] = 120;
    m->length_weights[0] = 0.45, m->length_weights[1] = 0.45;
    m->length_weights[2] = 0.05, m->length_weights[3] = 0.05;
    m->overrun_median = 0.85, m->overrun_sigma = 0.35;
    m->adhoc_dur_median = 15, m->adhoc_dur_sigma = 0.8;
    m->dur_min = 2, m->dur_max = 480;
    m->early_share = 0.25, m->early_window = 3, m->ontime_mean = 1.5, m->late_share = 0.15;
    m->leave_early_share = 0.10, m->leave_spread = 1, m->adhoc_spread = 0.5;
    m->sharing_meetings = 0.30, m->video_meetings = 0.10, m->audio_only = 0.30;
    m->expected_bias = 1.3, m->expected_noise = 0.35;
    m->other_night = 0.04, m->other_peak = 0.20, m->other_spread = 0.05;
    m->other_noise = 0.03, m->other_knot = 5;
    m->servers = 12;
    m->capacity = 1250;
    m->report_interval = 10.0 / 60, m->report_staleness = 2.0 / 60;
    m->report_history = 1440;
    m->report_mode = CP_SIM_REPORT_OTHER;
    m->report_meetings = false;
    m->instances = 1;
    cp_engine_config_defaults(&m->engine);
}

/* ---- the key table ------------------------------------------------------------ */

typedef enum { K_NUM, K_DUR, K_UINT, K_BOOL, K_LIST, K_MODE, K_STR } cp__ktype_t;

typedef struct cp__key {
    const char *section, *key;
    cp__ktype_t type;
    size_t off;
    double lo, hi;
    unsigned n; /* list length */
} cp__key_t;

#define F(f) offsetof(cp_sim_model_t, f)
static const cp__key_t cp__keys[] = {
    {"model", "name", K_STR, F(name), 0, 0, 0},
    {"users", "users", K_NUM, F(users), 0, 1e10, 0},
    {"users", "peak_share", K_NUM, F(peak_share), 0, 1, 0},
    {"users", "meetings_per_day", K_NUM, F(meetings_per_day), 0, 1e10, 0},
    {"day", "hourly", K_LIST, F(hourly), 0, 1e6, CP_SIM_HOURS},
    {"workload", "adhoc_share", K_NUM, F(adhoc_share), 0, 1, 0},
    {"workload", "grid", K_LIST, F(grid), 0, 1e6, 4},
    {"workload", "schedule_lead", K_DUR, F(schedule_lead), 0, 1e7, 0},
    {"workload", "recurring_share", K_NUM, F(recurring_share), 0, 1, 0},
    {"workload", "recurring_noise", K_NUM, F(recurring_noise), 0, 5, 0},
    {"size", "median", K_NUM, F(size_median), 1, 1e6, 0},
    {"size", "sigma", K_NUM, F(size_sigma), 0, 5, 0},
    {"size", "min", K_NUM, F(size_min), 1, 1e6, 0},
    {"size", "tail_share", K_NUM, F(tail_share), 0, 1, 0},
    {"size", "tail_min", K_NUM, F(tail_min), 1, 1e6, 0},
    {"size", "tail_max", K_NUM, F(tail_max), 1, 1e6, 0},
    {"size", "tail_alpha", K_NUM, F(tail_alpha), 0.01, 100, 0},
    {"size", "adhoc_median", K_NUM, F(adhoc_median), 1, 1e6, 0},
    {"size", "adhoc_sigma", K_NUM, F(adhoc_sigma), 0, 5, 0},
    {"large", "share", K_NUM, F(large_share), 0, 1, 0},
    {"large", "min", K_NUM, F(large_min), 1, 1e6, 0},
    {"large", "max", K_NUM, F(large_max), 1, 1e6, 0},
    {"large", "alpha", K_NUM, F(large_alpha), 0.01, 100, 0},
    {"large", "notice", K_DUR, F(large_notice), 0, 1e7, 0},
    {"large", "audio_only", K_NUM, F(large_audio_only), 0, 1, 0},
    {"duration", "lengths", K_LIST, F(lengths), 1, 1e5, CP_SIM_LENGTHS},
    {"duration", "length_weights", K_LIST, F(length_weights), 0, 1e6, CP_SIM_LENGTHS},
    {"duration", "overrun_median", K_NUM, F(overrun_median), 0.01, 100, 0},
    {"duration", "overrun_sigma", K_NUM, F(overrun_sigma), 0, 5, 0},
    {"duration", "adhoc_median", K_DUR, F(adhoc_dur_median), 0.1, 1e5, 0},
    {"duration", "adhoc_sigma", K_NUM, F(adhoc_dur_sigma), 0, 5, 0},
    {"duration", "min", K_DUR, F(dur_min), 0.05, 1e5, 0},
    {"duration", "max", K_DUR, F(dur_max), 0.05, 1e5, 0},
    {"join", "early_share", K_NUM, F(early_share), 0, 1, 0},
    {"join", "early_window", K_DUR, F(early_window), 0, 120, 0},
    {"join", "ontime_mean", K_DUR, F(ontime_mean), 0, 1e4, 0},
    {"join", "late_share", K_NUM, F(late_share), 0, 1, 0},
    {"join", "leave_early_share", K_NUM, F(leave_early_share), 0, 1, 0},
    {"join", "leave_spread", K_DUR, F(leave_spread), 0, 1e4, 0},
    {"join", "adhoc_spread", K_DUR, F(adhoc_spread), 0, 1e4, 0},
    {"modality", "sharing_meetings", K_NUM, F(sharing_meetings), 0, 1, 0},
    {"modality", "video_meetings", K_NUM, F(video_meetings), 0, 1, 0},
    {"modality", "audio_only", K_NUM, F(audio_only), 0, 1, 0},
    {"expected", "bias", K_NUM, F(expected_bias), 0.01, 100, 0},
    {"expected", "noise", K_NUM, F(expected_noise), 0, 5, 0},
    {"other", "night", K_NUM, F(other_night), 0, 10, 0},
    {"other", "peak", K_NUM, F(other_peak), 0, 10, 0},
    {"other", "spread", K_NUM, F(other_spread), 0, 1, 0},
    {"other", "noise", K_NUM, F(other_noise), 0, 1, 0},
    {"other", "knot", K_DUR, F(other_knot), 0.1, 1440, 0},
    {"topology", "servers", K_UINT, F(servers), 1, 1000000, 0},
    {"topology", "capacity", K_NUM, F(capacity), 0.001, 1e9, 0},
    {"report", "interval", K_DUR, F(report_interval), 0.0001, 1440, 0},
    {"report", "staleness", K_DUR, F(report_staleness), 0, 1440, 0},
    {"report", "history", K_DUR, F(report_history), 0, 10080, 0},
    {"report", "mode", K_MODE, F(report_mode), 0, 0, 0},
    {"report", "meetings", K_BOOL, F(report_meetings), 0, 0, 0},
    {"report", "instances", K_UINT, F(instances), 1, 64, 0},
};
#undef F
#define CP__NKEYS (sizeof cp__keys / sizeof cp__keys[0])

static const char *const cp__modes[] = {"other", "cpu", "none"};

static int cp__fail(char *err, size_t errlen, const char *section, const char *key,
                    const char *what) {
    snprintf(err, errlen, "[%s] %s: %s", section, key, what);
    return -1;
}

static bool cp__parse_num(const char *v, double *out) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == v || *end || errno || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* A share may be written as 0.05 or 5%. */
static bool cp__parse_share(const char *v, double *out) {
    size_t n = strlen(v);
    if (n > 1 && v[n - 1] == '%') {
        char tmp[64];
        if (n >= sizeof tmp)
            return false;
        memcpy(tmp, v, n - 1);
        tmp[n - 1] = '\0';
        if (!cp__parse_num(tmp, out))
            return false;
        *out /= 100.0;
        return true;
    }
    return cp__parse_num(v, out);
}

static int cp__set_key(cp_sim_model_t *m, const cp__key_t *k, const char *v, char *err,
                       size_t errlen) {
    char *base = (char *)m + k->off;
    double d;
    switch (k->type) {
    case K_STR:
        if (strlen(v) >= sizeof m->name)
            return cp__fail(err, errlen, k->section, k->key, "too long");
        snprintf(base, sizeof m->name, "%s", v);
        return 0;
    case K_NUM:
        if (!cp__parse_share(v, &d) || d < k->lo || d > k->hi) {
            char what[96];
            snprintf(what, sizeof what, "expected a number from %g to %g", k->lo, k->hi);
            return cp__fail(err, errlen, k->section, k->key, what);
        }
        *(double *)base = d;
        return 0;
    case K_DUR: {
        int64_t ms;
        if (!cp_duration_parse(v, &ms) || (double)ms / 60000.0 < k->lo ||
            (double)ms / 60000.0 > k->hi)
            return cp__fail(err, errlen, k->section, k->key,
                            "expected a duration (90s, 15m, 1h, 1d) in range");
        *(double *)base = (double)ms / 60000.0;
        return 0;
    }
    case K_UINT:
        if (!cp__parse_num(v, &d) || d != floor(d) || d < k->lo || d > k->hi) {
            char what[96];
            snprintf(what, sizeof what, "expected an integer from %g to %g", k->lo, k->hi);
            return cp__fail(err, errlen, k->section, k->key, what);
        }
        *(unsigned *)base = (unsigned)d;
        return 0;
    case K_BOOL:
        if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
            *(bool *)base = true;
        else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
            *(bool *)base = false;
        else
            return cp__fail(err, errlen, k->section, k->key, "expected 0 or 1");
        return 0;
    case K_MODE:
        for (int i = 0; i < 3; i++)
            if (strcmp(v, cp__modes[i]) == 0) {
                *(cp_sim_report_mode_t *)base = (cp_sim_report_mode_t)i;
                return 0;
            }
        return cp__fail(err, errlen, k->section, k->key, "expected other, cpu or none");
    case K_LIST: {
        double vals[CP_SIM_HOURS];
        unsigned n = 0;
        const char *p = v;
        while (*p) {
            const char *c = strchr(p, ',');
            size_t len = c ? (size_t)(c - p) : strlen(p);
            char tmp[64];
            if (len >= sizeof tmp || n == k->n)
                break;
            memcpy(tmp, p, len);
            tmp[len] = '\0';
            char *t = tmp;
            while (*t == ' ')
                t++;
            if (!cp__parse_num(t, &vals[n]) || vals[n] < k->lo || vals[n] > k->hi)
                break;
            n++;
            p = c ? c + 1 : p + len;
            if (c == NULL)
                break;
        }
        if (n != k->n || *p) {
            char what[96];
            snprintf(what, sizeof what, "expected %u comma-separated numbers", k->n);
            return cp__fail(err, errlen, k->section, k->key, what);
        }
        memcpy(base, vals, n * sizeof(double));
        return 0;
    }
    }
    return -1;
}

static int cp__add_server(cp_sim_model_t *m, const char *id, const char *key, const char *value,
                          char *err, size_t errlen) {
    char section[CP_ID_MAX + 16];
    snprintf(section, sizeof section, "server.%s", id);
    if (!cp_id_valid(id, strlen(id)))
        return cp__fail(err, errlen, section, key, "server ids match [A-Za-z0-9._-]{1,64}");
    cp_sim_server_spec_t *s = NULL;
    for (size_t i = 0; i < m->nserver_list; i++)
        if (strcmp(m->server_list[i].id, id) == 0)
            s = &m->server_list[i];
    if (s == NULL) {
        m->server_list =
            cp_reallocarray(m->server_list, m->nserver_list + 1, sizeof *m->server_list);
        s = &m->server_list[m->nserver_list++];
        memset(s, 0, sizeof *s);
        snprintf(s->id, sizeof s->id, "%s", id);
        s->capacity = m->capacity;
        s->other_scale = 1.0;
    }
    double d;
    if (strcmp(key, "capacity") == 0) {
        if (!cp__parse_num(value, &d) || d < 0.001 || d > 1e9)
            return cp__fail(err, errlen, section, key, "expected load units > 0");
        s->capacity = d;
    } else if (strcmp(key, "other_scale") == 0) {
        if (!cp__parse_num(value, &d) || d < 0 || d > 100)
            return cp__fail(err, errlen, section, key, "expected a factor from 0 to 100");
        s->other_scale = d;
    } else {
        return cp__fail(err, errlen, section, key, "unknown key (capacity, other_scale)");
    }
    return 0;
}

int cp_sim_model_set(cp_sim_model_t *m, const char *section, const char *key, const char *value,
                     char *err, size_t errlen) {
    for (size_t i = 0; i < CP__NKEYS; i++)
        if (strcmp(cp__keys[i].section, section) == 0 && strcmp(cp__keys[i].key, key) == 0)
            return cp__set_key(m, &cp__keys[i], value, err, errlen);
    if (strncmp(section, "server.", 7) == 0)
        return cp__add_server(m, section + 7, key, value, err, errlen);
    if (cp_sim_model_engine_key(section, key))
        return cp_sim_model_engine_set(&m->engine, section, key, value, err, errlen);
    return cp__fail(err, errlen, section, key, "unknown section or key");
}

int cp_sim_model_set_kv(cp_sim_model_t *m, const char *assignment, char *err, size_t errlen) {
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    /* server.ID.key=value has two dots: the key follows the last one. */
    const char *last = NULL;
    for (const char *p = assignment; eq && p < eq; p++)
        if (*p == '.')
            last = p;
    if (eq == NULL || dot == NULL || last == assignment || last + 1 == eq) {
        snprintf(err, errlen, "'%s': expected section.key=value", assignment);
        return -1;
    }
    char section[128], key[64];
    size_t sl = (size_t)(last - assignment), kl = (size_t)(eq - last - 1);
    if (sl >= sizeof section || kl >= sizeof key) {
        snprintf(err, errlen, "'%s': name too long", assignment);
        return -1;
    }
    memcpy(section, assignment, sl);
    section[sl] = '\0';
    memcpy(key, last + 1, kl);
    key[kl] = '\0';
    return cp_sim_model_set(m, section, key, eq + 1, err, errlen);
}

typedef struct cp__ini {
    cp_sim_model_t *m;
    bool pool_only;
    char msg[256];
} cp__ini_t;

static int cp__ini_handler(void *user, const char *section, const char *name, const char *value) {
    cp__ini_t *c = user;
    if (name == NULL)
        return 1;
    if (c->pool_only && strncmp(section, "server.", 7) != 0) {
        snprintf(c->msg, sizeof c->msg, "[%s] %s: a pool file has only [server.ID] sections",
                 section, name);
        return 0;
    }
    return cp_sim_model_set(c->m, section, name, value, c->msg, sizeof c->msg) == 0;
}

static int cp__ini_load(cp_sim_model_t *m, const char *path, bool pool_only, char *err,
                        size_t errlen) {
    cp__ini_t c = {.m = m, .pool_only = pool_only};
    int rc = ini_parse(path, cp__ini_handler, &c);
    if (rc == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, rc, c.msg[0] ? c.msg : "syntax error");
        return -1;
    }
    return 0;
}

int cp_sim_model_load(cp_sim_model_t *m, const char *name_or_path, char *err, size_t errlen) {
    cp_sim_model_lync2013(m);
    if (strcmp(name_or_path, "lync2013") == 0)
        return 0;
    return cp__ini_load(m, name_or_path, false, err, errlen);
}

int cp_sim_model_load_pool(cp_sim_model_t *m, const char *path, char *err, size_t errlen) {
    cp_free(m->server_list);
    m->server_list = NULL;
    m->nserver_list = 0;
    if (cp__ini_load(m, path, true, err, errlen) != 0)
        return -1;
    if (m->nserver_list == 0) {
        snprintf(err, errlen, "%s: no [server.ID] section", path);
        return -1;
    }
    return 0;
}

void cp_sim_model_uniform_pool(cp_sim_model_t *m, unsigned n) {
    cp_free(m->server_list);
    m->server_list = NULL;
    m->nserver_list = 0;
    m->servers = n;
}

void cp_sim_model_copy(cp_sim_model_t *dst, const cp_sim_model_t *src) {
    *dst = *src;
    if (src->nserver_list) {
        dst->server_list = cp_malloc(src->nserver_list * sizeof *src->server_list);
        memcpy(dst->server_list, src->server_list, src->nserver_list * sizeof *src->server_list);
    }
}

void cp_sim_model_free(cp_sim_model_t *m) {
    cp_free(m->server_list);
    m->server_list = NULL;
    m->nserver_list = 0;
}

int cp_sim_model_check(const cp_sim_model_t *m, char *err, size_t errlen) {
    double sum = 0;
    for (int h = 0; h < CP_SIM_HOURS; h++)
        sum += m->hourly[h];
    if (sum <= 0) {
        snprintf(err, errlen, "[day] hourly: at least one hour needs a positive weight");
        return -1;
    }
    if (m->tail_max <= m->tail_min || m->large_max < m->large_min) {
        snprintf(err, errlen, "[size]/[large]: max must be above min");
        return -1;
    }
    if (m->dur_max < m->dur_min) {
        snprintf(err, errlen, "[duration] max must be at least min");
        return -1;
    }
    if (m->early_share + m->late_share > 1.0) {
        snprintf(err, errlen, "[join] early_share + late_share must not exceed 1");
        return -1;
    }
    if (m->sharing_meetings + m->video_meetings > 1.0) {
        snprintf(err, errlen, "[modality] sharing_meetings + video_meetings must not exceed 1");
        return -1;
    }
    if (m->tail_share + m->large_share > 1.0) {
        snprintf(err, errlen, "[size] tail_share + [large] share must not exceed 1");
        return -1;
    }
    if (m->users <= 0 && m->meetings_per_day <= 0) {
        /* An empty workload is allowed: tests inject meetings by hand. */
    }
    return 0;
}

static void cp__dump_dur(cp_buf_t *b, double minutes) {
    double s = minutes * 60.0;
    if (fabs(s - round(s)) > 1e-6)
        cp_buf_printf(b, "%.0fms", s * 1000.0);
    else if (s > 0 && fmod(round(s), 86400.0) == 0)
        cp_buf_printf(b, "%.0fd", s / 86400.0);
    else if (s > 0 && fmod(round(s), 3600.0) == 0)
        cp_buf_printf(b, "%.0fh", s / 3600.0);
    else if (fmod(round(s), 60.0) == 0)
        cp_buf_printf(b, "%.0fm", s / 60.0);
    else
        cp_buf_printf(b, "%.0fs", s);
}

void cp_sim_model_dump(const cp_sim_model_t *m, cp_buf_t *b) {
    const char *section = "";
    for (size_t i = 0; i < CP__NKEYS; i++) {
        const cp__key_t *k = &cp__keys[i];
        const char *base = (const char *)m + k->off;
        if (strcmp(section, k->section) != 0) {
            cp_buf_printf(b, "%s[%s]\n", i ? "\n" : "", k->section);
            section = k->section;
        }
        cp_buf_printf(b, "%s = ", k->key);
        switch (k->type) {
        case K_STR: cp_buf_puts(b, base); break;
        case K_NUM: cp_buf_printf(b, "%.10g", *(const double *)base); break;
        case K_DUR: cp__dump_dur(b, *(const double *)base); break;
        case K_UINT: cp_buf_printf(b, "%u", *(const unsigned *)base); break;
        case K_BOOL: cp_buf_puts(b, *(const bool *)base ? "1" : "0"); break;
        case K_MODE: cp_buf_puts(b, cp__modes[*(const cp_sim_report_mode_t *)base]); break;
        case K_LIST:
            for (unsigned j = 0; j < k->n; j++)
                cp_buf_printf(b, "%s%.10g", j ? "," : "", ((const double *)base)[j]);
            break;
        }
        cp_buf_putc(b, '\n');
    }
    for (size_t i = 0; i < m->nserver_list; i++)
        cp_buf_printf(b, "\n[server.%s]\ncapacity = %.10g\nother_scale = %.10g\n",
                      m->server_list[i].id, m->server_list[i].capacity,
                      m->server_list[i].other_scale);
    cp_sim_model_engine_dump(&m->engine, b);
}

double cp_sim_model_day_curve(const cp_sim_model_t *m, double minute_of_day) {
    /* Hour h's weight sits at its midpoint, h*60+30; interpolate linearly. */
    double x = fmod(minute_of_day, 1440.0);
    if (x < 0)
        x += 1440.0;
    double pos = (x - 30.0) / 60.0;
    int h0 = (int)floor(pos);
    double f = pos - h0;
    int a = (h0 + CP_SIM_HOURS) % CP_SIM_HOURS, b = (h0 + 1 + CP_SIM_HOURS) % CP_SIM_HOURS;
    return m->hourly[a] * (1.0 - f) + m->hourly[b] * f;
}

double cp_sim_model_day_peak(const cp_sim_model_t *m) {
    double best = 0;
    for (int h = 0; h < CP_SIM_HOURS; h++)
        if (m->hourly[h] > best)
            best = m->hourly[h];
    return best;
}
