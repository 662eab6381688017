/* cp_cli_meetings.c — confpool meetings schedule|list|show|cancel|end|plan.
 *
 * `meetings plan` asks the running service's large-meeting planner for a
 * dry run (POST /v1/plan, issue 4); the offline capacity planner of the
 * simulator is `confpool plan`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cp_cli.h"
#include "cli/cp_cli_int.h"

static const char *cp__or(const char *s, const char *dflt) { return s && *s ? s : dflt; }

static void cp__print_meeting(const json_t *m) {
    char a[32];
    cp_table_t *t = cp_table_new(2, NULL, "ll");
#define KV(k, ...)                                                                                 \
    do {                                                                                           \
        cp_table_row(t);                                                                           \
        cp_table_cell(t, "%s", k);                                                                 \
        cp_table_cell(t, __VA_ARGS__);                                                             \
    } while (0)
    KV("id", "%s", cp_cli_str(m, "id"));
    KV("state", "%s", cp_cli_str(m, "state"));
    KV("organizer", "%s", cp_cli_str(m, "organizer"));
    if (*cp_cli_str(m, "subject"))
        KV("subject", "%s", cp_cli_str(m, "subject"));
    KV("pool", "%s", cp_cli_str(m, "pool"));
    KV("start", "%s", cp__or(cp_cli_str(m, "start"), "meet now"));
    if (*cp_cli_str(m, "end"))
        KV("end", "%s", cp_cli_str(m, "end"));
    KV("expected", "%.0f participants", cp_cli_num(m, "expected_participants"));
    cp_buf_t mods = CP_BUF_INIT;
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(m, "modalities"), i, x) {
        if (i)
            cp_buf_puts(&mods, ",");
        cp_buf_puts(&mods, json_string_value(x) ? json_string_value(x) : "?");
    }
    KV("modalities", "%s", mods.data ? mods.data : "");
    cp_buf_free(&mods);
    KV("server", "%s", cp__or(cp_cli_str(m, "server"), "-"));
    KV("participants", "%.0f now, %.0f at peak", cp_cli_num(m, "participants"),
       cp_cli_num(m, "peak_participants"));
    KV("predicted load", "%s", cp_cli_fmt_num(cp_cli_num(m, "predicted_load"), a, sizeof a));
    KV("created", "%s", cp_cli_str(m, "created"));
    if (*cp_cli_str(m, "activated"))
        KV("activated", "%s", cp_cli_str(m, "activated"));
    if (*cp_cli_str(m, "rehomed_from"))
        KV("rehomed from", "%s", cp_cli_str(m, "rehomed_from"));
    const json_t *plan = json_object_get(m, "plan");
    if (json_is_object(plan))
        KV("plan", "%s on %s from %s", cp_cli_str(plan, "status"),
           cp__or(cp_cli_str(plan, "host"), "-"), cp__or(cp_cli_str(plan, "hold_from"), "-"));
#undef KV
    cp_table_print(t, stdout);
}

/* GET/POST/DELETE on /v1/meetings/{id}[suffix]. */
static int cp__meeting_call(cp_cli_t *cli, const char *method, const char *id, const char *suffix,
                            const char *done) {
    return cp_cli_object_call(cli, method, "/v1/meetings/", id, suffix, NULL, done,
                              cp__print_meeting);
}

static int cp__show(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp_cli_parse(cli, argc, argv, NULL, NULL, NULL, "usage: confpool meetings show ID\n",
                          &id, 1, 1, NULL);
    return rc ? rc : cp__meeting_call(cli, "GET", id, "", NULL);
}

static int cp__cancel(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp_cli_parse(cli, argc, argv, NULL, NULL, NULL,
                          "usage: confpool meetings cancel ID\n"
                          "Cancels the meeting (it becomes ended; an active one is freed).\n",
                          &id, 1, 1, NULL);
    return rc ? rc : cp__meeting_call(cli, "DELETE", id, "", "cancelled");
}

