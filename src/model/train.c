#include "model/train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "features/encode.h"
#include "features/history.h"
#include "features/pipeline.h"
#include "model/calibrate.h"
#include "model/drift.h"
#include "model/resample.h"
#include "model/split.h"
#include "util/timeutil.h"

struct run {
    const struct table *t;
    const struct train_opts *o;
    float *y;                   /* [t->nrows] */
    float *X;                   /* [t->nrows * nf] */
    size_t nf;
    struct split_indices sp;    /* train / test rows of t */
    size_t *fit, nfit;          /* train rows used to fit */
    size_t *val, nval;          /* train rows held out */
    struct schema *schema;
    struct encoders *enc;
    struct pipeline *pipe;
    struct xgb_model *model;
    struct calib calib;
    double threshold;
    double high_from;
};

void train_opts_default(struct train_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->test_from = NS_DAY_NONE;
    o->test_size = 0.25;
    o->seed = 42;
    o->imbalance = TRAIN_IMB_NONE;
    o->ratio = 1.0;
    o->history = true;
    xgb_params_default(&o->xgb);
    o->xgb.n_trees = 300;
    o->xgb.early_stopping_rounds = 20;
    o->folds = 5;
    o->calibrate = TRAIN_CAL_AUTO;
    o->refit = true;
    o->rule.kind = METRICS_RULE_BEST_F1;
}

void train_result_free(struct train_result *res)
{
    if (res == NULL)
        return;
    bundle_free(res->bundle);
    res->bundle = NULL;
    metrics_report_free(&res->test);
}

static void run_free(struct run *r)
{
    free(r->y);
    free(r->X);
    split_indices_free(&r->sp);
    free(r->fit);
    free(r->val);
    pipeline_free(r->pipe);
    encoders_free(r->enc);
    schema_free(r->schema);
    xgb_free(r->model);
    calib_free(&r->calib);
}

static enum ns_err nomem(struct ns_error *err)
{
    return ns_error_set(err, NS_ERR_NOMEM, "training: out of memory");
}

/* ---- labels and split ---------------------------------------------- */

static enum ns_err labels(struct run *r, struct ns_error *err)
{
    size_t pos = 0;

    r->y = malloc(r->t->nrows * sizeof(float));
    if (r->y == NULL)
        return nomem(err);
    for (size_t i = 0; i < r->t->nrows; i++) {
        r->y[i] = r->t->label[i] > 0 ? 1.0f : 0.0f;
        pos += r->t->label[i] > 0;
    }
    if (r->t->nrows == 0 || pos == 0 || pos == r->t->nrows)
        return ns_error_set(err, NS_ERR_INVALID, "training data has one "
                            "class only (%zu rows, %zu positive); both "
                            "outcomes are needed", r->t->nrows, pos);
    return NS_OK;
}

static enum ns_err split_rows(struct run *r, struct ns_error *err)
{
    const struct table *t = r->t;
    int32_t lo = INT32_MAX;
    int32_t hi = INT32_MIN;
    char a[11], b[11], c[11];

    if (r->o->test_from == NS_DAY_NONE)
        return split_stratified(r->y, t->nrows, r->o->test_size,
                                r->o->seed, &r->sp, err);
    for (size_t i = 0; i < t->nrows; i++) {
        lo = t->appt_day[i] < lo ? t->appt_day[i] : lo;
        hi = t->appt_day[i] > hi ? t->appt_day[i] : hi;
    }
    if (r->o->test_from <= lo || r->o->test_from > hi) {
        ns_format_date(r->o->test_from, a);
        ns_format_date(lo, b);
        ns_format_date(hi, c);
        return ns_error_field(err, NS_ERR_INVALID, "--test-from",
                              "--test-from %s is outside the data: "
                              "appointment days run from %s to %s, and "
                              "both sides need rows (pick a day after %s "
                              "and at most %s)", a, b, c, b, c);
    }
    return split_by_time(t->appt_day, t->nrows, r->o->test_from, &r->sp,
                         err);
}

/* Keeps only the labelled rows of idx[0..*n). */
static void keep_labelled(const struct table *t, size_t *idx, size_t *n)
{
    size_t k = 0;

    for (size_t i = 0; i < *n; i++) {
        if (t->label[idx[i]] >= 0)
            idx[k++] = idx[i];
    }
    *n = k;
}

/* Rows without an outcome (bookings still open, from a database) stay in
 * the table so that the history of later rows counts them, but neither
 * train nor test on them. */
static enum ns_err split_labelled(struct run *r, struct ns_error *err)
{
    enum ns_err rc = split_rows(r, err);

    if (rc != NS_OK)
        return rc;
    keep_labelled(r->t, r->sp.train, &r->sp.n_train);
    keep_labelled(r->t, r->sp.test, &r->sp.n_test);
    if (r->sp.n_train == 0 || r->sp.n_test == 0)
        return ns_error_set(err, NS_ERR_INVALID, "the split leaves %zu "
                            "labelled training rows and %zu labelled test "
                            "rows; both sides need rows with an outcome",
                            r->sp.n_train, r->sp.n_test);
    return NS_OK;
}

