/* libxgboost wrapper: see xgb.h for the thread policy. */
#include "model/xgb.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xgboost/c_api.h>

#include "util/log.h"

/* The every-core handle, loaded by the first call that needs it, so a
 * job whose calls all run on one thread (batch scoring runs threads of
 * its own) parses the model text once instead of twice. */
struct lazy_bulk {
    pthread_mutex_t lock;
    BoosterHandle h;
    char *text;             /* the model text, until the load */
    size_t len;
    enum ns_err rc;         /* a failed load, told to every later call */
    struct ns_error err;
};

struct xgb_model {
    BoosterHandle single;   /* nthread=1: batches under XGB_SMALL_BATCH */
    struct lazy_bulk *bulk; /* nthread=0 (every core): larger batches */
    size_t ncols;
    int trees;
};

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* XGBoost prints its warnings to stderr by default; route them through
 * the project log so they keep the one-line format. */
static void log_from_xgboost(const char *msg)
{
    ns_log_warn("xgboost", "%s", msg);
}

static void install_log_callback(void)
{
    if (XGBRegisterLogCallback(log_from_xgboost) != 0)
        ns_log_warn("xgboost", "log callback refused: %s",
                    XGBGetLastError());
}

static enum ns_err lib_fail(struct ns_error *err, const char *call)
{
    return ns_error_set(err, NS_ERR_LIB, "xgboost %s failed: %s", call,
                        XGBGetLastError());
}

void xgb_params_default(struct xgb_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->objective, sizeof(p->objective), "binary:logistic");
    snprintf(p->tree_method, sizeof(p->tree_method), "hist");
    snprintf(p->booster, sizeof(p->booster), "gbtree");
    snprintf(p->eval_metric, sizeof(p->eval_metric), "logloss");
    p->max_depth = 3;
    p->eta = 0.1;
    p->n_trees = 100;
    p->min_child_weight = 1.0;
    p->subsample = 1.0;
    p->colsample_bytree = 1.0;
    p->scale_pos_weight = 1.0;
    p->lambda = 1.0;
    p->alpha = 0.0;
    p->seed = 42;
    p->nthread = 0;
    p->early_stopping_rounds = 0;
    p->num_parallel_tree = 1;
    p->colsample_bynode = 1.0;
}

static enum ns_err check_range(struct ns_error *err, const char *name,
                               double v, double lo, double hi)
{
    if (!(v >= lo && v <= hi))
        return ns_error_field(err, NS_ERR_INVALID, name,
                              "xgboost parameter %s=%g is out of range: "
                              "expected %g to %g", name, v, lo, hi);
    return NS_OK;
}

static enum ns_err check_params(const struct xgb_params *p,
                                struct ns_error *err)
{
    enum ns_err rc;

    if ((rc = check_range(err, "max_depth", p->max_depth, 1, 64)) ||
        (rc = check_range(err, "eta", p->eta, 1e-6, 1)) ||
        (rc = check_range(err, "n_trees", p->n_trees, 1, 100000)) ||
        (rc = check_range(err, "min_child_weight", p->min_child_weight,
                          0, 1e9)) ||
        (rc = check_range(err, "subsample", p->subsample, 1e-6, 1)) ||
        (rc = check_range(err, "colsample_bytree", p->colsample_bytree,
                          1e-6, 1)) ||
        (rc = check_range(err, "scale_pos_weight", p->scale_pos_weight,
                          1e-9, 1e9)) ||
        (rc = check_range(err, "lambda", p->lambda, 0, 1e9)) ||
        (rc = check_range(err, "alpha", p->alpha, 0, 1e9)) ||
        (rc = check_range(err, "nthread", p->nthread, 0, 1024)) ||
        (rc = check_range(err, "early_stopping_rounds",
                          p->early_stopping_rounds, 0, 100000)) ||
        (rc = check_range(err, "num_parallel_tree", p->num_parallel_tree,
                          1, 10000)) ||
        (rc = check_range(err, "colsample_bynode", p->colsample_bynode,
                          1e-6, 1)))
        return rc;
    if (strncmp(p->objective, "binary:", 7) != 0)
        return ns_error_field(err, NS_ERR_INVALID, "objective",
                              "xgboost objective \"%s\" is not supported: "
                              "expected a binary one (binary:logistic)",
                              p->objective);
    if (strcmp(p->eval_metric, "logloss") != 0 &&
        strcmp(p->eval_metric, "auc") != 0)
        return ns_error_field(err, NS_ERR_INVALID, "eval_metric",
                              "xgboost eval_metric \"%s\" is not supported:"
                              " expected logloss or auc", p->eval_metric);
    return NS_OK;
}

