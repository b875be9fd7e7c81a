/* Training on a small made-up file: repeatable, calibrated after
 * reweighting, thresholds by the stated rule, and clear refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/table.h"
#include "model/train.h"
#include "support/synth.h"

struct fixture {
    char csv[64];
    struct table *t;
    struct schema *s;
};

static int load(struct fixture *f, int n, int label_mode)
{
    struct table_load_opts lo = {.schema_name = "kaggle-noshow",
                                 .need_label = true};
    struct clean_report rep = {0};

    table_free(f->t);
    schema_free(f->s);
    f->t = NULL;
    f->s = NULL;
    if (synth_write(f->csv, n, 11, label_mode) != 0)
        return -1;
    return table_load_csv(f->csv, NULL, &lo, &f->t, &f->s, &rep, NULL) ==
                   NS_OK ? 0 : -1;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->csv, sizeof(f->csv), "/tmp/ns_train_%d.csv", getpid());
    *state = f;
    return load(f, 2000, 0);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->csv);
    table_free(f->t);
    schema_free(f->s);
    free(f);
    return 0;
}

static void small_opts(struct train_opts *o)
{
    train_opts_default(o);
    o->xgb.n_trees = 40;
    o->xgb.nthread = 1;
}

static void test_train_same_seed_same_model(void **state)
{
    struct fixture *f = *state;
    struct train_opts o;
    struct train_result a, b;
    struct ns_error err = {0};

    small_opts(&o);
    o.test_from = ns_days_from_civil(2016, 5, 21);
    assert_int_equal(train_run(f->t, &o, &a, &err), NS_OK);
    assert_int_equal(train_run(f->t, &o, &b, &err), NS_OK);
    if (a.test.auc != b.test.auc || a.test.brier != b.test.brier ||
        bundle_threshold(a.bundle) != bundle_threshold(b.bundle))
        fail_msg("two runs differ: AUC %.17g vs %.17g", a.test.auc,
                 b.test.auc);
    assert_true(a.test.auc > 0.6);
    assert_int_equal(a.n_train + a.n_test, f->t->nrows);
    train_result_free(&a);
    train_result_free(&b);
}

/* Oversampling to 1:1 inflates probabilities; calibration on held-out
 * rows must bring the mean back near the observed rate. */
static void test_train_oversampled_then_calibrated_mean_matches(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result r;
    struct ns_error err = {0};
    double gap_cal, gap_raw;

    small_opts(&o);
    o.imbalance = TRAIN_IMB_OVERSAMPLE;
    o.calibrate = TRAIN_CAL_PLATT;
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_OK);
    gap_cal = fabs(r.test.mean_predicted - r.test.observed_rate);
    gap_raw = fabs(r.uncal_mean - r.test.observed_rate);
    if (!(gap_cal < 0.05 && gap_raw > 0.1))
        fail_msg("observed %.3f: calibrated mean %.3f, raw mean %.3f",
                 r.test.observed_rate, r.test.mean_predicted, r.uncal_mean);
    train_result_free(&r);
}

static void test_train_recall_rule_lower_target_higher_threshold(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result lo, hi;
    struct ns_error err = {0};

    small_opts(&o);
    o.rule.kind = METRICS_RULE_TARGET_RECALL;
    o.rule.target_recall = 0.9;
    assert_int_equal(train_run(f->t, &o, &hi, &err), NS_OK);
    o.rule.target_recall = 0.3;
    assert_int_equal(train_run(f->t, &o, &lo, &err), NS_OK);
    assert_string_equal(bundle_threshold_rule(hi.bundle), "recall");
    if (!(bundle_threshold(lo.bundle) > bundle_threshold(hi.bundle)))
        fail_msg("recall 0.3 gave threshold %.4f, recall 0.9 gave %.4f",
                 bundle_threshold(lo.bundle), bundle_threshold(hi.bundle));
    assert_true(hi.test.recall > lo.test.recall);
    train_result_free(&lo);
    train_result_free(&hi);
}

static void test_train_cost_rule_cheap_reminders_flag_more(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result cheap, dear;
    struct ns_error err = {0};

    small_opts(&o);
    o.rule.kind = METRICS_RULE_COST;
    o.rule.cost_missed = 10;
    o.rule.cost_reminder = 1;
    assert_int_equal(train_run(f->t, &o, &cheap, &err), NS_OK);
    o.rule.cost_reminder = 5;
    assert_int_equal(train_run(f->t, &o, &dear, &err), NS_OK);
    assert_string_equal(bundle_threshold_rule(cheap.bundle), "cost");
    assert_true(bundle_threshold(cheap.bundle) <
                bundle_threshold(dear.bundle));
    train_result_free(&cheap);
    train_result_free(&dear);
}

