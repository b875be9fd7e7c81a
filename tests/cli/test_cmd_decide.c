/* noshow policy, actions and overbook run as a user would on a tiny
 * trained model: the JSON answers keep their promises (threshold from
 * costs, capacity and order, stable control draw, exact distribution),
 * and bad input gets a clear error or an empty, well-formed answer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/cli.h"
#include "support/model_fixture.h"
#include "support/run_cmd.h"

#define ROWS 600
#define DAY "2016-05-10"

static int setup(void **state)
{
    struct model_fixture *f = calloc(1, sizeof(*f));

    *state = f;
    if (f == NULL)
        return -1;
    return model_fixture_setup(f, "decide", ROWS, 11);
}

static int teardown(void **state)
{
    model_fixture_teardown(*state);
    free(*state);
    return 0;
}

#define run(cmd, f, n, ...)                                                \
    run_cmd(cmd_##cmd, #cmd, (f)->out, (f)->errf, (n), __VA_ARGS__)

#define assert_has(text, needle)                                           \
    do {                                                                   \
        if (strstr((text), (needle)) == NULL)                              \
            fail_msg("expected \"%s\" in \"%s\"", (needle), (text));       \
    } while (0)

/* The command's standard output parsed as JSON; fails the test when it
 * is not. Caller owns the reference. */
static json_t *out_json(const struct model_fixture *f)
{
    json_error_t je;
    json_t *j = json_load_file(f->out, 0, &je);

    if (j == NULL)
        fail_msg("output is not JSON (%s): %s", je.text,
                 run_cmd_slurp(f->out));
    return j;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_number(v))
        fail_msg("key '%s' is missing or not a number", key);
    return json_number_value(v);
}

static void test_policy_breakeven_from_costs_best_beats_it(void **state)
{
    struct model_fixture *f = *state;
    json_t *j, *obs, *best;

    assert_int_equal(run(policy, f, 9, f->model, f->csv, "--cost-slot",
                         "40", "--cost-call", "2", "--reminder-effect",
                         "0.5", "--json"), 0);
    j = out_json(f);
    if (fabs(num(j, "breakeven") - 0.1) > 1e-12)
        fail_msg("break-even %.17g, expected 2 / (0.5 x 40) = 0.1",
                 num(j, "breakeven"));
    obs = json_object_get(j, "observed");
    best = json_object_get(j, "best_observed");
    assert_non_null(obs);
    assert_non_null(best);
    assert_int_equal((size_t)num(j, "labelled"), f->t->nrows);
    if (num(best, "net_gain") < num(obs, "net_gain"))
        fail_msg("best threshold nets %g, less than break-even's %g",
                 num(best, "net_gain"), num(obs, "net_gain"));
    if (fabs(num(obs, "cost") - 2.0 * num(obs, "acted")) > 1e-9)
        fail_msg("cost %g is not 2 per reminder (%g reminders)",
                 num(obs, "cost"), num(obs, "acted"));
    json_decref(j);
}

static void test_policy_bad_costs_exit_2_naming_option(void **state)
{
    struct model_fixture *f = *state;

    assert_int_equal(run(policy, f, 8, f->model, f->csv, "--cost-slot",
                         "0", "--cost-call", "2", "--reminder-effect",
                         "0.5"), 2);
    assert_has(run_cmd_slurp(f->errf), "--cost-slot");
    assert_int_equal(run(policy, f, 8, f->model, f->csv, "--cost-slot",
                         "40", "--cost-call", "-1", "--reminder-effect",
                         "0.5"), 2);
    assert_has(run_cmd_slurp(f->errf), "--cost-call");
    assert_int_equal(run(policy, f, 8, f->model, f->csv, "--cost-slot",
                         "40", "--cost-call", "2", "--reminder-effect",
                         "1.5"), 2);
    assert_has(run_cmd_slurp(f->errf), "--reminder-effect");
    assert_int_equal(run(policy, f, 4, f->model, f->csv, "--cost-slot",
                         "40"), 2);
    assert_has(run_cmd_slurp(f->errf), "required");
}

