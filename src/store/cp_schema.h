/* cp_schema.h — the SQLite schema and its migrations.
 *
 * The schema version lives in PRAGMA user_version. Migration step i takes
 * a database from version i to i + 1 and runs in its own transaction, so a
 * crash mid-migration leaves the database at a whole version. Internal to
 * src/store (the tests use cp_schema_apply with their own steps). */
#ifndef CP_SCHEMA_H
#define CP_SCHEMA_H

#include <stddef.h>

#include <sqlite3.h>

/** The schema version this binary writes. */
#define CP_SCHEMA_VERSION 4

/** PRAGMA application_id of a confpool database ("CPOL"). */
#define CP_SCHEMA_APP_ID 0x43504F4C

/** Brings db to CP_SCHEMA_VERSION. Sets *version to the version the
 *  database is at. Returns 0, or -1 with a message in err: a database newer
 *  than this binary, one that belongs to another application, or a step
 *  that failed (the database stays at the last whole version). */
int cp_schema_migrate(sqlite3 *db, int *version, char *err, size_t errlen);

/** Same, with the steps given: steps[i] is the SQL (constant text, no
 *  values) that takes the database from version i to i + 1. */
int cp_schema_apply(sqlite3 *db, const char *const *steps, size_t nsteps, int *version,
                    char *err, size_t errlen);

#endif