static void test_train_search_grouped_cv_stores_choice(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result r;
    struct ns_error err = {0};

    small_opts(&o);
    o.search = true;
    o.folds = 2;
    o.xgb.n_trees = 15;
    o.xgb.early_stopping_rounds = 3;
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_OK);
    assert_true(isfinite(r.cv_logloss));
    assert_true(r.chosen.max_depth == 3 || r.chosen.max_depth == 4 ||
                r.chosen.max_depth == 6 || r.chosen.max_depth == 8);
    train_result_free(&r);
}

static void test_train_test_from_outside_names_range(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result r;
    struct ns_error err = {0};

    small_opts(&o);
    o.test_from = ns_days_from_civil(2017, 1, 1);
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_ERR_INVALID);
    if (strstr(err.msg, "2016-04-29") == NULL ||
        strstr(err.msg, "2016-05-31") == NULL)
        fail_msg("message does not name the range: %s", err.msg);
    assert_null(r.bundle);
}

/* --holdout-days N holds out exactly the training rows of the latest N
 * appointment days: the model that early stopping and calibration see
 * was fitted on earlier days only. */
static void test_train_holdout_days_takes_latest_days(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result r;
    struct ns_error err = {0};
    int32_t cut = ns_days_from_civil(2016, 5, 21);
    int32_t last = INT32_MIN;
    size_t want = 0, train = 0;

    for (size_t i = 0; i < f->t->nrows; i++) {
        if (f->t->appt_day[i] < cut && f->t->label[i] >= 0 &&
            f->t->appt_day[i] > last)
            last = f->t->appt_day[i];
    }
    for (size_t i = 0; i < f->t->nrows; i++) {
        if (f->t->appt_day[i] >= cut || f->t->label[i] < 0)
            continue;
        train++;
        want += f->t->appt_day[i] > last - 7;
    }
    assert_true(want > 0 && want < train);
    small_opts(&o);
    o.test_from = cut;
    o.holdout_days = 7;
    o.calibrate = TRAIN_CAL_INTERCEPT;
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_OK);
    if (r.n_valid != want || r.n_train != train)
        fail_msg("held out %zu of %zu, expected %zu of %zu", r.n_valid,
                 r.n_train, want, train);
    /* the final model is still fitted on every training row */
    assert_int_equal(r.n_fit, train);
    train_result_free(&r);
}

static void test_train_holdout_days_refusals_name_option(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result r;
    struct ns_error err = {0};

    small_opts(&o);
    o.holdout_days = 7;        /* a random split has no latest days */
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_ERR_INVALID);
    if (strstr(err.msg, "--holdout-days 7") == NULL ||
        strstr(err.msg, "--test-from") == NULL)
        fail_msg("unexpected message: %s", err.msg);
    assert_null(r.bundle);

    o.test_from = ns_days_from_civil(2016, 5, 21);
    o.holdout_days = 400;      /* every training day: nothing to fit */
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_ERR_INVALID);
    if (strstr(err.msg, "--holdout-days 400") == NULL ||
        strstr(err.msg, "2016-05-20") == NULL ||
        strstr(err.msg, "fewer days") == NULL)
        fail_msg("unexpected message: %s", err.msg);
    assert_null(r.bundle);
}

static void test_train_one_class_refused(void **st)
{
    struct fixture *f = *st;
    struct train_opts o;
    struct train_result r;
    struct ns_error err = {0};

    assert_int_equal(load(f, 200, 1), 0);
    small_opts(&o);
    assert_int_equal(train_run(f->t, &o, &r, &err), NS_ERR_INVALID);
    if (strstr(err.msg, "one class") == NULL)
        fail_msg("unexpected message: %s", err.msg);
    assert_int_equal(load(f, 2000, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_same_seed_same_model),
        cmocka_unit_test(test_train_oversampled_then_calibrated_mean_matches),
        cmocka_unit_test(test_train_recall_rule_lower_target_higher_threshold),
        cmocka_unit_test(test_train_cost_rule_cheap_reminders_flag_more),
        cmocka_unit_test(test_train_search_grouped_cv_stores_choice),
        cmocka_unit_test(test_train_test_from_outside_names_range),
        cmocka_unit_test(test_train_holdout_days_takes_latest_days),
        cmocka_unit_test(test_train_holdout_days_refusals_name_option),
        cmocka_unit_test(test_train_one_class_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
