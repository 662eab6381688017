/* cp_batch_sink.c — the engine change sink that appends to a batch, so the
 * loop can drain the engine's journal straight into the next commit. */
#include "store/cp_store.h"

static void cp__server(void *ctx, const cp_server_rec_t *r) { cp_batch_server(ctx, r); }

static void cp__server_deleted(void *ctx, const char *id) { cp_batch_server_deleted(ctx, id); }

static void cp__meeting(void *ctx, const cp_meeting_rec_t *r) { cp_batch_meeting(ctx, r); }

static void cp__meeting_deleted(void *ctx, const char *id) { cp_batch_meeting_deleted(ctx, id); }

static void cp__participant_joined(void *ctx, const char *mid, const char *pid, unsigned mods,
                                   unsigned leg) {
    cp_batch_participant_joined(ctx, mid, pid, mods, leg);
}

static void cp__participant_left(void *ctx, const char *mid, const char *pid) {
    cp_batch_participant_left(ctx, mid, pid);
}

static void cp__participants_cleared(void *ctx, const char *mid) {
    cp_batch_participants_cleared(ctx, mid);
}

const cp_change_sink_t cp_batch_sink = {
    .server = cp__server,
    .server_deleted = cp__server_deleted,
    .meeting = cp__meeting,
    .meeting_deleted = cp__meeting_deleted,
    .participant_joined = cp__participant_joined,
    .participant_left = cp__participant_left,
    .participants_cleared = cp__participants_cleared,
};
