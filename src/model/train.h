/* Training a model bundle from a table of labelled appointments: split
 * (by time or stratified), encoders fitted on training rows, features
 * with leak-free history, optional grid search scored by cross-validation
 * grouped by patient, class rebalancing, early stopping, calibration,
 * decision threshold and test metrics. Used by 'noshow train' and by
 * retraining from a database, which fills a table the same way. */
#ifndef NS_MODEL_TRAIN_H
#define NS_MODEL_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "data/table.h"
#include "model/bundle.h"
#include "model/metrics.h"
#include "model/xgb.h"
#include "util/err.h"

enum train_imbalance {
    TRAIN_IMB_NONE = 0,
    TRAIN_IMB_WEIGHT,       /* scale_pos_weight = ratio * negatives/pos. */
    TRAIN_IMB_OVERSAMPLE,   /* random oversampling to ratio */
    TRAIN_IMB_SMOTE
};

enum train_calibrate {
    TRAIN_CAL_AUTO = 0,     /* the best on held-out rows; the intercept
                               shift only when it wins on both Brier
                               score and log loss */
    TRAIN_CAL_NONE,
    TRAIN_CAL_PLATT,
    TRAIN_CAL_ISOTONIC,
    TRAIN_CAL_INTERCEPT     /* shift to the held-out rows' base rate */
};

/* Share of the training rows held out for early stopping, calibration,
 * the threshold and the bands: the latest ones for a time split. */
#define TRAIN_VALID_FRACTION 0.10

/* The "high" risk band starts at this quantile of the held-out rows'
 * probabilities (never below the threshold). */
#define TRAIN_HIGH_QUANTILE 0.90

struct train_opts {
    int32_t test_from;          /* NS_DAY_NONE: stratified random split */
    int holdout_days;           /* time split only: hold out the training
                                   rows of the latest N appointment days
                                   instead of the latest tenth (0) */
    double test_size;           /* random split: share of rows in test */
    uint64_t seed;
    enum train_imbalance imbalance;
    double ratio;               /* minority / majority after rebalancing */
    bool history;               /* patient-history features */
    struct xgb_params xgb;      /* early_stopping_rounds: 0 = off */
    bool search;
    int folds;
    bool refit;                 /* fit again on all training rows */
    enum train_calibrate calibrate;
    struct metrics_rule rule;
    const char *data_sha256;    /* of the training file; may be NULL */
    /* Called after each search fit when not NULL (terminal progress). */
    void (*progress)(void *ctx, int done, int total);
    void *progress_ctx;
};

struct train_result {
    struct bundle *bundle;          /* caller frees with bundle_free() */
    struct metrics_report test;     /* caller frees metrics_report_free() */
    size_t n_train, n_fit, n_valid, n_test;
    double train_rate;              /* positive share of training rows */
    double uncal_brier;             /* test, before calibration */
    double uncal_mean;
    double uncal_log_loss;
    double base_brier;              /* test, always the training rate */
    double base_log_loss;
    int trees;
    char calib_note[320];           /* held-out scores of each method */
    char warnings[512];             /* constant columns, "" when none */
    struct xgb_params chosen;       /* parameters of the final model */
    double cv_logloss;              /* search: best mean; NAN otherwise */
};

/* Defaults: random 25% test, seed 42, no rebalancing (ratio 1), history
 * on, xgb_params_default() with 300 trees and early stopping after 20
 * rounds, no search, 5 folds, refit on all training rows, auto
 * calibration, best-F1 threshold. */
void train_opts_default(struct train_opts *o);

/* Trains on the labelled rows of t; rows with label -1 (bookings still
 * open) only feed the history features of later rows. Errors
 * (NS_ERR_INVALID with a sentence): one class only, --test-from
 * outside the data's days (the message names the range), fewer rows or
 * patients than folds; XGBoost and allocation failures as NS_ERR_LIB /
 * NS_ERR_NOMEM. On success res
 * holds the bundle and the test report; on failure res holds nothing
 * to free. t is borrowed. */
NS_MUST_CHECK enum ns_err train_run(const struct table *t,
                                    const struct train_opts *o,
                                    struct train_result *res,
                                    struct ns_error *err);

/* Frees the bundle and the report of res. Accepts NULL. */
void train_result_free(struct train_result *res);

/* Fingerprint object of a table: {"sha256", "rows", "date_from",
 * "date_to"}; sha256 may be NULL. Caller owns the reference; NULL when
 * out of memory. */
json_t *train_fingerprint(const struct table *t, const char *sha256);

/* SHA-256 of a file's bytes as 64 hex digits into out. Errors:
 * NS_ERR_IO naming the file. */
NS_MUST_CHECK enum ns_err train_file_sha256(const char *path,
                                            char out[65],
                                            struct ns_error *err);

#endif