static int cmp_time(const void *pa, const void *pb, void *ctx)
{
    const struct table *t = ctx;
    size_t a = *(const size_t *)pa;
    size_t b = *(const size_t *)pb;

    if (t->appt_day[a] != t->appt_day[b])
        return t->appt_day[a] < t->appt_day[b] ? -1 : 1;
    if (t->booked_at[a] != t->booked_at[b])
        return t->booked_at[a] < t->booked_at[b] ? -1 : 1;
    return a < b ? -1 : (a > b);
}

static bool both_classes(const float *y, const size_t *rows, size_t n)
{
    bool pos = false;
    bool neg = false;

    for (size_t i = 0; i < n; i++) {
        pos |= y[rows[i]] > 0.5f;
        neg |= y[rows[i]] <= 0.5f;
    }
    return pos && neg;
}

/* *nv = the number of rows of idx[0..n) (sorted by time) dated in the
 * latest holdout_days calendar days of the training rows. Both sides
 * must keep rows: the model fitted before the slice is the one whose
 * bias on it the calibration measures.
 * LIMITATION: that bias (a model fitted on earlier weeks, scoring the
 * next week) is applied to the model refitted on every training row,
 * scoring the weeks after them; it carries over only while the base
 * rate drifts steadily. A drop that starts after the training rows is
 * invisible to it (docs/model-card.md). */
static enum ns_err slice_days(const struct run *r, const size_t *idx,
                              size_t n, size_t *nv, struct ns_error *err)
{
    int32_t last = r->t->appt_day[idx[n - 1]];
    int32_t from = last - r->o->holdout_days + 1;
    size_t k = n;

    while (k > 0 && r->t->appt_day[idx[k - 1]] >= from)
        k--;
    if (k == 0 || k == n || !both_classes(r->y, idx, k) ||
        !both_classes(r->y, idx + k, n - k)) {
        char a[11], b[11];

        ns_format_date(from, a);
        ns_format_date(last, b);
        return ns_error_field(err, NS_ERR_INVALID, "--holdout-days",
                              "--holdout-days %d holds out %zu of %zu "
                              "training rows (%s to %s); both sides "
                              "need rows of both outcomes (pick fewer "
                              "days)", r->o->holdout_days, n - k, n, a,
                              b);
    }
    *nv = n - k;
    return NS_OK;
}

/* Held-out part of the training rows: the latest tenth for a time split
 * (as the test rows are later than all of them), a stratified random
 * tenth otherwise.
 * With --refit (the default) the final model is fitted again on all
 * training rows afterwards. */
static enum ns_err hold_out(struct run *r, struct ns_error *err)
{
    size_t n = r->sp.n_train;
    size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
    float *yt = malloc((n ? n : 1) * sizeof(float));
    struct split_indices s = {0};
    enum ns_err rc = NS_OK;

    if (idx == NULL || yt == NULL) {
        rc = nomem(err);
        goto out;
    }
    memcpy(idx, r->sp.train, n * sizeof(size_t));
    if (r->o->test_from != NS_DAY_NONE) {
        size_t nv = (size_t)((double)n * TRAIN_VALID_FRACTION + 0.5);

        qsort_r(idx, n, sizeof(size_t), cmp_time, (void *)r->t);
        if (r->o->holdout_days > 0) {
            rc = slice_days(r, idx, n, &nv, err);
            if (rc != NS_OK)
                goto out;
        }
        r->nfit = n - nv;
        r->nval = nv;
        r->fit = malloc((r->nfit ? r->nfit : 1) * sizeof(size_t));
        r->val = malloc((nv ? nv : 1) * sizeof(size_t));
        if (r->fit == NULL || r->val == NULL) {
            rc = nomem(err);
            goto out;
        }
        memcpy(r->fit, idx, r->nfit * sizeof(size_t));
        memcpy(r->val, idx + r->nfit, nv * sizeof(size_t));
    } else {
        for (size_t i = 0; i < n; i++)
            yt[i] = r->y[idx[i]];
        rc = split_stratified(yt, n, TRAIN_VALID_FRACTION, r->o->seed + 1,
                              &s, err);
        if (rc != NS_OK)
            goto out;
        for (size_t i = 0; i < s.n_train; i++)
            s.train[i] = idx[s.train[i]];
        for (size_t i = 0; i < s.n_test; i++)
            s.test[i] = idx[s.test[i]];
        r->fit = s.train;
        r->nfit = s.n_train;
        r->val = s.test;
        r->nval = s.n_test;
        s.train = s.test = NULL;
    }
out:
    split_indices_free(&s);
    free(idx);
    free(yt);
    return rc;
}

/* ---- features ------------------------------------------------------ */

