/* Categorical encoders: numbering, unknown bucket, missing, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "data/table.h"
#include "features/encode.h"
#include "support/hand_schema.h"

struct fixture {
    struct schema *s;
    struct table *t;
    struct encoders *e;
};

/* CENTRO x3, PRAIA x2, BENTO x2, ILHA x1; F x5, M x3. */
static int setup(void **state)
{
    static const char *const hoods[] = {"PRAIA", "CENTRO", "ILHA", "BENTO",
                                        "CENTRO", "BENTO", "PRAIA",
                                        "CENTRO"};
    struct fixture *f = calloc(1, sizeof(*f));
    struct record *r;

    if (f == NULL)
        return -1;
    f->s = hand_schema(hand_kaggle_cols, HC_NCOLS);
    if (f->s == NULL || table_new(f->s, &f->t) != NS_OK)
        return -1;
    r = record_new(f->s);
    if (r == NULL)
        return -1;
    for (size_t i = 0; i < 8; i++) {
        hand_row(r, "1", "2016-04-29T08:00:00Z", "2016-05-02", 40,
                 i < 5 ? "F" : "M", hoods[i], 0);
        if (table_append(f->t, r) != NS_OK)
            return -1;
    }
    record_free(r);
    *state = f;
    return encoders_fit(f->t, NULL, 0, &f->e, NULL) == NS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    encoders_free(f->e);
    table_free(f->t);
    hand_schema_free(f->s);
    free(f);
    return 0;
}

static void test_encoders_number_by_frequency_then_name(void **state)
{
    struct fixture *f = *state;
    int unknown = -1;

    assert_int_equal(encoders_count(f->e, HC_HOOD), 4);
    assert_string_equal(encoders_category(f->e, HC_HOOD, 0), "CENTRO");
    assert_string_equal(encoders_category(f->e, HC_HOOD, 1), "BENTO");
    assert_string_equal(encoders_category(f->e, HC_HOOD, 2), "PRAIA");
    assert_string_equal(encoders_category(f->e, HC_HOOD, 3), "ILHA");
    assert_null(encoders_category(f->e, HC_HOOD, 4));
    assert_true(encoders_code(f->e, HC_HOOD, "PRAIA", &unknown) == 2.0);
    assert_int_equal(unknown, 0);
    assert_true(encoders_code(f->e, HC_GENDER, "M", NULL) == 1.0);
    assert_int_equal(encoders_count(f->e, HC_AGE), 0);
}

static void test_encoders_unseen_category_gets_own_bucket(void **state)
{
    struct fixture *f = *state;
    int unknown = 0;

    assert_true(encoders_code(f->e, HC_HOOD, "NOVA", &unknown) == 4.0);
    assert_int_equal(unknown, 1);
    assert_true(encoders_code(f->e, HC_GENDER, "X", &unknown) == 2.0);
    assert_int_equal(unknown, 1);
}

static void test_encoders_missing_value_is_nan(void **state)
{
    struct fixture *f = *state;
    int unknown = 7;

    assert_true(isnan(encoders_code(f->e, HC_HOOD, NULL, &unknown)));
    assert_int_equal(unknown, 0);
    assert_true(isnan(encoders_code(f->e, HC_AGE, "3", NULL)));
}

static void test_encoders_fit_on_row_subset_only(void **state)
{
    struct fixture *f = *state;
    const size_t rows[] = {0, 6, 2};    /* PRAIA, PRAIA, ILHA */
    struct encoders *e = NULL;

    assert_int_equal(encoders_fit(f->t, rows, 3, &e, NULL), NS_OK);
    assert_int_equal(encoders_count(e, HC_HOOD), 2);
    assert_string_equal(encoders_category(e, HC_HOOD, 0), "PRAIA");
    assert_true(encoders_code(e, HC_HOOD, "CENTRO", NULL) == 2.0);
    encoders_free(e);
}

static void test_encoders_json_round_trip_keeps_codes(void **state)
{
    struct fixture *f = *state;
    json_t *j = encoders_to_json(f->e);
    char *text = json_dumps(j, JSON_COMPACT);
    struct encoders *back = NULL;
    struct ns_error err = {0};

    assert_string_equal(text, "{\"Gender\":[\"F\",\"M\"],\"Neighbourhood\":"
                        "[\"CENTRO\",\"BENTO\",\"PRAIA\",\"ILHA\"]}");
    assert_int_equal(encoders_from_json(f->s, j, &back, &err), NS_OK);
    for (size_t k = 0; k < 4; k++) {
        const char *c = encoders_category(f->e, HC_HOOD, k);

        assert_true(encoders_code(back, HC_HOOD, c, NULL) == (double)k);
    }
    assert_true(encoders_code(back, HC_HOOD, "NOVA", NULL) == 4.0);
    encoders_free(back);
    free(text);
    json_decref(j);
}

static void expect_load_error(const struct schema *s, const char *json,
                              const char *needle)
{
    json_t *j = json_loads(json, 0, NULL);
    struct encoders *e = NULL;
    struct ns_error err = {0};

    assert_non_null(j);
    assert_int_not_equal(encoders_from_json(s, j, &e, &err), NS_OK);
    assert_null(e);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    json_decref(j);
}

static void test_encoders_from_bad_json_says_what_is_wrong(void **state)
{
    struct fixture *f = *state;

    expect_load_error(f->s, "{\"Gender\":[\"F\"]}",
                      "no categories for column 'Neighbourhood'");
    expect_load_error(f->s, "{\"Gender\":[\"F\",\"F\"],"
                      "\"Neighbourhood\":[]}", "lists category 'F' twice");
    expect_load_error(f->s, "{\"Gender\":[],\"Neighbourhood\":[],"
                      "\"Age\":[\"1\"]}", "categories for 'Age'");
    expect_load_error(f->s, "{\"Gender\":\"F\",\"Neighbourhood\":[]}",
                      "field 'Gender' must be an array");
    expect_load_error(f->s, "{\"Gender\":[3],\"Neighbourhood\":[]}",
                      "item 0 is not a non-empty string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoders_number_by_frequency_then_name),
        cmocka_unit_test(test_encoders_unseen_category_gets_own_bucket),
        cmocka_unit_test(test_encoders_missing_value_is_nan),
        cmocka_unit_test(test_encoders_fit_on_row_subset_only),
        cmocka_unit_test(test_encoders_json_round_trip_keeps_codes),
        cmocka_unit_test(test_encoders_from_bad_json_says_what_is_wrong),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
