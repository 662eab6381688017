/* cp_serve.c — the daemon: configuration, restore, the loop, group commit
 * and graceful stop.
 *
 * Iteration: ready sockets are read and their requests handled (engine
 * changes accumulate, replies are queued with the batch they wait for);
 * then the before-wait hook drains the engine's journal into one batch and
 * hands it to the writer thread. When the writer reports a batch durable,
 * the replies waiting for it are released. */
#include "api/cp_serve.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/cp_api.h"
#include "api/cp_events.h"
#include "net/cp_http.h"
#include "net/cp_loop.h"
#include "store/cp_store.h"
#include "store/cp_writer.h"
#include "util/cp_clock.h"
#include "util/cp_config.h"
#include "util/cp_log.h"
#include "util/cp_prom.h"

typedef struct cp_serve {
    cp_config_t cfg;
    cp_engine_t *engine;
    cp_store_t *store;
    cp_writer_t *writer;
    cp_loop_t *loop;
    cp_http_server_t *http;
    cp_api_t *api;
    uint64_t open_batch; /* the number the next batch gets */
    uint64_t submitted;  /* the last batch handed to the writer */
    uint64_t durable;    /* the last batch committed */
    uint64_t engine_timer;
    cp_ms_t started_ms;
    cp_ms_t engine_timer_at;
    bool stopping;
    bool test_clock; /* --test-clock: POST /v1/test/clock may move time forward */
} cp_serve_t;

static void cp__usage(FILE *f) {
    fprintf(f, "usage: confpool serve [--config FILE] [--listen ADDR:PORT] [--db PATH]\n"
               "                      [--log-level debug|info|warn|error] [--test-clock]\n");
}

/* ---- loading ------------------------------------------------------------------ */

static void cp__load_server(void *ctx, const cp_server_rec_t *r) {
    cp_serve_t *sv = ctx;
    if (cp_engine_restore_server(sv->engine, r) != CP_OK)
        cp_log(CP_LOG_WARN, "restore skipped a duplicate server", "server=%s", r->id);
}

static void cp__load_meeting(void *ctx, const cp_meeting_rec_t *r) {
    cp_serve_t *sv = ctx;
    if (cp_engine_restore_meeting(sv->engine, r) != CP_OK)
        cp_log(CP_LOG_WARN, "restore skipped a duplicate meeting", "meeting=%s", r->id);
}

static void cp__load_participant(void *ctx, const char *mid, const char *pid, unsigned mods,
                                 unsigned leg) {
    cp_serve_t *sv = ctx;
    cp_engine_restore_participant(sv->engine, mid, pid, mods, leg);
}

static const cp_store_loader_t cp__loader = {cp__load_server, cp__load_meeting,
                                             cp__load_participant};

/* ---- the loop's hooks ------------------------------------------------------------ */

static void cp__engine_tick(cp_loop_t *loop, void *data) {
    (void)loop;
    cp_serve_t *sv = data;
    sv->engine_timer = 0;
    cp_engine_advance(sv->engine, cp_api_now(sv->api));
}

static void cp__commit(cp_serve_t *sv) {
    if (!cp_engine_has_changes(sv->engine))
        return;
    cp_batch_t *b = cp_writer_batch(sv->writer);
    cp_engine_drain_changes(sv->engine, &cp_batch_sink, b);
    cp_writer_submit(sv->writer, b, sv->open_batch);
    sv->submitted = sv->open_batch++;
}

static void cp__before_wait(cp_loop_t *loop, void *data) {
    cp_serve_t *sv = data;
    cp__commit(sv);
    cp_api_set_batches(sv->api, sv->open_batch, sv->submitted);
    /* Wake up for the engine's next timer (deactivations, expiry). */
    cp_ms_t next = cp_engine_next_deadline(sv->engine);
    if (next != CP_TIME_NONE && (sv->engine_timer == 0 || next < sv->engine_timer_at)) {
        if (sv->engine_timer)
            cp_loop_timer_cancel(loop, sv->engine_timer);
        cp_ms_t wait = next - cp_api_now(sv->api);
        sv->engine_timer = cp_loop_timer(loop, wait > 0 ? wait + 1 : 0, cp__engine_tick, sv);
        sv->engine_timer_at = next;
    }
    if (sv->stopping && cp_http_server_pending(sv->http) == 0 && sv->durable >= sv->submitted)
        cp_loop_stop(loop);
    cp_log_flush();
    cp_events_flush();
}

static void cp__on_durable(cp_loop_t *loop, int fd, unsigned events, void *data) {
    (void)loop;
    (void)fd;
    (void)events;
    cp_serve_t *sv = data;
    sv->durable = cp_writer_durable(sv->writer);
    cp_http_server_release(sv->http, sv->durable);
}

