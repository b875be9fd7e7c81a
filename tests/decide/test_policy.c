/* Cost-based thresholds, action lists and the measured effect. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide/policy.h"

static const struct policy_costs costs = {.slot = 100, .call = 5,
                                          .effect = 0.5};

static void test_breakeven_is_call_over_saved_value(void **state)
{
    (void)state;
    assert_true(fabs(policy_breakeven(&costs) - 0.1) < 1e-12);
    assert_true(fabs(policy_gain(&costs, 0.1)) < 1e-12);
    assert_true(policy_gain(&costs, 0.5) > 0);
}

static void test_best_threshold_maximises_realised_gain(void **state)
{
    /* Acting on a row with y=1 gains 0.5*100-5 = 45, on y=0 loses 5. */
    const double p[] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2};
    const int y[] = {1, 0, 1, 0, 0, 0, 1, 0};
    struct policy_eval best, e;
    double top = -INFINITY;

    (void)state;
    assert_int_equal(policy_best_threshold(&costs, p, y, 8, &best, NULL),
                     NS_OK);

    /* Brute force over every candidate threshold. */
    for (size_t i = 0; i < 8; i++) {
        policy_evaluate(&costs, p, y, 8, p[i], &e);
        if (e.net_gain > top)
            top = e.net_gain;
    }
    assert_true(fabs(best.net_gain - top) < 1e-9);
    assert_true(best.threshold == 0.3);
    assert_int_equal(best.acted, 7);
    assert_true(fabs(best.net_gain - (3 * 45.0 - 4 * 5.0)) < 1e-9);
    assert_true(fabs(best.per1000_acted - 875.0) < 1e-9);
}

static void test_best_threshold_acts_on_none_when_calls_never_pay(void **s)
{
    const double p[] = {0.05, 0.02};
    const int y[] = {0, 0};
    struct policy_eval best;

    (void)s;
    assert_int_equal(policy_best_threshold(&costs, p, y, 2, &best, NULL),
                     NS_OK);
    assert_int_equal(best.acted, 0);
    assert_true(best.net_gain == 0.0);
}

static void test_costs_must_be_positive(void **state)
{
    struct policy_costs c = costs;
    struct ns_error err;

    (void)state;
    c.slot = 0;
    assert_int_equal(policy_check(&c, &err), NS_ERR_INVALID);
    assert_string_equal(err.field, "cost_slot");
    c = costs;
    c.call = -1;
    assert_int_equal(policy_check(&c, &err), NS_ERR_INVALID);
    assert_string_equal(err.field, "cost_call");
    c = costs;
    c.effect = 1.5;
    assert_int_equal(policy_check(&c, &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "1.5"));
}

static void test_actions_respect_capacity_and_order(void **state)
{
    const double p[] = {0.2, 0.9, 0.05, 0.6, 0.6, 0.4};
    const uint64_t key[] = {1, 2, 3, 4, 5, 6};
    const int recent[] = {0, 0, 0, 0, 0, 1};
    struct policy_action *a = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(policy_actions(&costs, p, key, recent, 6, 0.1, 3, 0.0,
                                    7, &a, &n, NULL), NS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(a[0].index, 1);
    assert_int_equal(a[1].index, 3);    /* ties broken by index */
    assert_int_equal(a[2].index, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(a[i].control, 0);
    free(a);

    assert_int_equal(policy_actions(&costs, p, key, NULL, 6, 0.1, 0, 0.0, 7,
                                    &a, &n, NULL), NS_OK);
    assert_int_equal(n, 0);
    free(a);
}

static void test_control_share_is_close_to_requested(void **state)
{
    size_t hits = 0;

    (void)state;
    for (uint64_t k = 0; k < 100000; k++)
        hits += (size_t)policy_is_control(k, 42, 0.1);
    assert_true(hits > 9500 && hits < 10500);
    assert_int_equal(policy_is_control(77, 42, 0.1),
                     policy_is_control(77, 42, 0.1));
}

static void test_effect_interval_contains_difference(void **state)
{
    struct policy_effect e;

    (void)state;
    policy_effect(900, 150, 100, 25, &e);
    assert_true(fabs(e.rate_acted - 150.0 / 900) < 1e-12);
    assert_true(fabs(e.difference - (0.25 - 150.0 / 900)) < 1e-12);
    assert_true(e.ci_low < e.difference && e.difference < e.ci_high);
    assert_true(e.ci_low > -0.2 && e.ci_high < 0.3);

    policy_effect(10, 1, 0, 0, &e);
    assert_true(isnan(e.rate_control) && isnan(e.ci_low));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breakeven_is_call_over_saved_value),
        cmocka_unit_test(test_best_threshold_maximises_realised_gain),
        cmocka_unit_test(test_best_threshold_acts_on_none_when_calls_never_pay),
        cmocka_unit_test(test_costs_must_be_positive),
        cmocka_unit_test(test_actions_respect_capacity_and_order),
        cmocka_unit_test(test_control_share_is_close_to_requested),
        cmocka_unit_test(test_effect_interval_contains_difference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
