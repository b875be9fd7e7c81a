/* Train/test splits and cross-validation folds over row indices, plus
 * the seeded random generator every model/ routine uses. The same seed
 * gives the same split on every machine: the generator is splitmix64,
 * written out here rather than taken from libc. */
#ifndef NS_MODEL_SPLIT_H
#define NS_MODEL_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct split_rng {
    uint64_t state;
};

void split_rng_seed(struct split_rng *r, uint64_t seed);

/* Next 64 random bits (splitmix64). */
uint64_t split_rng_next(struct split_rng *r);

/* Uniform double in [0, 1) with 53 random bits. */
double split_rng_uniform(struct split_rng *r);

/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint64_t split_rng_below(struct split_rng *r, uint64_t n);

/* Fisher-Yates shuffle of idx[0..n). */
void split_shuffle(size_t *idx, size_t n, struct split_rng *r);

/* Row indices of both sides, each in increasing order; arrays owned by
 * the struct, freed with split_indices_free(). */
struct split_indices {
    size_t *train;
    size_t n_train;
    size_t *test;
    size_t n_test;
};

/* Random split keeping the positive rate on both sides: each class sends
 * round(test_fraction * its rows) to test. Labels > 0.5 are positive.
 * Errors: NS_ERR_INVALID (test_fraction outside (0, 1), no rows),
 * NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err split_stratified(const float *y, size_t n,
                                           double test_fraction,
                                           uint64_t seed,
                                           struct split_indices *out,
                                           struct ns_error *err);

/* Rows whose day is before cut_day train, the others test (days are any
 * monotonic day number, e.g. days since 1970-01-01). Errors:
 * NS_ERR_INVALID (a side would be empty, naming the day range),
 * NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err split_by_time(const int32_t *day, size_t n,
                                        int32_t cut_day,
                                        struct split_indices *out,
                                        struct ns_error *err);

/* k folds, every row of a group (one patient) in the same fold, folds
 * balanced in positives and negatives: groups go, largest first (ties in
 * seeded random order), to the fold they fill least. fold[i] receives
 * row i's fold in [0, k). Errors: NS_ERR_INVALID (k < 2 or more folds
 * than groups), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err split_kfold_grouped(const float *y,
                                              const uint32_t *group,
                                              size_t n, int k,
                                              uint64_t seed, int *fold,
                                              struct ns_error *err);

/* Train = rows outside fold f, test = rows in it. Errors: NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err split_fold_indices(const int *fold, size_t n,
                                             int f,
                                             struct split_indices *out,
                                             struct ns_error *err);

/* Frees both arrays; the struct itself is the caller's. Accepts NULL. */
void split_indices_free(struct split_indices *s);

#endif
