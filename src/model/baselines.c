#include "model/baselines.h"

#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/metrics.h"
#include "model/split.h"
#include "model/xgb.h"

/* Regularisation strength of the logistic regression. Fixed rather than
 * searched: with standardised inputs the AUC barely moves between 0.01
 * and 100 on the appointment data, and a search would cost more than the
 * fit it tunes. */
#define LOGREG_C 1.0
#define TUNE_FOLDS 3

static const char *const names[BASELINE_COUNT] = {
    "logistic regression", "naive Bayes", "random forest",
    "gradient boosting", "tuned XGBoost",
};

const char *baselines_name(enum baseline_kind k)
{
    return k < BASELINE_COUNT ? names[k] : "unknown";
}

static enum ns_err nomem(struct ns_error *err, const char *what)
{
    return ns_error_set(err, NS_ERR_NOMEM, "compare: out of memory for %s",
                        what);
}

/* Number of levels of categorical column j: the largest training code
 * plus one (codes at or above it are unseen). */
static size_t levels(const struct baseline_data *d, size_t j)
{
    float top = -1;

    for (size_t i = 0; i < d->n; i++) {
        float v = d->X[i * d->ncols + j];

        if (!isnan(v) && v > top)
            top = v;
    }
    return (size_t)(top + 1);
}

/* ---- logistic regression ---- */

/* Column layout of the sparse rows: a standardised numeric column takes
 * one index, a categorical one an index per training level (one-hot). */
struct lr_layout {
    int *first;         /* [ncols]: first liblinear index (1-based) */
    size_t *nlev;       /* [ncols]: levels, 0 for numeric */
    double *mean, *sd;  /* [ncols] */
    int width;          /* indices used, bias excluded */
};

static void lr_stats(const struct baseline_data *d, size_t j, double *mean,
                     double *sd)
{
    double s = 0, ss = 0, n = 0;

    for (size_t i = 0; i < d->n; i++) {
        double v = d->X[i * d->ncols + j];

        if (isnan(v))
            continue;
        s += v;
        ss += v * v;
        n += 1;
    }
    *mean = n > 0 ? s / n : 0;
    *sd = n > 1 ? sqrt(fmax(ss / n - *mean * *mean, 0)) : 0;
    if (!(*sd > 1e-12))
        *sd = 1;
}

static enum ns_err lr_layout_fit(const struct baseline_data *d,
                                 struct lr_layout *l, struct ns_error *err)
{
    size_t m = d->ncols;

    l->first = calloc(m + 1, sizeof(*l->first));
    l->nlev = calloc(m + 1, sizeof(*l->nlev));
    l->mean = calloc(m + 1, sizeof(*l->mean));
    l->sd = calloc(m + 1, sizeof(*l->sd));
    if (!l->first || !l->nlev || !l->mean || !l->sd)
        return nomem(err, "the logistic regression layout");
    l->width = 0;
    for (size_t j = 0; j < m; j++) {
        l->first[j] = l->width + 1;
        if (d->categorical && d->categorical[j]) {
            l->nlev[j] = levels(d, j);
            l->width += (int)l->nlev[j];
        } else {
            lr_stats(d, j, &l->mean[j], &l->sd[j]);
            l->width += 1;
        }
    }
    return NS_OK;
}

static void lr_layout_free(struct lr_layout *l)
{
    free(l->first);
    free(l->nlev);
    free(l->mean);
    free(l->sd);
}

/* Row i of d as liblinear nodes: missing numbers become the training
 * mean (0 after standardising, so no node), missing or unseen categories
 * no node; then the bias node and the terminator. */
static void lr_row(const struct lr_layout *l, const struct baseline_data *d,
                   size_t i, struct feature_node *out)
{
    size_t k = 0;

    for (size_t j = 0; j < d->ncols; j++) {
        double v = d->X[i * d->ncols + j];

        if (isnan(v))
            continue;
        if (l->nlev[j] > 0 || (d->categorical && d->categorical[j])) {
            if (v < 0 || v >= (double)l->nlev[j])
                continue;
            out[k].index = l->first[j] + (int)v;
            out[k++].value = 1;
        } else {
            out[k].index = l->first[j];
            out[k++].value = (v - l->mean[j]) / l->sd[j];
        }
    }
    out[k].index = l->width + 1;
    out[k++].value = 1;
    out[k].index = -1;
}

static void quiet(const char *s)
{
    (void)s;
}

