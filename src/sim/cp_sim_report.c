/* cp_sim_report.c — tables, summary.json and CSV (see cp_sim_report.h). */
#include "sim/cp_sim_report.h"

#include <math.h>
#include <stdio.h>

#include "util/base/cp_jw.h"
#include "util/base/cp_time.h"

static double cp__pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

void cp_sim_report_table(cp_buf_t *b, const cp_sim_result_t *const *res, size_t n) {
    cp_buf_printf(b, "%-18s %6s  %-20s %10s  %-17s %-17s %6s  %s\n", "", "peak",
                  "max-util / L*", "hot", "meetings", "joins", "imbal", "large meetings");
    cp_buf_printf(b, "%-18s %6s  %6s %6s %6s %10s  %-17s %-17s %6s  %s\n", "policy", "util", "p50",
                  "p99", "max", "part-min", "refused", "refused", "p99", "hosted/total");
    for (size_t i = 0; i < n; i++) {
        const cp_sim_result_t *r = res[i];
        const cp_sim_stats_t *st = &r->stats;
        char mref[32], jref[32];
        snprintf(mref, sizeof mref, "%llu (%.2f%%)", (unsigned long long)r->meetings_refused,
                 cp__pct(r->meetings_refused, r->meetings));
        snprintf(jref, sizeof jref, "%llu (%.2f%%)", (unsigned long long)r->joins_refused,
                 cp__pct(r->joins_refused, r->join_attempts));
        cp_buf_printf(b, "%-18s %6.3f  %6.3f %6.3f %6.3f %10.0f  %-17s %-17s %6.3f  %llu/%llu\n",
                      cp_sim_policy_name(r->policy), r->peak_util, st->ratio_p50, st->ratio_p99,
                      st->ratio_max, st->hot_pmin, mref, jref, st->imbalance_p99,
                      (unsigned long long)r->large_hosted, (unsigned long long)r->large_total);
    }
    if (n)
        cp_buf_printf(b,
                      "busy %s (pool utilization >= %.2f): %zu of %zu; peak pool "
                      "utilization %.3f; hot = participants on servers above %.2f\n",
                      res[0]->pools > 1 ? "pool-minutes" : "minutes", CP_SIM_BUSY_UTIL,
                      res[0]->stats.busy_minutes, res[0]->stats.minutes,
                      res[0]->stats.pool_util_peak, CP_SIM_HOT_UTIL);
}

static void cp__key_num(cp_jw_t *w, const char *k, double v, int decimals) {
    cp_jw_key(w, k);
    cp_jw_fixed(w, v, decimals);
}

static void cp__key_int(cp_jw_t *w, const char *k, uint64_t v) {
    cp_jw_key(w, k);
    cp_jw_int(w, (int64_t)v);
}

static void cp__policy_json(cp_jw_t *w, const cp_sim_result_t *r) {
    const cp_sim_stats_t *st = &r->stats;
    cp_jw_obj(w);
    cp_jw_key(w, "policy");
    cp_jw_str(w, cp_sim_policy_name(r->policy));
    cp__key_num(w, "peak_util", r->peak_util, 4);
    cp_jw_key(w, "peak_server");
    cp_jw_str(w, r->peak_server_id);
    cp_jw_key(w, "peak_at");
    cp_jw_time(w, r->peak_at);
    cp_jw_key(w, "max_util_over_lstar");
    cp_jw_obj(w);
    cp__key_num(w, "p50", st->ratio_p50, 4);
    cp__key_num(w, "p99", st->ratio_p99, 4);
    cp__key_num(w, "max", st->ratio_max, 4);
    cp_jw_obj_end(w);
    cp__key_int(w, "busy_minutes", st->busy_minutes);
    cp__key_num(w, "hot_participant_minutes", st->hot_pmin, 0);
    cp_jw_key(w, "imbalance");
    cp_jw_obj(w);
    cp__key_num(w, "p50", st->imbalance_p50, 4);
    cp__key_num(w, "p99", st->imbalance_p99, 4);
    cp_jw_obj_end(w);
    cp__key_num(w, "pool_util_peak", st->pool_util_peak, 4);
    cp__key_num(w, "max_util_sampled", st->max_util_sampled, 4);
    cp__key_int(w, "peak_participants", st->peak_participants);
    cp__key_int(w, "peak_meetings", st->peak_meetings);
    cp_jw_key(w, "meetings");
    cp_jw_obj(w);
    cp__key_int(w, "total", r->meetings);
    cp__key_int(w, "hosted", r->meetings_hosted);
    cp__key_int(w, "refused", r->meetings_refused);
    cp_jw_obj_end(w);
    cp_jw_key(w, "joins");
    cp_jw_obj(w);
    cp__key_int(w, "attempts", r->join_attempts);
    cp__key_int(w, "admitted", r->joins_ok);
    cp__key_int(w, "refused", r->joins_refused);
    cp__key_int(w, "pool_full", r->refused_pool_full);
    cp__key_int(w, "meeting_full", r->refused_meeting_full);
    cp__key_num(w, "refused_share", r->join_attempts ? (double)r->joins_refused /
                                                           (double)r->join_attempts
                                                     : 0.0,
                6);
    cp_jw_obj_end(w);
    cp_jw_key(w, "large_meetings");
    cp_jw_obj(w);
    cp__key_int(w, "total", r->large_total);
    cp__key_int(w, "hosted", r->large_hosted);
    cp_jw_obj_end(w);
    cp_jw_key(w, "large");
    cp_jw_arr(w);
    for (size_t k = 0; k < r->nlarge; k++) {
        const cp_sim_large_t *l = &r->large[k];
        cp_jw_obj(w);
        cp_jw_key(w, "id");
        cp_jw_str(w, l->id);
        cp_jw_key(w, "start");
        cp_jw_time(w, l->start);
        cp__key_int(w, "size", l->n);
        cp__key_int(w, "expected", l->expected);
        cp__key_int(w, "admitted", l->admitted);
        cp__key_int(w, "refused", l->refused);
        cp_jw_key(w, "server");
        cp_jw_str_or_null(w, l->server[0] ? l->server : NULL);
        cp_jw_key(w, "plan");
        cp_jw_str_or_null(w, l->plan_status[0] ? l->plan_status : NULL);
        cp_jw_key(w, "plan_host");
        cp_jw_str_or_null(w, l->plan_host[0] ? l->plan_host : NULL);
        cp_jw_obj_end(w);
    }
    cp_jw_arr_end(w);
    cp__key_int(w, "engine_calls", r->engine_calls);
    cp__key_int(w, "reports", r->reports);
    cp_jw_obj_end(w);
}

