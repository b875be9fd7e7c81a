/* Calibration: Platt, isotonic and intercept fits on a miscalibrated
 * synthetic set. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/calibrate.h"
#include "model/split.h"

#define N 4000

static double margin[N];
static float label[N];
static double observed;

/* True log-odds z ~ U(-3, 1); the model reports 2 z + 1, which is
 * over-confident and shifted, so sigmoid(margin) is miscalibrated and
 * Platt should find a = -0.5, b = 0.5. */
static int setup(void **state)
{
    struct split_rng s;
    size_t pos = 0;

    (void)state;
    split_rng_seed(&s, 77);
    for (size_t i = 0; i < N; i++) {
        double z = split_rng_uniform(&s) * 4.0 - 3.0;

        margin[i] = 2.0 * z + 1.0;
        label[i] = split_rng_uniform(&s) < 1.0 / (1.0 + exp(-z)) ? 1.0f
                                                                 : 0.0f;
        pos += label[i] > 0.5f;
    }
    observed = (double)pos / N;
    return 0;
}

static double mean_probability(const struct calib *c)
{
    double sum = 0;

    for (size_t i = 0; i < N; i++)
        sum += calib_apply(c, margin[i]);
    return sum / N;
}

static void test_identity_is_miscalibrated_on_this_set(void **state)
{
    struct calib c;

    (void)state;
    assert_int_equal(calib_fit(CALIB_IDENTITY, margin, label, N, &c, NULL),
                     NS_OK);
    if (fabs(mean_probability(&c) - observed) < 0.05)
        fail_msg("fixture is not miscalibrated: mean %g, rate %g",
                 mean_probability(&c), observed);
    assert_true(fabs(calib_apply(&c, 0.0) - 0.5) < 1e-15);
}

static void test_platt_matches_observed_rate(void **state)
{
    struct calib c;
    struct ns_error err = {0};

    (void)state;
    if (calib_fit(CALIB_PLATT, margin, label, N, &c, &err) != NS_OK)
        fail_msg("Platt fit failed: %s", err.msg);
    if (fabs(mean_probability(&c) - observed) > 0.002)
        fail_msg("Platt mean %g vs observed rate %g", mean_probability(&c),
                 observed);
    if (fabs(c.a + 0.5) > 0.06 || fabs(c.b - 0.5) > 0.12)
        fail_msg("Platt a=%g b=%g, expected about -0.5 and 0.5", c.a, c.b);

    /* scikit-learn 1.2.1 sklearn.calibration._sigmoid_calibration on the
     * same 4000 rows (its BFGS stops at about 1e-8). */
    if (fabs(c.a - -0.47755007056019205) > 1e-6 ||
        fabs(c.b - 0.5336014593505158) > 1e-6)
        fail_msg("Platt a=%.10f b=%.10f, scikit-learn gives -0.4775500706 "
                 "and 0.5336014594", c.a, c.b);
}

/* The shift's fit condition is "mean probability = observed rate", so it
 * holds to rounding; on margins that are the true log-odds plus 1 the
 * shift is about 1 and the slope stays 1. */
static void test_intercept_matches_rate_and_recovers_shift(void **state)
{
    static double shifted[N];
    struct calib c;
    struct ns_error err = {0};
    double sum = 0;

    (void)state;
    if (calib_fit(CALIB_INTERCEPT, margin, label, N, &c, &err) != NS_OK)
        fail_msg("intercept fit failed: %s", err.msg);
    if (fabs(mean_probability(&c) - observed) > 1e-9)
        fail_msg("intercept mean %.12f vs observed rate %.12f",
                 mean_probability(&c), observed);
    for (size_t i = 0; i < N; i++)
        shifted[i] = (margin[i] - 1.0) / 2.0 + 1.0;
    assert_int_equal(calib_fit(CALIB_INTERCEPT, shifted, label, N, &c,
                               NULL), NS_OK);
    if (fabs(c.b - 1.0) > 0.15)
        fail_msg("intercept b=%g, expected about 1", c.b);
    for (size_t i = 0; i < N; i++)
        sum += calib_apply(&c, shifted[i]);
    if (fabs(sum / N - observed) > 1e-9)
        fail_msg("shifted mean %.12f vs observed %.12f", sum / N, observed);
    assert_true(fabs(calib_apply(&c, c.b) - 0.5) < 1e-15);
}

static void test_isotonic_matches_rate_and_is_monotone(void **state)
{
    struct calib c;
    struct ns_error err = {0};
    double prev = -1;

    (void)state;
    if (calib_fit(CALIB_ISOTONIC, margin, label, N, &c, &err) != NS_OK)
        fail_msg("isotonic fit failed: %s", err.msg);
    /* Pooling keeps the sum of labels: the mean matches exactly. */
    if (fabs(mean_probability(&c) - observed) > 1e-9)
        fail_msg("isotonic mean %.12g vs observed rate %.12g",
                 mean_probability(&c), observed);
    for (double m = -8; m <= 8; m += 0.01) {
        double p = calib_apply(&c, m);

        if (p < prev || p < 0 || p > 1)
            fail_msg("isotonic output %g at margin %g after %g", p, m,
                     prev);
        prev = p;
    }
    for (size_t i = 1; i < c.n_points; i++)
        assert_true(c.x[i] > c.x[i - 1]);
    calib_free(&c);
}