static enum ns_err set_param(BoosterHandle h, const char *name,
                             const char *value, struct ns_error *err)
{
    if (XGBoosterSetParam(h, name, value) != 0)
        return ns_error_field(err, NS_ERR_LIB, name,
                              "xgboost rejected parameter %s=%s: %s", name,
                              value, XGBGetLastError());
    return NS_OK;
}

static enum ns_err set_num(BoosterHandle h, const char *name, double v,
                           struct ns_error *err)
{
    char text[40];

    snprintf(text, sizeof(text), "%.17g", v);
    return set_param(h, name, text, err);
}

static enum ns_err apply_params(BoosterHandle h, const struct xgb_params *p,
                                struct ns_error *err)
{
    enum ns_err rc;
    char seed[24];

    /* XGBoost stores the seed as a signed 64-bit value. */
    snprintf(seed, sizeof(seed), "%" PRIu64, p->seed & INT64_MAX);
    if ((rc = set_param(h, "objective", p->objective, err)) ||
        (rc = set_param(h, "tree_method", p->tree_method, err)) ||
        (rc = set_param(h, "booster", p->booster, err)) ||
        (rc = set_param(h, "eval_metric", p->eval_metric, err)) ||
        (rc = set_param(h, "seed", seed, err)) ||
        (rc = set_num(h, "max_depth", p->max_depth, err)) ||
        (rc = set_num(h, "eta", p->eta, err)) ||
        (rc = set_num(h, "min_child_weight", p->min_child_weight, err)) ||
        (rc = set_num(h, "subsample", p->subsample, err)) ||
        (rc = set_num(h, "colsample_bytree", p->colsample_bytree, err)) ||
        (rc = set_num(h, "scale_pos_weight", p->scale_pos_weight, err)) ||
        (rc = set_num(h, "lambda", p->lambda, err)) ||
        (rc = set_num(h, "alpha", p->alpha, err)) ||
        (rc = set_num(h, "nthread", p->nthread, err)) ||
        (rc = set_num(h, "num_parallel_tree", p->num_parallel_tree, err)) ||
        (rc = set_num(h, "colsample_bynode", p->colsample_bynode, err)))
        return rc;
    return NS_OK;
}

/* A DMatrix over X with labels and weights (both optional). */
static enum ns_err make_dmatrix(const float *X, size_t n, size_t ncols,
                                const float *y, const float *w, int nthread,
                                DMatrixHandle *out, struct ns_error *err)
{
    DMatrixHandle d = NULL;

    if (XGDMatrixCreateFromMat_omp(X, n, ncols, NAN, &d, nthread) != 0)
        return lib_fail(err, "XGDMatrixCreateFromMat");
    if (y && XGDMatrixSetFloatInfo(d, "label", y, n) != 0)
        goto fail;
    if (w && XGDMatrixSetFloatInfo(d, "weight", w, n) != 0)
        goto fail;
    *out = d;
    return NS_OK;

fail:
    lib_fail(err, "XGDMatrixSetFloatInfo");
    XGDMatrixFree(d);
    return NS_ERR_LIB;
}

static size_t row_of(const struct xgb_rows *r, size_t i)
{
    return r->idx ? r->idx[i] : i;
}

static enum ns_err check_labels(const struct xgb_rows *r, const char *set,
                                struct ns_error *err)
{
    for (size_t i = 0; i < r->n; i++) {
        size_t row = row_of(r, i);

        if (r->y[row] != 0.0f && r->y[row] != 1.0f)
            return ns_error_set(err, NS_ERR_INVALID,
                                "%s row %zu: label %g is not 0 or 1", set,
                                i, (double)r->y[row]);
        if (r->w && !(r->w[row] >= 0.0f && isfinite(r->w[row])))
            return ns_error_set(err, NS_ERR_INVALID,
                                "%s row %zu: weight %g is not a finite "
                                "value >= 0", set, i, (double)r->w[row]);
    }
    return NS_OK;
}

/* Reads the metric value from "[3]\tvalid-logloss:0.51234". */
static enum ns_err parse_eval(const char *text, const char *metric,
                              double *out, struct ns_error *err)
{
    char key[48];
    const char *at;
    char *end;

    snprintf(key, sizeof(key), "valid-%s:", metric);
    at = strstr(text, key);
    if (!at)
        return ns_error_set(err, NS_ERR_LIB, "xgboost evaluation \"%.200s\""
                            " has no %s value", text, key);
    *out = strtod(at + strlen(key), &end);
    if (end == at + strlen(key) || !isfinite(*out))
        return ns_error_set(err, NS_ERR_LIB, "xgboost evaluation \"%.200s\""
                            ": %s is not a number", text, key);
    return NS_OK;
}

