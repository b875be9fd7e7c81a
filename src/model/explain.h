/* Explanations of predictions: exact TreeSHAP contributions from XGBoost,
 * summed per input a person knows (the pipeline feature's group), sorted
 * by size and said in plain words ("booked 32 days ahead: raises risk
 * (+0.41)"); and global importance, the mean |SHAP| per feature and per
 * group over a data set with the direction of each effect. Values are
 * log-odds: base + sum of contributions = the model's raw margin.
 *
 * LIMITATION: contributions explain the raw margin, before calibration.
 * The probability a user sees is the calibrated one, so the reasons add
 * up to the log-odds of the uncalibrated model, not to the shown
 * probability; sizes and directions stay right because calibration is
 * monotonic. Explaining the calibrated probability itself needs the
 * calibration's slope at each row to rescale the contributions. */
#ifndef NS_MODEL_EXPLAIN_H
#define NS_MODEL_EXPLAIN_H

#include <jansson.h>
#include <stdio.h>

#include "data/schema.h"
#include "features/encode.h"
#include "features/pipeline.h"
#include "model/bundle.h"
#include "model/xgb.h"
#include "util/err.h"

#define EXPLAIN_TEXT_MAX 192

/* Everything an explanation reads; all borrowed. enc may be NULL (codes
 * are then shown as numbers). */
struct explain_ctx {
    const struct schema *schema;
    const struct pipeline *pipeline;
    const struct encoders *enc;
    const struct xgb_model *model;
};

/* One group of features (one input a person knows). */
struct explain_group {
    char group[64];
    double contribution;    /* sum over the group's features */
    size_t lead;            /* feature index the text is built from */
    char text[EXPLAIN_TEXT_MAX];    /* "booked 3 days ahead: raises risk
                                       (+0.41)" */
};

struct explain_result {
    size_t nfeatures;
    float *x;               /* owned [nfeatures]: the feature values */
    double *contrib;        /* owned [nfeatures]: per feature */
    double base;            /* bias term */
    double margin;          /* base + sum(contrib) */
    size_t ngroups;
    struct explain_group *groups;   /* owned; sorted by |contribution| */
};

/* Explains one feature row x[pipeline_nfeatures] on a single thread (one
 * row must not pay for a thread pool). Caller frees out with
 * explain_result_free(). Errors: XGBoost's (NS_ERR_LIB), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err explain_row(const struct explain_ctx *c,
                                      const float *x,
                                      struct explain_result *out,
                                      struct ns_error *err);

/* The same from contributions already computed: contrib[nfeatures + 1],
 * the last being the bias, as xgb_predict_contribs() gives them. */
NS_MUST_CHECK enum ns_err explain_from_contribs(const struct explain_ctx *c,
                                                const float *x,
                                                const double *contrib,
                                                struct explain_result *out,
                                                struct ns_error *err);

/* The context of a bundle's model (borrowed from b). */
void explain_ctx_of_bundle(const struct bundle *b, struct explain_ctx *c);

/* Scores and explains one record with bundle b on a single thread:
 * features (history from hist, may be NULL), calibrated score, then the
 * result's JSON (see explain_result_json) with "probability", "band",
 * "flagged" and "unknown_categories" added. *json is the caller's
 * reference. Thread-safe like bundle_score_record(). */
NS_MUST_CHECK enum ns_err explain_record(const struct bundle *b,
                                         const struct record *r,
                                         const struct history_source *hist,
                                         size_t top_k, json_t **json,
                                         struct ns_error *err);

/* Explains n rows of X (row-major) with every core; out[n] are the
 * caller's, each freed with explain_result_free(). On failure none is
 * left allocated. */
NS_MUST_CHECK enum ns_err explain_matrix(const struct explain_ctx *c,
                                         const float *X, size_t n,
                                         struct explain_result *out,
                                         struct ns_error *err);

/* Frees the arrays; the struct itself is the caller's. Accepts NULL. */
void explain_result_free(struct explain_result *r);

