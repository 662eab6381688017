/* cp_api_body.c — JSON request bodies: parsing and typed, validated field
 * access. Every failure replies 400 with a message that names the field. */
#include <math.h>
#include <string.h>

#include "api/cp_api_int.h"
#include "util/base/cp_time.h"

bool cp_body_parse(cp_call_t *c, bool required) {
    cp_slice_t b = c->req->body;
    if (b.n == 0) {
        if (required) {
            cp_reply_error(c, 400, "invalid_json", "a JSON object body is required");
            return false;
        }
        c->body = json_object();
        return true;
    }
    json_error_t err;
    /* Duplicate keys are refused: which one would win is not obvious. */
    json_t *j = json_loadb(b.p, b.n, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        cp_reply_error(c, 400, "invalid_json", "malformed JSON at line %d column %d: %s", err.line,
                       err.column, err.text);
        return false;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        cp_reply_error(c, 400, "invalid_json", "the body must be a JSON object");
        return false;
    }
    c->body = j;
    return true;
}

bool cp_body_only(cp_call_t *c, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach(c->body, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) {
                ok = true;
                break;
            }
        if (!ok) {
            cp_reply_error(c, 400, "invalid_field", "unknown field '%.64s'", key);
            return false;
        }
    }
    return true;
}

bool cp_body_str(cp_call_t *c, const char *key, bool required, size_t maxlen, const char **out) {
    json_t *v = json_object_get(c->body, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            cp_reply_error(c, 400, "invalid_field", "'%s' is required", key);
            return false;
        }
        return true;
    }
    if (!json_is_string(v)) {
        cp_reply_error(c, 400, "invalid_field", "'%s' must be a string", key);
        return false;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n > maxlen || memchr(s, '\0', n)) {
        cp_reply_error(c, 400, "invalid_field", "'%s' must be 1 to %zu characters without NUL",
                       key, maxlen);
        return false;
    }
    *out = s;
    return true;
}

bool cp_body_id(cp_call_t *c, const char *key, bool required, const char **out) {
    json_t *v = json_object_get(c->body, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            cp_reply_error(c, 400, "invalid_field", "'%s' is required", key);
            return false;
        }
        return true;
    }
    if (!json_is_string(v) || !cp_id_valid(json_string_value(v), json_string_length(v))) {
        cp_reply_error(c, 400, "invalid_field", "'%s' must match [A-Za-z0-9._-]{1,64}", key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool cp_body_num(cp_call_t *c, const char *key, double lo, double hi, bool *present, double *out) {
    json_t *v = json_object_get(c->body, key);
    *present = false;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_number(v)) {
        cp_reply_error(c, 400, "invalid_field", "'%s' must be a number", key);
        return false;
    }
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi) {
        cp_reply_error(c, 400, "invalid_field", "'%s' must be between %g and %g", key, lo, hi);
        return false;
    }
    *present = true;
    *out = d;
    return true;
}

bool cp_body_int(cp_call_t *c, const char *key, long long lo, long long hi, bool *present,
                 long long *out) {
    json_t *v = json_object_get(c->body, key);
    *present = false;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        cp_reply_error(c, 400, "invalid_field", "'%s' must be an integer between %lld and %lld",
                       key, lo, hi);
        return false;
    }
    *present = true;
    *out = json_integer_value(v);
    return true;
}

bool cp_body_time(cp_call_t *c, const char *key, cp_ms_t *out) {
    json_t *v = json_object_get(c->body, key);
    *out = CP_TIME_NONE;
    if (v == NULL || json_is_null(v))
        return true;
    int64_t ms;
    if (!json_is_string(v) || !cp_time_parse(json_string_value(v), json_string_length(v), &ms)) {
        cp_reply_error(c, 400, "invalid_field",
                       "'%s' must be an RFC 3339 time such as 2026-11-26T09:00:00Z", key);
        return false;
    }
    *out = ms;
    return true;
}

bool cp_body_modalities(cp_call_t *c, const char *key, unsigned *out) {
    json_t *v = json_object_get(c->body, key);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 8) {
        cp_reply_error(c, 400, "invalid_field",
                       "'%s' must be a non-empty array of \"audio\", \"video\", \"sharing\"", key);
        return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        unsigned bit = json_is_string(item) ? cp_modality_parse(json_string_value(item),
                                                                json_string_length(item))
                                            : 0;
        if (bit == 0) {
            cp_reply_error(c, 400, "invalid_field",
                           "'%s' may hold only \"audio\", \"video\" and \"sharing\"", key);
            return false;
        }
        *out |= bit;
    }
    return true;
}
