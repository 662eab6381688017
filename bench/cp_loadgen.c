/* cp_loadgen.c — confpool-load: a mixed-load generator that checks every
 * reply and records what was acknowledged (for make soak, bench/soak.py).
 *
 * Each thread drives one keep-alive connection to 127.0.0.1 with pipelined
 * batches of requests and keeps its own set of live meetings: it schedules
 * meetings, joins and leaves participants, reads meetings back, posts load
 * reports and ends the oldest meetings to keep the set steady. Every reply
 * is checked against what the thread expects (201, 200 with the same server
 * for every join of a meeting, 204, ...); anything else is an error. At the
 * end each meeting's acknowledged state is written to the --acks file, one
 * line "id state server participants", for the caller to verify against
 * the daemon.
 *
 * --rate 0 runs flat out (to measure the maximum); otherwise requests are
 * paced to that many per second over all threads. Prints one JSON line. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LG_PARTS 8         /* participant ids p0..p7 per meeting */
#define LG_MAX_BATCH 64
#define LG_MAX_ERRORS_SHOWN 5

typedef struct lg_opts {
    int port;
    int threads;
    int depth;         /* requests per pipelined batch */
    double duration;   /* seconds */
    double rate;       /* requests/s over all threads; 0: flat out */
    int live;          /* live meetings per thread */
    int servers;       /* fe00..feNN receive reports */
    const char *prefix;
    const char *acks;  /* file for the acknowledged state, or NULL */
} lg_opts_t;

enum { OP_CREATE, OP_JOIN, OP_LEAVE, OP_GET, OP_REPORT, OP_END, OP_COUNT };
static const char *const lg_op_names[OP_COUNT] = {"create", "join", "leave", "get", "report", "end"};

typedef struct lg_meeting {
    char id[48];
    char server[72];   /* acknowledged assignment, "" while scheduled */
    uint8_t parts;     /* bit per participant acknowledged as joined */
    uint8_t state;     /* 0 scheduled, 1 active, 2 ended */
    bool acked;        /* its creation was acknowledged */
} lg_meeting_t;

typedef struct lg_pending {
    int op;
    int slot;          /* meeting index, -1 for reports */
    int part;
} lg_pending_t;

typedef struct lg_worker {
    const lg_opts_t *o;
    int index;
    int fd;
    uint64_t seed;
    lg_meeting_t *m;   /* all meetings this thread made, live ones at [first, n) */
    size_t n, cap, first;
    uint64_t counter;
    uint64_t done[OP_COUNT], errors;
    double *lat;       /* batch round trips, ms */
    size_t nlat, caplat;
    char *in;          /* response bytes */
    size_t inlen, incap;
} lg_worker_t;

static atomic_int lg_errors_shown;
static double lg_t0;

static double lg_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t lg_rand(lg_worker_t *w) {
    w->seed ^= w->seed << 13;
    w->seed ^= w->seed >> 7;
    w->seed ^= w->seed << 17;
    return w->seed;
}

static void *lg_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "confpool-load: out of memory\n");
        exit(1);
    }
    return q;
}

static void lg_error(lg_worker_t *w, const char *what, int status, const char *body, size_t blen) {
    w->errors++;
    if (atomic_fetch_add(&lg_errors_shown, 1) < LG_MAX_ERRORS_SHOWN)
        fprintf(stderr, "confpool-load: thread %d: %s: status %d: %.*s\n", w->index, what, status,
                (int)(blen > 300 ? 300 : blen), body);
}

static int lg_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ---- requests ---------------------------------------------------------------- */

