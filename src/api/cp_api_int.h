/* cp_api_int.h — shared internals of the API modules: the call context,
 * error replies, JSON body access and rendering of engine objects. */
#ifndef CP_API_INT_H
#define CP_API_INT_H

#include <jansson.h>

#include "api/cp_api.h"
#include "util/base/cp_jw.h"

struct cp_api {
    cp_engine_t *engine;
    const cp_config_t *cfg;
    bool open_auth; /* no tokens configured: loopback only, everyone is admin */
    uint64_t open_batch, submitted_batch;
    cp_api_clock_fn clock;
    void *clock_ctx;
    bool test_clock;        /* --test-clock: time = wall + test_offset */
    cp_ms_t test_offset;
    uint64_t id_prefix; /* random per process, for generated ids */
    uint64_t id_counter;
    struct cp_api_obs *obs; /* metrics and recent decisions (cp_api_obs.h) */
};

enum {
    CP_R_ADMIN = 1u << CP_ROLE_ADMIN,
    CP_R_SCHEDULER = 1u << CP_ROLE_SCHEDULER,
    CP_R_CLIENT = 1u << CP_ROLE_CLIENT,
    CP_R_SERVER = 1u << CP_ROLE_SERVER,
    CP_R_ANY = 0xf,
};

/** One request being handled. */
typedef struct cp_call {
    cp_api_t *api;
    const cp_http_req_t *req;
    cp_http_resp_t *resp;
    char id[CP_ID_MAX + 1]; /* the {id} path segment, validated */
    int role;
    cp_ms_t now;
    json_t *body; /* parsed JSON object, or NULL */
    int route;    /* index in the route table, -1 if none matched */
} cp_call_t;

/* cp_api_reply.c */
/** Replies with the error shape. */
void cp_reply_error(cp_call_t *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Replies 503 with Retry-After and "retry_after". */
void cp_reply_refused(cp_call_t *c, const char *code, uint32_t retry_after, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Replies for a failed engine call (404, 409, 410, 400, 503). */
void cp_reply_status(cp_call_t *c, cp_status_t st, const char *what);
/** Starts a JSON body with the given status; returns the writer. */
cp_jw_t *cp_reply_json(cp_call_t *c, int status, cp_jw_t *w);

/* cp_api_body.c */
/** Parses the body as a JSON object into c->body. With required false an
 *  empty body gives an empty object. Replies and returns false on error. */
bool cp_body_parse(cp_call_t *c, bool required);
/** Fails (and replies 400 invalid_field) if the body has a key not in
 *  allowed (a NULL-terminated list). */
bool cp_body_only(cp_call_t *c, const char *const *allowed);
/** Reads a string field. Absent or null: *out = NULL and true unless
 *  required. */
bool cp_body_str(cp_call_t *c, const char *key, bool required, size_t maxlen, const char **out);
/** Reads an id field ([A-Za-z0-9._-]{1,64}). */
bool cp_body_id(cp_call_t *c, const char *key, bool required, const char **out);
/** Reads a finite number in [lo, hi]; *present tells if it was there. */
bool cp_body_num(cp_call_t *c, const char *key, double lo, double hi, bool *present, double *out);
/** Reads an integer in [lo, hi]. */
bool cp_body_int(cp_call_t *c, const char *key, long long lo, long long hi, bool *present,
                 long long *out);
/** Reads an RFC 3339 time; absent or null gives CP_TIME_NONE. */
bool cp_body_time(cp_call_t *c, const char *key, cp_ms_t *out);
/** Reads a modalities array into a bit set; absent gives 0. */
bool cp_body_modalities(cp_call_t *c, const char *key, unsigned *out);
/** Reads a meeting body (POST /v1/meetings, POST /v1/plan) into spec;
 *  strings point into c->body. */
bool cp_body_meeting(cp_call_t *c, bool need_organizer, cp_meeting_spec_t *spec);

/* cp_api_render.c */
void cp_render_server(cp_jw_t *w, const cp_engine_t *e, const cp_server_t *s);
void cp_render_plan(cp_jw_t *w, const cp_plan_t *p);
void cp_render_meeting(cp_jw_t *w, const cp_engine_t *e, const cp_meeting_t *m);
void cp_render_modalities(cp_jw_t *w, unsigned mods);

/* cp_api_query.c */
/** Finds key in a query string and copies its percent-decoded value into
 *  out. Returns false if absent; sets *bad when present but malformed. */
bool cp_query_get(cp_slice_t query, const char *key, char *out, size_t outlen, bool *bad);

/* handlers: cp_api_servers.c, cp_api_meetings.c, cp_api_pool.c */
void cp_h_healthz(cp_call_t *c);
void cp_h_servers_list(cp_call_t *c);
void cp_h_server_get(cp_call_t *c);
void cp_h_server_put(cp_call_t *c);
void cp_h_server_delete(cp_call_t *c);
void cp_h_server_report(cp_call_t *c);
void cp_h_server_drain(cp_call_t *c);
void cp_h_server_resume(cp_call_t *c);
void cp_h_server_down(cp_call_t *c);
void cp_h_meetings_list(cp_call_t *c);
void cp_h_meeting_create(cp_call_t *c);
void cp_h_meeting_get(cp_call_t *c);
void cp_h_meeting_delete(cp_call_t *c);
void cp_h_meeting_end(cp_call_t *c);
void cp_h_meeting_join(cp_call_t *c);
void cp_h_meeting_leave(cp_call_t *c);
void cp_h_join_redirect(cp_call_t *c);
void cp_h_pool(cp_call_t *c);
void cp_h_meeting_update(cp_call_t *c);
void cp_h_plan(cp_call_t *c);
void cp_h_test_clock(cp_call_t *c);
/** Replies 409 capacity_unavailable for a large meeting that cannot be
 *  planned, with the planner's reason and nearest start. */
void cp_reply_capacity(cp_call_t *c, const cp_meeting_spec_t *spec);

#endif
