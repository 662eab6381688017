/* cp_cli_common.c — what every CLI verb shares: where the service is, the
 * common flags, printing the API's errors and JSON, small formatting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cp_cli_int.h"

#define CP__DEFAULT_URL "http://127.0.0.1:8080"

static void cp__set_url(cp_cli_t *cli, const char *url) {
    snprintf(cli->url_buf, sizeof cli->url_buf, "%s", url);
    size_t n = strlen(cli->url_buf);
    while (n > 0 && cli->url_buf[n - 1] == '/') /* paths start with '/' */
        cli->url_buf[--n] = '\0';
    cli->url = cli->url_buf;
}

void cp_cli_init(cp_cli_t *cli, const char *prog) {
    memset(cli, 0, sizeof *cli);
    cli->prog = prog;
    const char *url = getenv("CONFPOOL_URL");
    cp__set_url(cli, url && *url ? url : CP__DEFAULT_URL);
    const char *tok = getenv("CONFPOOL_TOKEN");
    cli->token = tok && *tok ? tok : NULL;
}

bool cp_cli_common_opt(cp_cli_t *cli, int opt, const char *arg) {
    switch (opt) {
    case CP_CLI_OPT_URL: cp__set_url(cli, arg); return true;
    case CP_CLI_OPT_TOKEN: cli->token = arg; return true;
    case CP_CLI_OPT_JSON: cli->json = true; return true;
    case CP_CLI_OPT_HELP: cli->help = true; return true;
    default: return false;
    }
}

void cp_cli_print_common_usage(FILE *f) {
    fprintf(f, "\ncommon flags:\n"
               "  --url URL      the service (CONFPOOL_URL; default " CP__DEFAULT_URL ")\n"
               "  --token TOKEN  bearer token (CONFPOOL_TOKEN)\n"
               "  --json         print the API's JSON instead of a table\n"
               "\nexit codes: 0 done, 1 refused by the API, 2 bad command line, 3 service\n"
               "unreachable, 4 not found, 5 no capacity now (503; retry later)\n");
}

int cp_cli_usage_error(const cp_cli_t *cli, const char *fmt, ...) {
    fprintf(stderr, "%s: ", cli->prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try --help)\n");
    return CP_CLI_USAGE;
}

int cp_cli_api_error(const cp_cli_t *cli, const cp_cli_resp_t *r) {
    const json_t *e = r->json ? json_object_get(r->json, "error") : NULL;
    if (!json_is_object(e)) {
        fprintf(stderr, "%s: %s answered HTTP %ld without the API's error body: is it confpool?\n",
                cli->prog, cli->url, r->status);
        return CP_CLI_UNREACHABLE;
    }
    if (cli->json)
        cp_cli_print_raw(r);
    const char *code = cp_cli_str(e, "code"), *msg = cp_cli_str(e, "message");
    fprintf(stderr, "%s: %s (%s, HTTP %ld)", cli->prog, msg, code, r->status);
    const json_t *ra = json_object_get(e, "retry_after");
    if (json_is_integer(ra))
        fprintf(stderr, "; retry after %llds", (long long)json_integer_value(ra));
    fputc('\n', stderr);
    if (r->status == 404)
        return CP_CLI_NOT_FOUND;
    if (r->status == 503)
        return CP_CLI_REFUSED;
    return CP_CLI_API_ERROR;
}

void cp_cli_print_raw(const cp_cli_resp_t *r) {
    fwrite(r->body.data, 1, r->body.len, stdout);
    if (r->body.len == 0 || r->body.data[r->body.len - 1] != '\n')
        fputc('\n', stdout);
}

void cp_cli_print_json(const json_t *j) {
    /* 12 significant digits print the API's 3- and 4-decimal figures as
     * they came (0.344, not 0.34399999999999997). */
    json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    fputc('\n', stdout);
}

const char *cp_cli_str(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

double cp_cli_num(const json_t *obj, const char *key) {
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

const char *cp_cli_fmt_num(double v, char *buf, size_t n) {
    if (v == (double)(long long)v)
        snprintf(buf, n, "%lld", (long long)v);
    else {
        snprintf(buf, n, "%.3f", v);
        char *p = buf + strlen(buf) - 1; /* trim trailing zeros */
        while (*p == '0')
            *p-- = '\0';
        if (*p == '.')
            *p = '\0';
    }
    return buf;
}

void cp_cli_path_escape(cp_buf_t *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '_' || *p == '-') {
            cp_buf_putc(b, (char)*p);
        } else {
            cp_buf_putc(b, '%');
            cp_buf_putc(b, hex[*p >> 4]);
            cp_buf_putc(b, hex[*p & 15]);
        }
    }
}