/* Boosts up to p->n_trees rounds; with a validation set, tracks the best
 * round and stops after early_stopping_rounds rounds without progress. */
static enum ns_err boost(BoosterHandle h, DMatrixHandle dtrain,
                         DMatrixHandle dvalid, const struct xgb_params *p,
                         struct xgb_train_report *r, struct ns_error *err)
{
    const char *names[1] = {"valid"};
    int higher_better = strcmp(p->eval_metric, "auc") == 0;
    double score = NAN, last = NAN;
    enum ns_err rc;

    r->best_score = NAN;
    r->best_iteration = 0;
    for (int it = 0; it < p->n_trees; it++) {
        const char *text = NULL;

        if (XGBoosterUpdateOneIter(h, it, dtrain) != 0)
            return lib_fail(err, "XGBoosterUpdateOneIter");
        r->rounds = it + 1;
        if (!dvalid)
            continue;
        if (XGBoosterEvalOneIter(h, it, &dvalid, names, 1, &text) != 0)
            return lib_fail(err, "XGBoosterEvalOneIter");
        if ((rc = parse_eval(text, p->eval_metric, &score, err)) != NS_OK)
            return rc;
        last = score;
        if (isnan(r->best_score) || (higher_better ? score > r->best_score
                                                   : score < r->best_score)) {
            r->best_score = score;
            r->best_iteration = it;
        } else if (p->early_stopping_rounds > 0 &&
                   it - r->best_iteration >= p->early_stopping_rounds) {
            break;
        }
    }

    /* Without early stopping every round is kept, so the last one is
     * the one to report. */
    if (p->early_stopping_rounds == 0) {
        r->best_iteration = r->rounds - 1;
        r->best_score = last;
    }
    return NS_OK;
}

static enum ns_err save_booster(BoosterHandle h, char **buf, size_t *len,
                                struct ns_error *err)
{
    bst_ulong n = 0;
    const char *text = NULL;
    char *copy;

    /* The text lives in XGBoost's per-thread buffer: copy it at once. */
    if (XGBoosterSaveModelToBuffer(h, "{\"format\":\"json\"}", &n,
                                   &text) != 0)
        return lib_fail(err, "XGBoosterSaveModelToBuffer");
    copy = malloc((size_t)n + 1);
    if (!copy)
        return ns_error_set(err, NS_ERR_NOMEM,
                            "no memory for a %llu-byte model",
                            (unsigned long long)n);
    memcpy(copy, text, (size_t)n);
    copy[n] = '\0';
    *buf = copy;
    *len = (size_t)n;
    return NS_OK;
}

static enum ns_err check_train_input(const struct xgb_rows *tr,
                                     size_t ncols,
                                     const struct xgb_rows *valid,
                                     const struct xgb_params *p,
                                     struct ns_error *err)
{
    enum ns_err rc;

    if (tr->n == 0 || ncols == 0)
        return ns_error_set(err, NS_ERR_INVALID, "training needs rows and "
                            "features: got %zu rows of %zu features", tr->n,
                            ncols);
    if (p->early_stopping_rounds > 0 && (!valid || valid->n == 0))
        return ns_error_field(err, NS_ERR_INVALID, "early_stopping_rounds",
                              "early_stopping_rounds=%d needs validation "
                              "rows, none were given",
                              p->early_stopping_rounds);
    if ((rc = check_params(p, err)) != NS_OK ||
        (rc = check_labels(tr, "training", err)) != NS_OK)
        return rc;
    if (valid && valid->n > 0)
        return check_labels(valid, "validation", err);
    return NS_OK;
}

/* ---- rows through XGBoost's data iterator -------------------------- */

/* One pass over a selection of rows, a batch at a time. XGBoost reads
 * the batch set on the proxy before it asks for the next one, so one
 * buffer serves every batch. */
struct row_iter {
    const struct xgb_rows *rows;
    size_t ncols;
    size_t next;                /* first row of the next batch */
    DMatrixHandle proxy;
    float *X, *y, *w;           /* XGB_ITER_BATCH rows, or NULL */
    char failure[256];          /* XGBoost's text when a setter failed */
};

/* XGBoost's array-interface text for the row-major n x ncols floats at
 * X, which it then reads where they are. */
#define DENSE_IFACE_MAX 192

static void dense_iface(char iface[DENSE_IFACE_MAX], const float *X,
                        size_t n, size_t ncols)
{
    snprintf(iface, DENSE_IFACE_MAX,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],"
             "\"typestr\":\"<f4\",\"version\":3}", (uintptr_t)X, n, ncols);
}

/* Copies rows r->idx[from .. from + m) next to each other into X, y
 * and (when r has weights) w. */