/* Figures of the daemon itself for GET /metrics, read at scrape time. */
static void cp__collect(void *ctx, cp_buf_t *out) {
    const cp_serve_t *sv = ctx;
    cp_writer_stats_t ws;
    cp_writer_stats(sv->writer, &ws);
    cp_prom_family(out, "confpool_db_batches_total", "counter",
                   "Batches (the changes of one loop iteration) made durable.");
    cp_prom_sample(out, "confpool_db_batches_total", (double)ws.batches, NULL);
    cp_prom_family(out, "confpool_db_transactions_total", "counter",
                   "Transactions committed by the writer thread (group commits).");
    cp_prom_sample(out, "confpool_db_transactions_total", (double)ws.transactions, NULL);
    cp_prom_family(out, "confpool_db_writes_total", "counter", "Row writes committed.");
    cp_prom_sample(out, "confpool_db_writes_total", (double)ws.ops, NULL);
    cp_prom_family(out, "confpool_http_connections", "gauge", "Open HTTP connections.");
    cp_prom_sample(out, "confpool_http_connections",
                   (double)cp_http_server_connections(sv->http), NULL);
    cp_prom_family(out, "confpool_http_pending_replies", "gauge",
                   "Replies produced but not yet written, most waiting for a commit.");
    cp_prom_sample(out, "confpool_http_pending_replies", (double)cp_http_server_pending(sv->http),
                   NULL);
    cp_prom_family(out, "confpool_start_time_seconds", "gauge",
                   "When the daemon started, in seconds since the Unix epoch.");
    cp_prom_sample(out, "confpool_start_time_seconds", (double)sv->started_ms / 1000.0, NULL);
}

static void cp__force_stop(cp_loop_t *loop, void *data) {
    cp_serve_t *sv = data;
    cp_log(CP_LOG_WARN, "stop deadline reached", "pending=%zu",
           cp_http_server_pending(sv->http));
    cp_loop_stop(loop);
}

static void cp__on_signal(cp_loop_t *loop, int signo, void *data) {
    cp_serve_t *sv = data;
    if (sv->stopping)
        return;
    cp_log(CP_LOG_INFO, "stopping", "signal=%s", signo == SIGTERM ? "TERM" : "INT");
    sv->stopping = true;
    cp_http_server_stop_accepting(sv->http);
    cp_loop_timer(loop, 4500, cp__force_stop, sv);
}

/* ---- set-up ------------------------------------------------------------------------- */

static int cp__split_listen(const char *listen, char *host, size_t hostlen, int *port) {
    const char *colon = strrchr(listen, ':');
    if (colon == NULL)
        return -1;
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || end == colon + 1)
        return -1;
    *port = (int)p;
    return 0;
}

static bool cp__is_loopback(const char *host) {
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0;
}

static int cp__mkdir_parent(const char *path) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int cp__parse_args(cp_serve_t *sv, int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},     {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {"test-clock", no_argument, NULL, 'T'},
        {NULL, 0, NULL, 0}};
    const char *config = NULL, *listen = NULL, *db = NULL, *level = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'l': listen = optarg; break;
        case 'd': db = optarg; break;
        case 'v': level = optarg; break;
        case 'T': sv->test_clock = true; break;
        case 'h': cp__usage(stdout); exit(0);
        default: cp__usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "confpool serve: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    char err[512];
    if (config && cp_config_load(&sv->cfg, config, err, sizeof err) != 0) {
        fprintf(stderr, "confpool serve: %s\n", err);
        return -1;
    }
    cp_config_env(&sv->cfg);
    if ((listen && cp_config_set(&sv->cfg, "serve", "listen", listen, err, sizeof err) != 0) ||
        (db && cp_config_set(&sv->cfg, "serve", "db", db, err, sizeof err) != 0) ||
        (level && cp_config_set(&sv->cfg, "log", "level", level, err, sizeof err) != 0)) {
        fprintf(stderr, "confpool serve: %s\n", err);
        return -1;
    }
    return 0;
}