/* Feature matrix of every row of the table.
 * LIMITATION: training holds the whole table (about 170 bytes a row for
 * the 27-column doctolib schema) and this matrix (4 bytes a feature,
 * 128 bytes a row with 32 features) in memory while XGBoost builds its
 * quantised copy of the rows it fits (about one byte a feature) and a
 * plain copy of the held-out tenth. A month of 15 million bookings
 * peaked at 7.41 GiB (bench/results/scale.md): it needs an 8 GiB
 * machine and larger files need more. A fix streams the file twice: a
 * first pass for the split, the encoders and a compact history index, a
 * second that hands feature batches straight to XGBoost's data
 * iterator without a table. */
static enum ns_err features(struct run *r, struct ns_error *err)
{
    struct pipeline_opts po = {.history = r->o->history, .time = true};
    const struct schema *s = r->t->schema;
    struct history_index *hidx = NULL;
    enum ns_err rc;

    rc = schema_parse(s->text, strlen(s->text), s->name, &r->schema, err);
    if (rc == NS_OK)
        rc = encoders_fit(r->t, r->sp.train, r->sp.n_train, &r->enc, err);
    if (rc == NS_OK)
        rc = pipeline_new(r->schema, r->enc, &po, &r->pipe, err);
    if (rc != NS_OK)
        return rc;
    r->nf = pipeline_nfeatures(r->pipe);
    /* Every row's history comes from the whole file: each row only sees
     * outcomes dated before its booking day, so this is leak-free. */
    if (pipeline_uses_history(r->pipe))
        rc = history_index_from_table(r->t, &hidx, err);
    r->X = malloc(r->t->nrows * r->nf * sizeof(float));
    if (rc == NS_OK && r->X == NULL)
        rc = nomem(err);
    if (rc == NS_OK)
        rc = pipeline_table(r->pipe, r->t, NULL, 0, hidx, r->X, NULL, err);

    /* The history counts are in X now: the index (tens of bytes a row)
     * is freed before the fits rather than living through them. */
    history_index_free(hidx);
    return rc;
}

/* Names the features that take one value over the training rows: they
 * cannot help, and usually mean a column is empty or mis-read.
 * LIMITATION: such a feature is reported but stays in the model (XGBoost
 * never splits on it, so predictions do not change). Dropping it needs
 * the pipeline to take a list of excluded features saved in the bundle. */
static void constant_columns(const struct run *r, struct train_result *res)
{
    size_t used = 0;

    res->warnings[0] = '\0';
    for (size_t k = 0; k < r->nf; k++) {
        float first = r->X[r->sp.train[0] * r->nf + k];
        bool same = true;

        for (size_t i = 1; i < r->sp.n_train && same; i++) {
            float v = r->X[r->sp.train[i] * r->nf + k];

            same = (v == first) || (isnan(v) && isnan(first));
        }
        if (same && used < sizeof(res->warnings) - 1) {
            int w = snprintf(res->warnings + used,
                             sizeof(res->warnings) - used, "%s%s",
                             used ? ", " : "",
                             pipeline_feature(r->pipe, k)->name);

            used += w > 0 ? (size_t)w : 0;
            if (used >= sizeof(res->warnings))
                used = sizeof(res->warnings) - 1;
        }
    }
}

/* ---- fitting ------------------------------------------------------- */

/* Labels of rows[0..n) of the run, gathered (4 bytes a row). */
static enum ns_err labels_of(const struct run *r, const size_t *rows,
                             size_t n, float **out, struct ns_error *err)
{
    *out = malloc((n ? n : 1) * sizeof(float));
    if (*out == NULL)
        return nomem(err);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = r->y[rows[i]];
    return NS_OK;
}

/* Random oversampling as row indices into the feature matrix: the
 * duplicated rows are never copied. */
static enum ns_err oversample_rows(const struct run *r, const size_t *fit,
                                   size_t nfit, size_t **rows, size_t *n,
                                   struct ns_error *err)
{
    float *yf = NULL;
    size_t *ix = NULL;
    enum ns_err rc = labels_of(r, fit, nfit, &yf, err);

    if (rc == NS_OK)
        rc = resample_oversample(yf, nfit, r->o->ratio, r->o->seed, &ix, n,
                                 err);
    if (rc == NS_OK) {
        for (size_t i = 0; i < *n; i++)
            ix[i] = fit[ix[i]];
        *rows = ix;
        ix = NULL;
    }
    free(yf);
    free(ix);
    return rc;
}

/* Fits on rows fit[], early-stopping on rows val[] (unless nval is 0),
 * after the chosen rebalancing of the fit rows only. XGBoost reads the
 * rows straight from the feature matrix through their indices (see
 * xgb_train_rows()), so no copy of the training rows is made; SMOTE
 * alone builds a new matrix, as its synthetic rows exist nowhere else. */
