/* Fairness audit: per-group numbers on a hand-made set checked against
 * counts worked out by hand, gaps, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/fairness.h"
#include "support/hand_schema.h"

#define BASE 8
#define COPIES 8

/* gender, age, neighbourhood, label, probability; threshold 0.5. */
struct hand {
    const char *gender;
    double age;
    const char *hood;
    int label;
    double p;
};

static const struct hand hand_rows[BASE] = {
    {"F", 10, "A", 1, 0.9}, {"F", 20, "A", 0, 0.6},
    {"F", 30, "B", 1, 0.4}, {"F", 70, "B", 0, 0.2},
    {"M", 15, "A", 1, 0.7}, {"M", 50, "A", 0, 0.8},
    {"M", 45, "B", 0, 0.1}, {"M", 80, "B", 1, 0.3},
};

struct fixture {
    struct schema *s;
    struct table *t;
    double p[BASE * COPIES];
};

/* copies: how many times the eight rows are repeated (scores repeat
 * too, so no positive ties a negative and every rate stays the same). */
static int build(struct fixture *f, int copies)
{
    struct record *r;

    f->s = hand_schema(hand_kaggle_cols, HC_NCOLS);
    if (f->s == NULL || table_new(f->s, &f->t) != NS_OK)
        return -1;
    r = record_new(f->s);
    if (r == NULL)
        return -1;
    for (int c = 0; c < copies; c++) {
        for (int i = 0; i < BASE; i++) {
            hand_row(r, "1", "2016-04-29T08:00:00Z", "2016-05-02",
                     hand_rows[i].age, hand_rows[i].gender, hand_rows[i].hood,
                     hand_rows[i].label);
            f->p[c * BASE + i] = hand_rows[i].p;
            if (table_append(f->t, r) != NS_OK)
                return -1;
        }
    }
    record_free(r);
    return 0;
}

static void drop(struct fixture *f)
{
    table_free(f->t);
    hand_schema_free(f->s);
}

static const struct fairness_group *group(const struct fairness_report *r,
                                          const char *attr,
                                          const char *value)
{
    for (size_t k = 0; k < r->ngroups; k++) {
        if (strcmp(r->groups[k].attribute, attr) == 0 &&
            strcmp(r->groups[k].value, value) == 0)
            return &r->groups[k];
    }
    fail_msg("no group %s = %s in the audit", attr, value);
    return &r->groups[0];
}

static void expect(const struct fairness_group *g, size_t rows, double auc,
                   double mean, double observed, double fpr, double fnr)
{
    double got[5] = {g->auc, g->mean_predicted, g->observed_rate, g->fpr,
                     g->fnr};
    double want[5] = {auc, mean, observed, fpr, fnr};
    static const char *const what[5] = {"auc", "mean predicted",
                                        "observed", "FPR", "FNR"};

    if (g->rows != rows)
        fail_msg("%s=%s: %zu rows, expected %zu", g->attribute, g->value,
                 g->rows, rows);
    for (int k = 0; k < 5; k++) {
        if (isnan(want[k]) ? !isnan(got[k]) : fabs(got[k] - want[k]) > 1e-9)
            fail_msg("%s=%s: %s is %.6f, expected %.6f by hand",
                     g->attribute, g->value, what[k], got[k], want[k]);
    }
}

static void test_fairness_groups_match_hand_counts(void **state)
{
    struct fixture f = {0};
    struct fairness_report r;
    struct ns_error err;
    const char *cols[] = {"Neighbourhood"};

    (void)state;
    assert_int_equal(build(&f, 1), 0);
    if (fairness_audit(f.t, f.p, 0.5, cols, 1, &r, &err) != NS_OK)
        fail_msg("audit failed: %s", err.msg);
    assert_int_equal(r.ngroups, 2 + 4 + 2);
    expect(group(&r, "gender", "F"), 4, 0.75, 0.525, 0.5, 0.5, 0.5);
    expect(group(&r, "gender", "M"), 4, 0.5, 0.475, 0.5, 0.5, 0.5);
    expect(group(&r, "age band", "0-17"), 2, NAN, 0.8, 1, NAN, 0);
    expect(group(&r, "age band", "18-39"), 2, 0, 0.5, 0.5, 1, 1);
    expect(group(&r, "age band", "40-64"), 2, NAN, 0.45, 0, 0.5, NAN);
    expect(group(&r, "age band", "65+"), 2, 1, 0.25, 0.5, 0, 1);
    expect(group(&r, "Neighbourhood", "A"), 4, 0.75, 0.75, 0.5, 1, 0);
    expect(group(&r, "Neighbourhood", "B"), 4, 1, 0.25, 0.5, 0, 1);
    assert_int_equal(r.ngaps, 0);
    fairness_report_free(&r);
    drop(&f);
}

static void test_fairness_gaps_largest_first(void **state)
{
    struct fixture f = {0};
    struct fairness_report r;
    struct ns_error err;
    const char *cols[] = {"Neighbourhood"};
    json_t *j;

    (void)state;
    assert_int_equal(build(&f, COPIES), 0);
    if (fairness_audit(f.t, f.p, 0.5, cols, 1, &r, &err) != NS_OK)
        fail_msg("audit failed: %s", err.msg);
    /* Groups of 32 rows pass FAIRNESS_MIN_ROWS; age bands (16) do not. */
    assert_int_equal(r.ngaps, 6);
    assert_string_equal(r.gaps[0].attribute, "Neighbourhood");
    assert_true(fabs(r.gaps[0].gap - 1) < 1e-9);
    assert_true(fabs(r.gaps[2].gap - 0.5) < 1e-9);
    assert_string_equal(r.gaps[2].metric, "calibration");
    assert_true(fabs(r.gaps[5].gap - 0.05) < 1e-9);
    for (size_t k = 0; k < r.ngaps; k++)
        assert_string_not_equal(r.gaps[k].attribute, "age band");
    j = fairness_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "groups")), 8);
    assert_true(json_is_null(json_object_get(
        json_array_get(json_object_get(j, "groups"), 2), "auc")));
    json_decref(j);
    fairness_report_free(&r);
    drop(&f);
}

static void test_fairness_unknown_column_is_named(void **state)
{
    struct fixture f = {0};
    struct fairness_report r;
    struct ns_error err;
    const char *cols[] = {"Scholarship"};

    (void)state;
    assert_int_equal(build(&f, 1), 0);
    assert_int_equal(fairness_audit(f.t, f.p, 0.5, cols, 1, &r, &err),
                     NS_ERR_NOT_FOUND);
    if (strstr(err.msg, "'Scholarship'") == NULL ||
        strstr(err.msg, "Neighbourhood") == NULL)
        fail_msg("message should name the column and list the schema's: "
                 "%s", err.msg);
    drop(&f);
}

static void test_fairness_identifier_column_is_refused(void **state)
{
    struct fixture f = {0};
    struct fairness_report r;
    struct ns_error err;
    const char *cols[] = {"PatientId"};

    (void)state;
    assert_int_equal(build(&f, 1), 0);
    assert_int_equal(fairness_audit(f.t, f.p, 0.5, cols, 1, &r, &err),
                     NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "patient_id"));
    drop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fairness_groups_match_hand_counts),
        cmocka_unit_test(test_fairness_gaps_largest_first),
        cmocka_unit_test(test_fairness_unknown_column_is_named),
        cmocka_unit_test(test_fairness_identifier_column_is_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
