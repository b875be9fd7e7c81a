/* Drift: reference histograms from made-up training rows, PSI of a fresh
 * sample of the same process (no warning) and of a shifted one (warning),
 * and the reference's trip through a saved bundle. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/drift.h"
#include "model/train.h"
#include "support/synth.h"

static struct table *load(const char *path, int rows, uint64_t seed,
                          struct schema **s)
{
    struct table_load_opts lo = {.schema_name = "kaggle-noshow",
                                 .need_label = true};
    struct table *t = NULL;

    assert_int_equal(synth_write(path, rows, seed, 0), 0);
    assert_int_equal(table_load_csv(path, NULL, &lo, &t, s, NULL, NULL),
                     NS_OK);
    unlink(path);
    return t;
}

/* Feeds every row of t (Age moved by age_shift) to d; returns the
 * largest PSI and the name of its feature in worst. */
static double feed(struct drift *d, const struct table *t, double age_shift,
                   const char **worst)
{
    struct record *r = record_new(t->schema);
    int age = schema_find_name(t->schema, "Age");
    double max = 0;
    const char *name;
    double psi;

    assert_non_null(r);
    assert_true(age >= 0);
    for (size_t i = 0; i < t->nrows; i++) {
        table_row(t, i, r);
        r->num[age] += age_shift;
        drift_add(d, r);
    }
    record_free(r);
    for (size_t i = 0; drift_feature_psi(d, i, &name, &psi); i++) {
        if (isnan(psi))
            fail_msg("feature %s has no PSI after %zu rows", name,
                     drift_rows(d));
        if (psi > max) {
            max = psi;
            *worst = name;
        }
    }
    return max;
}

static void check_stream(double shift, bool want_warning)
{
    char a[64], b[64];
    struct schema *s1 = NULL, *s2 = NULL;
    struct table *train, *recent;
    struct drift *d = NULL;
    json_t *ref = NULL;
    const char *worst = "";
    double max;

    snprintf(a, sizeof(a), "/tmp/ns_drift_a_%d.csv", getpid());
    snprintf(b, sizeof(b), "/tmp/ns_drift_b_%d.csv", getpid());
    train = load(a, 600, 11, &s1);
    recent = load(b, 400, 12, &s2);
    assert_int_equal(drift_reference(train, NULL, 0, &ref, NULL), NS_OK);
    assert_int_equal(drift_new(ref, s1, &d, NULL), NS_OK);
    max = feed(d, recent, shift, &worst);
    if (want_warning && !(max > DRIFT_PSI_WARN))
        fail_msg("Age moved by %g years: largest PSI %.3f (%s), expected "
                 "above %.1f", shift, max, worst, DRIFT_PSI_WARN);
    if (!want_warning && max > DRIFT_PSI_WARN)
        fail_msg("an unshifted sample warned: PSI %.3f on %s", max, worst);
    if (want_warning)
        assert_string_equal(worst, "Age");
    drift_free(d);
    json_decref(ref);
    table_free(train);
    table_free(recent);
    schema_free(s1);
    schema_free(s2);
}

static void test_drift_unshifted_stream_no_warning(void **state)
{
    (void)state;
    check_stream(0, false);
}

static void test_drift_shifted_age_warns_on_age(void **state)
{
    (void)state;
    check_stream(40, true);
}

static void test_drift_reference_survives_bundle_round_trip(void **state)
{
    char a[64];
    struct schema *s = NULL;
    struct table *t;
    struct train_opts o;
    struct train_result res = {0};
    struct bundle *b = NULL;
    char *text = NULL;
    size_t len = 0;
    const json_t *ref;

    (void)state;
    snprintf(a, sizeof(a), "/tmp/ns_drift_c_%d.csv", getpid());
    t = load(a, 300, 5, &s);
    train_opts_default(&o);
    o.xgb.n_trees = 5;
    o.xgb.nthread = 1;
    assert_int_equal(train_run(t, &o, &res, NULL), NS_OK);
    assert_non_null(bundle_reference(res.bundle));
    assert_int_equal(bundle_to_text(res.bundle, &text, &len, NULL), NS_OK);
    assert_int_equal(bundle_load_mem(text, len, "mem", &b, NULL), NS_OK);
    ref = bundle_reference(b);
    assert_non_null(ref);
    /* Every input column: 6 yes/no, Age, Handcap, Gender, Neighbourhood. */
    assert_true(json_array_size(json_object_get(ref, "features")) >= 9);
    assert_true(json_equal((json_t *)ref,
                           (json_t *)bundle_reference(res.bundle)));
    free(text);
    bundle_free(b);
    train_result_free(&res);
    table_free(t);
    schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drift_unshifted_stream_no_warning),
        cmocka_unit_test(test_drift_shifted_age_warns_on_age),
        cmocka_unit_test(test_drift_reference_survives_bundle_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
