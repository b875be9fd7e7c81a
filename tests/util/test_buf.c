/* The decimal writers against printf, at the edges and on a sweep of
 * values of every length. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"

static void same_as_printf_u64(uint64_t v)
{
    char got[32], want[32];
    char *end = ns_put_u64(got, v);

    *end = '\0';
    snprintf(want, sizeof(want), "%" PRIu64, v);
    assert_string_equal(got, want);
}

static void same_as_printf_i64(int64_t v)
{
    char got[32], want[32];
    char *end = ns_put_i64(got, v);

    *end = '\0';
    snprintf(want, sizeof(want), "%" PRId64, v);
    assert_string_equal(got, want);
}

static void test_put_u64_edges_and_every_length(void **state)
{
    uint64_t v = 1;

    (void)state;
    same_as_printf_u64(0);
    same_as_printf_u64(UINT64_MAX);
    for (int i = 0; i < 20; i++, v *= 10) {
        same_as_printf_u64(v - 1);
        same_as_printf_u64(v);
        same_as_printf_u64(v + 7);
    }
}

static void test_put_i64_edges_and_signs(void **state)
{
    int64_t v = 1;

    (void)state;
    same_as_printf_i64(0);
    same_as_printf_i64(INT64_MAX);
    same_as_printf_i64(INT64_MIN);
    for (int i = 0; i < 18; i++, v *= 10) {
        same_as_printf_i64(v);
        same_as_printf_i64(-v);
        same_as_printf_i64(-v + 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_u64_edges_and_every_length),
        cmocka_unit_test(test_put_i64_edges_and_signs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
