/* Quality of predicted probabilities against 0/1 labels: ROC AUC, average
 * precision, Brier score, log loss, threshold metrics, curve points for
 * charts, and the rules that pick a decision threshold. Scores are
 * doubles (NaN refused); labels are floats where > 0.5 means positive.
 * A row is predicted positive when its score >= the threshold. */
#ifndef NS_MODEL_METRICS_H
#define NS_MODEL_METRICS_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

#define METRICS_CALIB_BINS 10
#define METRICS_MAX_CURVE_POINTS 200

struct metrics_confusion {
    size_t tp;
    size_t fp;
    size_t tn;
    size_t fn;
};

/* ROC: x = false positive rate, y = true positive rate.
 * PR: x = recall, y = precision. threshold is INFINITY for the ROC origin. */
struct metrics_point {
    double x;
    double y;
    double threshold;
};

struct metrics_calib_bin {
    double mean_predicted;  /* NAN when count is 0 */
    double observed_rate;   /* NAN when count is 0 */
    size_t count;
};

struct metrics_report {
    size_t rows;
    size_t positives;
    double auc;             /* NAN when one class is absent */
    double pr_auc;          /* average precision; NAN without positives */
    double brier;
    double log_loss;
    double threshold;
    double accuracy;
    double precision;
    double recall;
    double f1;
    double mean_predicted;
    double observed_rate;
    struct metrics_confusion confusion;
    struct metrics_point *roc;  /* owned; at most METRICS_MAX_CURVE_POINTS */
    size_t n_roc;
    struct metrics_point *pr;   /* owned; at most METRICS_MAX_CURVE_POINTS */
    size_t n_pr;
    struct metrics_calib_bin calibration[METRICS_CALIB_BINS];
};

enum metrics_rule_kind {
    METRICS_RULE_BEST_F1,
    METRICS_RULE_TARGET_RECALL,
    METRICS_RULE_COST
};

struct metrics_rule {
    enum metrics_rule_kind kind;
    double target_recall;   /* TARGET_RECALL: 0 < r <= 1 */
    double cost_missed;     /* COST: cost of one missed no-show */
    double cost_reminder;   /* COST: cost of acting on one flagged row */
};

/* Exact ROC AUC: the Mann-Whitney statistic with tied scores counted as
 * half, i.e. average ranks. *auc is NAN when a class is absent. Errors:
 * NS_ERR_INVALID (NaN score), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err metrics_roc_auc(const double *p, const float *y,
                                          size_t n, double *auc,
                                          struct ns_error *err);

/* Average precision as scikit-learn's average_precision_score: the sum
 * over distinct thresholds of (recall step) x precision, no
 * interpolation. *ap is NAN without positives. Errors as above. */
NS_MUST_CHECK enum ns_err metrics_average_precision(const double *p,
                                                    const float *y,
                                                    size_t n, double *ap,
                                                    struct ns_error *err);

/* Mean squared difference between probability and label. */
double metrics_brier(const double *p, const float *y, size_t n);

/* Mean negative log-likelihood, probabilities clipped to [1e-15,
 * 1 - 1e-15]. */
double metrics_log_loss(const double *p, const float *y, size_t n);

struct metrics_confusion metrics_confusion_at(const double *p,
                                              const float *y, size_t n,
                                              double threshold);

/* Ratios of a confusion matrix; a ratio with a zero denominator is 0, as
 * scikit-learn's zero_division=0. Any pointer may be NULL. */
void metrics_ratios(const struct metrics_confusion *c, double *accuracy,
                    double *precision, double *recall, double *f1);

/* Everything above at one threshold, curves down-sampled to at most
 * METRICS_MAX_CURVE_POINTS. The report owns its curves: free them with
 * metrics_report_free(). */
NS_MUST_CHECK enum ns_err metrics_compute(const double *p, const float *y,
                                          size_t n, double threshold,
                                          struct metrics_report *r,
                                          struct ns_error *err);

/* Frees the curves; the struct itself is the caller's. Accepts NULL. */
void metrics_report_free(struct metrics_report *r);

/* The report as a JSON object (keys: rows, auc, pr_auc, brier, log_loss,
 * accuracy, precision, recall, f1, threshold, positives, mean_predicted,
 * observed_rate, confusion{tp,fp,tn,fn}, curves{roc, pr, calibration});
 * non-finite numbers become null. *out is a new reference the caller
 * releases with json_decref(). Errors: NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err metrics_to_json(const struct metrics_report *r,
                                          json_t **out,
                                          struct ns_error *err);

/* Picks a threshold among the distinct scores (or just above the highest,
 * meaning "flag nobody", when that is cheapest):
 *   BEST_F1        highest F1 (the higher threshold on ties);
 *   TARGET_RECALL  the highest threshold whose recall >= target_recall;
 *   COST           lowest fn * cost_missed + (tp + fp) * cost_reminder.
 * Errors: NS_ERR_INVALID (no rows, no positives, bad rule values, NaN
 * score), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err metrics_choose_threshold(
    const double *p, const float *y, size_t n,
    const struct metrics_rule *rule, double *threshold,
    struct ns_error *err);

#endif