static enum ns_err lr_train(const struct lr_layout *l,
                            const struct baseline_data *tr,
                            struct feature_node *nodes,
                            struct feature_node **rows, double *y,
                            struct model **out, struct ns_error *err)
{
    struct problem prob = {0};
    struct parameter par = {0};
    const char *bad;
    size_t stride = tr->ncols + 2;

    for (size_t i = 0; i < tr->n; i++) {
        rows[i] = nodes + i * stride;
        lr_row(l, tr, i, rows[i]);
        y[i] = tr->y[i] > 0.5f ? 1 : 0;
    }
    prob.l = (int)tr->n;
    prob.n = l->width + 1;
    prob.y = y;
    prob.x = rows;
    prob.bias = 1;
    par.solver_type = L2R_LR;
    par.eps = 0.01;
    par.C = LOGREG_C;
    bad = check_parameter(&prob, &par);
    if (bad)
        return ns_error_set(err, NS_ERR_LIB, "liblinear: %s", bad);
    set_print_string_function(quiet);
    *out = train(&prob, &par);
    if (*out == NULL)
        return ns_error_set(err, NS_ERR_LIB, "liblinear: training failed "
                            "on %zu rows", tr->n);
    return NS_OK;
}

static enum ns_err fit_logreg(const struct baseline_data *tr,
                              const struct baseline_data *te, double *p,
                              char *detail, size_t cap,
                              struct ns_error *err)
{
    struct lr_layout l = {0};
    size_t stride = tr->ncols + 2;
    struct feature_node *nodes = NULL;
    struct feature_node **rows = NULL;
    double *y = NULL, prob[2];
    struct model *m = NULL;
    int pos;
    enum ns_err rc;

    if ((rc = lr_layout_fit(tr, &l, err)) != NS_OK)
        goto out;
    nodes = malloc(tr->n * stride * sizeof(*nodes) + 1);
    rows = malloc(tr->n * sizeof(*rows) + 1);
    y = malloc(tr->n * sizeof(*y) + 1);
    if (!nodes || !rows || !y) {
        rc = nomem(err, "the logistic regression rows");
        goto out;
    }
    if ((rc = lr_train(&l, tr, nodes, rows, y, &m, err)) != NS_OK)
        goto out;
    pos = m->label[0] == 1 ? 0 : 1;
    for (size_t i = 0; i < te->n; i++) {
        lr_row(&l, te, i, nodes);
        predict_probability(m, nodes, prob);
        p[i] = prob[pos];
    }
    snprintf(detail, cap, "L2, C=%g fixed, %d inputs (numbers "
             "standardised, categories one-hot, missing = training mean)",
             LOGREG_C, l.width);
out:
    if (m)
        free_and_destroy_model(&m);
    free(nodes);
    free(rows);
    free(y);
    lr_layout_free(&l);
    return rc;
}

/* ---- naive Bayes ---- */

/* Per class: a Gaussian for each numeric column, Laplace-smoothed counts
 * for each categorical one (its training levels plus one bucket for
 * unseen codes). Missing values leave their column out of the product. */
struct nb {
    size_t m;
    double prior[2];        /* log P(class) */
    double *mean[2], *var[2];
    bool *cat;              /* [m]: counted, not Gaussian */
    size_t *nlev;           /* [m]; 0 for numeric */
    size_t *off;            /* [m]: first count of column j */
    double *logp[2];        /* log P(level | class), by off[j] + level */
};

static void nb_free(struct nb *b)
{
    for (int c = 0; c < 2; c++) {
        free(b->mean[c]);
        free(b->var[c]);
        free(b->logp[c]);
    }
    free(b->cat);
    free(b->nlev);
    free(b->off);
}

static void nb_gauss(struct nb *b, const struct baseline_data *d, size_t j)
{
    double s[2] = {0}, ss[2] = {0}, n[2] = {0};

    for (size_t i = 0; i < d->n; i++) {
        double v = d->X[i * d->ncols + j];
        int c = d->y[i] > 0.5f;

        if (isnan(v))
            continue;
        s[c] += v;
        ss[c] += v * v;
        n[c] += 1;
    }
    for (int c = 0; c < 2; c++) {
        b->mean[c][j] = n[c] > 0 ? s[c] / n[c] : 0;
        b->var[c][j] = n[c] > 0 ? fmax(ss[c] / n[c] -
                                       b->mean[c][j] * b->mean[c][j], 0)
                                : 0;
    }
}

