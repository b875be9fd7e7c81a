/* Explanations: contributions add up to the margin for every row,
 * grouping keeps the sum, reasons say the sign of their numbers, and
 * global importance finds the generated signal. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/explain.h"
#include "support/gen_table.h"

#define ROWS 400

struct fixture {
    struct schema *s;
    struct table *t;
    struct encoders *e;
    struct pipeline *p;
    struct history_index *h;
    struct xgb_model *m;
    float *X;
    float y[ROWS];
    size_t nf;
    struct explain_ctx c;
};

static int train(struct fixture *f)
{
    struct xgb_params xp;

    for (size_t i = 0; i < ROWS; i++)
        f->y[i] = (float)f->t->label[i];
    xgb_params_default(&xp);
    xp.n_trees = 30;
    xp.nthread = 1;
    if (xgb_train(f->X, ROWS, f->nf, f->y, NULL, NULL, &xp, &f->m, NULL,
                  NULL) != NS_OK)
        return -1;
    f->c = (struct explain_ctx){f->s, f->p, f->e, f->m};
    return 0;
}

static int setup(void **state)
{
    static const struct pipeline_opts o = {true, true};
    struct fixture *f = calloc(1, sizeof(*f));

    *state = f;
    if (f == NULL)
        return -1;
    f->s = hand_schema(hand_kaggle_cols, HC_NCOLS);
    if (f->s == NULL || table_new(f->s, &f->t) != NS_OK ||
        gen_table_fill(f->t, ROWS, 120, 7) != 0 ||
        encoders_fit(f->t, NULL, 0, &f->e, NULL) != NS_OK ||
        pipeline_new(f->s, f->e, &o, &f->p, NULL) != NS_OK ||
        history_index_from_table(f->t, &f->h, NULL) != NS_OK)
        return -1;
    f->nf = pipeline_nfeatures(f->p);
    f->X = malloc(ROWS * f->nf * sizeof(float));
    if (f->X == NULL || pipeline_table(f->p, f->t, NULL, ROWS, f->h, f->X,
                                       NULL, NULL) != NS_OK)
        return -1;
    return train(f);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    xgb_free(f->m);
    free(f->X);
    history_index_free(f->h);
    pipeline_free(f->p);
    encoders_free(f->e);
    table_free(f->t);
    hand_schema_free(f->s);
    free(f);
    return 0;
}

static void test_explain_every_row_adds_up_to_margin(void **state)
{
    struct fixture *f = *state;
    double margin[ROWS];
    struct explain_result r[ROWS];
    struct ns_error err;

    if (xgb_predict_margin(f->m, f->X, ROWS, f->nf, 0, margin, &err))
        fail_msg("margin prediction failed: %s", err.msg);
    if (explain_matrix(&f->c, f->X, ROWS, r, &err) != NS_OK)
        fail_msg("explain_matrix failed: %s", err.msg);
    for (size_t i = 0; i < ROWS; i++) {
        double sum = r[i].base;

        for (size_t k = 0; k < r[i].nfeatures; k++)
            sum += r[i].contrib[k];
        if (fabs(sum - margin[i]) > 1e-4 ||
            fabs(r[i].margin - margin[i]) > 1e-4)
            fail_msg("row %zu: base + contributions = %.6f (margin field "
                     "%.6f) but the model's margin is %.6f", i, sum,
                     r[i].margin, margin[i]);
        explain_result_free(&r[i]);
    }
}

static void test_explain_groups_keep_the_sum_and_sort(void **state)
{
    struct fixture *f = *state;
    struct explain_result r;
    struct ns_error err;

    for (size_t i = 0; i < ROWS; i += 37) {
        double feats = 0, groups = 0;

        if (explain_row(&f->c, f->X + i * f->nf, &r, &err) != NS_OK)
            fail_msg("explain_row failed: %s", err.msg);
        for (size_t k = 0; k < r.nfeatures; k++)
            feats += r.contrib[k];
        for (size_t g = 0; g < r.ngroups; g++) {
            groups += r.groups[g].contribution;
            if (g > 0 && fabs(r.groups[g].contribution) >
                             fabs(r.groups[g - 1].contribution))
                fail_msg("row %zu: group %zu (%s) is larger than the one "
                         "before it", i, g, r.groups[g].group);
        }
        if (fabs(feats - groups) > 1e-9)
            fail_msg("row %zu: features sum to %.9f, groups to %.9f", i,
                     feats, groups);
        assert_true(r.ngroups < r.nfeatures);
        explain_result_free(&r);
    }
}

static void test_explain_reason_words_match_sign(void **state)
{
    struct fixture *f = *state;
    struct explain_result r;
    struct ns_error err;

    for (size_t i = 0; i < ROWS; i += 13) {
        if (explain_row(&f->c, f->X + i * f->nf, &r, &err) != NS_OK)
            fail_msg("explain_row failed: %s", err.msg);
        for (size_t g = 0; g < r.ngroups; g++) {
            const char *want = r.groups[g].contribution > 0 ? "raises risk"
                                                            : "lowers risk";
            char sign = r.groups[g].contribution > 0 ? '+' : '-';
            const char *paren = strrchr(r.groups[g].text, '(');

            if (r.groups[g].contribution == 0) {
                if (strstr(r.groups[g].text, ": no effect") == NULL)
                    fail_msg("row %zu: zero contribution reads \"%s\"", i,
                             r.groups[g].text);
                continue;
            }
            if (strstr(r.groups[g].text, want) == NULL || paren == NULL ||
                paren[1] != sign)
                fail_msg("row %zu: contribution %+.4f but the reason "
                         "reads \"%s\"", i, r.groups[g].contribution,
                         r.groups[g].text);
        }
        explain_result_free(&r);
    }
}

static const struct explain_group *find_group(const struct explain_result *r,
                                              const char *name)
{
    for (size_t g = 0; g < r->ngroups; g++) {
        if (strcmp(r->groups[g].group, name) == 0)
            return &r->groups[g];
    }
    fail_msg("no group \"%s\" in the explanation", name);
    return &r->groups[0];
}

static void test_explain_reason_texts_use_values_and_labels(void **state)
{
    struct fixture *f = *state;
    struct explain_result r;
    struct ns_error err;
    float x[PIPELINE_MAX_FEATURES];
    const struct explain_group *sms, *lead;
    char want[64];

    memcpy(x, f->X, f->nf * sizeof(float));
    for (size_t k = 0; k < f->nf; k++) {
        const struct feature *ft = pipeline_feature(f->p, k);

        if (ft->kind == FEAT_LEAD_DAYS)
            x[k] = 32;
        if (ft->kind == FEAT_SAME_DAY)
            x[k] = 0;
        if (ft->kind == FEAT_NUMERIC && ft->col == HC_SMS)
            x[k] = 1;
        if (ft->kind == FEAT_HIST_PRIOR || ft->kind == FEAT_HIST_NOSHOWS)
            x[k] = 0;
    }
    if (explain_row(&f->c, x, &r, &err) != NS_OK)
        fail_msg("explain_row failed: %s", err.msg);
    sms = find_group(&r, "SMS reminder");
    lead = find_group(&r, "lead time");
    if (strncmp(sms->text, "SMS reminder: ", 14) != 0)
        fail_msg("SMS reason reads \"%s\"", sms->text);
    if (pipeline_feature(f->p, lead->lead)->kind == FEAT_LEAD_DAYS) {
        snprintf(want, sizeof(want), "booked 32 days ahead: ");
        if (strncmp(lead->text, want, strlen(want)) != 0)
            fail_msg("lead time reason reads \"%s\"", lead->text);
    }
    explain_result_free(&r);
}

static void test_explain_history_words_name_the_counts(void **state)
{
    struct fixture *f = *state;
    struct explain_result r;
    struct ns_error err;
    float x[PIPELINE_MAX_FEATURES];
    double contrib[PIPELINE_MAX_FEATURES + 1] = {0};
    int prior = -1, missed = -1;

    memcpy(x, f->X, f->nf * sizeof(float));
    for (size_t k = 0; k < f->nf; k++) {
        if (pipeline_feature(f->p, k)->kind == FEAT_HIST_PRIOR)
            prior = (int)k;
        if (pipeline_feature(f->p, k)->kind == FEAT_HIST_NOSHOWS)
            missed = (int)k;
    }
    assert_true(prior >= 0 && missed >= 0);
    x[prior] = 0;
    x[missed] = 0;
    contrib[prior] = 0.3;
    if (explain_from_contribs(&f->c, x, contrib, &r, &err) != NS_OK)
        fail_msg("explain_from_contribs failed: %s", err.msg);
    assert_string_equal(r.groups[0].text, "first appointment of this "
                        "patient: raises risk (+0.30)");
    explain_result_free(&r);

    x[prior] = 5;
    x[missed] = 2;
    contrib[prior] = 0;
    contrib[missed] = -0.12;
    if (explain_from_contribs(&f->c, x, contrib, &r, &err) != NS_OK)
        fail_msg("explain_from_contribs failed: %s", err.msg);
    assert_string_equal(r.groups[0].text, "2 earlier missed appointments "
                        "out of 5: lowers risk (-0.12)");
    explain_result_free(&r);
}

/* The text of the one group that carries a contribution on feature k. */
static void text_of(struct fixture *f, float *x, size_t k, char *out,
                    size_t cap)
{
    double contrib[PIPELINE_MAX_FEATURES + 1] = {0};
    struct explain_result r;
    struct ns_error err;

    contrib[k] = 0.25;
    if (explain_from_contribs(&f->c, x, contrib, &r, &err) != NS_OK)
        fail_msg("explain_from_contribs failed: %s", err.msg);
    snprintf(out, cap, "%s", r.groups[0].text);
    explain_result_free(&r);
}

