/* Simpler model families to hold the chosen model against, fitted on the
 * same rows and features: logistic regression (liblinear), naive Bayes
 * (written here), random forest (XGBoost's random-forest mode), plain
 * gradient boosting (XGBoost's defaults) and XGBoost tuned by a small
 * grid over grouped cross-validation. Each one is timed and scored on the
 * same test rows. */
#ifndef NS_MODEL_BASELINES_H
#define NS_MODEL_BASELINES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

enum baseline_kind {
    BASELINE_LOGREG = 0,
    BASELINE_NBAYES,
    BASELINE_RF,
    BASELINE_GBM,
    BASELINE_TUNED,
    BASELINE_COUNT
};

/* Rows to fit or score; every pointer is borrowed. */
struct baseline_data {
    const float *X;             /* row-major n x ncols; NaN = missing */
    size_t n;
    size_t ncols;
    const float *y;             /* 0/1 labels; may be NULL to score */
    const uint32_t *group;      /* patient of each row, for grouped CV;
                                   NULL: every row its own group */
    const bool *categorical;    /* [ncols]: integer codes without order
                                   (one-hot in logistic regression,
                                   counted in naive Bayes) */
};

struct baseline_result {
    enum baseline_kind kind;
    char name[32];
    char detail[192];       /* the parameters used or chosen */
    double auc;
    double pr_auc;          /* average precision */
    double f1;              /* at threshold */
    double threshold;       /* the best-F1 threshold on the test rows */
    double brier;
    double fit_seconds;     /* wall time of the fit, search included */
};

/* "logistic regression", "naive Bayes", ...; static storage. */
const char *baselines_name(enum baseline_kind k);

/* Fits family k on train and writes the probabilities of test's rows
 * into p[test->n]. detail (cap bytes) receives the parameters used.
 * Deterministic for a seed. Errors: NS_ERR_INVALID (shapes, one class
 * only), NS_ERR_LIB (liblinear's or XGBoost's text), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err baselines_fit_predict(
    enum baseline_kind k, const struct baseline_data *train,
    const struct baseline_data *test, uint64_t seed, double *p,
    char *detail, size_t cap, struct ns_error *err);

/* baselines_fit_predict() timed, then scored against test->y. */
NS_MUST_CHECK enum ns_err baselines_run(enum baseline_kind k,
                                        const struct baseline_data *train,
                                        const struct baseline_data *test,
                                        uint64_t seed,
                                        struct baseline_result *out,
                                        struct ns_error *err);

/* Orders results by ROC AUC, best first (NaN last). */
void baselines_sort(struct baseline_result *r, size_t n);

/* [{"model", "detail", "roc_auc", "pr_auc", "f1", "threshold", "brier",
 * "fit_seconds"}], in the given order. Caller owns the reference; NULL
 * when out of memory. */
json_t *baselines_json(const struct baseline_result *r, size_t n);

void baselines_print(const struct baseline_result *r, size_t n, FILE *f);

#endif
