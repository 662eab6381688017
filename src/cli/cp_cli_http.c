/* cp_cli_http.c — the CLI's HTTP client: one libcurl request per call,
 * with the bearer token, a JSON body, and the reply read into memory. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cp_cli_int.h"
#include "util/base/cp_alloc.h"

/* Replies larger than this are not the API's (its pages are far smaller). */
#define CP__MAX_REPLY (64u << 20)

static size_t cp__on_data(char *p, size_t size, size_t n, void *ctx) {
    cp_buf_t *b = ctx;
    if (b->len + size * n > CP__MAX_REPLY)
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    cp_buf_append(b, p, size * n);
    return size * n;
}

static void cp__global_init(void) {
    static bool done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = true;
    }
}

int cp_cli_request(const cp_cli_t *cli, const char *method, const char *path,
                   const json_t *body, cp_cli_resp_t *out) {
    cp__global_init();
    memset(out, 0, sizeof *out);
    CURL *h = curl_easy_init();
    if (h == NULL) {
        fprintf(stderr, "%s: cannot initialise libcurl\n", cli->prog);
        return CP_CLI_UNREACHABLE;
    }
    cp_buf_t url = CP_BUF_INIT;
    cp_buf_puts(&url, cli->url);
    cp_buf_puts(&url, path);
    char *payload = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (payload)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    cp_buf_t auth = CP_BUF_INIT;
    if (cli->token && *cli->token) {
        cp_buf_printf(&auth, "Authorization: Bearer %s", cli->token);
        hdrs = curl_slist_append(hdrs, auth.data);
    }
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload ? payload : "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cp__on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "confpool-cli");
    /* Only http and https: the URL comes from the environment. */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    int ret = 0;
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s: cannot reach %s: %s\n", cli->prog, cli->url,
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
        ret = CP_CLI_UNREACHABLE;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        if (out->body.len)
            out->json = json_loadb(out->body.data, out->body.len, 0, NULL);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    cp_buf_free(&auth);
    cp_buf_free(&url);
    free(payload);
    if (ret)
        cp_cli_resp_free(out);
    return ret;
}

void cp_cli_resp_free(cp_cli_resp_t *r) {
    cp_buf_free(&r->body);
    if (r->json)
        json_decref(r->json);
    r->json = NULL;
}