/* Every derived feature is said in words, never by its internal name,
 * including the booking-context counts and the no-history case. */
static void test_explain_derived_features_are_said_in_words(void **state)
{
    static const struct {
        enum feat_kind kind;
        float value;
        const char *want;
    } cases[] = {
        {FEAT_HIST_SINCE_BOOKING, 2.5f,
         "previous booking 2.5 days before: raises risk (+0.25)"},
        {FEAT_HIST_SINCE_BOOKING, NAN,
         "no earlier booking by this patient: raises risk (+0.25)"},
        {FEAT_HIST_BOOKINGS_TODAY, 1,
         "1 other booking made the same day: raises risk (+0.25)"},
        {FEAT_HIST_PREV_LEAD, 0,
         "previous booking was for the same day: raises risk (+0.25)"},
        {FEAT_HIST_PREV_LEAD, 12,
         "previous booking was 12 days ahead: raises risk (+0.25)"},
        {FEAT_HIST_SAME_DAY_APPTS, 2,
         "2 other appointments on the same day: raises risk (+0.25)"},
    };
    struct fixture *f = *state;
    float x[PIPELINE_MAX_FEATURES];
    char text[EXPLAIN_TEXT_MAX];
    size_t hit = 0;

    memcpy(x, f->X, f->nf * sizeof(float));
    for (size_t k = 0; k < f->nf; k++) {
        const struct feature *ft = pipeline_feature(f->p, k);

        if (ft->kind == FEAT_NUMERIC || ft->kind == FEAT_CATEGORY)
            continue;
        text_of(f, x, k, text, sizeof(text));
        if (strstr(text, ft->name) != NULL)
            fail_msg("%s is shown by its name: \"%s\"", ft->name, text);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            float keep = x[k];

            if (cases[i].kind != ft->kind)
                continue;
            x[k] = cases[i].value;
            text_of(f, x, k, text, sizeof(text));
            assert_string_equal(text, cases[i].want);
            x[k] = keep;
            hit++;
        }
    }
    assert_int_equal(hit, sizeof(cases) / sizeof(cases[0]));
}

