/* Model families of 'noshow compare': each fits a generated set with a
 * strong signal and ranks its test rows better than chance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "features/pipeline.h"
#include "model/baselines.h"
#include "support/gen_table.h"

#define ROWS 900
#define NTRAIN 600

struct fixture {
    struct schema *s;
    struct table *t;
    struct encoders *e;
    struct pipeline *p;
    float *X;
    float y[ROWS];
    uint32_t group[ROWS];
    bool cat[PIPELINE_MAX_FEATURES];
    struct baseline_data tr, te;
};

static int setup(void **state)
{
    static const struct pipeline_opts o = {false, true};
    struct fixture *f = calloc(1, sizeof(*f));
    size_t nf;

    *state = f;
    if (f == NULL)
        return -1;
    f->s = hand_schema(hand_kaggle_cols, HC_NCOLS);
    if (f->s == NULL || table_new(f->s, &f->t) != NS_OK ||
        gen_table_fill(f->t, ROWS, 300, 11) != 0 ||
        encoders_fit(f->t, NULL, NTRAIN, &f->e, NULL) != NS_OK ||
        pipeline_new(f->s, f->e, &o, &f->p, NULL) != NS_OK)
        return -1;
    nf = pipeline_nfeatures(f->p);
    f->X = malloc(ROWS * nf * sizeof(float));
    if (f->X == NULL || pipeline_table(f->p, f->t, NULL, ROWS, NULL, f->X,
                                       NULL, NULL) != NS_OK)
        return -1;
    for (size_t i = 0; i < ROWS; i++) {
        f->y[i] = (float)f->t->label[i];
        f->group[i] = f->t->patient[i];
    }
    for (size_t k = 0; k < nf; k++)
        f->cat[k] = pipeline_feature(f->p, k)->kind == FEAT_CATEGORY;
    f->tr = (struct baseline_data){f->X, NTRAIN, nf, f->y, f->group,
                                   f->cat};
    f->te = (struct baseline_data){f->X + NTRAIN * nf, ROWS - NTRAIN, nf,
                                   f->y + NTRAIN, NULL, f->cat};
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    free(f->X);
    pipeline_free(f->p);
    encoders_free(f->e);
    table_free(f->t);
    hand_schema_free(f->s);
    free(f);
    return 0;
}

static void check_family(void **state, enum baseline_kind k)
{
    struct fixture *f = *state;
    struct baseline_result r;
    struct ns_error err;

    if (baselines_run(k, &f->tr, &f->te, 42, &r, &err) != NS_OK)
        fail_msg("%s failed: %s", baselines_name(k), err.msg);
    /* The generating model is logistic with a true AUC near 0.76; with
     * 300 test rows the AUC's standard error is about 0.03, so 0.6 is
     * well clear of chance for every family. */
    if (!(r.auc > 0.6))
        fail_msg("%s: test AUC %.4f, expected above 0.6 on a strong "
                 "signal", r.name, r.auc);
    if (!(r.brier > 0 && r.brier < 1) || !(r.f1 > 0 && r.f1 <= 1) ||
        !(r.pr_auc > 0) || !(r.fit_seconds >= 0) || r.detail[0] == '\0')
        fail_msg("%s: implausible scores brier %.4f f1 %.4f pr %.4f "
                 "detail \"%s\"", r.name, r.brier, r.f1, r.pr_auc,
                 r.detail);
}

static void test_baselines_logreg_beats_chance(void **state)
{
    check_family(state, BASELINE_LOGREG);
}

static void test_baselines_nbayes_beats_chance(void **state)
{
    check_family(state, BASELINE_NBAYES);
}

static void test_baselines_forest_beats_chance(void **state)
{
    check_family(state, BASELINE_RF);
}

static void test_baselines_boosting_beats_chance(void **state)
{
    check_family(state, BASELINE_GBM);
}

static void test_baselines_tuned_beats_chance(void **state)
{
    check_family(state, BASELINE_TUNED);
}

static void test_baselines_one_class_is_refused(void **state)
{
    struct fixture *f = *state;
    float zeros[NTRAIN] = {0};
    struct baseline_data tr = f->tr;
    double p[ROWS];
    char detail[64];
    struct ns_error err;

    tr.y = zeros;
    assert_int_equal(baselines_fit_predict(BASELINE_NBAYES, &tr, &f->te, 1,
                                           p, detail, sizeof(detail),
                                           &err),
                     NS_ERR_INVALID);
    if (strstr(err.msg, "all of one class") == NULL)
        fail_msg("message does not say why: %s", err.msg);
}

static void test_baselines_sort_puts_best_auc_first(void **state)
{
    struct baseline_result r[3] = {{.auc = 0.6}, {.auc = NAN}, {.auc = 0.7}};
    json_t *j;

    (void)state;
    baselines_sort(r, 3);
    assert_true(r[0].auc == 0.7 && r[1].auc == 0.6 && isnan(r[2].auc));
    j = baselines_json(r, 3);
    assert_int_equal(json_array_size(j), 3);
    assert_true(json_is_null(json_object_get(json_array_get(j, 2),
                                             "roc_auc")));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baselines_logreg_beats_chance),
        cmocka_unit_test(test_baselines_nbayes_beats_chance),
        cmocka_unit_test(test_baselines_forest_beats_chance),
        cmocka_unit_test(test_baselines_boosting_beats_chance),
        cmocka_unit_test(test_baselines_tuned_beats_chance),
        cmocka_unit_test(test_baselines_one_class_is_refused),
        cmocka_unit_test(test_baselines_sort_puts_best_auc_first),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
