/* cp_hash.c — a multiply-xorshift hash over 8-byte words.
 *
 * Not cryptographic; fast on short ids (meeting and participant ids are at
 * most 64 bytes) and well mixed in the low bits, which the maps use. */
#include "util/base/cp_hash.h"

#include <string.h>

static inline uint64_t cp__mix(uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t cp_hash_bytes(const void *p, size_t len, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (len + 1));
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = cp__mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    return cp__mix(h ^ w ^ ((uint64_t)len << 56));
}