static void nb_counts(struct nb *b, const struct baseline_data *d,
                      size_t j)
{
    size_t k = b->nlev[j] + 1;
    double n[2] = {0};

    for (size_t i = 0; i < d->n; i++) {
        double v = d->X[i * d->ncols + j];
        int c = d->y[i] > 0.5f;

        if (isnan(v))
            continue;
        b->logp[c][b->off[j] + (size_t)v] += 1;
        n[c] += 1;
    }
    for (int c = 0; c < 2; c++) {
        for (size_t l = 0; l < k; l++)
            b->logp[c][b->off[j] + l] =
                log((b->logp[c][b->off[j] + l] + 1) / (n[c] + (double)k));
    }
}

/* Like scikit-learn, every variance gets 1e-9 of the largest one, so a
 * constant column within a class does not divide by zero. */
static void nb_smooth(struct nb *b)
{
    double top = 0;

    for (int c = 0; c < 2; c++) {
        for (size_t j = 0; j < b->m; j++)
            top = fmax(top, b->var[c][j]);
    }
    for (int c = 0; c < 2; c++) {
        for (size_t j = 0; j < b->m; j++)
            b->var[c][j] += 1e-9 * (top > 0 ? top : 1);
    }
}

static enum ns_err nb_fit(struct nb *b, const struct baseline_data *d,
                          struct ns_error *err)
{
    size_t total = 0, pos = 0;

    b->m = d->ncols;
    b->nlev = calloc(b->m + 1, sizeof(*b->nlev));
    b->off = calloc(b->m + 1, sizeof(*b->off));
    b->cat = calloc(b->m + 1, sizeof(*b->cat));
    if (!b->nlev || !b->off || !b->cat)
        return nomem(err, "naive Bayes");
    for (size_t j = 0; j < b->m; j++) {
        b->off[j] = total;
        b->cat[j] = d->categorical && d->categorical[j];
        if (b->cat[j]) {
            b->nlev[j] = levels(d, j);
            total += b->nlev[j] + 1;
        }
    }
    for (int c = 0; c < 2; c++) {
        b->mean[c] = calloc(b->m + 1, sizeof(double));
        b->var[c] = calloc(b->m + 1, sizeof(double));
        b->logp[c] = calloc(total + 1, sizeof(double));
        if (!b->mean[c] || !b->var[c] || !b->logp[c])
            return nomem(err, "naive Bayes");
    }
    for (size_t i = 0; i < d->n; i++)
        pos += d->y[i] > 0.5f;
    b->prior[1] = log((double)pos / (double)d->n);
    b->prior[0] = log((double)(d->n - pos) / (double)d->n);
    for (size_t j = 0; j < b->m; j++) {
        if (d->categorical && d->categorical[j])
            nb_counts(b, d, j);
        else
            nb_gauss(b, d, j);
    }
    nb_smooth(b);
    return NS_OK;
}

static double nb_prob(const struct nb *b, const float *x)
{
    double lp[2];

    for (int c = 0; c < 2; c++) {
        lp[c] = b->prior[c];
        for (size_t j = 0; j < b->m; j++) {
            double v = x[j], dv;

            if (isnan(v))
                continue;
            if (b->cat[j]) {
                size_t l = v >= 0 && v < (double)b->nlev[j] ? (size_t)v
                                                             : b->nlev[j];

                lp[c] += b->logp[c][b->off[j] + l];
                continue;
            }
            dv = v - b->mean[c][j];
            lp[c] += -0.5 * log(2 * M_PI * b->var[c][j]) -
                     dv * dv / (2 * b->var[c][j]);
        }
    }
    return 1 / (1 + exp(lp[0] - lp[1]));
}

static enum ns_err fit_nbayes(const struct baseline_data *tr,
                              const struct baseline_data *te, double *p,
                              char *detail, size_t cap,
                              struct ns_error *err)
{
    struct nb b = {0};
    size_t ncat = 0;
    enum ns_err rc = nb_fit(&b, tr, err);

    for (size_t i = 0; rc == NS_OK && i < te->n; i++)
        p[i] = nb_prob(&b, te->X + i * te->ncols);
    for (size_t j = 0; j < tr->ncols; j++)
        ncat += b.cat && b.cat[j];
    snprintf(detail, cap, "%zu Gaussian and %zu categorical inputs "
             "(Laplace smoothing), missing values skipped",
             tr->ncols - ncat, ncat);
    nb_free(&b);
    return rc;
}

/* ---- XGBoost families ---- */

