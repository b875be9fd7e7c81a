/* Metrics against hand computations and scikit-learn 1.2.1 values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/metrics.h"
#include "model/split.h"

/* 5 positives, 7 negatives, ties across classes at 0.8, 0.6 and 0.3. */
static const double P12[12] = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6,
                               0.6, 0.4, 0.3, 0.3, 0.2, 0.1};
static const float Y12[12] = {1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0};

#define BIG 1000

static double big_p[BIG];
static float big_y[BIG];

/* Integer-only recipe, repeated in Python to get scikit-learn's values:
 * score = (a % 100) / 100, positive when b % 100 < 10 + 6 * (a % 100) / 10
 * with a, b consecutive splitmix64 outputs (split_rng) from seed 2024. */
static void big_set(void)
{
    struct split_rng s;

    split_rng_seed(&s, 2024);
    for (size_t i = 0; i < BIG; i++) {
        uint64_t a = split_rng_next(&s), b = split_rng_next(&s);
        uint64_t k = a % 100;

        big_p[i] = (double)k / 100.0;
        big_y[i] = (b % 100) < 10 + k * 6 / 10 ? 1.0f : 0.0f;
    }
}

static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.12g, expected %.12g", what, got, want);
}

static void test_auc_with_ties_matches_hand_count(void **state)
{
    double auc;

    (void)state;
    assert_int_equal(metrics_roc_auc(P12, Y12, 12, &auc, NULL), NS_OK);

    /* Pairs won by each positive, ties counted half:
     * 7 + 6.5 + 6 + 5 + 2.5 = 27 of 5 * 7 = 35 pairs. */
    near(auc, 27.0 / 35.0, 1e-15, "AUC of the 12-row set");
}

static void test_auc_matches_sklearn_on_1000_rows(void **state)
{
    double auc, ap;
    size_t pos = 0;

    (void)state;
    big_set();
    for (size_t i = 0; i < BIG; i++)
        pos += big_y[i] > 0.5f;
    assert_int_equal(pos, 392);
    assert_int_equal(metrics_roc_auc(big_p, big_y, BIG, &auc, NULL), NS_OK);
    assert_int_equal(metrics_average_precision(big_p, big_y, BIG, &ap,
                                               NULL), NS_OK);
    /* sklearn roc_auc_score, average_precision_score, brier_score_loss,
     * log_loss(eps=1e-15): its default eps is float64's 2.2e-16. */
    near(auc, 0.7108661721267454, 1e-12, "AUC");
    near(ap, 0.5866895273056542, 1e-12, "average precision");
    near(metrics_brier(big_p, big_y, BIG), 0.22984780000000002, 1e-12,
         "Brier");
    near(metrics_log_loss(big_p, big_y, BIG), 0.7144873219334351, 1e-12,
         "log loss");
}

static void test_average_precision_matches_hand_sum(void **state)
{
    double ap;

    (void)state;
    assert_int_equal(metrics_average_precision(P12, Y12, 12, &ap, NULL),
                     NS_OK);

    /* Recall steps of 1/5 at thresholds 0.9, 0.8, 0.7, 0.6, 0.3 with
     * precisions 1, 2/3, 3/4, 4/7, 5/10 (sklearn: 0.6976190476190477). */
    near(ap, 0.2 * (1.0 + 2.0 / 3 + 0.75 + 4.0 / 7 + 0.5), 1e-15, "AP");
    near(ap, 0.6976190476190477, 1e-15, "AP vs sklearn");
}

static void test_brier_and_log_loss_match_sklearn(void **state)
{
    static const double sure[2] = {1.0, 0.0};
    static const float wrong[2] = {0, 1};

    (void)state;
    /* sklearn brier_score_loss and log_loss on the 12-row set. */
    near(metrics_brier(P12, Y12, 12), 0.20416666666666664, 1e-15, "Brier");
    near(metrics_log_loss(P12, Y12, 12), 0.586500120821822, 1e-14,
         "log loss");

    /* Certain and wrong: clipping keeps the loss finite (sklearn
     * log_loss([0, 1], [1, 0], eps=1e-15)). */
    near(metrics_log_loss(sure, wrong, 2), 34.53917619362578, 1e-12,
         "clipped log loss");
}