static enum ns_err fit_model(const struct run *r, const size_t *fit,
                             size_t nfit, const size_t *val, size_t nval,
                             const struct xgb_params *p0,
                             struct xgb_model **out,
                             struct xgb_train_report *rep,
                             struct ns_error *err)
{
    struct xgb_params p = *p0;
    struct xgb_rows tr = {r->X, r->y, NULL, fit, nfit};
    struct xgb_rows va = {r->X, r->y, NULL, val, nval};
    float *Xf = NULL, *yf = NULL, *Xs = NULL, *ys = NULL;
    size_t *ix = NULL;
    enum ns_err rc = NS_OK;

    if (r->o->imbalance == TRAIN_IMB_WEIGHT) {
        size_t pos = 0;

        for (size_t i = 0; i < nfit; i++)
            pos += r->y[fit[i]] > 0.5f;
        p.scale_pos_weight = r->o->ratio * (double)(nfit - pos) /
                             (double)(pos ? pos : 1);
    } else if (r->o->imbalance == TRAIN_IMB_OVERSAMPLE) {
        rc = oversample_rows(r, fit, nfit, &ix, &tr.n, err);
        tr.idx = ix;
    } else if (r->o->imbalance == TRAIN_IMB_SMOTE) {
        rc = resample_take(r->X, r->y, r->nf, fit, nfit, &Xf, &yf, err);
        if (rc == NS_OK)
            rc = resample_smote(Xf, yf, nfit, r->nf, r->o->ratio, 5,
                                r->o->seed, &Xs, &ys, &tr.n, err);
        tr = (struct xgb_rows){Xs, ys, NULL, NULL, tr.n};
    }
    if (rc != NS_OK)
        goto out;
    if (nval == 0)
        p.early_stopping_rounds = 0;
    rc = xgb_train_rows(&tr, r->nf, nval ? &va : NULL, &p, out, rep, err);
out:
    free(Xf);
    free(yf);
    free(Xs);
    free(ys);
    free(ix);
    return rc;
}

/* ---- search -------------------------------------------------------- */

static const double GRID_ETA[] = {0.05, 0.1};
static const int GRID_DEPTH[] = {3, 4, 6};
static const double GRID_MCW[] = {1, 5};
static const double GRID_SUB[] = {0.8, 1};
static const double GRID_COL[] = {0.8, 1};
#define GRID_PRODUCT 48
/* Slower and deeper settings past the product, eta depth min_child_weight
 * (subsample and colsample 0.8): patient-grouped CV on the bundled
 * file's training rows put them near or above the product's best
 * (bench/quality_candidates.py and docs/model-card.md). */
static const double GRID_EXTRA[][3] = {{0.02, 6, 1}, {0.05, 8, 20},
                                       {0.02, 8, 20}};
#define GRID_SIZE (GRID_PRODUCT + 3)

static void grid_params(int g, const struct xgb_params *base,
                        struct xgb_params *p)
{
    *p = *base;
    if (g >= GRID_PRODUCT) {
        p->eta = GRID_EXTRA[g - GRID_PRODUCT][0];
        p->max_depth = (int)GRID_EXTRA[g - GRID_PRODUCT][1];
        p->min_child_weight = GRID_EXTRA[g - GRID_PRODUCT][2];
        p->subsample = 0.8;
        p->colsample_bytree = 0.8;
        return;
    }
    p->colsample_bytree = GRID_COL[g % 2];
    p->subsample = GRID_SUB[(g / 2) % 2];
    p->min_child_weight = GRID_MCW[(g / 4) % 2];
    p->max_depth = GRID_DEPTH[(g / 8) % 3];
    p->eta = GRID_ETA[(g / 24) % 2];
}

/* Fold of each training row, patients kept whole; rows without a
 * patient id are their own group. */
static enum ns_err make_folds(const struct run *r, int **fold,
                              struct ns_error *err)
{
    size_t n = r->sp.n_train;
    uint32_t *g = malloc((n ? n : 1) * sizeof(uint32_t));
    float *yt = malloc((n ? n : 1) * sizeof(float));
    enum ns_err rc = NS_OK;

    *fold = malloc((n ? n : 1) * sizeof(int));
    if (g == NULL || yt == NULL || *fold == NULL) {
        rc = nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t row = r->sp.train[i];

        yt[i] = r->y[row];
        g[i] = r->t->patient[row] ? r->t->patient[row]
                                  : (uint32_t)(0x80000000u | i);
    }
    rc = split_kfold_grouped(yt, g, n, r->o->folds, r->o->seed, *fold,
                             err);
out:
    free(g);
    free(yt);
    return rc;
}

/* Mean held-out log loss of one parameter set over the folds; *trees
 * receives the mean best round count. */
