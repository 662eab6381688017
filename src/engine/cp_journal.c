/* cp_journal.c — the changes to persist, in the order they happened.
 *
 * An upsert entry is added the first time an object changes after a drain
 * and carries a pointer; the object's state is read only at drain time, so
 * a meeting touched by fifty joins in one loop iteration is written once.
 * Deletions and participant changes copy their ids into a string arena,
 * because the object may be gone by the time the journal is drained. */
#include <string.h>

#include "engine/cp_engine_int.h"
#include "util/base/cp_alloc.h"

static cp_jentry_t *cp__push(cp_engine_t *e, cp_jkind_t kind) {
    if (e->njournal == e->journal_cap) {
        e->journal_cap = e->journal_cap ? e->journal_cap * 2 : 256;
        e->journal = cp_reallocarray(e->journal, e->journal_cap, sizeof *e->journal);
    }
    cp_jentry_t *j = &e->journal[e->njournal++];
    memset(j, 0, sizeof *j);
    j->kind = (uint8_t)kind;
    return j;
}

static uint32_t cp__str(cp_engine_t *e, const char *s, size_t n) {
    if (e->jstr_len + n + 1 > e->jstr_cap) {
        size_t ncap = e->jstr_cap ? e->jstr_cap * 2 : 4096;
        while (ncap < e->jstr_len + n + 1)
            ncap *= 2;
        e->jstr = cp_realloc(e->jstr, ncap);
        e->jstr_cap = ncap;
    }
    uint32_t off = (uint32_t)e->jstr_len;
    memcpy(e->jstr + off, s, n);
    e->jstr[off + n] = '\0';
    e->jstr_len += n + 1;
    return off;
}

void cp__journal_server(cp_engine_t *e, cp_server_t *s) {
    if (!e->cfg.track_changes || s->journal_idx >= 0)
        return;
    s->journal_idx = (int32_t)e->njournal;
    cp__push(e, CP_J_SERVER)->obj = s;
}

void cp__journal_server_deleted(cp_engine_t *e, cp_server_t *s) {
    if (!e->cfg.track_changes)
        return;
    if (s->journal_idx >= 0) {
        e->journal[s->journal_idx].kind = CP_J_NONE;
        s->journal_idx = -1;
    }
    uint32_t a = cp__str(e, s->id, strlen(s->id));
    cp__push(e, CP_J_SERVER_DEL)->a = a;
}

void cp__journal_meeting(cp_engine_t *e, cp_meeting_t *m) {
    if (!e->cfg.track_changes || m->journal_idx >= 0)
        return;
    m->journal_idx = (int32_t)e->njournal;
    cp__push(e, CP_J_MEETING)->obj = m;
}

void cp__journal_meeting_deleted(cp_engine_t *e, cp_meeting_t *m) {
    if (!e->cfg.track_changes)
        return;
    if (m->journal_idx >= 0) {
        e->journal[m->journal_idx].kind = CP_J_NONE;
        m->journal_idx = -1;
    }
    /* Participant entries of this meeting still pending would refer to a
     * row that is about to go; drop them (rare: purges only). */
    size_t idlen = strlen(m->id);
    for (size_t i = 0; i < e->njournal; i++) {
        cp_jentry_t *j = &e->journal[i];
        if ((j->kind == CP_J_PART_ADD || j->kind == CP_J_PART_DEL || j->kind == CP_J_PART_CLEAR) &&
            strncmp(e->jstr + j->a, m->id, idlen + 1) == 0)
            j->kind = CP_J_NONE;
    }
    uint32_t a = cp__str(e, m->id, idlen);
    cp__push(e, CP_J_MEETING_DEL)->a = a;
}

void cp__journal_part(cp_engine_t *e, cp_jkind_t kind, const cp_meeting_t *m, const char *pid,
                      size_t plen, unsigned mods, unsigned leg) {
    if (!e->cfg.track_changes)
        return;
    uint32_t a = cp__str(e, m->id, strlen(m->id));
    uint32_t b = pid ? cp__str(e, pid, plen) : 0;
    cp_jentry_t *j = cp__push(e, kind);
    j->a = a;
    j->b = b;
    j->mods = (uint8_t)mods;
    j->leg = (uint8_t)leg;
}

bool cp_engine_has_changes(const cp_engine_t *e) { return e->njournal > 0; }

void cp_engine_drain_changes(cp_engine_t *e, const cp_change_sink_t *sink, void *ctx) {
    for (size_t i = 0; i < e->njournal; i++) {
        cp_jentry_t *j = &e->journal[i];
        switch ((cp_jkind_t)j->kind) {
        case CP_J_NONE: break;
        case CP_J_SERVER: {
            cp_server_t *s = j->obj;
            cp_server_rec_t r;
            cp_server_to_rec(s, &r);
            s->journal_idx = -1;
            sink->server(ctx, &r);
            break;
        }
        case CP_J_SERVER_DEL: sink->server_deleted(ctx, e->jstr + j->a); break;
        case CP_J_MEETING: {
            cp_meeting_t *m = j->obj;
            cp_meeting_rec_t r;
            char legs[4096];
            cp_meeting_to_rec(m, &r, legs, sizeof legs);
            m->journal_idx = -1;
            sink->meeting(ctx, &r);
            break;
        }
        case CP_J_MEETING_DEL: sink->meeting_deleted(ctx, e->jstr + j->a); break;
        case CP_J_PART_ADD:
            sink->participant_joined(ctx, e->jstr + j->a, e->jstr + j->b, j->mods, j->leg);
            break;
        case CP_J_PART_DEL: sink->participant_left(ctx, e->jstr + j->a, e->jstr + j->b); break;
        case CP_J_PART_CLEAR: sink->participants_cleared(ctx, e->jstr + j->a); break;
        }
    }
    e->njournal = 0;
    e->jstr_len = 0;
}

void cp__journal_free(cp_engine_t *e) {
    cp_free(e->journal);
    cp_free(e->jstr);
    e->journal = NULL;
    e->jstr = NULL;
    e->njournal = e->journal_cap = e->jstr_len = e->jstr_cap = 0;
}
