/* The column-wise table: appending, interning, reading rows back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "data/table.h"
#include "support/hand_schema.h"

struct fixture {
    struct schema *s;
    struct table *t;
    struct record *r;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->s = hand_schema(hand_kaggle_cols, HC_NCOLS);
    if (f->s == NULL || table_new(f->s, &f->t) != NS_OK)
        return -1;
    f->r = record_new(f->s);
    *state = f;
    return f->r ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    record_free(f->r);
    table_free(f->t);
    hand_schema_free(f->s);
    free(f);
    return 0;
}

static void test_table_row_reads_back_what_was_appended(void **state)
{
    struct fixture *f = *state;
    struct record *v = record_new(f->s);

    assert_non_null(v);
    hand_row(f->r, "29872499824296", "2016-04-29T18:38:08Z", "2016-05-02",
             62, "F", "JARDIM DA PENHA", 1);
    f->r->appt_id = "5642903";
    f->r->line = 2;
    f->r->num[HC_SMS] = 1;
    assert_int_equal(table_append(f->t, f->r), NS_OK);
    assert_int_equal(f->t->nrows, 1);

    table_row(f->t, 0, v);
    assert_int_equal(v->line, 2);
    assert_string_equal(v->patient, "29872499824296");
    assert_string_equal(v->appt_id, "5642903");
    assert_int_equal(v->booked_at, hand_instant("2016-04-29T18:38:08Z"));
    assert_int_equal(v->appt_day, hand_day("2016-05-02"));
    assert_int_equal(v->appt_time, -1);
    assert_int_equal(v->label, 1);
    assert_true(v->num[HC_AGE] == 62.0);
    assert_true(v->num[HC_SMS] == 1.0);
    assert_true(isnan(v->num[HC_GENDER]));
    assert_string_equal(v->text[HC_GENDER], "F");
    assert_string_equal(v->text[HC_HOOD], "JARDIM DA PENHA");
    assert_null(v->text[HC_AGE]);
    record_free(v);
}

static void test_table_repeated_strings_share_one_id(void **state)
{
    struct fixture *f = *state;
    const struct table *t = f->t;
    uint32_t id = 0;

    hand_row(f->r, "111", "2016-04-29T08:00:00Z", "2016-05-02", 30, "F",
             "CENTRO", 0);
    assert_int_equal(table_append(f->t, f->r), NS_OK);
    hand_row(f->r, "222", "2016-04-29T09:00:00Z", "2016-05-03", 31, "M",
             "CENTRO", 0);
    assert_int_equal(table_append(f->t, f->r), NS_OK);
    hand_row(f->r, "111", "2016-04-30T09:00:00Z", "2016-05-04", 30, "F",
             "PRAIA", 1);
    assert_int_equal(table_append(f->t, f->r), NS_OK);

    assert_int_equal(t->patient[0], t->patient[2]);
    assert_int_not_equal(t->patient[0], t->patient[1]);
    assert_int_equal(t->cat[HC_HOOD][0], t->cat[HC_HOOD][1]);
    assert_int_not_equal(t->cat[HC_HOOD][1], t->cat[HC_HOOD][2]);
    assert_int_equal(t->cat[HC_GENDER][0], t->cat[HC_GENDER][2]);
    /* "" + two patients + F and M + two neighbourhoods. */
    assert_int_equal(table_nstrings(t), 1 + 2 + 2 + 2);
    assert_string_equal(table_str(t, t->cat[HC_HOOD][2]), "PRAIA");
    assert_true(table_find(t, "222", &id) && id == t->patient[1]);
    assert_true(table_find(t, "PRAIA", &id) && id == t->cat[HC_HOOD][2]);
    assert_false(table_find(t, "333", &id));
    assert_false(table_find(t, "", &id));
}

static void test_table_missing_values_stay_missing(void **state)
{
    struct fixture *f = *state;
    struct record *v = record_new(f->s);

    assert_non_null(v);
    hand_row(f->r, NULL, "2016-04-29T08:00:00Z", "2016-05-02", NAN, NULL,
             "CENTRO", -1);
    assert_int_equal(table_append(f->t, f->r), NS_OK);
    assert_int_equal(f->t->patient[0], 0);
    assert_int_equal(f->t->appt_id[0], 0);
    assert_int_equal(f->t->cat[HC_GENDER][0], 0);

    table_row(f->t, 0, v);
    assert_string_equal(v->patient, "");
    assert_string_equal(v->appt_id, "");
    assert_null(v->text[HC_GENDER]);
    assert_true(isnan(v->num[HC_AGE]));
    assert_int_equal(v->label, -1);
    assert_string_equal(table_str(f->t, 0), "");
    assert_string_equal(table_str(f->t, 999999), "");
    record_free(v);
}

static void test_table_grows_past_many_capacities(void **state)
{
    struct fixture *f = *state;
    char pid[32], hood[32];
    const size_t n = 5000;

    for (size_t i = 0; i < n; i++) {
        snprintf(pid, sizeof(pid), "%zu", i % 700);
        snprintf(hood, sizeof(hood), "HOOD %zu", i % 13);
        hand_row(f->r, pid, "2016-04-29T08:00:00Z", "2016-05-02",
                 (double)(i % 100), i % 2 ? "M" : "F", hood, (int)(i % 2));
        f->r->line = (long)i + 2;
        assert_int_equal(table_append(f->t, f->r), NS_OK);
    }
    assert_int_equal(f->t->nrows, n);
    for (size_t i = 0; i < n; i += 97) {
        snprintf(pid, sizeof(pid), "%zu", i % 700);
        snprintf(hood, sizeof(hood), "HOOD %zu", i % 13);
        assert_string_equal(table_str(f->t, f->t->patient[i]), pid);
        assert_int_equal(f->t->patient[i], f->t->patient[i % 700]);
        assert_string_equal(table_str(f->t, f->t->cat[HC_HOOD][i]), hood);
        assert_true(f->t->num[HC_AGE][i] == (float)(i % 100));
        assert_int_equal(f->t->line[i], (long)i + 2);
    }
    /* "" + 700 patients + 2 genders + 13 hoods. */
    assert_int_equal(table_nstrings(f->t), 1 + 700 + 2 + 13);
}