static void lg_req(char **buf, size_t *len, size_t *cap, const char *method, const char *path,
                   const char *body) {
    size_t blen = body ? strlen(body) : 0;
    size_t need = *len + strlen(path) + blen + 160;
    if (need > *cap) {
        *cap = need * 2;
        *buf = lg_xrealloc(*buf, *cap);
    }
    int n;
    if (body)
        n = snprintf(*buf + *len, *cap - *len,
                     "%s %s HTTP/1.1\r\nHost: confpool\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, blen, body);
    else
        n = snprintf(*buf + *len, *cap - *len, "%s %s HTTP/1.1\r\nHost: confpool\r\n\r\n", method,
                     path);
    *len += (size_t)n;
}

/* Chooses the next request and appends it; the model assumes it succeeds
 * (replies come back in order, so later requests in the batch see it). */
static lg_pending_t lg_next(lg_worker_t *w, char **buf, size_t *len, size_t *cap) {
    char path[160], body[200];
    size_t live = w->n - w->first;
    uint64_t r = lg_rand(w) % 100;
    if (live < (size_t)w->o->live || r < 10) {
        if (live >= (size_t)w->o->live) {
            /* end the oldest to keep the set steady */
            lg_meeting_t *m = &w->m[w->first];
            snprintf(path, sizeof path, "/v1/meetings/%s/end", m->id);
            lg_req(buf, len, cap, "POST", path, NULL);
            return (lg_pending_t){OP_END, (int)w->first++, 0};
        }
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 1024;
            w->m = lg_xrealloc(w->m, w->cap * sizeof *w->m);
        }
        lg_meeting_t *m = &w->m[w->n];
        memset(m, 0, sizeof *m);
        snprintf(m->id, sizeof m->id, "%s-t%d-%llu", w->o->prefix, w->index,
                 (unsigned long long)++w->counter);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"organizer\":\"load\",\"expected_participants\":%d}",
                 m->id, 2 + (int)(lg_rand(w) % 7));
        lg_req(buf, len, cap, "POST", "/v1/meetings", body);
        return (lg_pending_t){OP_CREATE, (int)w->n++, 0};
    }
    size_t slot = w->first + lg_rand(w) % live;
    lg_meeting_t *m = &w->m[slot];
    if (r < 50) {
        int p = (int)(lg_rand(w) % LG_PARTS);
        snprintf(path, sizeof path, "/v1/meetings/%s/join", m->id);
        snprintf(body, sizeof body, "{\"participant\":\"p%d\"}", p);
        lg_req(buf, len, cap, "POST", path, body);
        return (lg_pending_t){OP_JOIN, (int)slot, p};
    }
    if (r < 70 && m->parts) {
        int p = (int)(lg_rand(w) % LG_PARTS);
        while (!(m->parts & (1u << p)))
            p = (p + 1) % LG_PARTS;
        snprintf(path, sizeof path, "/v1/meetings/%s/leave", m->id);
        snprintf(body, sizeof body, "{\"participant\":\"p%d\"}", p);
        lg_req(buf, len, cap, "POST", path, body);
        return (lg_pending_t){OP_LEAVE, (int)slot, p};
    }
    if (r < 88) {
        snprintf(path, sizeof path, "/v1/meetings/%s", m->id);
        lg_req(buf, len, cap, "GET", path, NULL);
        return (lg_pending_t){OP_GET, (int)slot, 0};
    }
    snprintf(path, sizeof path, "/v1/servers/fe%02d/report",
             (int)(lg_rand(w) % (uint64_t)w->o->servers));
    snprintf(body, sizeof body, "{\"other_load\":%d}", (int)(lg_rand(w) % 50));
    lg_req(buf, len, cap, "POST", path, body);
    return (lg_pending_t){OP_REPORT, -1, 0};
}

/* ---- replies ------------------------------------------------------------------ */

/* Reads one reply; returns its status (body in *body) or -1 on a closed or
 * broken connection. The reply stays in w->in until the next call. */
static int lg_read_reply(lg_worker_t *w, size_t *consumed, const char **body, size_t *blen) {
    memmove(w->in, w->in + *consumed, w->inlen - *consumed);
    w->inlen -= *consumed;
    *consumed = 0;
    for (;;) {
        char *end = w->inlen >= 4 ? memmem(w->in, w->inlen, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t hlen = (size_t)(end - w->in) + 4;
            long long clen = 0;
            char *cl = memmem(w->in, hlen, "\r\nContent-Length: ", 18);
            if (cl)
                clen = strtoll(cl + 18, NULL, 10);
            if (w->inlen >= hlen + (size_t)clen) {
                *body = w->in + hlen;
                *blen = (size_t)clen;
                *consumed = hlen + (size_t)clen;
                return atoi(w->in + 9);
            }
        }
        if (w->incap - w->inlen < 65536) {
            w->incap = w->incap ? w->incap * 2 : 1 << 17;
            w->in = lg_xrealloc(w->in, w->incap);
        }
        ssize_t n = recv(w->fd, w->in + w->inlen, w->incap - w->inlen, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return -1;
        }
        w->inlen += (size_t)n;
    }
}

