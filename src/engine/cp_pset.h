/* cp_pset.h — the set of participant ids joined to one meeting.
 *
 * Joins are idempotent per participant id, so the engine remembers who is
 * in each meeting and with which modalities. Most meetings have a handful
 * of people and some have thousands: an open-addressing table that starts
 * at 8 slots and doubles. Ids up to 31 bytes are stored in the slot itself,
 * so checking a repeated join touches one cache line. */
#ifndef CP_PSET_H
#define CP_PSET_H

#include <stddef.h>
#include <stdint.h>

#define CP_PSET_INLINE 31

typedef struct cp_pset_entry {
    uint64_t hash;
    uint32_t len; /* 0 marks an empty slot */
    uint8_t mods;
    uint8_t leg;  /* which leg of a cascaded meeting the participant is on */
    union {
        char *ptr;                    /* len > CP_PSET_INLINE */
        char inl[CP_PSET_INLINE + 1]; /* len <= CP_PSET_INLINE */
    } id;
} cp_pset_entry_t;

typedef struct cp_pset {
    cp_pset_entry_t *slots;
    uint32_t cap, len;
} cp_pset_t;

/** The bytes of an entry's id. */
static inline const char *cp_pset_id(const cp_pset_entry_t *e) {
    return e->len > CP_PSET_INLINE ? e->id.ptr : e->id.inl;
}
/** The entry for id, or NULL. */
cp_pset_entry_t *cp_pset_find(const cp_pset_t *s, const char *id, size_t len, uint64_t seed);
/** Adds id (copied) on leg 0; returns its entry. The caller checked it is absent. */
cp_pset_entry_t *cp_pset_add(cp_pset_t *s, const char *id, size_t len, uint8_t mods, uint64_t seed);
/** Removes id; returns 1 if it was there. */
int cp_pset_remove(cp_pset_t *s, const char *id, size_t len, uint64_t seed);
/** Removes everyone and releases the memory. */
void cp_pset_clear(cp_pset_t *s);

#endif