static void test_explain_json_lists_top_k_reasons(void **state)
{
    struct fixture *f = *state;
    struct explain_result r;
    struct ns_error err;
    json_t *j, *first;

    if (explain_row(&f->c, f->X, &r, &err) != NS_OK)
        fail_msg("explain_row failed: %s", err.msg);
    j = explain_result_json(&f->c, &r, 3);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "reasons")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "features")),
                     f->nf);
    first = json_array_get(json_object_get(j, "reasons"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "group")),
                        r.groups[0].group);
    assert_string_equal(
        json_string_value(json_object_get(first, "direction")),
        explain_direction(r.groups[0].contribution));
    assert_true(json_array_size(json_object_get(first, "features")) >= 1);
    json_decref(j);
    explain_result_free(&r);
}

static void test_explain_importance_finds_signal(void **state)
{
    struct fixture *f = *state;
    struct explain_importance imp;
    struct ns_error err;
    json_t *j;
    bool lead_seen = false;

    if (explain_importance_of(&f->c, f->X, ROWS, &imp, &err) != NS_OK)
        fail_msg("importance failed: %s", err.msg);
    assert_int_equal(imp.rows, ROWS);
    for (size_t g = 0; g < 3 && g < imp.ngroups; g++)
        lead_seen |= strcmp(imp.groups[g].name, "lead time") == 0;
    if (!lead_seen)
        fail_msg("lead time (the strongest generated signal) is not in "
                 "the top 3 groups; first is \"%s\"", imp.groups[0].name);
    for (size_t i = 0; i < imp.nfeatures; i++) {
        if (strcmp(imp.features[i].name, "lead_days") == 0 &&
            !(imp.features[i].corr > 0.3))
            fail_msg("lead_days should raise risk (corr %.3f)",
                     imp.features[i].corr);
        if (i > 0 && imp.features[i].mean_abs >
                         imp.features[i - 1].mean_abs)
            fail_msg("feature ranks out of order at %zu", i);
    }
    j = explain_importance_json(&imp);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "groups")),
                     imp.ngroups);
    json_decref(j);
    explain_importance_free(&imp);
}