static enum ns_err cv_score(const struct run *r, const int *fold,
                            const struct xgb_params *p, double *score,
                            int *trees, struct ns_error *err)
{
    size_t n = r->sp.n_train;
    size_t *tr = malloc((n ? n : 1) * sizeof(size_t));
    size_t *te = malloc((n ? n : 1) * sizeof(size_t));
    double sum = 0;
    double rounds = 0;
    enum ns_err rc = NS_OK;

    if (tr == NULL || te == NULL) {
        rc = nomem(err);
        goto out;
    }
    for (int f = 0; f < r->o->folds && rc == NS_OK; f++) {
        struct xgb_model *m = NULL;
        struct xgb_train_report rep = {0};
        size_t ntr = 0, nte = 0;

        for (size_t i = 0; i < n; i++) {
            if (fold[i] == f)
                te[nte++] = r->sp.train[i];
            else
                tr[ntr++] = r->sp.train[i];
        }
        rc = fit_model(r, tr, ntr, te, nte, p, &m, &rep, err);
        sum += rep.best_score;
        rounds += rep.best_iteration + 1;
        xgb_free(m);
    }
    *score = sum / r->o->folds;
    *trees = (int)(rounds / r->o->folds + 0.5);
out:
    free(tr);
    free(te);
    return rc;
}

static enum ns_err search(const struct run *r, struct xgb_params *best,
                          double *best_score, struct ns_error *err)
{
    int *fold = NULL;
    enum ns_err rc = make_folds(r, &fold, err);

    *best_score = INFINITY;
    for (int g = 0; g < GRID_SIZE && rc == NS_OK; g++) {
        struct xgb_params p;
        double s = INFINITY;
        int trees = 0;

        grid_params(g, &r->o->xgb, &p);
        if (p.early_stopping_rounds == 0)
            p.early_stopping_rounds = 20;
        rc = cv_score(r, fold, &p, &s, &trees, err);
        if (rc == NS_OK && s < *best_score) {
            *best_score = s;
            *best = p;
        }
        if (r->o->progress)
            r->o->progress(r->o->progress_ctx, g + 1, GRID_SIZE);
    }
    free(fold);
    return rc;
}

/* ---- calibration, threshold, bands -------------------------------- */

/* Margins and labels of rows[0..n), scored a chunk at a time so that
 * no copy of all the rows is made. */
static enum ns_err margins_of(const struct run *r, const size_t *rows,
                              size_t n, double **out, float **yout,
                              struct ns_error *err)
{
    size_t chunk = n < XGB_ITER_BATCH ? n : XGB_ITER_BATCH;
    float *X = NULL;
    enum ns_err rc;

    *out = malloc((n ? n : 1) * sizeof(double));
    X = malloc((chunk ? chunk : 1) * r->nf * sizeof(float));
    if (*out == NULL || X == NULL) {
        free(X);
        return nomem(err);
    }
    rc = labels_of(r, rows, n, yout, err);
    for (size_t at = 0; at < n && rc == NS_OK; at += chunk) {
        size_t m = n - at < chunk ? n - at : chunk;

        for (size_t i = 0; i < m; i++)
            memcpy(X + i * r->nf, r->X + rows[at + i] * r->nf,
                   r->nf * sizeof(float));
        rc = xgb_predict_margin(r->model, X, m, r->nf, 0, *out + at, err);
    }
    free(X);
    return rc;
}

struct cal_score {
    double brier;
    double log_loss;
};

/* Held-out Brier and log loss of a method: fitted on one half of the
 * held-out rows, measured on the other, and the other way round. For a
 * time split the held-out rows are in time order, so one of the two
 * directions is exactly "fit on the earlier week, score the later". */
static struct cal_score cross_score(enum calib_method m, const double *mg,
                                    const float *y, size_t n)
{
    struct cal_score sc = {0, 0};
    size_t h = n / 2;

    for (int side = 0; side < 2; side++) {
        const double *fm = side ? mg + h : mg;
        const float *fy = side ? y + h : y;
        const double *tm = side ? mg : mg + h;
        const float *ty = side ? y : y + h;
        size_t nf = side ? n - h : h;
        size_t nt = side ? h : n - h;
        struct calib c = {0};

        if (calib_fit(m, fm, fy, nf, &c, NULL) != NS_OK)
            return (struct cal_score){INFINITY, INFINITY};
        for (size_t i = 0; i < nt; i++) {
            double p = calib_apply(&c, tm[i]);
            double q = fmin(fmax(ty[i] > 0.5f ? p : 1 - p, 1e-15), 1);

            sc.brier += (p - ty[i]) * (p - ty[i]);
            sc.log_loss -= log(q);
        }
        calib_free(&c);
    }
    sc.brier /= (double)n;
    sc.log_loss /= (double)n;
    return sc;
}

/* auto: a reweighted model is always calibrated; otherwise a method must
 * beat the plain sigmoid on rows it was not fitted on. The intercept
 * shift (tracking a drifting base rate) must beat the best of the others
 * on both Brier score and log loss. */
static enum calib_method auto_method(const struct run *r,
                                     const struct cal_score *sc)
{
    enum calib_method m = CALIB_IDENTITY;
    double best = r->o->imbalance != TRAIN_IMB_NONE ? INFINITY
                                                    : sc[CALIB_IDENTITY].brier;

    if (sc[CALIB_PLATT].brier < best) {
        m = CALIB_PLATT;
        best = sc[CALIB_PLATT].brier;
    }
    if (sc[CALIB_ISOTONIC].brier < best) {
        m = CALIB_ISOTONIC;
        best = sc[CALIB_ISOTONIC].brier;
    }
    if (sc[CALIB_INTERCEPT].brier < best &&
        sc[CALIB_INTERCEPT].log_loss < sc[m].log_loss)
        m = CALIB_INTERCEPT;
    return m;
}

