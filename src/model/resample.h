/* Rebalancing of training rows before boosting: random oversampling of
 * the minority class (indices into the original rows) and SMOTE
 * (synthetic minority rows interpolated between near neighbours). Only
 * training rows are ever resampled; test rows stay as they are. */
#ifndef NS_MODEL_RESAMPLE_H
#define NS_MODEL_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* SMOTE looks for neighbours among at most this many minority rows. */
#define RESAMPLE_SMOTE_MAX_CANDIDATES 4000

/* Keeps every row (indices 0..n-1 in order), then appends minority rows
 * drawn uniformly with replacement until minority / majority reaches
 * ratio (1.0 = as many as the majority; the minority count becomes
 * round(ratio * majority)). Nothing is added when the minority already
 * reaches it. *idx (caller frees with free()) holds *n_out indices.
 * Errors: NS_ERR_INVALID (ratio outside (0, 1], one class absent),
 * NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err resample_oversample(const float *y, size_t n,
                                              double ratio, uint64_t seed,
                                              size_t **idx, size_t *n_out,
                                              struct ns_error *err);

/* Rows idx[0..m) of X (ncols wide) and y, copied into new arrays the
 * caller frees with free(). Errors: NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err resample_take(const float *X, const float *y,
                                        size_t ncols, const size_t *idx,
                                        size_t m, float **X_out,
                                        float **y_out,
                                        struct ns_error *err);

/* SMOTE: keeps every row, then appends synthetic minority rows until the
 * ratio is reached (as resample_oversample). Each one picks a random
 * minority row, one of its k nearest minority neighbours (Euclidean on
 * features standardised over all rows, a missing value counted as the
 * mean), and a random point between the two; where either value is
 * missing the row's own value is kept. *X_out and *y_out (n_out rows) are
 * the caller's, freed with free(). Errors: NS_ERR_INVALID (ratio, k < 1,
 * fewer than 2 minority rows), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err resample_smote(const float *X, const float *y,
                                         size_t n, size_t ncols,
                                         double ratio, int k, uint64_t seed,
                                         float **X_out, float **y_out,
                                         size_t *n_out,
                                         struct ns_error *err);

#endif
