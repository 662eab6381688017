/* cp_hash.h — fast non-cryptographic hashing of byte strings.
 *
 * Used by the engine's id maps. Keys come from clients, so the hash is
 * seeded per process (the seed is passed in; the engine has no clock or
 * randomness of its own) to blunt hash-flooding. */
#ifndef CP_HASH_H
#define CP_HASH_H

#include <stddef.h>
#include <stdint.h>

/** Hashes len bytes of p with the given seed. */
uint64_t cp_hash_bytes(const void *p, size_t len, uint64_t seed);

#endif