static enum ns_err choose_calib(struct run *r, const double *mg,
                                const float *y, size_t n,
                                struct train_result *res,
                                struct ns_error *err)
{
    static const enum calib_method forced[] = {
        [TRAIN_CAL_NONE] = CALIB_IDENTITY,
        [TRAIN_CAL_PLATT] = CALIB_PLATT,
        [TRAIN_CAL_ISOTONIC] = CALIB_ISOTONIC,
        [TRAIN_CAL_INTERCEPT] = CALIB_INTERCEPT,
    };
    struct cal_score sc[4];
    enum calib_method m;

    for (int k = 0; k < 4; k++)
        sc[k] = cross_score((enum calib_method)k, mg, y, n);
    m = r->o->calibrate == TRAIN_CAL_AUTO ? auto_method(r, sc)
                                          : forced[r->o->calibrate];
    snprintf(res->calib_note, sizeof(res->calib_note),
             "held-out Brier / log loss (2-fold cross-fitted on %zu rows): "
             "identity %.5f / %.5f, platt %.5f / %.5f, isotonic %.5f / "
             "%.5f, intercept %.5f / %.5f; using %s", n,
             sc[0].brier, sc[0].log_loss, sc[1].brier, sc[1].log_loss,
             sc[2].brier, sc[2].log_loss, sc[3].brier, sc[3].log_loss,
             calib_method_name(m));
    return calib_fit(m, mg, y, n, &r->calib, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Threshold by the stated rule and the high band, both on the held-out
 * training rows: test labels never choose anything. */
static enum ns_err decide(struct run *r, struct train_result *res,
                          struct ns_error *err)
{
    double *mg = NULL;
    float *y = NULL;
    double *p = NULL;
    size_t q;
    enum ns_err rc = margins_of(r, r->val, r->nval, &mg, &y, err);

    if (rc == NS_OK)
        rc = choose_calib(r, mg, y, r->nval, res, err);
    if (rc != NS_OK)
        goto out;
    p = malloc(r->nval * sizeof(double));
    if (p == NULL) {
        rc = nomem(err);
        goto out;
    }
    for (size_t i = 0; i < r->nval; i++)
        p[i] = calib_apply(&r->calib, mg[i]);
    rc = metrics_choose_threshold(p, y, r->nval, &r->o->rule,
                                  &r->threshold, err);
    if (rc != NS_OK)
        goto out;
    if (r->threshold > 1.0)
        r->threshold = 1.0;
    qsort(p, r->nval, sizeof(double), cmp_double);
    q = (size_t)(TRAIN_HIGH_QUANTILE * (double)(r->nval - 1));
    r->high_from = p[q] > r->threshold ? p[q] : r->threshold;
out:
    free(mg);
    free(y);
    free(p);
    return rc;
}

/* ---- test metrics and the bundle ----------------------------------- */

static enum ns_err test_metrics(struct run *r, struct train_result *res,
                                struct ns_error *err)
{
    double *mg = NULL;
    float *y = NULL;
    double *p = NULL;
    size_t n = r->sp.n_test;
    enum ns_err rc = margins_of(r, r->sp.test, n, &mg, &y, err);
    struct calib id = {.method = CALIB_IDENTITY};
    double rate = res->train_rate;

    p = malloc((n ? n : 1) * sizeof(double));
    if (rc == NS_OK && p == NULL)
        rc = nomem(err);
    if (rc != NS_OK)
        goto out;
    res->uncal_mean = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = calib_apply(&id, mg[i]);
        res->uncal_mean += p[i] / (double)n;
    }
    res->uncal_brier = metrics_brier(p, y, n);
    res->uncal_log_loss = metrics_log_loss(p, y, n);
    for (size_t i = 0; i < n; i++)
        p[i] = rate;
    res->base_brier = metrics_brier(p, y, n);
    res->base_log_loss = metrics_log_loss(p, y, n);
    /* The same arithmetic as bundle_score_matrix(). */
    for (size_t i = 0; i < n; i++)
        p[i] = calib_apply(&r->calib, mg[i]);
    rc = metrics_compute(p, y, n, r->threshold, &res->test, err);
out:
    free(mg);
    free(y);
    free(p);
    return rc;
}

static json_t *params_json(const struct train_opts *o,
                           const struct train_result *res)
{
    static const char *const imb[] = {"none", "weight", "oversample",
                                      "smote"};
    const struct xgb_params *p = &res->chosen;
    char day[11] = "";

    if (o->test_from != NS_DAY_NONE)
        ns_format_date(o->test_from, day);
    return json_pack("{s:s, s:s, s:i, s:f, s:i, s:f, s:f, s:f, s:f, s:i, "
                     "s:s, s:f, s:b, s:s, s:f, s:I, s:b, s:i, s:i, "
                     "s:o, s:I, s:I, s:I, s:I}",
                     "objective", p->objective, "tree_method",
                     p->tree_method, "max_depth", p->max_depth, "eta",
                     p->eta, "trees", res->trees, "min_child_weight",
                     p->min_child_weight, "subsample", p->subsample,
                     "colsample_bytree", p->colsample_bytree,
                     "scale_pos_weight", p->scale_pos_weight,
                     "early_stopping_rounds", p->early_stopping_rounds,
                     "imbalance", imb[o->imbalance], "ratio", o->ratio,
                     "history", o->history, "test_from", day,
                     "test_size", o->test_from == NS_DAY_NONE
                                      ? o->test_size : 0.0,
                     "seed", (json_int_t)o->seed, "search", o->search,
                     "folds", o->folds,
                     "holdout_days", o->holdout_days,
                     "cv_logloss", isfinite(res->cv_logloss)
                                       ? json_real(res->cv_logloss)
                                       : json_null(),
                     "rows_train", (json_int_t)res->n_train,
                     "rows_fit", (json_int_t)res->n_fit,
                     "rows_held_out", (json_int_t)res->n_valid,
                     "rows_test", (json_int_t)res->n_test);
}

static json_t *metrics_json(const struct train_result *res)
{
    json_t *test = NULL;

    if (metrics_to_json(&res->test, &test, NULL) != NS_OK)
        return NULL;
    return json_pack("{s:o, s:{s:f, s:f, s:f}, s:{s:f, s:f, s:f}, s:s}",
                     "test", test, "uncalibrated", "brier",
                     res->uncal_brier, "log_loss", res->uncal_log_loss,
                     "mean_predicted", res->uncal_mean, "baseline",
                     "training_rate", res->train_rate, "brier",
                     res->base_brier, "log_loss", res->base_log_loss,
                     "calibration_choice", res->calib_note);
}

static json_t *rule_json(const struct metrics_rule *rule, const char **name)
{
    if (rule->kind == METRICS_RULE_TARGET_RECALL) {
        *name = "recall";
        return json_pack("{s:f}", "target_recall", rule->target_recall);
    }
    if (rule->kind == METRICS_RULE_COST) {
        *name = "cost";
        return json_pack("{s:f, s:f}", "cost_missed_slot",
                         rule->cost_missed, "cost_reminder",
                         rule->cost_reminder);
    }
    *name = "f1";
    return json_object();
}

static enum ns_err assemble(struct run *r, struct train_result *res,
                            struct ns_error *err)
{
    struct bundle_parts parts = {0};

