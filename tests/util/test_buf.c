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

static void assert_g9(float v)
{
    char want[40], got[40];
    char *end = ns_put_float_g9(got, v);

    *end = '\0';
    snprintf(want, sizeof(want), "%.9g", (double)v);
    assert_string_equal(got, want);
}

/* Byte for byte the text of %.9g: edges of the fast range, rounding up
 * to the next power of ten, exact halves, and a spread of floats over
 * every binade from below 1e-4 to above 1e9, both signs. */
static void test_put_float_g9_matches_printf(void **state)
{
    static const float edges[] = {
        0.0f, 1e-4f, 9.9999997e-5f, 1e-3f, 0.1f, 0.5f, 1.0f, 10.0f,
        0.368298620f, 0.333333343f, 2.5f, 1e8f, 999999936.0f, 1e9f,
        123456792.0f, 16777217.0f, 3.40282347e38f, 1.17549435e-38f,
        1e-45f, 53.9804611f, 0.0331018530f, 99999.9922f, 0.000999999931f};
    uint32_t lo, hi;
    float from = 1e-5f, to = 1e10f;

    (void)state;
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        assert_g9(edges[i]);
        assert_g9(-edges[i]);
    }
    memcpy(&lo, &from, sizeof(lo));
    memcpy(&hi, &to, sizeof(hi));
    for (uint32_t u = lo; u < hi; u += 4099) {
        float v;

        memcpy(&v, &u, sizeof(v));
        assert_g9(v);
        assert_g9(-v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_u64_edges_and_every_length),
        cmocka_unit_test(test_put_i64_edges_and_signs),
        cmocka_unit_test(test_put_float_g9_matches_printf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