static void test_explain_interactions_sum_to_contributions(void **state)
{
    struct fixture *f = *state;
    size_t m = f->nf, w = f->nf + 1;
    double *v = malloc(4 * w * w * sizeof(double));
    double c[4 * (PIPELINE_MAX_FEATURES + 1)];
    struct ns_error err;

    assert_non_null(v);
    if (xgb_predict_interactions(f->m, f->X, 4, m, 1, v, &err) != NS_OK ||
        xgb_predict_contribs(f->m, f->X, 4, m, 1, c, &err) != NS_OK)
        fail_msg("prediction failed: %s", err.msg);
    for (size_t r = 0; r < 4; r++) {
        for (size_t i = 0; i < w; i++) {
            double sum = 0;

            for (size_t j = 0; j < w; j++)
                sum += v[r * w * w + i * w + j];
            if (fabs(sum - c[r * w + i]) > 1e-4)
                fail_msg("row %zu feature %zu: interactions sum to %.6f, "
                         "contribution is %.6f", r, i, sum, c[r * w + i]);
        }
    }
    free(v);
}

static void test_explain_interactions_rank_pairs(void **state)
{
    struct fixture *f = *state;
    struct explain_importance imp;
    struct ns_error err;
    json_t *j;

    if (explain_importance_of(&f->c, f->X, ROWS, &imp, &err) != NS_OK ||
        explain_interactions(&f->c, f->X, 100, 5, &imp, &err) != NS_OK)
        fail_msg("importance failed: %s", err.msg);
    assert_int_equal(imp.npairs, 5);
    assert_int_equal(imp.interaction_rows, 100);
    for (size_t k = 1; k < imp.npairs; k++)
        assert_true(imp.pairs[k].mean_abs <= imp.pairs[k - 1].mean_abs);
    assert_string_not_equal(imp.pairs[0].a, imp.pairs[0].b);
    j = explain_importance_json(&imp);
    assert_int_equal(json_array_size(json_object_get(j, "interactions")),
                     5);
    json_decref(j);
    explain_importance_free(&imp);
}

static void test_explain_importance_without_rows_is_refused(void **state)
{
    struct fixture *f = *state;
    struct explain_importance imp;
    struct ns_error err;

    assert_int_equal(explain_importance(f->p, f->X, NULL, 0, &imp, &err),
                     NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "at least one row"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_every_row_adds_up_to_margin),
        cmocka_unit_test(test_explain_groups_keep_the_sum_and_sort),
        cmocka_unit_test(test_explain_reason_words_match_sign),
        cmocka_unit_test(test_explain_reason_texts_use_values_and_labels),
        cmocka_unit_test(test_explain_history_words_name_the_counts),
        cmocka_unit_test(test_explain_derived_features_are_said_in_words),
        cmocka_unit_test(test_explain_json_lists_top_k_reasons),
        cmocka_unit_test(test_explain_importance_finds_signal),
        cmocka_unit_test(test_explain_interactions_sum_to_contributions),
        cmocka_unit_test(test_explain_interactions_rank_pairs),
        cmocka_unit_test(test_explain_importance_without_rows_is_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