    parts.schema = r->schema;
    parts.encoders = r->enc;
    parts.pipeline = r->pipe;
    parts.model = r->model;
    parts.calib = r->calib;
    r->schema = NULL;
    r->enc = NULL;
    r->pipe = NULL;
    r->model = NULL;
    memset(&r->calib, 0, sizeof(r->calib));
    parts.threshold = r->threshold;
    parts.threshold_params = rule_json(&r->o->rule, &parts.threshold_rule);
    parts.high_from = r->high_from;
    parts.metrics = metrics_json(res);
    parts.params = params_json(r->o, res);
    parts.fingerprint = train_fingerprint(r->t, r->o->data_sha256);
    if (parts.metrics == NULL || parts.params == NULL ||
        parts.fingerprint == NULL || parts.threshold_params == NULL) {
        /* bundle_new() owns the parts either way: let it free them. */
        if (bundle_new(&parts, &res->bundle, NULL) == NS_OK) {
            bundle_free(res->bundle);
            res->bundle = NULL;
        }
        return nomem(err);
    }
    return bundle_new(&parts, &res->bundle, err);
}

/* Fits again on every training row with the rounds early stopping
 * chose. The calibration, threshold and bands chosen on the held-out
 * rows stay: the refitted model sees 10% more (and, for a time split,
 * the most recent) rows, and its margins keep the same scale. */
static enum ns_err refit(struct run *r, struct train_result *res,
                         struct ns_error *err)
{
    struct xgb_params p = res->chosen;
    struct xgb_model *m = NULL;
    enum ns_err rc;

    p.n_trees = res->trees / (p.num_parallel_tree > 1
                                  ? p.num_parallel_tree : 1);
    p.early_stopping_rounds = 0;
    rc = fit_model(r, r->sp.train, r->sp.n_train, NULL, 0, &p, &m, NULL,
                   err);
    if (rc != NS_OK)
        return rc;
    xgb_free(r->model);
    r->model = m;
    res->n_fit = r->sp.n_train;
    return NS_OK;
}

static enum ns_err prepare(struct run *r, struct train_result *res,
                           struct ns_error *err)
{
    enum ns_err rc = labels(r, err);