static void gather_rows(const struct xgb_rows *r, size_t ncols,
                        size_t from, size_t m, float *X, float *y,
                        float *w)
{
    for (size_t i = 0; i < m; i++) {
        size_t row = r->idx[from + i];

        memcpy(X + i * ncols, r->X + row * ncols, ncols * sizeof(float));
        y[i] = r->y[row];
        if (r->w)
            w[i] = r->w[row];
    }
}

static void iter_reset(DataIterHandle h)
{
    ((struct row_iter *)h)->next = 0;
}

/* Points the proxy at rows next.. of the selection: straight into X when
 * the rows are contiguous, else gathered into the batch buffer. */
static int iter_next(DataIterHandle h)
{
    struct row_iter *it = h;
    const struct xgb_rows *r = it->rows;
    size_t m = r->n - it->next;
    const float *X = r->X + it->next * it->ncols;
    const float *y = r->y + it->next;
    const float *w = r->w ? r->w + it->next : NULL;
    char iface[DENSE_IFACE_MAX];

    if (it->next >= r->n)
        return 0;
    m = m > XGB_ITER_BATCH ? XGB_ITER_BATCH : m;
    if (r->idx) {
        gather_rows(r, it->ncols, it->next, m, it->X, it->y, it->w);
        X = it->X;
        y = it->y;
        w = it->w;
    }
    dense_iface(iface, X, m, it->ncols);
    if (XGProxyDMatrixSetDataDense(it->proxy, iface) != 0 ||
        XGDMatrixSetFloatInfo(it->proxy, "label", y, m) != 0 ||
        (w && XGDMatrixSetFloatInfo(it->proxy, "weight", w, m) != 0)) {
        snprintf(it->failure, sizeof(it->failure), "%s", XGBGetLastError());
        return -1;
    }
    it->next += m;
    return 1;
}

/* A quantile DMatrix (256 bins a feature, XGBoost's default) over the
 * selected rows: XGBoost reads them twice, once to sketch the bins and
 * once to fill its one-byte-per-value index. */
static enum ns_err quantile_matrix(const struct xgb_rows *rows,
                                   size_t ncols, int nthread,
                                   DMatrixHandle *out, struct ns_error *err)
{
    struct row_iter it = {.rows = rows, .ncols = ncols};
    size_t cap = rows->n < XGB_ITER_BATCH ? rows->n : XGB_ITER_BATCH;
    char config[80];
    enum ns_err rc = NS_OK;

    if (rows->idx) {
        it.X = malloc(cap * ncols * sizeof(float));
        it.y = malloc(cap * sizeof(float));
        it.w = rows->w ? malloc(cap * sizeof(float)) : NULL;
        if (!it.X || !it.y || (rows->w && !it.w)) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for a %zu-row "
                              "training batch", cap);
            goto out;
        }
    }
    if (XGProxyDMatrixCreate(&it.proxy) != 0) {
        rc = lib_fail(err, "XGProxyDMatrixCreate");
        goto out;
    }
    snprintf(config, sizeof(config), "{\"missing\":NaN,\"nthread\":%d}",
             nthread);
    if (XGQuantileDMatrixCreateFromCallback(&it, it.proxy, NULL, iter_reset,
                                            iter_next, config, out) != 0)
        rc = ns_error_set(err, NS_ERR_LIB, "xgboost "
                          "XGQuantileDMatrixCreateFromCallback failed: %s%s"
                          "%s", XGBGetLastError(), it.failure[0] ? "; " : "",
                          it.failure);
out:
    if (it.proxy)
        XGDMatrixFree(it.proxy);
    free(it.X);
    free(it.y);
    free(it.w);
    return rc;
}

/* A plain DMatrix over the selected rows, gathered into one contiguous
 * copy first when they are not contiguous (tree methods other than
 * hist cannot read a quantile DMatrix). */
static enum ns_err gathered_matrix(const struct xgb_rows *rows,
                                   size_t ncols, int nthread,
                                   DMatrixHandle *out, struct ns_error *err)
{
    float *X = NULL, *y = NULL, *w = NULL;
    enum ns_err rc;

    if (!rows->idx)
        return make_dmatrix(rows->X, rows->n, ncols, rows->y, rows->w,
                            nthread, out, err);
    X = malloc(rows->n * ncols * sizeof(float));
    y = malloc(rows->n * sizeof(float));
    w = rows->w ? malloc(rows->n * sizeof(float)) : NULL;
    if (!X || !y || (rows->w && !w)) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for a copy of %zu "
                          "training rows", rows->n);
        goto out;
    }
    gather_rows(rows, ncols, 0, rows->n, X, y, w);
    rc = make_dmatrix(X, rows->n, ncols, y, w, nthread, out, err);
