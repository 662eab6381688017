/* cp_rng.h — a small deterministic PRNG (xoshiro256** seeded by splitmix64).
 *
 * The engine and the simulator take all randomness from here, seeded by
 * the caller, so every run with the same seed makes the same decisions. */
#ifndef CP_RNG_H
#define CP_RNG_H

#include <stdint.h>

typedef struct cp_rng {
    uint64_t s[4];
} cp_rng_t;

/** Seeds rng; any seed (including 0) is fine. */
void cp_rng_seed(cp_rng_t *rng, uint64_t seed);
/** Returns 64 uniformly distributed bits. */
uint64_t cp_rng_next(cp_rng_t *rng);
/** Returns a uniform integer in [0, n); n must be > 0. */
uint64_t cp_rng_below(cp_rng_t *rng, uint64_t n);
/** Returns a uniform double in [0, 1). */
double cp_rng_unit(cp_rng_t *rng);

#endif