static void test_one_class_gives_nan_auc(void **state)
{
    static const float none[3] = {0, 0, 0};
    static const double p[3] = {0.1, 0.5, 0.9};
    double auc, ap;

    (void)state;
    assert_int_equal(metrics_roc_auc(p, none, 3, &auc, NULL), NS_OK);
    assert_int_equal(metrics_average_precision(p, none, 3, &ap, NULL),
                     NS_OK);
    assert_true(isnan(auc));
    assert_true(isnan(ap));
}

static void test_nan_score_is_refused_with_row(void **state)
{
    static const double p[3] = {0.1, NAN, 0.9};
    struct ns_error err = {0};
    double auc;

    (void)state;
    assert_int_equal(metrics_roc_auc(p, Y12, 3, &auc, &err),
                     NS_ERR_INVALID);
    if (!strstr(err.msg, "row 1"))
        fail_msg("message does not name the row: %s", err.msg);
}

static void test_f1_at_edge_thresholds(void **state)
{
    struct metrics_confusion c;
    double acc, prec, rec, f1;

    (void)state;
    /* Threshold 0: every row flagged. */
    c = metrics_confusion_at(P12, Y12, 12, 0.0);
    assert_true(c.tp == 5 && c.fp == 7 && c.tn == 0 && c.fn == 0);
    metrics_ratios(&c, &acc, &prec, &rec, &f1);
    near(acc, 5.0 / 12, 1e-15, "accuracy, all flagged");
    near(prec, 5.0 / 12, 1e-15, "precision, all flagged");
    near(rec, 1.0, 0, "recall, all flagged");
    near(f1, 10.0 / 17, 1e-15, "F1, all flagged");

    /* Threshold above every score: nobody flagged, ratios fall to 0. */
    c = metrics_confusion_at(P12, Y12, 12, 0.95);
    assert_true(c.tp == 0 && c.fp == 0 && c.tn == 7 && c.fn == 5);
    metrics_ratios(&c, &acc, &prec, &rec, &f1);
    near(acc, 7.0 / 12, 1e-15, "accuracy, none flagged");
    near(prec, 0, 0, "precision, none flagged");
    near(rec, 0, 0, "recall, none flagged");
    near(f1, 0, 0, "F1, none flagged");

    /* A score equal to the threshold counts as flagged. */
    c = metrics_confusion_at(P12, Y12, 12, 0.8);
    assert_true(c.tp == 2 && c.fp == 1);
}

static double choose(const struct metrics_rule *r)
{
    struct ns_error err = {0};
    double t = -1;

    if (metrics_choose_threshold(P12, Y12, 12, r, &t, &err) != NS_OK)
        fail_msg("choosing a threshold failed: %s", err.msg);
    return t;
}

static void test_threshold_rules_pick_hand_computed_values(void **state)
{
    struct metrics_rule r = {METRICS_RULE_BEST_F1, 0, 0, 0};

    (void)state;
    /* F1 is 2/3 at 0.7, 0.6 and 0.3: the highest wins. */
    near(choose(&r), 0.7, 0, "best F1 threshold");

    /* Recall reaches 4/5 first at 0.6. */
    r.kind = METRICS_RULE_TARGET_RECALL;
    r.target_recall = 0.8;
    near(choose(&r), 0.6, 0, "target recall threshold");

    /* fn * 10 + flagged: 50 nobody, 17 at 0.6, 10 at 0.3, 11 at 0.2. */
    r.kind = METRICS_RULE_COST;
    r.cost_missed = 10;
    r.cost_reminder = 1;
    near(choose(&r), 0.3, 0, "cost threshold");

    /* Equal costs: flagging never beats 5 for nobody. */
    r.cost_missed = 1;
    if (!(choose(&r) > 0.9))
        fail_msg("equal costs should flag nobody, threshold %g",
                 choose(&r));
}