out:
    free(X);
    free(y);
    free(w);
    return rc;
}

/* Training and validation DMatrix handles, built with p->nthread
 * threads (every core by default, as training itself). */
static enum ns_err train_matrices(const struct xgb_rows *tr, size_t ncols,
                                  const struct xgb_rows *valid,
                                  const struct xgb_params *p,
                                  DMatrixHandle dm[2], struct ns_error *err)
{
    bool quantile = strcmp(p->tree_method, "hist") == 0;
    enum ns_err rc;

    ns_log_debug("xgb", "training rows=%zu features=%zu threads=%d "
                 "matrix=%s omp_wait_policy=%s", tr->n, ncols, p->nthread,
                 quantile ? "quantile" : "plain",
                 getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY")
                                           : "default");
    if (quantile)
        rc = quantile_matrix(tr, ncols, p->nthread, &dm[0], err);
    else
        rc = gathered_matrix(tr, ncols, p->nthread, &dm[0], err);
    if (rc != NS_OK || !valid || valid->n == 0)
        return rc;

    /* Validation rows go into a plain DMatrix even for hist: XGBoost
     * 1.7 evaluates a quantile DMatrix about 50% slower per round (300k
     * rows, one thread: 15.3 s of CPU against 10.7 s), and they are only
     * a tenth of the rows. */
    return gathered_matrix(valid, ncols, p->nthread, &dm[1], err);
}

enum ns_err xgb_train(const float *X, size_t n, size_t ncols, const float *y,
                      const float *weights, const struct xgb_eval_set *valid,
                      const struct xgb_params *p, struct xgb_model **out,
                      struct xgb_train_report *report, struct ns_error *err)
{
    struct xgb_rows tr = {X, y, weights, NULL, n};
    struct xgb_rows va = {NULL, NULL, NULL, NULL, 0};

    if (valid)
        va = (struct xgb_rows){valid->X, valid->y, NULL, NULL, valid->n};
    return xgb_train_rows(&tr, ncols, valid ? &va : NULL, p, out, report,
                          err);
}

enum ns_err xgb_train_rows(const struct xgb_rows *train, size_t ncols,
                           const struct xgb_rows *valid,
                           const struct xgb_params *p,
                           struct xgb_model **out,
                           struct xgb_train_report *report,
                           struct ns_error *err)
{
    DMatrixHandle dm[2] = {NULL, NULL};
    BoosterHandle h = NULL, kept = NULL;
    struct xgb_train_report r = {0, 0, 0, NAN};
    char *json = NULL;
    size_t len = 0;
    enum ns_err rc;

    *out = NULL;
    pthread_once(&log_once, install_log_callback);
    if ((rc = check_train_input(train, ncols, valid, p, err)) ||
        (rc = train_matrices(train, ncols, valid, p, dm, err)))
        goto out;
    if (XGBoosterCreate(dm, dm[1] ? 2 : 1, &h) != 0) {
        rc = lib_fail(err, "XGBoosterCreate");
        goto out;
    }
    if ((rc = apply_params(h, p, err)) != NS_OK ||
        (rc = boost(h, dm[0], dm[1], p, &r, err)) != NS_OK)
        goto out;

    /* Early stopping keeps rounds 0..best_iteration only. */
    kept = h;
    if (r.best_iteration + 1 < r.rounds) {
        if (XGBoosterSlice(h, 0, r.best_iteration + 1, 1, &kept) != 0) {
            kept = NULL;
            rc = lib_fail(err, "XGBoosterSlice");
            goto out;
        }
    }

    /* Going through JSON gives a trained model the very same handles
     * and parameters as one loaded from a bundle. */
    if ((rc = save_booster(kept, &json, &len, err)) != NS_OK ||
        (rc = xgb_load_json(json, len, out, err)) != NS_OK)
        goto out;
    r.trees = (*out)->trees;
    if (report)
        *report = r;

out:
    free(json);
    if (kept && kept != h)
        XGBoosterFree(kept);
    if (h)
        XGBoosterFree(h);
    if (dm[1])
        XGDMatrixFree(dm[1]);
    if (dm[0])
        XGDMatrixFree(dm[0]);
    return rc;
}

static const char *const margin_config =
    "{\"type\":1,\"training\":false,\"iteration_begin\":0,"
    "\"iteration_end\":0,\"strict_shape\":false,\"cache_id\":0,"
    "\"missing\":NaN}";

static const char *const contribs_config =
    "{\"type\":2,\"training\":false,\"iteration_begin\":0,"
    "\"iteration_end\":0,\"strict_shape\":false}";

static const char *const interactions_config =
    "{\"type\":4,\"training\":false,\"iteration_begin\":0,"
    "\"iteration_end\":0,\"strict_shape\":false}";