/* Copies the string value after `key` (e.g. "\"server\":{\"id\":\"") into out. */
static bool lg_field(const char *body, size_t blen, const char *key, char *out, size_t outlen) {
    const char *k = memmem(body, blen, key, strlen(key));
    if (k == NULL)
        return false;
    const char *v = k + strlen(key), *e = memchr(v, '"', (size_t)(body + blen - v));
    if (e == NULL || (size_t)(e - v) >= outlen)
        return false;
    memcpy(out, v, (size_t)(e - v));
    out[e - v] = '\0';
    return true;
}

/* Checks one reply against the model and applies it. */
static void lg_check(lg_worker_t *w, const lg_pending_t *p, int st, const char *body, size_t blen) {
    lg_meeting_t *m = p->slot >= 0 ? &w->m[p->slot] : NULL;
    char sid[64];
    const char *bad = NULL;
    switch (p->op) {
    case OP_CREATE:
        if (st != 201)
            bad = "create";
        else
            m->acked = true;
        break;
    case OP_JOIN:
        if (st != 200 || !lg_field(body, blen, "\"server\":{\"id\":\"", sid, sizeof sid)) {
            bad = "join";
        } else if (m->server[0] && strcmp(m->server, sid) != 0) {
            bad = "join went to another server";
        } else {
            snprintf(m->server, sizeof m->server, "%s", sid);
            m->state = 1;
            m->parts |= (uint8_t)(1u << p->part);
        }
        break;
    case OP_LEAVE:
        if (st != 204)
            bad = "leave";
        else
            m->parts &= (uint8_t)~(1u << p->part);
        break;
    case OP_GET:
        if (st != 200)
            bad = "get";
        else if (m->server[0] && (!lg_field(body, blen, "\"server\":\"", sid, sizeof sid) ||
                                  strcmp(sid, m->server) != 0))
            bad = "meeting read back on another server";
        break;
    case OP_REPORT:
        if (st != 204)
            bad = "report";
        break;
    case OP_END:
        if (st != 200) {
            bad = "end";
        } else {
            m->state = 2;
            m->server[0] = '\0';
            m->parts = 0;
        }
        break;
    }
    if (bad)
        lg_error(w, bad, st, body, blen);
    else
        w->done[p->op]++;
}