static enum ns_err xgb_fit_predict(const struct xgb_params *xp,
                                   const struct baseline_data *tr,
                                   const struct baseline_data *te,
                                   double *p, struct ns_error *err)
{
    struct xgb_model *m = NULL;
    enum ns_err rc = xgb_train(tr->X, tr->n, tr->ncols, tr->y, NULL, NULL,
                               xp, &m, NULL, err);

    if (rc == NS_OK)
        rc = xgb_predict_margin(m, te->X, te->n, te->ncols, 0, p, err);
    for (size_t i = 0; rc == NS_OK && i < te->n; i++)
        p[i] = 1 / (1 + exp(-p[i]));
    xgb_free(m);
    return rc;
}

/* XGBoost's random-forest recipe: many parallel trees in one round, no
 * shrinkage, rows and split candidates sampled. */
static void rf_params(struct xgb_params *xp, uint64_t seed)
{
    xgb_params_default(xp);
    xp->num_parallel_tree = 100;
    xp->n_trees = 1;
    xp->eta = 1;
    xp->subsample = 0.63;
    xp->colsample_bynode = 0.8;
    xp->max_depth = 8;
    xp->seed = seed;
}

/* XGBoost's own defaults (depth 6, eta 0.3), 100 trees. */
static void gbm_params(struct xgb_params *xp, uint64_t seed)
{
    xgb_params_default(xp);
    xp->max_depth = 6;
    xp->eta = 0.3;
    xp->n_trees = 100;
    xp->seed = seed;
}

/* Copies the rows idx[0..n) of d into a fresh baseline_data (X, y and
 * group owned through *buf, freed with free()). */
static enum ns_err gather(const struct baseline_data *d, const size_t *idx,
                          size_t n, struct baseline_data *out, void **buf,
                          struct ns_error *err)
{
    size_t m = d->ncols;
    char *mem = malloc(n * (m + 1) * sizeof(float) + 1);
    float *X = (float *)mem, *y = X + n * m;

    *buf = mem;
    if (mem == NULL)
        return nomem(err, "a cross-validation fold");
    for (size_t i = 0; i < n; i++) {
        memcpy(X + i * m, d->X + idx[i] * m, m * sizeof(float));
        y[i] = d->y[idx[i]];
    }
    *out = (struct baseline_data){X, n, m, y, NULL, d->categorical};
    return NS_OK;
}

struct grid_point {
    int depth;
    double eta;
};

static const struct grid_point grid[] = {
    {3, 0.05}, {3, 0.15}, {6, 0.05}, {6, 0.15},
};

#define GRID_N (sizeof(grid) / sizeof(grid[0]))

struct folds {
    struct baseline_data tr[TUNE_FOLDS], va[TUNE_FOLDS];
    void *buf[2 * TUNE_FOLDS];
};

static void folds_free(struct folds *f)
{
    for (int i = 0; i < 2 * TUNE_FOLDS; i++)
        free(f->buf[i]);
}

/* Grouped folds (one patient's rows never on both sides). */
static enum ns_err folds_make(const struct baseline_data *d, uint64_t seed,
                              struct folds *f, struct ns_error *err)
{
    int *fold = malloc(d->n * sizeof(int) + 1);
    uint32_t *own = NULL;
    struct split_indices s = {0};
    enum ns_err rc = NS_OK;

    if (fold == NULL)
        return nomem(err, "the fold numbers");
    if (d->group == NULL) {
        own = malloc(d->n * sizeof(*own) + 1);
        if (own == NULL) {
            free(fold);
            return nomem(err, "the fold groups");
        }
        for (size_t i = 0; i < d->n; i++)
            own[i] = (uint32_t)i + 1;
    }
    rc = split_kfold_grouped(d->y, d->group ? d->group : own, d->n,
                             TUNE_FOLDS, seed, fold, err);
    for (int k = 0; rc == NS_OK && k < TUNE_FOLDS; k++) {
        rc = split_fold_indices(fold, d->n, k, &s, err);
        if (rc == NS_OK)
            rc = gather(d, s.train, s.n_train, &f->tr[k], &f->buf[2 * k],
                        err);
        if (rc == NS_OK)
            rc = gather(d, s.test, s.n_test, &f->va[k], &f->buf[2 * k + 1],
                        err);
        split_indices_free(&s);
    }
    free(own);
    free(fold);
    return rc;
}

/* Mean validation AUC of one grid point over the folds, and the mean
 * number of rounds early stopping kept. */
