/* cp_dashboard_assets.h — the dashboard's files (src/api/dashboard/),
 * embedded in the binary at build time by cmake/cp_embed.cmake. */
#ifndef CP_DASHBOARD_ASSETS_H
#define CP_DASHBOARD_ASSETS_H

#include <stddef.h>

/** One embedded file. data is followed by a NUL not counted in size. */
typedef struct cp_asset {
    const char *name;         /* base name, e.g. "app.js" */
    const char *content_type; /* from the extension */
    const unsigned char *data;
    size_t size;
} cp_asset_t;

/** The dashboard's files, in the order CMake listed them. */
extern const cp_asset_t cp_dashboard_assets[];
extern const size_t cp_dashboard_nassets;

#endif
