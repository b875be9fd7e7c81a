/* Poisson-binomial distribution and overbooking advice. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide/overbook.h"

/* Exact distribution by enumerating all 2^n outcomes. */
static void brute_pmf(const double *p, size_t n, double *pmf)
{
    for (size_t k = 0; k <= n; k++)
        pmf[k] = 0.0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        double prob = 1.0;
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
            if (mask & (1u << i)) {
                prob *= p[i];
                k++;
            } else {
                prob *= 1.0 - p[i];
            }
        }
        pmf[k] += prob;
    }
}

static void test_pmf_small_sessions_match_enumeration(void **state)
{
    double p[12], got[13], want[13];
    uint64_t x = 12345;

    (void)state;
    for (size_t n = 0; n <= 12; n++) {
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            p[i] = (double)(x >> 11) * 0x1.0p-53;
        }
        assert_int_equal(overbook_pmf(p, n, got, NULL), NS_OK);
        brute_pmf(p, n, want);
        for (size_t k = 0; k <= n; k++) {
            if (fabs(got[k] - want[k]) > 1e-12)
                fail_msg("n=%zu k=%zu: dp %.15g, enumeration %.15g", n, k,
                         got[k], want[k]);
        }
    }
}

static void test_pmf_large_session_is_close_to_normal(void **state)
{
    enum { N = 400 };
    double p[N], pmf[N + 1], mean = 0.0, var = 0.0, cdf = 0.0;

    (void)state;
    for (size_t i = 0; i < N; i++) {
        p[i] = 0.5 + 0.4 * sin((double)i);
        mean += p[i];
        var += p[i] * (1.0 - p[i]);
    }
    assert_int_equal(overbook_pmf(p, N, pmf, NULL), NS_OK);

    /* Compare the CDF with the normal one (continuity-corrected) at
     * several points; the error of the approximation is O(1/sqrt(var)). */
    for (size_t k = 0; k <= N; k++) {
        double z, normal;

        cdf += pmf[k];
        z = ((double)k + 0.5 - mean) / sqrt(var);
        normal = 0.5 * erfc(-z / sqrt(2.0));
        if (fabs(cdf - normal) > 0.01)
            fail_msg("k=%zu: cdf %.5f vs normal %.5f", k, cdf, normal);
    }
}

static void test_pmf_rejects_probability_outside_unit_interval(void **state)
{
    double p[2] = {0.3, 1.2}, pmf[3];
    struct ns_error err;

    (void)state;
    assert_int_equal(overbook_pmf(p, 2, pmf, &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "1.2"));
}

static void test_advice_keeps_overflow_under_risk(void **state)
{
    double noshow[10];
    struct overbook_advice a;

    (void)state;
    for (size_t i = 0; i < 10; i++)
        noshow[i] = 0.3;
    assert_int_equal(overbook_advise(noshow, 10, 10, 0.3, 0.10, 20, &a,
                                     NULL), NS_OK);
    assert_true(a.extra > 0);
    assert_true(a.overflow_after <= 0.10);
    assert_true(a.idle_after < a.idle_before);
    assert_true(a.expected_shows_before > 6.99 &&
                a.expected_shows_before < 7.01);

    /* One more booking than advised must break the risk bound. */
    {
        double more[40];
        struct overbook_advice b;

        for (size_t i = 0; i < 10 + a.extra + 1; i++)
            more[i] = 0.3;
        assert_int_equal(overbook_advise(more, 10 + a.extra + 1, 10, 0.3,
                                         0.10, 0, &b, NULL), NS_OK);
        assert_true(b.overflow_before > 0.10);
    }
}

static void test_advice_rejects_bad_risk_and_zero_slots(void **state)
{
    double noshow[1] = {0.2};
    struct overbook_advice a;
    struct ns_error err;

    (void)state;
    assert_int_equal(overbook_advise(noshow, 1, 1, 0.2, 1.0, 5, &a, &err),
                     NS_ERR_INVALID);
    assert_string_equal(err.field, "risk");
    assert_int_equal(overbook_advise(noshow, 1, 0, 0.2, 0.1, 5, &a, &err),
                     NS_ERR_INVALID);
    assert_string_equal(err.field, "slots");
}

static void test_advice_for_empty_session_is_well_formed(void **state)
{
    struct overbook_advice a;

    (void)state;
    assert_int_equal(overbook_advise(NULL, 0, 4, 0.2, 0.1, 10, &a, NULL),
                     NS_OK);
    assert_int_equal(a.booked, 0);
    assert_true(a.idle_before == 4.0);
    assert_true(a.extra <= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pmf_small_sessions_match_enumeration),
        cmocka_unit_test(test_pmf_large_session_is_close_to_normal),
        cmocka_unit_test(test_pmf_rejects_probability_outside_unit_interval),
        cmocka_unit_test(test_advice_keeps_overflow_under_risk),
        cmocka_unit_test(test_advice_rejects_bad_risk_and_zero_slots),
        cmocka_unit_test(test_advice_for_empty_session_is_well_formed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