static const char small_csv[] = "tests/fixtures/table/small.csv";

static void test_table_load_csv_cleans_and_counts(void **state)
{
    struct table_load_opts o = {0};
    struct table *t = NULL;
    struct schema *s = NULL;
    struct clean_report rep;
    struct ns_error err = {0};

    (void)state;
    o.need_label = true;
    o.dedup = true;
    if (table_load_csv(small_csv, NULL, &o, &t, &s, &rep, &err) != NS_OK)
        fail_msg("load failed: %s", err.msg);
    assert_non_null(s);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(rep.rows_read, 6);
    assert_int_equal(rep.rows_kept, 3);
    assert_int_equal(rep.dropped[CLEAN_NEGATIVE_LEAD], 1);
    assert_int_equal(rep.dropped[CLEAN_BAD_VALUE], 1);
    assert_int_equal(rep.dropped[CLEAN_DUPLICATE], 1);
    assert_int_equal(t->line[0], 2);
    assert_int_equal(t->line[2], 4);
    assert_string_equal(table_str(t, t->patient[2]), "111");
    assert_int_equal(t->patient[0], t->patient[2]);
    assert_string_equal(table_str(t, t->appt_id[1]), "5000002");
    assert_int_equal(t->label[1], 1);
    assert_int_equal(t->appt_day[1] - ns_day_of(t->booked_at[1]), 3);
    table_free(t);
    schema_free(s);
}

static void test_table_load_csv_writes_rejects(void **state)
{
    static const char rejects[] = "build/table-rejects.csv";
    struct table_load_opts o = {0};
    struct table *t = NULL;
    struct schema *s = NULL;
    char line[1024];
    size_t n = 0, negative = 0, bad = 0;
    FILE *f;

    (void)state;
    o.rejects_path = rejects;
    assert_int_equal(table_load_csv(small_csv, NULL, &o, &t, &s, NULL,
                                    NULL), NS_OK);
    /* Without dedup the repeated row is kept. */
    assert_int_equal(t->nrows, 4);
    f = fopen(rejects, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        n++;
        negative += strstr(line, "5000004") && strstr(line, "negative_lead");
        bad += strstr(line, "5000005") && strstr(line, "bad_value");
    }
    fclose(f);
    remove(rejects);
    assert_int_equal(n, 1 + 2);
    assert_true(negative == 1 && bad == 1);
    table_free(t);
    schema_free(s);
}

static void test_table_load_csv_strict_stops_at_first_bad_row(void **state)
{
    struct table_load_opts o = {0};
    struct table *t = NULL;
    struct schema *s = NULL;
    struct ns_error err = {0};

    (void)state;
    o.strict = true;
    assert_int_equal(table_load_csv(small_csv, NULL, &o, &t, &s, NULL,
                                    &err), NS_ERR_INVALID);
    assert_null(t);
    assert_null(s);
    if (strstr(err.msg, "small.csv:5") == NULL)
        fail_msg("message does not name line 5: %s", err.msg);
}

static void test_table_load_csv_uses_the_given_schema(void **state)
{
    struct table_load_opts o = {0};
    struct schema *given = NULL;
    struct schema *chosen = (struct schema *)&o;
    struct table *t = NULL;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(schema_builtin("kaggle-noshow", &given, &err), NS_OK);
    assert_int_equal(table_load_csv(small_csv, given, &o, &t, &chosen, NULL,
                                    &err), NS_OK);
    assert_null(chosen);
    assert_ptr_equal(t->schema, given);
    assert_int_equal(t->nrows, 4);
    table_free(t);
    assert_int_equal(table_load_csv(small_csv, NULL, &o, &t, NULL, NULL,
                                    &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no schema given"));
    schema_free(given);
}

static void expect_load_error(const char *path, const char *message)
{
    struct table *t = NULL;
    struct schema *s = NULL;
    struct ns_error err = {0};

    assert_int_not_equal(table_load_csv(path, NULL, NULL, &t, &s, NULL,
                                        &err), NS_OK);
    assert_null(t);
    if (strcmp(err.msg, message) != 0)
        fail_msg("expected '%s', got '%s'", message, err.msg);
}

static void test_table_load_csv_empty_inputs_say_why(void **state)
{
    (void)state;
    expect_load_error("tests/fixtures/table/empty.csv",
                      "tests/fixtures/table/empty.csv: empty file: "
                      "expected a header line");
    expect_load_error("tests/fixtures/table/header_only.csv",
                      "tests/fixtures/table/header_only.csv: no data rows "
                      "after the header");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_table_row_reads_back_what_was_appended, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_table_repeated_strings_share_one_id, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_table_missing_values_stay_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_table_grows_past_many_capacities, setup, teardown),
        cmocka_unit_test(test_table_load_csv_cleans_and_counts),
        cmocka_unit_test(test_table_load_csv_writes_rejects),
        cmocka_unit_test(test_table_load_csv_strict_stops_at_first_bad_row),
        cmocka_unit_test(test_table_load_csv_empty_inputs_say_why),
        cmocka_unit_test(test_table_load_csv_uses_the_given_schema),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
