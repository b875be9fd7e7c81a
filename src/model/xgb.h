/* Gradient-boosted trees through libxgboost's C API: training with
 * optional early stopping, raw margins, TreeSHAP contributions and JSON
 * (de)serialisation. Inputs are row-major float matrices where NaN means
 * missing; labels are 0/1 floats.
 *
 * Threads: every model holds two booster handles with fixed parameters,
 * one pinned to a single OpenMP thread (batches under XGB_SMALL_BATCH
 * rows) and one using every core (larger batches; loaded by the first
 * call that needs it, which may then fail as a load would). Parameters
 * are set once at load and never changed, because XGBoost 1.7 boosters
 * are safe for concurrent prediction only while their parameters stay
 * put. Several threads may therefore predict with one model at the same
 * time.
 *
 * Training and large batches use every core through OpenMP. libgomp's
 * default spin-waiting makes that erratic on shared 2-vCPU hosts (hist
 * training of 131,000 x 12 rows: 0.3 to 7 s spinning, 0.4 to 1.5 s with
 * OMP_WAIT_POLICY=passive, 0.55 to 1.1 s on one thread). libgomp reads
 * that variable once, at program start, so it must be in the
 * environment before the process starts: src/main.c re-executes the
 * binary with the passive policy when the user has set none. */
#ifndef NS_MODEL_XGB_H
#define NS_MODEL_XGB_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Batches with fewer rows run on one thread: on the 2-vCPU hosts a
 * two-thread OpenMP region costs a fixed 16-24 ms of spin-waiting against
 * well under 1 ms for a one-row prediction on one thread. */
#define XGB_SMALL_BATCH 64

struct xgb_params {
    char objective[32];         /* "binary:logistic" */
    char tree_method[16];       /* "hist", "approx" or "exact" */
    char booster[16];           /* "gbtree" or "dart" */
    char eval_metric[16];       /* for early stopping: "logloss", "auc" */
    int max_depth;
    double eta;
    int n_trees;                /* boosting rounds */
    double min_child_weight;
    double subsample;
    double colsample_bytree;
    double scale_pos_weight;
    double lambda;
    double alpha;
    uint64_t seed;
    int nthread;                /* training threads; 0 = every core */
    int early_stopping_rounds;  /* 0 = off; needs validation rows */
    int num_parallel_tree;      /* > 1 with one round = random forest */
    double colsample_bynode;    /* features tried per split; 1 = all */
};

struct xgb_train_report {
    int rounds;             /* rounds actually boosted */
    int best_iteration;     /* 0-based round kept as the last one */
    int trees;              /* trees in the returned model */
    double best_score;      /* validation metric at best_iteration, or NAN */
};

/* Optional validation rows for early stopping (all fields borrowed). */
struct xgb_eval_set {
    const float *X;
    size_t n;
    const float *y;
};

/* Training rows as a selection of a row-major matrix (all borrowed):
 * row i of the set is X row idx[i], or X row i when idx is NULL. y (and
 * w when not NULL) are indexed like X, one value per X row. */
struct xgb_rows {
    const float *X;
    const float *y;
    const float *w;
    const size_t *idx;
    size_t n;
};

/* Rows handed to XGBoost per batch when it reads a training set through
 * its data iterator (see xgb_train_rows()). */
#define XGB_ITER_BATCH 65536

struct xgb_model;

/* binary:logistic, hist, gbtree, logloss, depth 3, eta 0.1, 100 trees,
 * min_child_weight 1, subsample 1, colsample 1, scale_pos_weight 1,
 * lambda 1, alpha 0, seed 42, every core, no early stopping, 1 tree per
 * round, colsample_bynode 1. */
void xgb_params_default(struct xgb_params *p);

/* Trains on n rows of ncols features. weights may be NULL; valid may be
 * NULL unless early_stopping_rounds > 0. With early stopping the model
 * keeps the rounds up to and including the best one. On success *out is
 * the caller's, freed with xgb_free(); report may be NULL. Errors:
 * NS_ERR_INVALID (shapes, labels, parameters), NS_ERR_LIB (XGBoost's own
 * text), NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err xgb_train(const float *X, size_t n, size_t ncols,
                                    const float *y, const float *weights,
                                    const struct xgb_eval_set *valid,
                                    const struct xgb_params *p,
                                    struct xgb_model **out,
                                    struct xgb_train_report *report,
                                    struct ns_error *err);

/* As xgb_train(), on selections of rows. With tree_method "hist" the
 * rows reach XGBoost through its data iterator in batches of
 * XGB_ITER_BATCH rows gathered from X, and XGBoost keeps only its
 * quantised copy (one byte per value): no second float copy of the
 * selected rows exists, and X is the only full one. Results equal
 * those of a plain DMatrix. Validation rows (and, for other tree
 * methods, the training rows) are gathered into a contiguous copy and a
 * plain DMatrix. valid may be NULL or empty. */
NS_MUST_CHECK enum ns_err xgb_train_rows(const struct xgb_rows *train,
                                         size_t ncols,
                                         const struct xgb_rows *valid,
                                         const struct xgb_params *p,
                                         struct xgb_model **out,
                                         struct xgb_train_report *report,
                                         struct ns_error *err);

/* Raw margins (log-odds) of n rows into out[n]. nthread 1 forces the
 * single-thread handle; any other value lets the row count choose (see
 * XGB_SMALL_BATCH). ncols must equal xgb_num_features(). */
NS_MUST_CHECK enum ns_err xgb_predict_margin(const struct xgb_model *m,
                                             const float *X, size_t n,
                                             size_t ncols, int nthread,
                                             double *out,
                                             struct ns_error *err);

/* Exact TreeSHAP contributions into out[n * (ncols + 1)], row-major; the
 * last value of each row is the bias, and each row sums to its margin.
 * Same thread rule as xgb_predict_margin(). */
NS_MUST_CHECK enum ns_err xgb_predict_contribs(const struct xgb_model *m,
                                               const float *X, size_t n,
                                               size_t ncols, int nthread,
                                               double *out,
                                               struct ns_error *err);

/* Exact SHAP interaction values into out[n * (ncols + 1) * (ncols + 1)]:
 * for each row a row-major (ncols + 1) x (ncols + 1) matrix whose row i
 * sums to feature i's contribution (the last row and column are the
 * bias). About ncols times the cost of xgb_predict_contribs(). Same
 * thread rule. */
NS_MUST_CHECK enum ns_err xgb_predict_interactions(const struct xgb_model *m,
                                                   const float *X, size_t n,
                                                   size_t ncols, int nthread,
                                                   double *out,
                                                   struct ns_error *err);

/* XGBoost's JSON model text into *buf (NUL-terminated, *len excludes the
 * NUL); the caller frees *buf with free(). */
NS_MUST_CHECK enum ns_err xgb_save_json(const struct xgb_model *m,
                                        char **buf, size_t *len,
                                        struct ns_error *err);

/* Builds a model from XGBoost JSON text (buf is borrowed; extra top-level
 * keys are ignored by XGBoost 1.7). Refuses text that is not a JSON
 * object and anything XGBoost cannot load, with XGBoost's message. *out is
 * the caller's, freed with xgb_free(). */
NS_MUST_CHECK enum ns_err xgb_load_json(const char *buf, size_t len,
                                        struct xgb_model **out,
                                        struct ns_error *err);

size_t xgb_num_features(const struct xgb_model *m);

/* Trees in the model (rounds times trees per round). */
int xgb_num_trees(const struct xgb_model *m);

/* "1.7.4" as reported by the linked library; static storage. */
const char *xgb_version(void);

void xgb_free(struct xgb_model *m);

#endif