/* "raises" for a positive contribution, "lowers" for a negative one,
 * "none" for 0 (such groups read "...: no effect" and are left out of
 * the reasons). Static storage. */
const char *explain_direction(double contribution);

/* {"units": "log-odds", "base", "margin", "reasons": [{group,
 * features: [{name, value, contribution}], value, contribution,
 * direction, text}], "features": [{name, group, value, contribution}]}.
 * reasons holds the top_k groups with a non-zero contribution (every
 * such group when top_k is 0). Non-finite values become null. Caller
 * owns the reference; NULL when out of memory. */
json_t *explain_result_json(const struct explain_ctx *c,
                            const struct explain_result *r, size_t top_k);

/* Prints the top_k reasons, one a line, under a line with the margin. */
void explain_result_print(const struct explain_result *r, size_t top_k,
                          FILE *f);

/* Global importance of one feature or one group. */
struct explain_rank {
    char name[64];          /* feature name, or group name */
    char group[64];
    double mean_abs;        /* mean |SHAP| over the rows */
    double mean;            /* mean SHAP */
    double corr;            /* Pearson correlation of the value with its
                               SHAP value (for a group: of its leading
                               feature's value with the group's sum); NAN
                               when either is constant */
    bool categorical;       /* codes have no order: corr is not a
                               direction */
};

/* The interaction of two features: mean |phi_ab + phi_ba| over rows,
 * the part of their joint effect neither has alone. */
struct explain_pair {
    char a[64], b[64];      /* feature names */
    double mean_abs;
};

struct explain_importance {
    size_t rows;
    size_t nfeatures;
    struct explain_rank *features;  /* owned; ranked by mean_abs */
    size_t ngroups;
    struct explain_rank *groups;    /* owned; ranked by mean_abs */
    size_t interaction_rows;        /* 0 until explain_interactions() */
    size_t npairs;
    struct explain_pair *pairs;     /* owned; strongest first */
};

/* Importance over n rows of X with their contributions (row-major,
 * nfeatures + 1 per row, as xgb_predict_contribs() gives them). Rows
 * with a missing value are left out of that feature's correlation only.
 * Caller frees out with explain_importance_free(). Errors:
 * NS_ERR_INVALID (no rows), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err explain_importance(const struct pipeline *p,
                                             const float *X,
                                             const double *contribs,
                                             size_t n,
                                             struct explain_importance *out,
                                             struct ns_error *err);

/* Contributions of X with every core, then explain_importance(). */
NS_MUST_CHECK enum ns_err explain_importance_of(
    const struct explain_ctx *c, const float *X, size_t n,
    struct explain_importance *out, struct ns_error *err);

/* Adds to imp the top strongest feature pairs by SHAP interaction over
 * the first rows of X (at most n; interactions cost about nfeatures
 * times the contributions, so callers pass a sample). Every core.
 * Errors: XGBoost's, NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err explain_interactions(const struct explain_ctx *c,
                                               const float *X, size_t n,
                                               size_t top,
                                               struct explain_importance *imp,
                                               struct ns_error *err);

void explain_importance_free(struct explain_importance *imp);

/* Plain words for a rank's direction: "higher raises risk", "higher
 * lowers risk" (|corr| >= 0.3), "depends on the category", "mixed",
 * "no effect" (never used by the model). Static storage. */
const char *explain_rank_direction(const struct explain_rank *r);

/* {"rows", "units": "mean |SHAP| (log-odds)", "groups": [{name, mean_abs,
 * mean, corr, direction}], "features": [{name, group, ...}]}, ranked;
 * with interactions also "interaction_rows" and "interactions": [{a, b,
 * mean_abs}].
 * Caller owns the reference; NULL when out of memory. */
json_t *explain_importance_json(const struct explain_importance *imp);

/* Two ranked tables (groups, then features) as aligned text. */
void explain_importance_print(const struct explain_importance *imp,
                              FILE *f);

#endif