static void *lg_run(void *arg) {
    lg_worker_t *w = arg;
    const lg_opts_t *o = w->o;
    char *out = NULL;
    size_t outcap = 0;
    lg_pending_t pend[LG_MAX_BATCH];
    double per_thread = o->rate > 0 ? o->rate / o->threads : 0;
    uint64_t sent = 0;
    size_t consumed = 0;
    while (lg_now() - lg_t0 < o->duration) {
        if (per_thread > 0) {
            double due = lg_t0 + (double)sent / per_thread;
            double wait = due - lg_now();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        size_t outlen = 0;
        int k;
        for (k = 0; k < o->depth; k++)
            pend[k] = lg_next(w, &out, &outlen, &outcap);
        double t = lg_now();
        for (size_t off = 0; off < outlen;) {
            ssize_t n = send(w->fd, out + off, outlen - off, MSG_NOSIGNAL);
            if (n <= 0) {
                lg_error(w, "send", -1, "", 0);
                goto done;
            }
            off += (size_t)n;
        }
        for (int i = 0; i < k; i++) {
            const char *body;
            size_t blen;
            int st = lg_read_reply(w, &consumed, &body, &blen);
            if (st < 0) {
                lg_error(w, "connection closed", -1, "", 0);
                goto done;
            }
            lg_check(w, &pend[i], st, body, blen);
        }
        sent += (uint64_t)k;
        if (w->nlat == w->caplat) {
            w->caplat = w->caplat ? w->caplat * 2 : 4096;
            w->lat = lg_xrealloc(w->lat, w->caplat * sizeof *w->lat);
        }
        w->lat[w->nlat++] = (lg_now() - t) * 1e3;
    }
done:
    free(out);
    return NULL;
}

static int lg_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void lg_usage(void) {
    fprintf(stderr, "usage: confpool-load --port PORT [--threads 4] [--depth 16] [--duration 5]\n"
                    "                     [--rate 0] [--live 400] [--servers 12] [--prefix L]\n"
                    "                     [--acks FILE]\n");
}

int main(int argc, char **argv) {
    lg_opts_t o = {.port = 0, .threads = 4, .depth = 16, .duration = 5, .rate = 0, .live = 400,
                   .servers = 12, .prefix = "L", .acks = NULL};
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},     {"threads", required_argument, NULL, 't'},
        {"depth", required_argument, NULL, 'd'},    {"duration", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},     {"live", required_argument, NULL, 'l'},
        {"servers", required_argument, NULL, 'n'},  {"prefix", required_argument, NULL, 'x'},
        {"acks", required_argument, NULL, 'a'},     {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o.port = atoi(optarg); break;
        case 't': o.threads = atoi(optarg); break;
        case 'd': o.depth = atoi(optarg); break;
        case 's': o.duration = atof(optarg); break;
        case 'r': o.rate = atof(optarg); break;
        case 'l': o.live = atoi(optarg); break;
        case 'n': o.servers = atoi(optarg); break;
        case 'x': o.prefix = optarg; break;
        case 'a': o.acks = optarg; break;
        default: lg_usage(); return 2;
        }
    }
    if (o.port <= 0 || o.threads < 1 || o.threads > 256 || o.depth < 1 ||
        o.depth > LG_MAX_BATCH || o.duration <= 0 || o.duration > 3600 || o.live < 1 ||
        o.servers < 1 || o.servers > 100) {
        lg_usage();
        return 2;
    }
    lg_worker_t *ws = calloc((size_t)o.threads, sizeof *ws);
    pthread_t *th = calloc((size_t)o.threads, sizeof *th);
    for (int i = 0; i < o.threads; i++) {
        ws[i] = (lg_worker_t){.o = &o, .index = i, .seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1)};
        ws[i].fd = lg_connect(o.port);
        if (ws[i].fd < 0) {
            fprintf(stderr, "confpool-load: cannot connect to 127.0.0.1:%d: %s\n", o.port,
                    strerror(errno));
            return 1;
        }
    }
    lg_t0 = lg_now();
    for (int i = 0; i < o.threads; i++)
        pthread_create(&th[i], NULL, lg_run, &ws[i]);
    for (int i = 0; i < o.threads; i++)
        pthread_join(th[i], NULL);
    double secs = lg_now() - lg_t0;

    uint64_t done[OP_COUNT] = {0}, total = 0, errors = 0;
    size_t nlat = 0;
    for (int i = 0; i < o.threads; i++) {
        for (int k = 0; k < OP_COUNT; k++) {
            done[k] += ws[i].done[k];
            total += ws[i].done[k];
        }
        errors += ws[i].errors;
        nlat += ws[i].nlat;
    }
    double *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
    for (int i = 0, j = 0; i < o.threads; i++)
        for (size_t k = 0; k < ws[i].nlat; k++)
            lat[j++] = ws[i].lat[k];
    qsort(lat, nlat, sizeof *lat, lg_cmp);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[nlat * 99 / 100] : 0;

    size_t acked_meetings = 0;
    if (o.acks) {
        FILE *f = fopen(o.acks, "w");
        if (f == NULL) {
            fprintf(stderr, "confpool-load: %s: %s\n", o.acks, strerror(errno));
            return 1;
        }
        static const char *const states[] = {"scheduled", "active", "ended"};
        for (int i = 0; i < o.threads; i++)
            for (size_t k = 0; k < ws[i].n; k++) {
                const lg_meeting_t *m = &ws[i].m[k];
                if (!m->acked)
                    continue;
                fprintf(f, "%s %s %s %d\n", m->id, states[m->state],
                        m->server[0] ? m->server : "-", __builtin_popcount(m->parts));
                acked_meetings++;
            }
        if (fclose(f) != 0)
            return 1;
    }
    printf("{\"seconds\":%.3f,\"requests\":%llu,\"rps\":%.0f,\"errors\":%llu,"
           "\"batch_ms_p50\":%.3f,\"batch_ms_p99\":%.3f,\"depth\":%d,\"threads\":%d,"
           "\"acked_meetings\":%zu",
           secs, (unsigned long long)total, (double)total / secs, (unsigned long long)errors, p50,
           p99, o.depth, o.threads, acked_meetings);
    for (int k = 0; k < OP_COUNT; k++)
        printf(",\"%s\":%llu", lg_op_names[k], (unsigned long long)done[k]);
    printf("}\n");
    for (int i = 0; i < o.threads; i++) {
        close(ws[i].fd);
        free(ws[i].m);
        free(ws[i].lat);
        free(ws[i].in);
    }
    free(lat);
    free(ws);
    free(th);
    return errors ? 3 : 0;
}