static enum ns_err copy_result(const bst_ulong *shape, bst_ulong dim,
                               const float *res, size_t want, double *out,
                               struct ns_error *err)
{
    size_t total = 1;

    for (bst_ulong i = 0; i < dim; i++)
        total *= (size_t)shape[i];
    if (total != want)
        return ns_error_set(err, NS_ERR_LIB, "xgboost returned %zu values,"
                            " expected %zu", total, want);

    /* res is XGBoost's per-thread buffer, valid until this thread's next
     * call: copy it now. */
    for (size_t i = 0; i < want; i++)
        out[i] = res[i];
    return NS_OK;
}

/* Proxy DMatrix handles for in-place prediction, lent to one call at a
 * time. Without one, libxgboost builds a proxy per call, and each build
 * reads the cgroup CPU quota files: four system calls on every
 * single-row request of the service. A proxy holds only the last call's
 * array, so no two calls share one at once. The pool (as many proxies as
 * calls ever ran at the same time) lives until the process ends; freeing
 * proxies from a thread-exit destructor instead leaks libxgboost's
 * thread-local state, which is torn down before such destructors run. */
static pthread_mutex_t proxy_lock = PTHREAD_MUTEX_INITIALIZER;
static DMatrixHandle *proxy_pool;
static size_t proxy_n, proxy_cap;

/* A free proxy, or NULL (libxgboost then makes its own). */
static DMatrixHandle proxy_take(void)
{
    DMatrixHandle d = NULL;

    pthread_mutex_lock(&proxy_lock);
    if (proxy_n > 0)
        d = proxy_pool[--proxy_n];
    pthread_mutex_unlock(&proxy_lock);
    if (d == NULL && XGProxyDMatrixCreate(&d) != 0)
        return NULL;
    return d;
}

static void proxy_give(DMatrixHandle d)
{
    DMatrixHandle *grown;

    if (d == NULL)
        return;
    pthread_mutex_lock(&proxy_lock);
    if (proxy_n == proxy_cap) {
        grown = realloc(proxy_pool, (proxy_cap + 8) * sizeof(*grown));
        if (grown == NULL) {
            pthread_mutex_unlock(&proxy_lock);
            XGDMatrixFree(d);
            return;
        }
        proxy_pool = grown;
        proxy_cap += 8;
    }
    proxy_pool[proxy_n++] = d;
    pthread_mutex_unlock(&proxy_lock);
}

/* In-place margin prediction: no DMatrix, the array is read where it is.
 * LIMITATION: for one row libxgboost's fixed cost (it parses both JSON
 * strings and enters an OpenMP region) dominates: about a fifth of a
 * POST /predict's CPU; a tree walker of our own would avoid it. */
static enum ns_err margin_inplace(BoosterHandle h, const float *X, size_t n,
                                  size_t ncols, double *out,
                                  struct ns_error *err)
{
    char iface[DENSE_IFACE_MAX];
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    DMatrixHandle proxy = proxy_take();
    int rc;

    dense_iface(iface, X, n, ncols);
    rc = XGBoosterPredictFromDense(h, iface, margin_config, proxy, &shape,
                                   &dim, &res);
    proxy_give(proxy);
    if (rc != 0)
        return lib_fail(err, "XGBoosterPredictFromDense");
    return copy_result(shape, dim, res, n, out, err);
}

/* Number of trees and a binary objective, read from the learner config. */
static enum ns_err read_config(BoosterHandle h, int *trees,
                               struct ns_error *err)
{
    bst_ulong len = 0;
    const char *text = NULL;
    json_t *root = NULL, *gb, *num;
    json_error_t jerr;
    const char *obj;
    enum ns_err rc = NS_OK;

    if (XGBoosterSaveJsonConfig(h, &len, &text) != 0)
        return lib_fail(err, "XGBoosterSaveJsonConfig");
    root = json_loadb(text, (size_t)len, 0, &jerr);
    if (!root)
        return ns_error_set(err, NS_ERR_LIB, "xgboost config is not JSON: "
                            "%s at %d", jerr.text, jerr.position);
    obj = json_string_value(json_object_get(
        json_object_get(json_object_get(root, "learner"), "objective"),
        "name"));
    gb = json_object_get(json_object_get(root, "learner"),
                         "gradient_booster");
    if (json_object_get(gb, "gbtree"))
        gb = json_object_get(gb, "gbtree");     /* dart wraps gbtree */
    num = json_object_get(json_object_get(gb, "gbtree_model_param"),
                          "num_trees");
    if (!obj || strncmp(obj, "binary:", 7) != 0) {
        rc = ns_error_field(err, NS_ERR_INVALID, "objective",
                            "model objective \"%s\" is not supported: "
                            "expected binary:logistic", obj ? obj : "");
    } else if (!json_is_string(num)) {
        rc = ns_error_set(err, NS_ERR_UNSUPPORTED, "model has no tree "
                          "count (learner.gradient_booster.gbtree_model_"
                          "param.num_trees): expected a tree booster");
    } else {
        *trees = (int)strtol(json_string_value(num), NULL, 10);
    }
    json_decref(root);
    return rc;
}