int cp_serve_main(int argc, char **argv) {
    static cp_serve_t sv_storage;
    cp_serve_t *sv = &sv_storage;
    memset(sv, 0, sizeof *sv);
    cp_config_defaults(&sv->cfg);
    if (cp__parse_args(sv, argc, argv) != 0)
        return 2;
    cp_log_level_t lvl;
    if (cp_log_level_parse(sv->cfg.log_level, &lvl))
        cp_log_set_level(lvl);

    char host[256];
    int port;
    if (cp__split_listen(sv->cfg.listen, host, sizeof host, &port) != 0) {
        fprintf(stderr, "confpool serve: bad listen address '%s' (expected ADDR:PORT)\n",
                sv->cfg.listen);
        return 2;
    }
    if (!cp_config_has_tokens(&sv->cfg)) {
        if (!cp__is_loopback(host)) {
            fprintf(stderr,
                    "confpool serve: refusing to listen on %s without tokens; set [auth] "
                    "*_token or CONFPOOL_*_TOKEN\n",
                    host);
            return 2;
        }
        cp_log(CP_LOG_WARN, "no tokens configured: serving without authentication on loopback",
               "listen=%s", sv->cfg.listen);
    }

    char err[512];
    if (cp__mkdir_parent(sv->cfg.db) != 0) {
        fprintf(stderr, "confpool serve: cannot create the directory of %s: %s\n", sv->cfg.db,
                strerror(errno));
        return 1;
    }
    sv->store = cp_store_open(sv->cfg.db, err, sizeof err);
    if (sv->store == NULL) {
        fprintf(stderr, "confpool serve: %s\n", err);
        return 1;
    }
    sv->engine = cp_engine_new(&sv->cfg.engine);
    for (size_t i = 0; i < sv->cfg.npools; i++)
        cp_engine_pool_set_policy(sv->engine, cp_engine_pool_ensure(sv->engine, sv->cfg.pools[i].name),
                                  sv->cfg.pools[i].policy);
    for (size_t i = 0; i < sv->cfg.npools; i++)
        cp_engine_pool_set_cascade(sv->engine, cp_engine_pool(sv->engine, sv->cfg.pools[i].name),
                                   sv->cfg.pools[i].cascade);
    uint64_t t0 = cp_clock_mono_ns();
    if (cp_store_load(sv->store, &cp__loader, sv, err, sizeof err) != 0) {
        fprintf(stderr, "confpool serve: loading %s: %s\n", sv->cfg.db, err);
        return 1;
    }
    cp_engine_restore_done(sv->engine, cp_clock_wall_ms());
    cp_log(CP_LOG_INFO, "restored", "db=%s servers=%zu meetings=%zu ms=%.1f",
           cp_log_quote(sv->cfg.db), cp_engine_server_count(sv->engine),
           cp_engine_meeting_count(sv->engine), (double)(cp_clock_mono_ns() - t0) / 1e6);

    sv->loop = cp_loop_new();
    if (sv->loop == NULL) {
        fprintf(stderr, "confpool serve: cannot create the event loop: %s\n", strerror(errno));
        return 1;
    }
    sv->writer = cp_writer_start(sv->store);
    sv->open_batch = 1;
    sv->api = cp_api_new(sv->engine, &sv->cfg);
    if (sv->test_clock) {
        cp_api_enable_test_clock(sv->api);
        cp_log(CP_LOG_WARN, "test clock on", "endpoint=/v1/test/clock");
    }
    sv->started_ms = cp_clock_wall_ms();
    cp_writer_set_commit_histogram(sv->writer, cp_api_commit_histogram(sv->api));
    cp_metrics_add_collector(cp_api_metrics(sv->api), cp__collect, sv);
    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    lim.max_header_bytes = sv->cfg.max_header_bytes;
    lim.max_body_bytes = sv->cfg.max_body_bytes;
    lim.max_connections = sv->cfg.max_connections;
    lim.idle_timeout_ms = sv->cfg.idle_timeout_ms;
    sv->http = cp_http_server_new(sv->loop, &lim, cp_api_handle, sv->api);
    if (cp_http_server_listen(sv->http, host, port, err, sizeof err) != 0) {
        fprintf(stderr, "confpool serve: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    cp_loop_signal(sv->loop, SIGTERM, cp__on_signal, sv);
    cp_loop_signal(sv->loop, SIGINT, cp__on_signal, sv);
    cp_loop_watch(sv->loop, cp_writer_fd(sv->writer), CP_LOOP_READ, cp__on_durable, sv);
    cp_loop_before_wait(sv->loop, cp__before_wait, sv);
    cp__commit(sv); /* repairs made while restoring */
    if (sv->cfg.events[0] &&
        cp_events_open(sv->cfg.events, sv->engine, cp_clock_wall_ms(), err, sizeof err) != 0) {
        fprintf(stderr, "confpool serve: %s\n", err);
        return 1;
    }
    cp_log(CP_LOG_INFO, "listening", "url=http://%s:%d/ pid=%ld", host,
           cp_http_server_port(sv->http), (long)getpid());
    bool v6 = strchr(host, ':') != NULL;
    cp_log(CP_LOG_INFO, "dashboard", "url=http://%s%s%s:%d/ token=%s", v6 ? "[" : "", host,
           v6 ? "]" : "", cp_http_server_port(sv->http),
           cp_config_has_tokens(&sv->cfg) ? "required" : "none");
    cp_log_flush();

    cp_loop_run(sv->loop);

    cp__commit(sv);
    cp_writer_stop(sv->writer); /* commits what is queued */
    cp_events_close();
    cp_http_server_free(sv->http);
    cp_loop_free(sv->loop);
    cp_api_free(sv->api);
    cp_engine_free(sv->engine);
    cp_store_close(sv->store);
    cp_log(CP_LOG_INFO, "stopped", "durable=%llu", (unsigned long long)sv->durable);
    cp_log_flush();
    cp_config_free(&sv->cfg);
    return 0;
}
