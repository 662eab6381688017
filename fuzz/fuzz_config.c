/* fuzz_config.c — libFuzzer target for the configuration file: INI syntax
 * (libinih), every key's value parser, durations, units, [pool.NAME]
 * sections and tokens, through cp_config_load_string (the same path as a
 * file). A configuration that loads must hold values inside the documented
 * ranges; one that fails must say why, with a line number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cp_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_check(const cp_config_t *c) {
    const cp_engine_config_t *e = &c->engine;
    bool ok = c->max_header_bytes >= 1024 && c->max_body_bytes >= 1024 &&
              c->max_connections >= 1 && c->idle_timeout_ms >= 100 &&
              e->new_meeting_below > 0 && e->new_meeting_below <= 1 && e->join_below > 0 &&
              isfinite(e->join_below) && e->meeting_base >= 0 && e->cost_audio >= 0 &&
              e->cost_video >= 0 && e->cost_sharing >= 0 && e->default_size >= 1 &&
              e->large_threshold >= 1 && e->retry_after >= 1 && e->ramp_up >= 0 &&
              e->idle_grace >= 0 && e->report_timeout >= 0 && e->policy < CP_POLICY_COUNT &&
              memchr(c->listen, '\0', sizeof c->listen) && memchr(c->db, '\0', sizeof c->db) &&
              c->db[0] != '\0';
    for (int r = 0; r < CP_ROLE_COUNT; r++)
        ok = ok && (c->tokens[r] == NULL || strlen(c->tokens[r]) >= 8);
    for (size_t i = 0; i < c->npools; i++)
        ok = ok && cp_id_valid(c->pools[i].name, strlen(c->pools[i].name)) &&
             c->pools[i].policy < CP_POLICY_COUNT;
    if (!ok) {
        fprintf(stderr, "fuzz_config: a loaded configuration is out of range\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cp_config_t cfg;
    cp_config_defaults(&cfg);
    char err[512];
    err[0] = '\0';
    if (cp_config_load_string(&cfg, "fuzz.ini", text, err, sizeof err) == 0) {
        fz_check(&cfg);
    } else if (strncmp(err, "fuzz.ini:", 9) != 0 || strlen(err) < 11) {
        fprintf(stderr, "fuzz_config: error without file and line: '%s'\n", err);
        abort();
    }
    cp_config_free(&cfg);
    free(text);
    return 0;
}
