/* XGBoost wrapper: deterministic training, margins, SHAP, save/load. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/split.h"
#include "model/xgb.h"

#define ROWS 500
#define COLS 6

static float X[ROWS * COLS];
static float Y[ROWS];
static struct xgb_model *model;

/* Labels follow a known logistic rule; 5 % of the values are missing. */
static void synth(float *x, float *y, size_t n, uint64_t seed)
{
    struct split_rng s;

    split_rng_seed(&s, seed);
    for (size_t i = 0; i < n; i++) {
        float *r = x + i * COLS;
        double z;

        for (size_t j = 0; j < COLS; j++)
            r[j] = (float)(split_rng_uniform(&s) * 2.0 - 1.0);
        z = 2.0 * r[0] - 1.5 * r[1] + r[2] * r[3];
        y[i] = split_rng_uniform(&s) < 1.0 / (1.0 + exp(-2.0 * z)) ? 1.0f
                                                                  : 0.0f;
        for (size_t j = 0; j < COLS; j++)
            if (split_rng_uniform(&s) < 0.05)
                r[j] = NAN;
    }
}

static void tiny_params(struct xgb_params *p)
{
    xgb_params_default(p);
    p->n_trees = 20;
    p->nthread = 1;
    p->subsample = 0.8;
    p->colsample_bytree = 0.8;
    p->seed = 7;
}