static int cp__end(cp_cli_t *cli, int argc, char **argv) {
    const char *id;
    int rc = cp_cli_parse(cli, argc, argv, NULL, NULL, NULL,
                          "usage: confpool meetings end ID\n"
                          "Ends the meeting now and frees its server.\n",
                          &id, 1, 1, NULL);
    return rc ? rc : cp__meeting_call(cli, "POST", id, "/end", "ended");
}

/* ---- schedule and plan: the same fields ----------------------------------------------- */

typedef struct cp__spec {
    const char *id, *organizer, *subject, *start, *end, *pool, *modalities;
    long size;
} cp__spec_t;

static const struct option cp__spec_opts[] = {
    {"id", required_argument, NULL, 'i'},       {"organizer", required_argument, NULL, 'o'},
    {"subject", required_argument, NULL, 's'},  {"start", required_argument, NULL, 'S'},
    {"end", required_argument, NULL, 'E'},      {"size", required_argument, NULL, 'n'},
    {"pool", required_argument, NULL, 'p'},     {"modalities", required_argument, NULL, 'm'},
    {0, 0, 0, 0}};

static bool cp__spec_opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    cp__spec_t *s = ctx;
    switch (opt) {
    case 'i': s->id = arg; return true;
    case 'o': s->organizer = arg; return true;
    case 's': s->subject = arg; return true;
    case 'S': s->start = arg; return true;
    case 'E': s->end = arg; return true;
    case 'p': s->pool = arg; return true;
    case 'm': s->modalities = arg; return true;
    case 'n': {
        char *end;
        s->size = strtol(arg, &end, 10);
        if (end == arg || *end || s->size < 1) {
            cp_cli_usage_error(cli, "--size must be a positive integer, not '%s'", arg);
            return false;
        }
        return true;
    }
    }
    return false;
}

static json_t *cp__spec_body(const cp__spec_t *s) {
    json_t *b = json_object();
    if (s->id)
        json_object_set_new(b, "id", json_string(s->id));
    if (s->organizer)
        json_object_set_new(b, "organizer", json_string(s->organizer));
    if (s->subject)
        json_object_set_new(b, "subject", json_string(s->subject));
    if (s->start)
        json_object_set_new(b, "start", json_string(s->start));
    if (s->end)
        json_object_set_new(b, "end", json_string(s->end));
    if (s->size)
        json_object_set_new(b, "expected_participants", json_integer(s->size));
    if (s->pool)
        json_object_set_new(b, "pool", json_string(s->pool));
    if (s->modalities) {
        json_t *arr = json_array();
        const char *p = s->modalities;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            json_array_append_new(arr, json_stringn(p, n));
            p += n + (comma ? 1 : 0);
        }
        json_object_set_new(b, "modalities", arr);
    }
    return b;
}

#define CP__SPEC_USAGE                                                                             \
    "  --organizer NAME       who organizes it (required to schedule)\n"                           \
    "  --id ID                the meeting id (default: generated)\n"                              \
    "  --subject TEXT\n"                                                                           \
    "  --start TIME --end TIME  RFC 3339, e.g. 2030-01-06T09:00:00Z (default: meet now)\n"         \
    "  --size N               expected participants\n"                                             \
    "  --modalities LIST      audio,video,sharing (default audio)\n"                               \
    "  --pool POOL            default: default\n"

static int cp__schedule(cp_cli_t *cli, int argc, char **argv) {
    cp__spec_t s = {0};
    const char *pos[1];
    int rc = cp_cli_parse(cli, argc, argv, cp__spec_opts, cp__spec_opt, &s,
                          "usage: confpool meetings schedule --organizer NAME [options]\n"
                          "Schedules a meeting (reserves nothing).\n" CP__SPEC_USAGE,
                          pos, 0, 0, NULL);
    if (rc)
        return rc;
    if (!s.organizer)
        return cp_cli_usage_error(cli, "--organizer is required");
    json_t *body = cp__spec_body(&s);
    cp_cli_resp_t r;
    rc = cp_cli_request(cli, "POST", "/v1/meetings", body, &r);
    json_decref(body);
    if (rc)
        return rc;
    if (r.status != 201)
        rc = cp_cli_api_error(cli, &r);
    else if (cli->json)
        cp_cli_print_raw(&r);
    else {
        printf("%s scheduled\n", cp_cli_str(r.json, "id"));
        cp__print_meeting(r.json);
    }
    cp_cli_resp_free(&r);
    return rc;
}