static void test_threshold_rule_values_are_checked(void **state)
{
    struct metrics_rule r = {METRICS_RULE_TARGET_RECALL, 1.5, 0, 0};
    struct ns_error err = {0};
    double t;

    (void)state;
    assert_int_equal(metrics_choose_threshold(P12, Y12, 12, &r, &t, &err),
                     NS_ERR_INVALID);
    assert_string_equal(err.field, "target_recall");
    r.kind = METRICS_RULE_COST;
    r.cost_missed = -1;
    assert_int_equal(metrics_choose_threshold(P12, Y12, 12, &r, &t, &err),
                     NS_ERR_INVALID);
}

static void test_report_json_has_keys_and_bounded_curves(void **state)
{
    static const char *const keys[] = {
        "rows", "auc", "pr_auc", "brier", "log_loss", "accuracy",
        "precision", "recall", "f1", "threshold", "positives",
        "mean_predicted", "observed_rate", "confusion", "curves",
    };
    static double p[BIG];
    struct metrics_report r;
    json_t *j = NULL, *roc, *fpr, *cal;

    (void)state;
    big_set();
    for (size_t i = 0; i < BIG; i++)
        p[i] = (double)i / BIG;     /* 1000 distinct scores */
    assert_int_equal(metrics_compute(p, big_y, BIG, 0.5, &r, NULL), NS_OK);
    assert_int_equal(r.n_roc, METRICS_MAX_CURVE_POINTS);
    assert_int_equal(r.n_pr, METRICS_MAX_CURVE_POINTS);
    near(r.roc[0].x, 0, 0, "ROC starts at fpr 0");
    near(r.roc[r.n_roc - 1].x, 1, 0, "ROC ends at fpr 1");
    near(r.roc[r.n_roc - 1].y, 1, 0, "ROC ends at tpr 1");
    near(r.observed_rate, 0.392, 1e-15, "observed rate");
    assert_int_equal(metrics_to_json(&r, &j, NULL), NS_OK);

    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        if (!json_object_get(j, keys[k]))
            fail_msg("metrics JSON lacks \"%s\"", keys[k]);
    roc = json_object_get(json_object_get(j, "curves"), "roc");
    fpr = json_object_get(roc, "fpr");
    assert_int_equal(json_array_size(fpr), METRICS_MAX_CURVE_POINTS);
    /* The ROC origin's threshold is infinite: written as null. */
    assert_true(json_is_null(json_array_get(json_object_get(roc,
                                                            "threshold"),
                                            0)));
    cal = json_object_get(json_object_get(j, "curves"), "calibration");
    assert_int_equal(json_array_size(json_object_get(cal, "count")),
                     METRICS_CALIB_BINS);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(j, "confusion"), "tp")),
                     (json_int_t)r.confusion.tp);
    json_decref(j);
    metrics_report_free(&r);
}

static void test_calibration_bins_count_rows(void **state)
{
    struct metrics_report r;

    (void)state;
    assert_int_equal(metrics_compute(P12, Y12, 12, 0.5, &r, NULL), NS_OK);
    /* 0.6 appears three times, one of them positive. */
    assert_int_equal(r.calibration[6].count, 3);
    near(r.calibration[6].observed_rate, 1.0 / 3, 1e-15, "bin 6 rate");
    near(r.calibration[6].mean_predicted, 0.6, 1e-15, "bin 6 mean");
    assert_int_equal(r.calibration[5].count, 0);
    assert_true(isnan(r.calibration[5].mean_predicted));
    near(r.auc, 27.0 / 35.0, 1e-15, "report AUC");
    assert_int_equal(r.n_roc, 9);   /* origin + 8 distinct scores */
    metrics_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auc_with_ties_matches_hand_count),
        cmocka_unit_test(test_auc_matches_sklearn_on_1000_rows),
        cmocka_unit_test(test_average_precision_matches_hand_sum),
        cmocka_unit_test(test_brier_and_log_loss_match_sklearn),
        cmocka_unit_test(test_one_class_gives_nan_auc),
        cmocka_unit_test(test_nan_score_is_refused_with_row),
        cmocka_unit_test(test_f1_at_edge_thresholds),
        cmocka_unit_test(test_threshold_rules_pick_hand_computed_values),
        cmocka_unit_test(test_threshold_rule_values_are_checked),
        cmocka_unit_test(test_report_json_has_keys_and_bounded_curves),
        cmocka_unit_test(test_calibration_bins_count_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