static int setup(void **state)
{
    struct xgb_params p;
    struct ns_error err = {0};

    (void)state;
    synth(X, Y, ROWS, 1234);
    tiny_params(&p);
    if (xgb_train(X, ROWS, COLS, Y, NULL, NULL, &p, &model, NULL, &err)) {
        fprintf(stderr, "setup: training failed: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xgb_free(model);
    return 0;
}

static void margins(const struct xgb_model *m, double *out, int nthread)
{
    struct ns_error err = {0};

    if (xgb_predict_margin(m, X, ROWS, COLS, nthread, out, &err) != NS_OK)
        fail_msg("margin prediction failed: %s", err.msg);
}

/* Fails with the sentence what when a and b give different margins. */
static void same_margins(const struct xgb_model *a, const struct xgb_model *b,
                         const char *what)
{
    static double ma[ROWS], mb[ROWS];

    margins(a, ma, 0);
    margins(b, mb, 0);
    if (memcmp(ma, mb, sizeof(ma)) != 0)
        fail_msg("%s", what);
}

static void test_xgb_tiny_model_has_expected_shape(void **state)
{
    (void)state;
    assert_int_equal(xgb_num_features(model), COLS);
    assert_int_equal(xgb_num_trees(model), 20);
    assert_string_equal(xgb_version(), "1.7.4");
}

static void test_xgb_two_trainings_give_identical_margins(void **state)
{
    struct xgb_model *again = NULL;
    struct xgb_params p;
    struct ns_error err = {0};

    (void)state;
    tiny_params(&p);
    if (xgb_train(X, ROWS, COLS, Y, NULL, NULL, &p, &again, NULL, &err))
        fail_msg("second training failed: %s", err.msg);
    same_margins(model, again,
                 "two trainings with one seed gave different margins");
    xgb_free(again);
}

static void test_xgb_margins_separate_the_classes(void **state)
{
    static double m[ROWS];
    double pos = 0, neg = 0;
    int npos = 0;

    (void)state;
    margins(model, m, 0);
    for (size_t i = 0; i < ROWS; i++) {
        if (!isfinite(m[i]))
            fail_msg("row %zu: margin %g is not finite", i, m[i]);
        if (Y[i] > 0.5f) {
            pos += m[i];
            npos++;
        } else {
            neg += m[i];
        }
    }
    if (pos / npos <= neg / (ROWS - npos) + 0.5)
        fail_msg("mean margin of positives %g is not above negatives %g",
                 pos / npos, neg / (ROWS - npos));
}

static void test_xgb_single_and_bulk_handles_agree(void **state)
{
    static double bulk[ROWS];
    struct ns_error err = {0};

    (void)state;
    margins(model, bulk, 0);
    for (size_t i = 0; i < ROWS; i++) {
        double one;

        if (xgb_predict_margin(model, X + i * COLS, 1, COLS, 1, &one, &err))
            fail_msg("row %zu: %s", i, err.msg);
        if (one != bulk[i])
            fail_msg("row %zu: one-row margin %.9g != batch margin %.9g",
                     i, one, bulk[i]);
    }
}

static void test_xgb_contribs_plus_bias_equal_margin(void **state)
{
    static double m[ROWS], c[ROWS * (COLS + 1)];
    double one[COLS + 1];
    struct ns_error err = {0};

    (void)state;
    margins(model, m, 0);
    if (xgb_predict_contribs(model, X, ROWS, COLS, 0, c, &err) != NS_OK)
        fail_msg("contributions failed: %s", err.msg);
    for (size_t i = 0; i < ROWS; i++) {
        double sum = 0;

        for (size_t j = 0; j <= COLS; j++)
            sum += c[i * (COLS + 1) + j];
        if (fabs(sum - m[i]) > 1e-4)
            fail_msg("row %zu: contributions sum to %.7f, margin %.7f", i,
                     sum, m[i]);
    }

    /* The one-row path (DMatrix on one thread) gives the same values. */
    if (xgb_predict_contribs(model, X + 3 * COLS, 1, COLS, 1, one, &err))
        fail_msg("one-row contributions failed: %s", err.msg);
    for (size_t j = 0; j <= COLS; j++)
        if (fabs(one[j] - c[3 * (COLS + 1) + j]) > 1e-6)
            fail_msg("row 3 feature %zu: %g alone, %g in a batch", j,
                     one[j], c[3 * (COLS + 1) + j]);
}

static struct xgb_model *reload(const char *text, size_t len)
{
    struct xgb_model *m = NULL;
    struct ns_error err = {0};

    if (xgb_load_json(text, len, &m, &err) != NS_OK)
        fail_msg("reload failed: %s", err.msg);
    return m;
}

static void test_xgb_save_load_keeps_margins_bit_identical(void **state)
{
    struct xgb_model *m;
    struct ns_error err = {0};
    char *text = NULL;
    size_t len = 0;

    (void)state;
    if (xgb_save_json(model, &text, &len, &err) != NS_OK)
        fail_msg("save failed: %s", err.msg);
    assert_int_equal(strlen(text), len);
    m = reload(text, len);
    same_margins(model, m, "margins changed after a save/load round trip");
    xgb_free(m);
    free(text);
}

/* The bundle appends its own section to the XGBoost JSON object. */
static void test_xgb_extra_top_level_key_is_ignored(void **state)
{
    static const char extra[] = ",\"noshow\":{\"threshold\":0.3,"
                                "\"cols\":[1,2]}}";
    static double a[ROWS], b[ROWS];
    struct xgb_model *m;
    struct ns_error err = {0};
    char *text = NULL, *big;
    size_t len = 0;

    (void)state;
    if (xgb_save_json(model, &text, &len, &err) != NS_OK)
        fail_msg("save failed: %s", err.msg);
    assert_true(len > 2 && text[len - 1] == '}');
    big = malloc(len + sizeof(extra));
    assert_non_null(big);
    memcpy(big, text, len - 1);
    memcpy(big + len - 1, extra, sizeof(extra));
    m = reload(big, strlen(big));
    margins(model, a, 0);
    margins(m, b, 0);
    if (memcmp(a, b, sizeof(a)) != 0)
        fail_msg("an extra top-level key changed the margins");
    xgb_free(m);
    free(big);
    free(text);
}

static void test_xgb_corrupted_buffer_is_refused(void **state)
{
    static const char garbage[] = "\x01\x02garbage";
    struct xgb_model *m = NULL;
    struct ns_error err = {0};
    char *text = NULL;
    size_t len = 0;

    (void)state;
    if (xgb_save_json(model, &text, &len, &err) != NS_OK)
        fail_msg("save failed: %s", err.msg);

    /* Truncated JSON: XGBoost's parser refuses it and we pass its text. */
    assert_int_equal(xgb_load_json(text, len / 2, &m, &err), NS_ERR_PARSE);
    assert_null(m);
    if (!strstr(err.msg, "refused by xgboost"))
        fail_msg("unclear message for truncated JSON: %s", err.msg);

    assert_int_equal(xgb_load_json(garbage, sizeof(garbage) - 1, &m, &err),
                     NS_ERR_PARSE);
    if (!strstr(err.msg, "expected a JSON object"))
        fail_msg("unclear message for binary garbage: %s", err.msg);
    assert_int_equal(xgb_load_json("", 0, &m, &err), NS_ERR_PARSE);
    free(text);
}

static void test_xgb_wrong_feature_count_is_refused(void **state)
{
    struct ns_error err = {0};
    double out[2];

    (void)state;
    assert_int_equal(xgb_predict_margin(model, X, 2, COLS - 1, 0, out, &err),
                     NS_ERR_INVALID);
    if (!strstr(err.msg, "expects 6"))
        fail_msg("message does not name the expected width: %s", err.msg);
}

static void test_xgb_label_outside_zero_one_is_refused(void **state)
{
    static float y[ROWS];
    struct xgb_model *m = NULL;
    struct xgb_params p;
    struct ns_error err = {0};

    (void)state;
    memcpy(y, Y, sizeof(y));
    y[17] = 2.0f;
    tiny_params(&p);
    assert_int_equal(xgb_train(X, ROWS, COLS, y, NULL, NULL, &p, &m, NULL,
                               &err), NS_ERR_INVALID);
    if (!strstr(err.msg, "row 17"))
        fail_msg("message does not name the row: %s", err.msg);
    p.eta = 0.0;
    assert_int_equal(xgb_train(X, ROWS, COLS, Y, NULL, NULL, &p, &m, NULL,
                               &err), NS_ERR_INVALID);
    assert_string_equal(err.field, "eta");
}

/* Validation labels unrelated to the features: the validation loss stops
 * improving early, so the model keeps only the rounds up to the best. */
static void test_xgb_early_stopping_keeps_best_round(void **state)
{
    static float vx[200 * COLS], vy[200];
    struct xgb_eval_set valid = {vx, 200, vy};
    struct xgb_train_report rep;
    struct xgb_model *m = NULL;
    struct xgb_params p;
    struct ns_error err = {0};

    (void)state;
    synth(vx, vy, 200, 99);
    for (size_t i = 0; i < 200; i++)
        vy[i] = (i % 2) ? 1.0f : 0.0f;
    tiny_params(&p);
    p.n_trees = 200;
    p.eta = 0.3;
    p.early_stopping_rounds = 5;
    if (xgb_train(X, ROWS, COLS, Y, NULL, &valid, &p, &m, &rep, &err))
        fail_msg("training with early stopping failed: %s", err.msg);
    if (rep.rounds >= 200)
        fail_msg("early stopping never stopped (%d rounds)", rep.rounds);
    assert_int_equal(rep.rounds, rep.best_iteration + 1 + 5);
    assert_int_equal(rep.trees, rep.best_iteration + 1);
    assert_int_equal(xgb_num_trees(m), rep.best_iteration + 1);
    assert_true(isfinite(rep.best_score));
    xgb_free(m);
}

static void test_xgb_random_forest_mode_counts_parallel_trees(void **state)
{
    static double m[ROWS], c[ROWS * (COLS + 1)];
    struct xgb_model *rf = NULL;
    struct xgb_params p;
    struct ns_error err = {0};

    (void)state;
    tiny_params(&p);
    p.n_trees = 1;
    p.num_parallel_tree = 8;
    p.eta = 1.0;
    if (xgb_train(X, ROWS, COLS, Y, NULL, NULL, &p, &rf, NULL, &err))
        fail_msg("random forest training failed: %s", err.msg);
    assert_int_equal(xgb_num_trees(rf), 8);
    margins(rf, m, 0);
    if (xgb_predict_contribs(rf, X, ROWS, COLS, 0, c, &err) != NS_OK)
        fail_msg("contributions failed: %s", err.msg);
    for (size_t j = 0; j <= COLS; j++)
        m[0] -= c[j];
    if (fabs(m[0]) > 1e-4)
        fail_msg("row 0: contributions miss the margin by %g", m[0]);
    xgb_free(rf);
}

static void test_xgb_weights_change_the_model(void **state)
{
    static float w[ROWS];
    static double a[ROWS], b[ROWS];
    struct xgb_model *weighted = NULL;
    struct xgb_params p;
    struct ns_error err = {0};
    double da = 0;

    (void)state;
    for (size_t i = 0; i < ROWS; i++)
        w[i] = Y[i] > 0.5f ? 3.0f : 1.0f;
    tiny_params(&p);
    if (xgb_train(X, ROWS, COLS, Y, w, NULL, &p, &weighted, NULL, &err))
        fail_msg("weighted training failed: %s", err.msg);
    margins(model, a, 0);
    margins(weighted, b, 0);
    /* Up-weighting positives raises the average margin. */
    for (size_t i = 0; i < ROWS; i++)
        da += b[i] - a[i];
    if (da / ROWS < 0.3)
        fail_msg("weights 3:1 moved the mean margin by only %g", da / ROWS);
    xgb_free(weighted);
    w[5] = -1.0f;
    assert_int_equal(xgb_train(X, ROWS, COLS, Y, w, NULL, &p, &weighted,
                               NULL, &err), NS_ERR_INVALID);
    if (!strstr(err.msg, "row 5"))
        fail_msg("message does not name the row: %s", err.msg);
}

struct worker {
    size_t first;
    double out[50];
    int failed;
};

static void *predict_rows(void *arg)
{
    struct worker *w = arg;
    struct ns_error err = {0};

    for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < 50; i++)
            if (xgb_predict_margin(model, X + (w->first + i) * COLS, 1,
                                   COLS, 0, &w->out[i], &err) != NS_OK)
                w->failed = 1;
    return NULL;
}

static void test_xgb_concurrent_one_row_predictions_agree(void **state)
{
    static double all[ROWS];
    struct worker w[4];
    pthread_t t[4];

    (void)state;
    margins(model, all, 0);
    for (size_t k = 0; k < 4; k++) {
        w[k].first = k * 100;
        w[k].failed = 0;
        assert_int_equal(pthread_create(&t[k], NULL, predict_rows, &w[k]),
                         0);
    }
    for (size_t k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    for (size_t k = 0; k < 4; k++) {
        assert_false(w[k].failed);
        for (size_t i = 0; i < 50; i++)
            if (w[k].out[i] != all[w[k].first + i])
                fail_msg("thread %zu row %zu: %g != %g", k, i, w[k].out[i],
                         all[w[k].first + i]);
    }
}

/* Rows chosen by index train the very model their gathered copy does. */
static void test_xgb_rows_by_index_match_gathered_copy(void **state)
{
    static float Xg[ROWS * COLS], yg[ROWS];
    static size_t idx[ROWS];
    struct xgb_rows tr = {X, Y, NULL, idx, 0};
    struct xgb_model *ma = NULL, *mb = NULL;
    struct xgb_params p;
    struct ns_error err = {0};

    (void)state;
    for (size_t i = 0; i < ROWS; i += 2, tr.n++) {
        idx[tr.n] = ROWS - 1 - i;
        memcpy(Xg + tr.n * COLS, X + idx[tr.n] * COLS, COLS * sizeof(float));
        yg[tr.n] = Y[idx[tr.n]];
    }
    tiny_params(&p);
    if (xgb_train_rows(&tr, COLS, NULL, &p, &ma, NULL, &err) != NS_OK ||
        xgb_train(Xg, tr.n, COLS, yg, NULL, NULL, &p, &mb, NULL, &err))
        fail_msg("training failed: %s", err.msg);
    same_margins(ma, mb, "rows by index and their copy gave different "
                 "margins");
    xgb_free(ma);
    xgb_free(mb);
}

/* More rows than one iterator batch: every batch's labels must reach
 * XGBoost with its rows, so the model still separates the classes. */
static void test_xgb_rows_over_several_batches_keep_their_labels(void **st)
{
    size_t n = XGB_ITER_BATCH + XGB_ITER_BATCH / 2;
    float *x = malloc(n * COLS * sizeof(float));
    float *y = malloc(n * sizeof(float));
    double *m = malloc(n * sizeof(double));
    struct xgb_rows tr = {x, y, NULL, NULL, n};
    struct xgb_model *mod = NULL;
    struct xgb_params p;
    struct ns_error err = {0};
    double pos = 0, neg = 0;

    (void)st;
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(m);
    synth(x, y, n, 99);
    tiny_params(&p);
    p.n_trees = 5;
    if (xgb_train_rows(&tr, COLS, NULL, &p, &mod, NULL, &err) != NS_OK ||
        xgb_predict_margin(mod, x, n, COLS, 0, m, &err) != NS_OK)
        fail_msg("training over two batches failed: %s", err.msg);
    for (size_t i = XGB_ITER_BATCH; i < n; i++) {
        pos += y[i] > 0.5f ? m[i] : 0;
        neg += y[i] > 0.5f ? 0 : m[i];
    }
    if (!(pos > neg))
        fail_msg("rows of the second batch are not separated (sum of "
                 "positive margins %g, of negative %g)", pos, neg);
    xgb_free(mod);
    free(x);
    free(y);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xgb_tiny_model_has_expected_shape),
        cmocka_unit_test(test_xgb_two_trainings_give_identical_margins),
        cmocka_unit_test(test_xgb_margins_separate_the_classes),
        cmocka_unit_test(test_xgb_single_and_bulk_handles_agree),
        cmocka_unit_test(test_xgb_contribs_plus_bias_equal_margin),
        cmocka_unit_test(test_xgb_save_load_keeps_margins_bit_identical),
        cmocka_unit_test(test_xgb_extra_top_level_key_is_ignored),
        cmocka_unit_test(test_xgb_corrupted_buffer_is_refused),
        cmocka_unit_test(test_xgb_wrong_feature_count_is_refused),
        cmocka_unit_test(test_xgb_label_outside_zero_one_is_refused),
        cmocka_unit_test(test_xgb_early_stopping_keeps_best_round),
        cmocka_unit_test(test_xgb_random_forest_mode_counts_parallel_trees),
        cmocka_unit_test(test_xgb_weights_change_the_model),
        cmocka_unit_test(test_xgb_concurrent_one_row_predictions_agree),
        cmocka_unit_test(test_xgb_rows_by_index_match_gathered_copy),
        cmocka_unit_test(
            test_xgb_rows_over_several_batches_keep_their_labels),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