static int cp__plan(cp_cli_t *cli, int argc, char **argv) {
    cp__spec_t s = {0};
    const char *pos[1];
    int rc = cp_cli_parse(cli, argc, argv, cp__spec_opts, cp__spec_opt, &s,
                          "usage: confpool meetings plan --size N --start TIME [options]\n"
                          "Asks the service's large-meeting planner where a meeting would go\n"
                          "(POST /v1/plan: a dry run, nothing is stored). The offline capacity\n"
                          "planner, on the simulator, is 'confpool plan'.\n" CP__SPEC_USAGE,
                          pos, 0, 0, NULL);
    if (rc)
        return rc;
    if (!s.size)
        return cp_cli_usage_error(cli, "--size is required");
    json_t *body = cp__spec_body(&s);
    cp_cli_resp_t r;
    rc = cp_cli_request(cli, "POST", "/v1/plan", body, &r);
    json_decref(body);
    if (rc)
        return rc;
    const json_t *err = json_object_get(r.json, "error");
    if (r.status == 404 && strstr(cp_cli_str(err, "message"), "no such endpoint")) {
        /* A service built before the planner (issue 4). */
        if (cli->json)
            cp_cli_print_raw(&r);
        fprintf(stderr, "%s: this service has no large-meeting planner (POST /v1/plan: %s)\n",
                cli->prog, cp_cli_str(err, "message"));
        rc = CP_CLI_NOT_FOUND;
    } else if (r.status >= 300) {
        rc = cp_cli_api_error(cli, &r);
    } else if (cli->json) {
        cp_cli_print_raw(&r);
    } else {
        const json_t *plan = json_object_get(r.json, "plan");
        if (!json_is_object(plan)) {
            /* Not a large meeting with a start: nothing to plan. */
            printf("not a large meeting: no plan (large meetings have a start and at least "
                   "%.0f participants)\n",
                   cp_cli_num(r.json, "large_threshold"));
        } else {
            cp_table_t *t = cp_table_new(2, NULL, "ll");
            const char *keys[] = {"status", "host", "hold_from", "hold_until", "free_at",
                                  "reason", "suggested_start"};
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                cp_table_row(t);
                cp_table_cell(t, "%s", keys[i]);
                cp_table_cell(t, "%s", cp__or(cp_cli_str(plan, keys[i]), "-"));
            }
            const json_t *cs = json_object_get(plan, "cascade_servers");
            if (json_is_integer(cs)) {
                cp_table_row(t);
                cp_table_cell(t, "%s", "cascade_servers");
                cp_table_cell(t, "%lld", (long long)json_integer_value(cs));
            }
            cp_table_print(t, stdout);
        }
    }
    cp_cli_resp_free(&r);
    return rc;
}

/* ---- list ----------------------------------------------------------------------- */

typedef struct cp__list {
    const char *state, *pool;
    long limit;
    bool all;
} cp__list_t;

static bool cp__list_opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    cp__list_t *l = ctx;
    switch (opt) {
    case 's': l->state = arg; return true;
    case 'p': l->pool = arg; return true;
    case 'a': l->all = true; return true;
    case 'l': {
        char *end;
        l->limit = strtol(arg, &end, 10);
        if (end == arg || *end || l->limit < 1 || l->limit > 1000) {
            cp_cli_usage_error(cli, "--limit must be 1 to 1000");
            return false;
        }
        return true;
    }
    }
    return false;
}

static void cp__meeting_row(cp_table_t *t, const json_t *m) {
    char a[32];
    cp_table_row(t);
    cp_table_cell(t, "%s", cp_cli_str(m, "id"));
    cp_table_cell(t, "%s", cp_cli_str(m, "state"));
    cp_table_cell(t, "%s", cp_cli_str(m, "pool"));
    cp_table_cell(t, "%s", cp__or(cp_cli_str(m, "server"), "-"));
    cp_table_cell(t, "%.0f", cp_cli_num(m, "participants"));
    cp_table_cell(t, "%.0f", cp_cli_num(m, "expected_participants"));
    cp_table_cell(t, "%s", cp_cli_fmt_num(cp_cli_num(m, "predicted_load"), a, sizeof a));
    cp_table_cell(t, "%s", cp__or(cp_cli_str(m, "start"), "meet now"));
    cp_table_cell(t, "%s", cp_cli_str(m, "organizer"));
    cp_table_cell(t, "%s", cp_cli_str(m, "subject"));
}

