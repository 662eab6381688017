/* test_net_adopt.c — cp_http_server_adopt: a connected socket handed to the
 * server (the fuzzers' way in) is served exactly like an accepted one:
 * pipelined requests answered in order, replies held until released,
 * "Connection: close" honoured, the socket closed when the server is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/cp_http.h"
#include "net/cp_loop.h"

static int g_calls;

static void handler(void *ctx, const cp_http_req_t *req, cp_http_resp_t *resp) {
    (void)ctx;
    g_calls++;
    cp_buf_printf(&resp->body, "%.*s", (int)req->path.n, req->path.p);
    resp->wait_seq = req->path.n > 1 && req->path.p[1] == 'h' ? 5 : 0; /* "/held" waits */
}

static void stop(cp_loop_t *loop, void *data) {
    (void)data;
    cp_loop_stop(loop);
}

static void turn(cp_loop_t *loop) {
    cp_loop_timer(loop, 0, stop, NULL);
    cp_loop_run(loop);
}

static size_t drain(int fd, char *out, size_t cap) {
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = read(fd, out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    return n;
}

static void test_adopted_socket_is_served_like_an_accepted_one(void **state) {
    (void)state;
    cp_loop_t *loop = cp_loop_new();
    cp_http_server_t *srv = cp_http_server_new(loop, NULL, handler, NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(cp_http_server_adopt(srv, sv[0], "test"), 0);
    assert_int_equal(cp_http_server_connections(srv), 1);

    static const char reqs[] = "GET /a HTTP/1.1\r\n\r\nGET /held HTTP/1.1\r\n\r\n"
                               "GET /c HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n";
    assert_int_equal(write(sv[1], reqs, sizeof reqs - 1), (ssize_t)(sizeof reqs - 1));
    turn(loop);
    char out[4096];
    drain(sv[1], out, sizeof out);
    /* /a is out; /held (and /c behind it) wait for durability */
    assert_non_null(strstr(out, "\r\n\r\n/a"));
    assert_null(strstr(out, "/held"));
    assert_int_equal(g_calls, 3);

    cp_http_server_release(srv, 5);
    turn(loop);
    drain(sv[1], out, sizeof out);
    char *held = strstr(out, "/held"), *c = strstr(out, "/c");
    assert_non_null(held);
    assert_non_null(c);
    assert_true(held < c);
    assert_non_null(strstr(out, "Connection: close"));
    assert_null(strstr(out, "/never"));
    assert_int_equal(g_calls, 3);

    cp_http_server_free(srv);
    char b;
    assert_int_equal(read(sv[1], &b, 1), 0); /* the server's end is closed */
    close(sv[1]);
    cp_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adopted_socket_is_served_like_an_accepted_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