static enum ns_err grid_score(const struct folds *f, const struct grid_point *g,
                              uint64_t seed, double *auc, int *rounds,
                              struct ns_error *err)
{
    struct xgb_params xp;
    struct xgb_train_report rep;
    double sum = 0, kept = 0;

    xgb_params_default(&xp);
    xp.max_depth = g->depth;
    xp.eta = g->eta;
    xp.n_trees = 400;
    xp.early_stopping_rounds = 20;
    snprintf(xp.eval_metric, sizeof(xp.eval_metric), "auc");
    xp.seed = seed;
    for (int k = 0; k < TUNE_FOLDS; k++) {
        struct xgb_eval_set va = {f->va[k].X, f->va[k].n, f->va[k].y};
        struct xgb_model *m = NULL;
        enum ns_err rc = xgb_train(f->tr[k].X, f->tr[k].n, f->tr[k].ncols,
                                   f->tr[k].y, NULL, &va, &xp, &m, &rep,
                                   err);

        xgb_free(m);
        if (rc != NS_OK)
            return rc;
        sum += rep.best_score;
        kept += rep.best_iteration + 1;
    }
    *auc = sum / TUNE_FOLDS;
    *rounds = (int)lround(kept / TUNE_FOLDS);
    return NS_OK;
}

/* LIMITATION: early stopping watches the same fold whose AUC then
 * scores the grid point, so the cross-validated AUC that picks the grid
 * point is slightly optimistic (by a similar amount for every point, so
 * the choice is rarely affected). The held-out test rows that the table
 * reports are never seen. A fix splits each fold's training rows once
 * more for early stopping. */
static enum ns_err fit_tuned(const struct baseline_data *tr,
                             const struct baseline_data *te, uint64_t seed,
                             double *p, char *detail, size_t cap,
                             struct ns_error *err)
{
    struct folds f = {0};
    struct xgb_params xp;
    double best = -1, auc;
    int best_rounds = 100, rounds;
    size_t bi = 0;
    enum ns_err rc = folds_make(tr, seed, &f, err);

    for (size_t g = 0; rc == NS_OK && g < GRID_N; g++) {
        rc = grid_score(&f, &grid[g], seed, &auc, &rounds, err);
        if (rc == NS_OK && auc > best) {
            best = auc;
            best_rounds = rounds;
            bi = g;
        }
    }
    folds_free(&f);
    if (rc != NS_OK)
        return rc;
    xgb_params_default(&xp);
    xp.max_depth = grid[bi].depth;
    xp.eta = grid[bi].eta;
    xp.n_trees = best_rounds;
    xp.seed = seed;
    snprintf(detail, cap, "depth %d, eta %g, %d trees: best of %zu grid "
             "points by %d-fold patient-grouped CV (AUC %.4f), rounds by "
             "early stopping", xp.max_depth, xp.eta, xp.n_trees, GRID_N,
             TUNE_FOLDS, best);
    return xgb_fit_predict(&xp, tr, te, p, err);
}

/* ---- running and reporting ---- */

static enum ns_err check_train(const struct baseline_data *tr,
                               const struct baseline_data *te,
                               struct ns_error *err)
{
    size_t pos = 0;

    if (tr->n == 0 || tr->y == NULL || tr->ncols == 0)
        return ns_error_set(err, NS_ERR_INVALID, "compare: no training "
                            "rows or features (rows %zu, features %zu)",
                            tr->n, tr->ncols);
    if (te->ncols != tr->ncols)
        return ns_error_set(err, NS_ERR_INVALID, "compare: test rows have "
                            "%zu features, training rows %zu", te->ncols,
                            tr->ncols);
    for (size_t i = 0; i < tr->n; i++)
        pos += tr->y[i] > 0.5f;
    if (pos == 0 || pos == tr->n)
        return ns_error_set(err, NS_ERR_INVALID, "compare: the %zu "
                            "training rows are all of one class (%zu "
                            "positive): expected both", tr->n, pos);
    return NS_OK;
}