/* Runs actions for DAY with the given capacity and control share. */
static json_t *actions(struct model_fixture *f, const char *capacity,
                       const char *share)
{
    assert_int_equal(run(actions, f, 11, f->model, f->csv, "--date", DAY,
                         "--capacity", capacity, "--control-share", share,
                         "--threshold", "0", "--json"), 0);
    return out_json(f);
}

static void test_actions_capacity_and_order_kept(void **state)
{
    struct model_fixture *f = *state;
    json_t *j = actions(f, "5", "0");
    json_t *list = json_object_get(j, "actions");
    double prev = INFINITY;
    size_t k;
    json_t *a;

    if (num(j, "appointments") < 6)
        fail_msg("fixture day has %g appointments; the test needs more "
                 "than the capacity", num(j, "appointments"));
    assert_int_equal(json_array_size(list), 5);
    json_array_foreach(list, k, a) {
        if (num(a, "gain") > prev)
            fail_msg("action %zu gains %g, more than the one before (%g)",
                     k, num(a, "gain"), prev);
        prev = num(a, "gain");
        assert_string_equal(json_string_value(json_object_get(a, "group")),
                            "act");
    }
    json_decref(j);
}

static void test_actions_control_draw_is_stable(void **state)
{
    struct model_fixture *f = *state;
    json_t *a = actions(f, "100", "0.5");
    json_t *b = actions(f, "100", "0.5");
    json_t *x;
    size_t k, nctl = 0;

    if (!json_equal(a, b))
        fail_msg("two runs with the same seed gave different lists");
    json_array_foreach(json_object_get(a, "actions"), k, x)
        nctl += strcmp(json_string_value(json_object_get(x, "group")),
                       "control") == 0;
    if (nctl == 0 || nctl == json_array_size(json_object_get(a, "actions")))
        fail_msg("a share of 0.5 put %zu of %zu in the control group", nctl,
                 json_array_size(json_object_get(a, "actions")));
    json_decref(a);
    json_decref(b);
}

static void test_actions_empty_day_and_zero_capacity_empty(void **state)
{
    struct model_fixture *f = *state;
    json_t *j = actions(f, "0", "0.1");

    assert_int_equal(json_array_size(json_object_get(j, "actions")), 0);
    json_decref(j);
    assert_int_equal(run(actions, f, 7, f->model, f->csv, "--date",
                         "2015-01-01", "--capacity", "10", "--json"), 0);
    j = out_json(f);
    assert_int_equal((int)num(j, "appointments"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "actions")), 0);
    json_decref(j);
}

static void test_actions_bad_input_errors(void **state)
{
    struct model_fixture *f = *state;

    assert_int_equal(run(actions, f, 6, f->model, f->csv, "--date",
                         "2016-13-01", "--capacity", "10"), 2);
    assert_has(run_cmd_slurp(f->errf), "2016-13-01");
    assert_int_equal(run(actions, f, 4, f->model, f->csv, "--date", DAY),
                     2);
    assert_has(run_cmd_slurp(f->errf), "--capacity");
    assert_int_equal(run(actions, f, 8, f->model, f->csv, "--date", DAY,
                         "--capacity", "3", "--specialty", "Cardio"), 1);
    assert_has(run_cmd_slurp(f->errf), "Specialty");
}

