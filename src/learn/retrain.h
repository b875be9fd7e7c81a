/* Retraining from recorded outcomes: the bookings in the store (their
 * validated inputs and labels, plus an optional historical CSV file) form
 * the training table; a challenger is trained on the rows before the most
 * recent labelled window, champion and challenger are both measured on
 * that window, and the challenger is promoted only when it is not worse
 * than the champion beyond the tolerances on ROC AUC and Brier score.
 * Every challenger is registered, with the decision and the numbers. */
#ifndef NS_RETRAIN_H
#define NS_RETRAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/schema.h"
#include "data/table.h"
#include "learn/registry.h"
#include "store/store.h"
#include "util/err.h"

struct retrain_opts {
    const char *also_csv;       /* historical rows, same schema; or NULL */
    const char *champion_file;  /* registered as production when the
                                   registry has none; or NULL */
    int holdout_days;           /* the window: the last N labelled days */
    double tol_auc;             /* challenger AUC >= champion - tol */
    double tol_brier;           /* challenger Brier <= champion + tol */
    int nthread;                /* XGBoost training threads; 0 every core */
    uint64_t seed;
    /* Shuffles the labels of the training rows (the window keeps the true
     * ones): a deliberately worse challenger, for tests and drills. */
    bool shuffle_labels;
};

struct retrain_side {
    char version[REGISTRY_VERSION_MAX];     /* "" when none */
    double auc;
    double brier;
    double predicted_rate;      /* mean probability over the window */
};

struct retrain_result {
    struct retrain_side champion;
    struct retrain_side challenger;
    bool promoted;
    char decision[256];         /* why, in one sentence */
    size_t n_db_rows;           /* bookings read from the store */
    size_t n_csv_rows;          /* rows of also_csv kept */
    size_t n_skipped;           /* erased or invalid stored inputs */
    size_t n_train;             /* labelled rows before the window */
    size_t n_window;            /* labelled rows in the window */
    double observed_rate;       /* no-show share in the window */
    int32_t window_from;        /* first day of the window */
    int32_t window_to;          /* last labelled day */
};

/* holdout 7 days, tolerances 0.005 (AUC) and 0.002 (Brier), every core,
 * seed 42, no shuffling. */
void retrain_opts_default(struct retrain_opts *o);

/* Appends every stored booking (labelled or not, so history counts open
 * bookings too) to t as a record of t's schema: the stored input with the
 * pseudonymised patient and the recorded label. Rows whose input was
 * erased or no longer passes the schema are counted in *skipped. */
NS_MUST_CHECK enum ns_err retrain_table_from_store(struct store *s,
                                                   struct table *t,
                                                   size_t *n_rows,
                                                   size_t *skipped,
                                                   struct ns_error *err);

/* One retraining round as described above, on store s. The challenger
 * is stored as candidate (or production when promoted) with the
 * champion as its parent. Errors: no champion in the registry and none
 * given, too few labelled rows before or in the window (NS_ERR_INVALID
 * with the counts), training and store errors. */
NS_MUST_CHECK enum ns_err retrain_run(struct store *s,
                                      const struct retrain_opts *o,
                                      struct retrain_result *res,
                                      struct ns_error *err);

/* The result as JSON (dates as YYYY-MM-DD). Caller owns it; NULL when out
 * of memory. */
json_t *retrain_result_json(const struct retrain_result *r,
                            const struct retrain_opts *o);

#endif
