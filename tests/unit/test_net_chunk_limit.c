/* test_net_chunk_limit.c — a chunk whose declared size cannot fit the body
 * limit is refused with 413 as soon as its size line arrives, like a
 * Content-Length over the limit (before: the server waited for the data,
 * so the request hung until the idle timeout). Chunks that fit still work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/cp_http.h"
#include "net/cp_loop.h"

static int g_calls;

static void handler(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp) {
    (void)ctx;
    g_calls++;
    cp_buf_printf(&resp->body, "%zu", req->body.n);
}

static void stop(cp_loop_t *loop, void *data) {
    (void)data;
    cp_loop_stop(loop);
}

/* Sends in on a fresh adopted connection, runs the loop once, returns what came back. */
static void exchange(const char *in, char *out, size_t cap) {
    cp_loop_t *loop = cp_loop_new();
    cp_http_limits_t lim;
    cp_http_limits_defaults(&lim);
    lim.max_body_bytes = 1024;
    cp_http_server_t *srv = cp_http_server_new(loop, &lim, handler, NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(cp_http_server_adopt(srv, sv[0], "test"), 0);
    assert_int_equal(write(sv[1], in, strlen(in)), (ssize_t)strlen(in));
    cp_loop_timer(loop, 0, stop, NULL);
    cp_loop_run(loop);
    ssize_t n = read(sv[1], out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    cp_http_server_free(srv);
    close(sv[1]);
    cp_loop_free(loop);
}

static void test_oversized_chunk_refused_at_its_size_line(void **state) {
    (void)state;
    char out[2048];
    g_calls = 0;
    exchange("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab", out,
             sizeof out);
    assert_true(strncmp(out, "HTTP/1.1 413 ", 13) == 0);
    assert_non_null(strstr(out, "too_large"));
    assert_int_equal(g_calls, 0);
    /* the limit counts the chunks already received */
    char req[3000];
    snprintf(req, sizeof req,
             "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n%0512d\r\n201\r\n", 0);
    exchange(req, out, sizeof out);
    assert_true(strncmp(out, "HTTP/1.1 413 ", 13) == 0);
    assert_int_equal(g_calls, 0);
}

static void test_chunks_up_to_the_limit_are_accepted(void **state) {
    (void)state;
    char out[2048], req[3000];
    g_calls = 0;
    snprintf(req, sizeof req,
             "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n%0512d\r\n"
             "200\r\n%0512d\r\n0\r\n\r\n",
             0, 0);
    exchange(req, out, sizeof out);
    assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
    assert_non_null(strstr(out, "\r\n\r\n1024"));
    assert_int_equal(g_calls, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_chunk_refused_at_its_size_line),
        cmocka_unit_test(test_chunks_up_to_the_limit_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