enum ns_err baselines_fit_predict(enum baseline_kind k,
                                  const struct baseline_data *train,
                                  const struct baseline_data *test,
                                  uint64_t seed, double *p, char *detail,
                                  size_t cap, struct ns_error *err)
{
    struct xgb_params xp;
    enum ns_err rc = check_train(train, test, err);

    if (rc != NS_OK)
        return rc;
    switch (k) {
    case BASELINE_LOGREG:
        return fit_logreg(train, test, p, detail, cap, err);
    case BASELINE_NBAYES:
        return fit_nbayes(train, test, p, detail, cap, err);
    case BASELINE_RF:
        rf_params(&xp, seed);
        snprintf(detail, cap, "XGBoost random-forest mode: %d trees in one "
                 "round, depth %d, eta 1, subsample %g, colsample_bynode "
                 "%g", xp.num_parallel_tree, xp.max_depth, xp.subsample,
                 xp.colsample_bynode);
        return xgb_fit_predict(&xp, train, test, p, err);
    case BASELINE_GBM:
        gbm_params(&xp, seed);
        snprintf(detail, cap, "XGBoost defaults: depth %d, eta %g, %d "
                 "trees", xp.max_depth, xp.eta, xp.n_trees);
        return xgb_fit_predict(&xp, train, test, p, err);
    case BASELINE_TUNED:
        return fit_tuned(train, test, seed, p, detail, cap, err);
    default:
        return ns_error_set(err, NS_ERR_INVALID, "compare: unknown model "
                            "family %d", (int)k);
    }
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* LIMITATION: the F1 column is at each model's best-F1 threshold on the
 * test rows themselves, so it is an upper bound rather than what a
 * threshold fixed in advance would give; the same rule holds for every
 * family, so the ranking is fair. ROC AUC, PR AUC and Brier need no
 * threshold. A fix picks each threshold on held-out training rows. */
static enum ns_err score(const double *p, const struct baseline_data *te,
                         struct baseline_result *out, struct ns_error *err)
{
    struct metrics_rule rule = {.kind = METRICS_RULE_BEST_F1};
    struct metrics_confusion cm;
    enum ns_err rc;

    if ((rc = metrics_roc_auc(p, te->y, te->n, &out->auc, err)) ||
        (rc = metrics_average_precision(p, te->y, te->n, &out->pr_auc,
                                        err)) ||
        (rc = metrics_choose_threshold(p, te->y, te->n, &rule,
                                       &out->threshold, err)))
        return rc;
    cm = metrics_confusion_at(p, te->y, te->n, out->threshold);
    metrics_ratios(&cm, NULL, NULL, NULL, &out->f1);
    out->brier = metrics_brier(p, te->y, te->n);
    return NS_OK;
}

enum ns_err baselines_run(enum baseline_kind k,
                          const struct baseline_data *train,
                          const struct baseline_data *test, uint64_t seed,
                          struct baseline_result *out, struct ns_error *err)
{
    double *p = malloc(test->n * sizeof(double) + 1);
    double t0 = now();
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    out->kind = k;
    snprintf(out->name, sizeof(out->name), "%s", baselines_name(k));
    if (p == NULL)
        return nomem(err, "the test probabilities");
    rc = baselines_fit_predict(k, train, test, seed, p, out->detail,
                               sizeof(out->detail), err);
    out->fit_seconds = now() - t0;
    if (rc == NS_OK)
        rc = score(p, test, out, err);
    if (rc != NS_OK)
        ns_error_prefix(err, "%s", out->name);
    free(p);
    return rc;
}

static int by_auc(const void *a, const void *b)
{
    const struct baseline_result *ra = a, *rb = b;
    double x = isnan(ra->auc) ? -1 : ra->auc;
    double y = isnan(rb->auc) ? -1 : rb->auc;

    if (x != y)
        return x < y ? 1 : -1;
    return (int)ra->kind - (int)rb->kind;
}

void baselines_sort(struct baseline_result *r, size_t n)
{
    qsort(r, n, sizeof(*r), by_auc);
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *baselines_json(const struct baseline_result *r, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
                              "model", r[i].name, "detail", r[i].detail,
                              "roc_auc", num(r[i].auc), "pr_auc",
                              num(r[i].pr_auc), "f1", num(r[i].f1),
                              "threshold", num(r[i].threshold), "brier",
                              num(r[i].brier), "fit_seconds",
                              num(r[i].fit_seconds));

        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

void baselines_print(const struct baseline_result *r, size_t n, FILE *f)
{
    fprintf(f, "%-20s %7s %7s %7s %7s %9s\n", "model", "ROC AUC",
            "PR AUC", "F1", "Brier", "fit (s)");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-20s %7.4f %7.4f %7.4f %7.4f %9.2f\n", r[i].name,
                r[i].auc, r[i].pr_auc, r[i].f1, r[i].brier,
                r[i].fit_seconds);
    fprintf(f, "\nF1 is at each model's best-F1 threshold on the test "
               "rows (the same rule for all).\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %s: %s\n", r[i].name, r[i].detail);
}