static int cp__list(cp_cli_t *cli, int argc, char **argv) {
    static const struct option extra[] = {{"state", required_argument, NULL, 's'},
                                          {"pool", required_argument, NULL, 'p'},
                                          {"limit", required_argument, NULL, 'l'},
                                          {"all", no_argument, NULL, 'a'},
                                          {0, 0, 0, 0}};
    cp__list_t l = {.limit = 100};
    const char *pos[1];
    int rc = cp_cli_parse(cli, argc, argv, extra, cp__list_opt, &l,
                          "usage: confpool meetings list [--state scheduled|active|ended]\n"
                          "                              [--pool POOL] [--limit N] [--all]\n"
                          "Meetings in creation order; --all follows every page.\n",
                          pos, 0, 0, NULL);
    if (rc)
        return rc;
    static const char *const heads[] = {"ID",   "STATE", "POOL",  "SERVER",    "PARTICIPANTS",
                                        "EXPECTED", "LOAD", "START", "ORGANIZER", "SUBJECT"};
    cp_table_t *t = cli->json ? NULL : cp_table_new(10, heads, "llllrrrlll");
    json_t *merged = json_array();
    char cursor[64] = "";
    for (;;) {
        cp_buf_t path = CP_BUF_INIT;
        cp_buf_printf(&path, "/v1/meetings?limit=%ld", l.limit);
        if (l.state) {
            cp_buf_puts(&path, "&state=");
            cp_cli_path_escape(&path, l.state);
        }
        if (l.pool) {
            cp_buf_puts(&path, "&pool=");
            cp_cli_path_escape(&path, l.pool);
        }
        if (cursor[0])
            cp_buf_printf(&path, "&cursor=%s", cursor);
        cp_cli_resp_t r;
        rc = cp_cli_request(cli, "GET", path.data, NULL, &r);
        cp_buf_free(&path);
        if (rc)
            break;
        if (r.status != 200) {
            rc = cp_cli_api_error(cli, &r);
            cp_cli_resp_free(&r);
            break;
        }
        const json_t *next = json_object_get(r.json, "next");
        bool more = l.all && json_is_string(next);
        if (cli->json && !l.all) {
            cp_cli_print_raw(&r); /* one page: the API's reply as it is */
        } else {
            size_t i;
            json_t *m;
            json_array_foreach(json_object_get(r.json, "meetings"), i, m) {
                if (t)
                    cp__meeting_row(t, m);
                else
                    json_array_append(merged, m);
            }
        }
        if (more)
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        cp_cli_resp_free(&r);
        if (!more)
            break;
    }
    if (rc == 0 && cli->json && l.all) {
        json_t *out = json_object();
        json_object_set(out, "meetings", merged);
        json_object_set_new(out, "next", json_null());
        cp_cli_print_json(out);
        json_decref(out);
    }
    json_decref(merged);
    if (t && rc == 0)
        cp_table_print(t, stdout);
    else if (t)
        cp_table_free(t);
    return rc;
}

int cp_cli_meetings_main(int argc, char **argv) {
    static const cp_cli_verb_t verbs[] = {
        {"schedule", "schedule a meeting (reserves nothing)", cp__schedule},
        {"list", "list meetings (--state, --pool, --all)", cp__list},
        {"show", "show one meeting", cp__show},
        {"cancel", "cancel a meeting", cp__cancel},
        {"end", "end a meeting now", cp__end},
        {"plan", "ask the service's planner about a large meeting (dry run)", cp__plan},
        {NULL, NULL, NULL},
    };
    return cp_cli_dispatch("meetings", verbs, argc, argv);
}