void cp_sim_report_json(cp_buf_t *b, const cp_sim_run_info_t *info,
                        const cp_sim_result_t *const *res, size_t n) {
    const cp_sim_model_t *m = info->model;
    cp_jw_t w;
    cp_jw_init(&w, b);
    cp_jw_obj(&w);
    cp_jw_key(&w, "model");
    cp_jw_str(&w, m->name);
    cp_jw_key(&w, "model_source");
    cp_jw_str(&w, info->model_source);
    cp__key_int(&w, "seed", info->seed);
    cp_jw_key(&w, "start");
    cp_jw_time(&w, info->t0);
    cp__key_int(&w, "duration_s", (uint64_t)(info->duration / 1000));
    cp__key_int(&w, "pools", n ? res[0]->pools : 1);
    cp__key_int(&w, "servers", info->servers);
    cp_jw_key(&w, "capacity");
    cp_jw_units(&w, info->capacity);
    cp__key_int(&w, "instances", m->instances);
    cp_jw_key(&w, "report");
    cp_jw_obj(&w);
    cp_jw_key(&w, "mode");
    cp_jw_str(&w, m->report_mode == CP_SIM_REPORT_CPU    ? "cpu"
                  : m->report_mode == CP_SIM_REPORT_NONE ? "none"
                                                          : "other");
    cp__key_num(&w, "interval_s", m->report_interval * 60, 3);
    cp__key_num(&w, "staleness_s", m->report_staleness * 60, 3);
    cp_jw_key(&w, "meetings");
    cp_jw_bool(&w, m->report_meetings);
    cp_jw_obj_end(&w);
    if (n) {
        const cp_sim_result_t *r = res[0];
        cp_jw_key(&w, "workload");
        cp_jw_obj(&w);
        cp__key_num(&w, "arrivals_per_min_at_peak", r->scale, 3);
        cp__key_int(&w, "occurrences", r->generated);
        cp__key_num(&w, "mean_size", r->mean_size, 3);
        cp__key_num(&w, "mean_duration_min", r->mean_duration_min, 2);
        cp__key_num(&w, "share_under_20", r->share_under_20, 5);
        cp__key_num(&w, "share_under_100", r->share_under_100, 6);
        cp__key_num(&w, "share_over_250", r->share_over_250, 6);
        cp__key_int(&w, "peak_participants", r->stats.peak_participants);
        cp__key_num(&w, "peak_pool_util", r->stats.pool_util_peak, 4);
        cp_jw_obj_end(&w);
    }
    cp_jw_key(&w, "policies");
    cp_jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        cp__policy_json(&w, res[i]);
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
    cp_buf_putc(b, '\n');
}

void cp_sim_csv_minutes_header(cp_buf_t *b) {
    cp_buf_puts(b, "minute,time,pool_util,max_util,mean_util,min_util,lstar,max_over_lstar,"
                   "busy,hot_participants,participants,meetings\n");
}

void cp_sim_csv_minutes_row(cp_buf_t *b, cp_ms_t t, cp_ms_t t0, const cp_sim_minute_t *r) {
    char ts[CP_TIME_STRLEN];
    cp_time_format(t, ts);
    double ratio = r->lstar > 0 ? (double)r->max_util / (double)r->lstar : 0;
    cp_buf_printf(b, "%lld,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d,%u,%u,%u\n",
                  (long long)((t - t0) / 60000), ts, r->pool_util, r->max_util, r->mean_util,
                  r->min_util, r->lstar, ratio, r->pool_util >= (float)CP_SIM_BUSY_UTIL,
                  r->hot_parts, r->participants, r->meetings);
}

void cp_sim_csv_servers_header(cp_buf_t *b) {
    cp_buf_puts(b, "minute,time,server,utilization,engine_utilization,load,capacity,meetings,"
                   "participants\n");
}

void cp_sim_csv_servers_rows(cp_buf_t *b, cp_ms_t t, cp_ms_t t0, const cp_sim_t *s,
                             const cp_sim_view_t *v) {
    char ts[CP_TIME_STRLEN];
    cp_time_format(t, ts);
    long long minute = (long long)((t - t0) / 60000);
    for (size_t i = 0; i < cp_sim_server_count(s); i++)
        cp_buf_printf(b, "%lld,%s,%s,%.4f,%.4f,%.3f,%.3f,%u,%u\n", minute, ts,
                      cp_sim_server_id(s, i),
                      v->cap[i] > 0 ? (double)v->load[i] / (double)v->cap[i] : 0.0,
                      v->engine_util[i], (double)v->load[i] / CP_MU_PER_UNIT,
                      (double)v->cap[i] / CP_MU_PER_UNIT, v->meetings[i], v->parts[i]);
}
