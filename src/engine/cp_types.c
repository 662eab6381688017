/* cp_types.c — names and parsing of the engine's value types. */
#include "engine/cp_types.h"

#include <string.h>

const char *cp_status_name(cp_status_t st) {
    switch (st) {
    case CP_OK: return "ok";
    case CP_E_NOT_FOUND: return "not_found";
    case CP_E_GONE: return "gone";
    case CP_E_CONFLICT: return "conflict";
    case CP_E_INVALID: return "invalid_field";
    case CP_E_POOL_FULL: return "pool_full";
    case CP_E_MEETING_FULL: return "meeting_full";
    case CP_E_CAPACITY: return "capacity_unavailable";
    }
    return "unknown";
}

static const char *const cp__server_states[] = {"up", "draining", "down"};
static const char *const cp__meeting_states[] = {"scheduled", "active", "ended"};
static const char *const cp__policies[CP_POLICY_COUNT] = {
    "least_utilization", "round_robin", "random", "least_meetings", "power_of_two", "best_fit",
};

const char *cp_server_state_name(cp_server_state_t st) {
    return (unsigned)st < 3 ? cp__server_states[st] : "unknown";
}

const char *cp_meeting_state_name(cp_meeting_state_t st) {
    return (unsigned)st < 3 ? cp__meeting_states[st] : "unknown";
}

const char *cp_down_reason_name(cp_down_reason_t r) {
    switch (r) {
    case CP_DOWN_TIMEOUT: return "timeout";
    case CP_DOWN_ADMIN: return "admin";
    case CP_DOWN_NONE: break;
    }
    return NULL;
}

bool cp_down_reason_parse(const char *s, cp_down_reason_t *out) {
    if (strcmp(s, "timeout") == 0)
        *out = CP_DOWN_TIMEOUT;
    else if (strcmp(s, "admin") == 0)
        *out = CP_DOWN_ADMIN;
    else if (strcmp(s, "none") == 0 || *s == '\0')
        *out = CP_DOWN_NONE;
    else
        return false;
    return true;
}

bool cp_server_state_parse(const char *s, cp_server_state_t *out) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, cp__server_states[i]) == 0) {
            *out = (cp_server_state_t)i;
            return true;
        }
    return false;
}

bool cp_meeting_state_parse(const char *s, cp_meeting_state_t *out) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, cp__meeting_states[i]) == 0) {
            *out = (cp_meeting_state_t)i;
            return true;
        }
    return false;
}

const char *cp_policy_name(cp_policy_t p) {
    return (unsigned)p < CP_POLICY_COUNT ? cp__policies[p] : "unknown";
}

bool cp_policy_parse(const char *s, cp_policy_t *out) {
    for (int i = 0; i < CP_POLICY_COUNT; i++)
        if (strcmp(s, cp__policies[i]) == 0) {
            *out = (cp_policy_t)i;
            return true;
        }
    return false;
}

static const char *const cp__plan_states[] = {NULL,    "ok",    "at_risk",  "impossible",
                                              "hosted", "moved", "cascaded", "refused"};

const char *cp_plan_status_name(cp_plan_status_t st) {
    return (unsigned)st < 8 ? cp__plan_states[st] : NULL;
}

bool cp_plan_status_parse(const char *s, cp_plan_status_t *out) {
    for (int i = 1; i < 8; i++)
        if (strcmp(s, cp__plan_states[i]) == 0) {
            *out = (cp_plan_status_t)i;
            return true;
        }
    return false;
}

const char *cp_modality_name(unsigned bit) {
    switch (bit) {
    case CP_MOD_AUDIO: return "audio";
    case CP_MOD_VIDEO: return "video";
    case CP_MOD_SHARING: return "sharing";
    }
    return "unknown";
}

unsigned cp_modality_parse(const char *s, size_t len) {
    if (len == 5 && memcmp(s, "audio", 5) == 0)
        return CP_MOD_AUDIO;
    if (len == 5 && memcmp(s, "video", 5) == 0)
        return CP_MOD_VIDEO;
    if (len == 7 && memcmp(s, "sharing", 7) == 0)
        return CP_MOD_SHARING;
    return 0;
}

bool cp_id_valid(const char *s, size_t len) {
    if (len == 0 || len > CP_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    /* "." and ".." are path segments with a meaning of their own in the
     * URLs that carry ids (/v1/meetings/{id}, the /join redirect's
     * Location): clients would resolve them away. */
    if (s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')))
        return false;
    return true;
}
