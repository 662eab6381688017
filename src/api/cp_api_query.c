/* cp_api_query.c — reading parameters from a URL query string. */
#include <string.h>

#include "api/cp_api_int.h"

static int cp__hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool cp_query_get(cp_slice_t query, const char *key, char *out, size_t outlen, bool *bad) {
    size_t klen = strlen(key);
    const char *p = query.p, *end = query.p + query.n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *ke = eq ? eq : pe;
        if ((size_t)(ke - p) == klen && memcmp(p, key, klen) == 0) {
            size_t o = 0;
            for (const char *v = eq ? eq + 1 : pe; v < pe; v++) {
                char ch = *v;
                if (ch == '+') {
                    ch = ' ';
                } else if (ch == '%') {
                    int h = v + 2 < pe ? cp__hex(v[1]) : -1, l = h >= 0 ? cp__hex(v[2]) : -1;
                    if (h < 0 || l < 0) {
                        *bad = true;
                        return true;
                    }
                    ch = (char)(h * 16 + l);
                    v += 2;
                }
                if (ch == '\0' || o + 1 >= outlen) {
                    *bad = true;
                    return true;
                }
                out[o++] = ch;
            }
            out[o] = '\0';
            return true;
        }
        p = pe + 1;
    }
    return false;
}