/* Four rows, hand-pooled: y = 0, 1, 0, 1 at x = .1 .2 .3 .4 pools the
 * middle pair into 0.5, giving knots (.1,0) (.2,.5) (.3,.5) (.4,1). */
static void test_isotonic_interpolates_between_blocks(void **state)
{
    const double m[4] = {log(0.1 / 0.9), log(0.2 / 0.8), log(0.3 / 0.7),
                         log(0.4 / 0.6)};
    const float y[4] = {0, 1, 0, 1};
    struct calib c;

    (void)state;
    assert_int_equal(calib_fit(CALIB_ISOTONIC, m, y, 4, &c, NULL), NS_OK);
    assert_int_equal(c.n_points, 4);
    assert_true(fabs(c.y[1] - 0.5) < 1e-12 && fabs(c.y[2] - 0.5) < 1e-12);
    /* Halfway between x = .1 (0) and x = .2 (.5). */
    assert_true(fabs(calib_apply(&c, log(0.15 / 0.85)) - 0.25) < 1e-9);
    /* Clipped outside the knots. */
    assert_true(calib_apply(&c, -10) == 0.0);
    assert_true(calib_apply(&c, 10) == 1.0);
    calib_free(&c);
}

static void round_trip(enum calib_method method)
{
    struct calib c, back;
    struct ns_error err = {0};
    json_t *j = NULL;
    char *text;

    assert_int_equal(calib_fit(method, margin, label, N, &c, NULL), NS_OK);
    assert_int_equal(calib_to_json(&c, &j, NULL), NS_OK);
    text = json_dumps(j, JSON_REAL_PRECISION(17));
    json_decref(j);
    j = json_loads(text, 0, NULL);
    if (calib_from_json(j, &back, &err) != NS_OK)
        fail_msg("%s: reading back failed: %s", calib_method_name(method),
                 err.msg);
    for (double m = -6; m <= 6; m += 0.37)
        if (calib_apply(&c, m) != calib_apply(&back, m))
            fail_msg("%s: margin %g gives %.17g, after JSON %.17g",
                     calib_method_name(method), m, calib_apply(&c, m),
                     calib_apply(&back, m));
    json_decref(j);
    free(text);
    calib_free(&c);
    calib_free(&back);
}

static void test_json_round_trip_keeps_outputs(void **state)
{
    (void)state;
    round_trip(CALIB_IDENTITY);
    round_trip(CALIB_PLATT);
    round_trip(CALIB_ISOTONIC);
    round_trip(CALIB_INTERCEPT);
}

static void expect_refused(const char *text, const char *field)
{
    struct calib c;
    struct ns_error err = {0};
    json_t *j = json_loads(text, 0, NULL);

    assert_non_null(j);
    if (calib_from_json(j, &c, &err) == NS_OK)
        fail_msg("accepted %s", text);
    if (strcmp(err.field, field) != 0)
        fail_msg("%s: error names field \"%s\", expected \"%s\" (%s)", text,
                 err.field, field, err.msg);
    json_decref(j);
}

static void test_bad_json_is_refused_naming_the_field(void **state)
{
    (void)state;
    expect_refused("{\"method\":\"sigmoid\"}", "calibration");
    expect_refused("{\"a\":1}", "method");
    expect_refused("{\"method\":\"platt\",\"a\":1}", "b");
    expect_refused("{\"method\":\"intercept\",\"b\":\"x\"}", "b");
    expect_refused("{\"method\":\"platt\",\"a\":\"x\",\"b\":1}", "a");
    expect_refused("{\"method\":\"isotonic\",\"x\":[0.1,0.1],"
                   "\"y\":[0,1]}", "calibration.x[1]");
    expect_refused("{\"method\":\"isotonic\",\"x\":[0.1,0.2],"
                   "\"y\":[0.5,0.4]}", "calibration.y[1]");
    expect_refused("{\"method\":\"isotonic\",\"x\":[0.1,0.2],"
                   "\"y\":[0.5]}", "y");
    expect_refused("{\"method\":\"isotonic\",\"x\":[],\"y\":[]}", "x");
}

static void test_one_class_is_refused(void **state)
{
    const double m[3] = {0.1, 0.2, 0.3};
    const float y[3] = {1, 1, 1};
    struct calib c;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(calib_fit(CALIB_PLATT, m, y, 3, &c, &err),
                     NS_ERR_INVALID);
    if (!strstr(err.msg, "both classes"))
        fail_msg("unclear message: %s", err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_is_miscalibrated_on_this_set),
        cmocka_unit_test(test_platt_matches_observed_rate),
        cmocka_unit_test(test_intercept_matches_rate_and_recovers_shift),
        cmocka_unit_test(test_isotonic_matches_rate_and_is_monotone),
        cmocka_unit_test(test_isotonic_interpolates_between_blocks),
        cmocka_unit_test(test_json_round_trip_keeps_outputs),
        cmocka_unit_test(test_bad_json_is_refused_naming_the_field),
        cmocka_unit_test(test_one_class_is_refused),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