/* Fixes a loaded handle's thread count for good and configures it by a
 * first prediction, so that later concurrent calls find nothing left to
 * set up. */
static enum ns_err settle_handle(BoosterHandle h, const char *nthread,
                                 size_t ncols, struct ns_error *err)
{
    float *row = NULL;
    double margin;
    enum ns_err rc = set_param(h, "nthread", nthread, err);

    if (rc != NS_OK)
        return rc;
    row = malloc(ncols * sizeof(*row));
    if (!row)
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for a %zu-feature"
                            " row", ncols);
    for (size_t j = 0; j < ncols; j++)
        row[j] = NAN;
    rc = margin_inplace(h, row, 1, ncols, &margin, err);
    free(row);
    return rc;
}

/* One more booster handle from JSON text, settled as above. */
static enum ns_err load_handle(const char *buf, size_t len,
                               const char *nthread, size_t ncols,
                               BoosterHandle *out, struct ns_error *err)
{
    BoosterHandle h = NULL;
    enum ns_err rc;

    if (XGBoosterCreate(NULL, 0, &h) != 0)
        return lib_fail(err, "XGBoosterCreate");
    if (XGBoosterLoadModelFromBuffer(h, buf, len) != 0)
        rc = lib_fail(err, "XGBoosterLoadModelFromBuffer");
    else
        rc = settle_handle(h, nthread, ncols, err);
    if (rc != NS_OK)
        XGBoosterFree(h);
    else
        *out = h;
    return rc;
}

/* A copy of the model text, for the every-core handle's later load. */
static struct lazy_bulk *lazy_bulk_new(const char *text, size_t len)
{
    struct lazy_bulk *b = calloc(1, sizeof(*b));

    if (b == NULL)
        return NULL;
    b->text = malloc(len);
    if (b->text == NULL) {
        free(b);
        return NULL;
    }
    memcpy(b->text, text, len);
    b->len = len;
    pthread_mutex_init(&b->lock, NULL);
    return b;
}

static void lazy_bulk_free(struct lazy_bulk *b)
{
    if (b == NULL)
        return;
    if (b->h)
        XGBoosterFree(b->h);
    free(b->text);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static enum ns_err check_json_text(const char *buf, size_t len,
                                   struct ns_error *err)
{
    size_t i = 0;

    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' ||
                       buf[i] == '\r'))
        i++;

    /* XGBoost would read anything else as its legacy binary format,
     * whose loader trusts the sizes it reads. */
    if (i == len || buf[i] != '{')
        return ns_error_set(err, NS_ERR_PARSE, "model text at byte %zu: "
                            "expected a JSON object ('{'), found %s", i,
                            i == len ? "the end" : "another byte");
    return NS_OK;
}

enum ns_err xgb_load_json(const char *buf, size_t len,
                          struct xgb_model **out, struct ns_error *err)
{
    struct xgb_model *m = NULL;
    BoosterHandle probe = NULL;
    bst_ulong nfeat = 0;
    enum ns_err rc;

    *out = NULL;
    pthread_once(&log_once, install_log_callback);
    if ((rc = check_json_text(buf, len, err)) != NS_OK)
        return rc;
    if (XGBoosterCreate(NULL, 0, &probe) != 0)
        return lib_fail(err, "XGBoosterCreate");
    if (XGBoosterLoadModelFromBuffer(probe, buf, len) != 0) {
        rc = ns_error_set(err, NS_ERR_PARSE, "model text refused by "
                          "xgboost: %s", XGBGetLastError());
        goto out;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for a model");
        goto out;
    }
    if (XGBoosterGetNumFeature(probe, &nfeat) != 0) {
        rc = lib_fail(err, "XGBoosterGetNumFeature");
        goto out;
    }
    m->ncols = (size_t)nfeat;
    if (m->ncols == 0) {
        rc = ns_error_set(err, NS_ERR_INVALID, "model has 0 features: "
                          "expected at least one");
        goto out;
    }
    /* The probe becomes the one-thread handle: each parse of the model
     * text costs milliseconds, which a short batch job notices. */
    if ((rc = read_config(probe, &m->trees, err)) != NS_OK ||
        (rc = settle_handle(probe, "1", m->ncols, err)) != NS_OK)
        goto out;
    m->single = probe;
    probe = NULL;
    if ((m->bulk = lazy_bulk_new(buf, len)) == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for a model");
        goto out;
    }
    *out = m;
    m = NULL;

out:
    xgb_free(m);
    XGBoosterFree(probe);
    return rc;
}

