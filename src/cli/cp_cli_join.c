/* cp_cli_join.c — confpool join MEETING PARTICIPANT: joins through the API
 * (activating the meeting if it is the first join) and prints the server. */
#include <stdio.h>
#include <string.h>

#include "cli/cp_cli.h"
#include "cli/cp_cli_int.h"

static bool cp__opt(cp_cli_t *cli, void *ctx, int opt, const char *arg) {
    (void)cli;
    if (opt == 'm') {
        *(const char **)ctx = arg;
        return true;
    }
    return false;
}

int cp_cli_join_main(int argc, char **argv) {
    static const struct option extra[] = {{"modalities", required_argument, NULL, 'm'},
                                          {0, 0, 0, 0}};
    cp_cli_t cli;
    cp_cli_init(&cli, "confpool join");
    const char *mods = NULL, *pos[2];
    int rc = cp_cli_parse(&cli, argc, argv, extra, cp__opt, &mods,
                          "usage: confpool join MEETING PARTICIPANT [--modalities LIST]\n"
                          "Joins PARTICIPANT to MEETING and prints the server that hosts it.\n",
                          pos, 2, 2, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    json_t *body = json_object();
    json_object_set_new(body, "participant", json_string(pos[1]));
    if (mods) {
        json_t *arr = json_array();
        const char *p = mods;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            json_array_append_new(arr, json_stringn(p, n));
            p += n + (comma ? 1 : 0);
        }
        json_object_set_new(body, "modalities", arr);
    }
    cp_buf_t path = CP_BUF_INIT;
    cp_buf_puts(&path, "/v1/meetings/");
    cp_cli_path_escape(&path, pos[0]);
    cp_buf_puts(&path, "/join");
    cp_cli_resp_t r;
    rc = cp_cli_request(&cli, "POST", path.data, body, &r);
    cp_buf_free(&path);
    json_decref(body);
    if (rc)
        return rc;
    if (r.status != 200) {
        rc = cp_cli_api_error(&cli, &r);
    } else if (cli.json) {
        cp_cli_print_raw(&r);
    } else {
        const json_t *srv = json_object_get(r.json, "server");
        static const char *const heads[] = {"MEETING", "PARTICIPANT", "SERVER", "ADDRESS",
                                            "PARTICIPANTS"};
        cp_table_t *t = cp_table_new(5, heads, "llllr");
        cp_table_row(t);
        cp_table_cell(t, "%s", cp_cli_str(r.json, "meeting"));
        cp_table_cell(t, "%s", pos[1]);
        cp_table_cell(t, "%s", cp_cli_str(srv, "id"));
        cp_table_cell(t, "%s", cp_cli_str(srv, "address"));
        cp_table_cell(t, "%.0f", cp_cli_num(r.json, "participants"));
        cp_table_print(t, stdout);
    }
    cp_cli_resp_free(&r);
    return rc;
}
