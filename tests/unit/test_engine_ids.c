/* test_engine_ids.c — id syntax: [A-Za-z0-9._-]{1,64}, except "." and "..",
 * which URLs carrying ids would resolve away (found by the hostile-input
 * test: PUT /v1/servers/.. created a server no normal client can address). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "engine/cp_engine.h"

static bool valid(const char *s) { return cp_id_valid(s, strlen(s)); }

static void test_dot_segments_are_not_ids(void **state) {
    (void)state;
    assert_false(valid("."));
    assert_false(valid(".."));
    assert_true(valid("..."));
    assert_true(valid(".a"));
    assert_true(valid("a.."));
    assert_true(valid("-_.x"));
    assert_true(valid("--"));
}

static void test_id_charset_and_length(void **state) {
    (void)state;
    char id[66];
    memset(id, 'x', sizeof id);
    assert_true(cp_id_valid(id, 64));
    assert_false(cp_id_valid(id, 65));
    assert_false(cp_id_valid(id, 0));
    static const char *const bad[] = {"a/b", "a b", "a%2F", "a\"b", "a'b", "a;b", "\xc3\xa9", "a\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(valid(bad[i]));
    assert_false(cp_id_valid("a\0b", 3));
}

static void test_engine_refuses_dot_ids(void **state) {
    (void)state;
    cp_engine_config_t cfg;
    cp_engine_config_defaults(&cfg);
    cp_engine_t *e = cp_engine_new(&cfg);
    cp_server_spec_t spec = {.id = "..", .address = "a:1", .capacity = 1000};
    cp_server_t *s;
    bool created;
    assert_int_not_equal(cp_engine_server_put(e, &spec, 0, &s, &created), CP_OK);
    cp_meeting_spec_t ms = {.id = ".", .organizer = "o", .start = CP_TIME_NONE,
                            .end = CP_TIME_NONE};
    cp_meeting_t *m;
    const char *why;
    assert_int_not_equal(cp_engine_meeting_create(e, &ms, 0, &m, &why), CP_OK);
    assert_int_equal(cp_engine_meeting_count(e), 0);
    cp_engine_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_segments_are_not_ids),
        cmocka_unit_test(test_id_charset_and_length),
        cmocka_unit_test(test_engine_refuses_dot_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