static enum ns_err check_predict(const struct xgb_model *m, size_t ncols,
                                 struct ns_error *err)
{
    if (ncols != m->ncols)
        return ns_error_set(err, NS_ERR_INVALID, "rows have %zu features, "
                            "the model expects %zu", ncols, m->ncols);
    return NS_OK;
}

/* The thread policy of xgb.h in one place. */
static enum ns_err pick_handle(const struct xgb_model *m, size_t n,
                               int nthread, BoosterHandle *h,
                               struct ns_error *err)
{
    struct lazy_bulk *b = m->bulk;
    enum ns_err rc;

    if (nthread == 1 || n < XGB_SMALL_BATCH) {
        *h = m->single;
        return NS_OK;
    }
    pthread_mutex_lock(&b->lock);
    if (b->h == NULL && b->rc == NS_OK) {
        b->rc = load_handle(b->text, b->len, "0", m->ncols, &b->h, &b->err);
        free(b->text);
        b->text = NULL;
    }
    rc = b->rc;
    *h = b->h;
    pthread_mutex_unlock(&b->lock);
    if (rc != NS_OK && err)
        *err = b->err;
    return rc;
}

enum ns_err xgb_predict_margin(const struct xgb_model *m, const float *X,
                               size_t n, size_t ncols, int nthread,
                               double *out, struct ns_error *err)
{
    BoosterHandle h = NULL;
    enum ns_err rc = check_predict(m, ncols, err);

    if (rc != NS_OK || n == 0)
        return rc;
    rc = pick_handle(m, n, nthread, &h, err);
    if (rc != NS_OK)
        return rc;
    return margin_inplace(h, X, n, ncols, out, err);
}

/* Contributions (type 2) or interactions (type 4) through a DMatrix,
 * built with the handle's threads; want is the number of values. */
static enum ns_err predict_shap(const struct xgb_model *m, const float *X,
                                size_t n, size_t ncols, int nthread,
                                const char *config, size_t want,
                                double *out, struct ns_error *err)
{
    BoosterHandle h = NULL;
    DMatrixHandle d = NULL;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    enum ns_err rc = check_predict(m, ncols, err);

    if (rc != NS_OK || n == 0)
        return rc;
    rc = pick_handle(m, n, nthread, &h, err);
    if (rc != NS_OK)
        return rc;
    rc = make_dmatrix(X, n, ncols, NULL, NULL, h == m->single ? 1 : 0, &d,
                      err);
    if (rc != NS_OK)
        return rc;
    if (XGBoosterPredictFromDMatrix(h, d, config, &shape, &dim, &res) != 0)
        rc = lib_fail(err, "XGBoosterPredictFromDMatrix");
    else
        rc = copy_result(shape, dim, res, want, out, err);
    XGDMatrixFree(d);
    return rc;
}

enum ns_err xgb_predict_contribs(const struct xgb_model *m, const float *X,
                                 size_t n, size_t ncols, int nthread,
                                 double *out, struct ns_error *err)
{
    return predict_shap(m, X, n, ncols, nthread, contribs_config,
                        n * (ncols + 1), out, err);
}

enum ns_err xgb_predict_interactions(const struct xgb_model *m,
                                     const float *X, size_t n, size_t ncols,
                                     int nthread, double *out,
                                     struct ns_error *err)
{
    return predict_shap(m, X, n, ncols, nthread, interactions_config,
                        n * (ncols + 1) * (ncols + 1), out, err);
}

enum ns_err xgb_save_json(const struct xgb_model *m, char **buf,
                          size_t *len, struct ns_error *err)
{
    return save_booster(m->single, buf, len, err);
}

size_t xgb_num_features(const struct xgb_model *m)
{
    return m->ncols;
}

int xgb_num_trees(const struct xgb_model *m)
{
    return m->trees;
}

static char version_text[32];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void fill_version(void)
{
    int major = 0, minor = 0, patch = 0;

    XGBoostVersion(&major, &minor, &patch);
    snprintf(version_text, sizeof(version_text), "%d.%d.%d", major, minor,
             patch);
}

const char *xgb_version(void)
{
    pthread_once(&version_once, fill_version);
    return version_text;
}

void xgb_free(struct xgb_model *m)
{
    if (!m)
        return;
    if (m->single)
        XGBoosterFree(m->single);
    lazy_bulk_free(m->bulk);
    free(m);
}