    if (rc == NS_OK)
        rc = split_labelled(r, err);
    if (rc == NS_OK && !both_classes(r->y, r->sp.train, r->sp.n_train))
        rc = ns_error_set(err, NS_ERR_INVALID, "the training rows (%zu, "
                          "before the test part) hold one class only",
                          r->sp.n_train);
    if (rc == NS_OK && r->o->search &&
        (r->o->folds < 2 || (size_t)r->o->folds > r->sp.n_train))
        rc = ns_error_field(err, NS_ERR_INVALID, "--folds", "--folds %d "
                            "needs at least 2 folds and at least as many "
                            "training rows (%zu)", r->o->folds,
                            r->sp.n_train);
    if (rc == NS_OK && r->o->holdout_days != 0 &&
        (r->o->test_from == NS_DAY_NONE || r->o->holdout_days < 0))
        rc = ns_error_field(err, NS_ERR_INVALID, "--holdout-days",
                            "--holdout-days %d: expected a positive "
                            "number of days, with --test-from (a random "
                            "split has no latest days)",
                            r->o->holdout_days);
    if (rc == NS_OK)
        rc = features(r, err);
    if (rc == NS_OK)
        rc = hold_out(r, err);
    if (rc == NS_OK && !both_classes(r->y, r->val, r->nval))
        rc = ns_error_set(err, NS_ERR_INVALID, "the held-out training rows "
                          "(%zu) hold one class only; more data is needed",
                          r->nval);
    if (rc != NS_OK)
        return rc;
    constant_columns(r, res);
    res->n_train = r->sp.n_train;
    res->n_fit = r->nfit;
    res->n_valid = r->nval;
    res->n_test = r->sp.n_test;
    res->train_rate = 0;
    for (size_t i = 0; i < r->sp.n_train; i++)
        res->train_rate += r->y[r->sp.train[i]];
    res->train_rate /= (double)r->sp.n_train;
    return NS_OK;
}

/* The training rows' histograms of every input, kept in the bundle so
 * that the service can measure drift against them. */
static enum ns_err reference(struct run *r, struct train_result *res,
                             struct ns_error *err)
{
    json_t *ref = NULL;
    enum ns_err rc = drift_reference(r->t, r->sp.train, r->sp.n_train, &ref,
                                     err);

    if (rc == NS_OK)
        bundle_set_reference(res->bundle, ref);
    return rc;
}

enum ns_err train_run(const struct table *t, const struct train_opts *o,
                      struct train_result *res, struct ns_error *err)
{
    struct run r = {.t = t, .o = o};
    struct xgb_train_report rep;
    enum ns_err rc;

    memset(res, 0, sizeof(*res));
    res->cv_logloss = NAN;
    res->chosen = o->xgb;
    rc = prepare(&r, res, err);
    if (rc == NS_OK && o->search)
        rc = search(&r, &res->chosen, &res->cv_logloss, err);
    if (rc == NS_OK)
        rc = fit_model(&r, r.fit, r.nfit, r.val, r.nval, &res->chosen,
                       &r.model, &rep, err);
    if (rc != NS_OK)
        goto out;
    res->trees = xgb_num_trees(r.model);
    rc = decide(&r, res, err);
    if (rc == NS_OK && o->refit)
        rc = refit(&r, res, err);
    if (rc == NS_OK)
        rc = test_metrics(&r, res, err);
    if (rc == NS_OK)
        rc = assemble(&r, res, err);
    if (rc == NS_OK)
        rc = reference(&r, res, err);
out:
    if (rc != NS_OK)
        train_result_free(res);
    run_free(&r);
    return rc;
}

json_t *train_fingerprint(const struct table *t, const char *sha256)
{
    int32_t lo = INT32_MAX;
    int32_t hi = INT32_MIN;
    char a[11] = "", b[11] = "";

    for (size_t i = 0; i < t->nrows; i++) {
        lo = t->appt_day[i] < lo ? t->appt_day[i] : lo;
        hi = t->appt_day[i] > hi ? t->appt_day[i] : hi;
    }
    if (t->nrows > 0) {
        ns_format_date(lo, a);
        ns_format_date(hi, b);
    }
    return json_pack("{s:s?, s:I, s:s, s:s}", "sha256", sha256, "rows",
                     (json_int_t)t->nrows, "date_from", a, "date_to", b);
}

enum ns_err train_file_sha256(const char *path, char out[65],
                              struct ns_error *err)
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char chunk[65536];
    size_t n;
    enum ns_err rc = NS_OK;

    if (f == NULL) {
        int e = errno;

        return ns_error_set(err, NS_ERR_IO, "%s: cannot open: %s", path,
                            strerror(e));
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        rc = ns_error_set(err, NS_ERR_LIB, "%s: SHA-256 unavailable", path);
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        EVP_DigestUpdate(ctx, chunk, n);
    if (ferror(f) || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
        rc = ns_error_set(err, NS_ERR_IO, "%s: read error", path);
        goto out;
    }
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
out:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}
