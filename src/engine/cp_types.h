/* cp_types.h — small value types shared by the engine and its callers:
 * time, load units, ids, modalities, states, policies and status codes. */
#ifndef CP_TYPES_H
#define CP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Milliseconds since the Unix epoch, UTC. The engine never reads a clock. */
typedef int64_t cp_ms_t;
#define CP_TIME_NONE INT64_MIN

/** Load in milli-units: one audio participant is 1000 by default. Integer
 *  arithmetic keeps sums exact, so adding and removing a meeting leaves a
 *  server's load exactly as before, and runs are reproducible. */
typedef int64_t cp_mu_t;
#define CP_MU_PER_UNIT 1000

/** Ids match [A-Za-z0-9._-]{1,64}, except "." and "..". */
#define CP_ID_MAX 64

/** Modalities, as a bit set. */
enum {
    CP_MOD_AUDIO = 1u,
    CP_MOD_VIDEO = 2u,
    CP_MOD_SHARING = 4u,
    CP_MOD_ALL = 7u,
};

typedef enum cp_server_state {
    CP_SERVER_UP = 0,
    CP_SERVER_DRAINING = 1,
    CP_SERVER_DOWN = 2,
} cp_server_state_t;

/** Why a server is down. */
typedef enum cp_down_reason {
    CP_DOWN_NONE = 0,
    CP_DOWN_TIMEOUT = 1, /* stopped reporting; its next report brings it back */
    CP_DOWN_ADMIN = 2,   /* marked down by hand, or removed; only resume brings it back */
} cp_down_reason_t;

typedef enum cp_meeting_state {
    CP_MEETING_SCHEDULED = 0,
    CP_MEETING_ACTIVE = 1,
    CP_MEETING_ENDED = 2,
} cp_meeting_state_t;

typedef enum cp_policy {
    CP_POLICY_LEAST_UTILIZATION = 0,
    CP_POLICY_ROUND_ROBIN,
    CP_POLICY_RANDOM,
    CP_POLICY_LEAST_MEETINGS,
    CP_POLICY_POWER_OF_TWO,
    CP_POLICY_BEST_FIT,
    CP_POLICY_COUNT
} cp_policy_t;

/** Results of engine calls. Front doors map them to HTTP and SIP codes. */
typedef enum cp_status {
    CP_OK = 0,
    CP_E_NOT_FOUND = -1,
    CP_E_GONE = -2,
    CP_E_CONFLICT = -3,
    CP_E_INVALID = -4,
    CP_E_POOL_FULL = -5,
    CP_E_MEETING_FULL = -6,
    CP_E_CAPACITY = -7, /* a large meeting cannot be planned (strict mode) */
} cp_status_t;

/** What became of a large meeting's plan. The first three are forecasts
 *  made when it is scheduled; the others record what happened when it
 *  started. */
typedef enum cp_plan_status {
    CP_PLAN_NONE = 0,
    CP_PLAN_OK,         /* a host will be free by the start */
    CP_PLAN_AT_RISK,    /* a host is held but may not be free in time */
    CP_PLAN_IMPOSSIBLE, /* no server can be made free for it */
    CP_PLAN_HOSTED,     /* started on its planned host */
    CP_PLAN_MOVED,      /* the host was not free: started on another server */
    CP_PLAN_CASCADED,   /* started across several servers */
    CP_PLAN_REFUSED,    /* could not start anywhere (yet) */
} cp_plan_status_t;

/** "ok", "not_found", ... */
const char *cp_status_name(cp_status_t st);
const char *cp_server_state_name(cp_server_state_t st);
const char *cp_meeting_state_name(cp_meeting_state_t st);
/** "timeout", "admin", or NULL for CP_DOWN_NONE. */
const char *cp_down_reason_name(cp_down_reason_t r);
bool cp_down_reason_parse(const char *s, cp_down_reason_t *out);
/** Parses "up", "draining", "down"; returns false if unknown. */
bool cp_server_state_parse(const char *s, cp_server_state_t *out);
bool cp_meeting_state_parse(const char *s, cp_meeting_state_t *out);
const char *cp_policy_name(cp_policy_t p);
/** Parses a policy name; returns false if unknown. */
bool cp_policy_parse(const char *s, cp_policy_t *out);
/** "ok", "at_risk", ... ; NULL for CP_PLAN_NONE. */
const char *cp_plan_status_name(cp_plan_status_t st);
bool cp_plan_status_parse(const char *s, cp_plan_status_t *out);
/** Name of one modality bit: "audio", "video", "sharing". */
const char *cp_modality_name(unsigned bit);
/** Parses one modality name into its bit; 0 if unknown. */
unsigned cp_modality_parse(const char *s, size_t len);

/** True if s[0..len) is a valid id. */
bool cp_id_valid(const char *s, size_t len);

#endif