static void test_overbook_distribution_and_risk_kept(void **state)
{
    struct model_fixture *f = *state;
    json_t *j, *adv, *x;
    double sum = 0;
    size_t k;

    assert_int_equal(run(overbook, f, 9, f->model, f->csv, "--date", DAY,
                         "--slots", "20", "--risk", "0.1", "--json"), 0);
    j = out_json(f);
    adv = json_object_get(j, "advice");
    assert_int_equal(json_array_size(json_object_get(j,
                                                     "show_distribution")),
                     (size_t)num(j, "booked") + 1);
    json_array_foreach(json_object_get(j, "show_distribution"), k, x)
        sum += json_number_value(x);
    if (fabs(sum - 1.0) > 1e-9)
        fail_msg("show distribution sums to %.12f", sum);
    if (num(adv, "overflow_after") > 0.1 + 1e-12)
        fail_msg("overflow after advice %g passes the risk 0.1",
                 num(adv, "overflow_after"));
    if (num(adv, "idle_after") > num(adv, "idle_before"))
        fail_msg("extra bookings raised idle slots from %g to %g",
                 num(adv, "idle_before"), num(adv, "idle_after"));
    json_decref(j);
}

static void test_overbook_bad_risk_and_empty_day(void **state)
{
    struct model_fixture *f = *state;
    json_t *j;

    assert_int_equal(run(overbook, f, 8, f->model, f->csv, "--date", DAY,
                         "--slots", "20", "--risk", "1"), 2);
    assert_has(run_cmd_slurp(f->errf), "--risk");
    assert_int_equal(run(overbook, f, 9, f->model, f->csv, "--date",
                         "2015-01-01", "--slots", "20", "--risk", "0.1",
                         "--json"), 0);
    j = out_json(f);
    assert_int_equal((int)num(j, "booked"), 0);
    assert_true(json_is_null(json_object_get(j, "advice")) ||
                json_object_get(j, "advice") == NULL);
    json_decref(j);
}

/* backtest: random choice is the exact expectation k x no-shows / n,
 * and a list of every appointment reaches every no-show whatever the
 * order. */
static void test_backtest_random_is_exact_and_counts_add_up(void **state)
{
    struct model_fixture *f = *state;
    json_t *j, *d, *r;
    size_t i, c;

    assert_int_equal(run(backtest, f, 3, f->model, f->csv, "--json"), 0);
    j = out_json(f);
    json_array_foreach(json_object_get(j, "days"), i, d) {
        double n = num(d, "appointments"), y = num(d, "noshows");

        json_array_foreach(json_object_get(d, "reminders"), c, r) {
            double k = num(r, "calls");

            if (fabs(num(r, "random") - k * y / n) > 1e-9)
                fail_msg("day %zu: random reaches %g, expected %g", i,
                         num(r, "random"), k * y / n);
            if (num(r, "model") > y + 1e-9 || num(r, "lead_time") >
                                                  y + 1e-9)
                fail_msg("day %zu: a list reaches more than the day's "
                         "%g no-shows", i, y);
            if (k == n && (fabs(num(r, "model") - y) > 1e-9 ||
                           fabs(num(r, "lead_time") - y) > 1e-9))
                fail_msg("day %zu: calling everyone misses no-shows", i);
        }
        r = json_object_get(d, "overbooking");
        if (num(r, "idle_after") > num(r, "idle_before") + 1e-9)
            fail_msg("day %zu: overbooking raised idle slots", i);
    }
    json_decref(j);
    assert_int_equal(run(backtest, f, 4, f->model, f->csv, "--risk", "0"),
                     2);
    assert_has(run_cmd_slurp(f->errf), "--risk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_breakeven_from_costs_best_beats_it),
        cmocka_unit_test(test_policy_bad_costs_exit_2_naming_option),
        cmocka_unit_test(test_actions_capacity_and_order_kept),
        cmocka_unit_test(test_actions_control_draw_is_stable),
        cmocka_unit_test(test_actions_empty_day_and_zero_capacity_empty),
        cmocka_unit_test(test_actions_bad_input_errors),
        cmocka_unit_test(test_overbook_distribution_and_risk_kept),
        cmocka_unit_test(test_overbook_bad_risk_and_empty_day),
        cmocka_unit_test(test_backtest_random_is_exact_and_counts_add_up),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