/* ---- option parsing and verb dispatch ------------------------------------------- */

int cp_cli_parse(cp_cli_t *cli, int argc, char **argv, const struct option *extra,
                 cp_cli_opt_fn fn, void *ctx, const char *usage, const char **pos,
                 int npos_min, int npos_max, int *npos) {
    static const struct option common[] = {CP_CLI_COMMON_OPTIONS};
    enum { NCOMMON = sizeof common / sizeof common[0] };
    struct option opts[NCOMMON + 16];
    size_t n = 0;
    for (; n < NCOMMON; n++)
        opts[n] = common[n];
    for (const struct option *o = extra; o && o->name && n < NCOMMON + 15; o++)
        opts[n++] = *o;
    opts[n] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == '?')
            return cp_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        if (c == ':')
            return cp_cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
        if (cp_cli_common_opt(cli, c, optarg))
            continue;
        if (!fn || !fn(cli, ctx, c, optarg))
            return CP_CLI_USAGE;
    }
    if (cli->help) {
        fputs(usage, stdout);
        cp_cli_print_common_usage(stdout);
        return -1;
    }
    int np = argc - optind;
    if (np < npos_min)
        return cp_cli_usage_error(cli, "missing argument");
    if (np > npos_max)
        return cp_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + npos_max]);
    for (int i = 0; i < np; i++)
        pos[i] = argv[optind + i];
    if (npos)
        *npos = np;
    return 0;
}

int cp_cli_dispatch(const char *group, const cp_cli_verb_t *verbs, int argc, char **argv) {
    const char *verb = argc >= 2 ? argv[1] : NULL;
    if (verb && strcmp(verb, "--help") != 0 && strcmp(verb, "help") != 0 &&
        strcmp(verb, "-h") != 0) {
        for (const cp_cli_verb_t *v = verbs; v->name; v++) {
            if (strcmp(v->name, verb) != 0)
                continue;
            static char prog[96];
            snprintf(prog, sizeof prog, "confpool %s %s", group, verb);
            cp_cli_t cli;
            cp_cli_init(&cli, prog);
            int rc = v->run(&cli, argc - 1, argv + 1);
            return rc < 0 ? 0 : rc;
        }
        fprintf(stderr, "confpool %s: unknown command '%s'\n", group, verb);
    }
    FILE *f = verb && (strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0 ||
                       strcmp(verb, "-h") == 0)
                  ? stdout
                  : stderr;
    fprintf(f, "usage: confpool %s <command> [options]   (confpool %s <command> --help)\n\n",
            group, group);
    for (const cp_cli_verb_t *v = verbs; v->name; v++)
        fprintf(f, "  %-9s %s\n", v->name, v->summary);
    cp_cli_print_common_usage(f);
    return f == stdout ? CP_CLI_OK : CP_CLI_USAGE;
}

int cp_cli_object_call(cp_cli_t *cli, const char *method, const char *collection, const char *id,
                       const char *suffix, const json_t *body, const char *done,
                       void (*print)(const json_t *obj)) {
    cp_buf_t path = CP_BUF_INIT;
    cp_buf_puts(&path, collection);
    cp_cli_path_escape(&path, id);
    cp_buf_puts(&path, suffix);
    cp_cli_resp_t r;
    int rc = cp_cli_request(cli, method, path.data, body, &r);
    cp_buf_free(&path);
    if (rc)
        return rc;
    if (r.status >= 300) {
        rc = cp_cli_api_error(cli, &r);
    } else if (cli->json) {
        if (r.body.len)
            cp_cli_print_raw(&r);
        else
            printf("{}\n");
    } else {
        if (done)
            printf("%s %s\n", id, done);
        if (json_is_object(r.json))
            print(r.json);
        else if (!done)
            printf("%s done\n", id);
    }
    cp_cli_resp_free(&r);
    return rc;
}
