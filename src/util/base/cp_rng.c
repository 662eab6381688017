/* cp_rng.c — xoshiro256** (Blackman & Vigna), seeded with splitmix64. */
#include "util/base/cp_rng.h"

static uint64_t cp__splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cp_rng_seed(cp_rng_t *rng, uint64_t seed) {
    for (int i = 0; i < 4; i++)
        rng->s[i] = cp__splitmix(&seed);
}

static inline uint64_t cp__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cp_rng_next(cp_rng_t *rng) {
    uint64_t *s = rng->s;
    uint64_t result = cp__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = cp__rotl(s[3], 45);
    return result;
}

uint64_t cp_rng_below(cp_rng_t *rng, uint64_t n) {
    /* Lemire's multiply-shift with rejection: unbiased and division-free
     * in the common case. */
    uint64_t x = cp_rng_next(rng);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = cp_rng_next(rng);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double cp_rng_unit(cp_rng_t *rng) { return (double)(cp_rng_next(rng) >> 11) * 0x1.0p-53; }
