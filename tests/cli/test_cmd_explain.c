/* noshow explain: reasons through a bundle add up to its margin, and bad
 * input (a row out of range, a file without the model's columns, a file
 * without rows) gets a message naming what is wrong. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "model/explain.h"
#include "support/model_fixture.h"
#include "support/run_cmd.h"

#define ROWS 600

static int setup(void **state)
{
    struct model_fixture *f = calloc(1, sizeof(*f));

    *state = f;
    if (f == NULL)
        return -1;
    return model_fixture_setup(f, "explain", ROWS, 3);
}

static int teardown(void **state)
{
    model_fixture_teardown(*state);
    free(*state);
    return 0;
}

#define run(f, n, ...)                                                     \
    run_cmd(cmd_explain, "explain", (f)->out, (f)->errf, (n), __VA_ARGS__)
#define slurp run_cmd_slurp

#define assert_has(text, needle)                                           \
    do {                                                                   \
        if (strstr((text), (needle)) == NULL)                              \
            fail_msg("expected \"%s\" in \"%s\"", (needle), (text));       \
    } while (0)

static void test_explain_record_adds_up_to_bundle_margin(void **state)
{
    struct model_fixture *f = *state;
    const struct bundle *b = f->res.bundle;
    struct record *view = record_new(f->s);
    struct history_index *h = NULL;
    struct history_source src;
    struct bundle_score sc;
    struct ns_error err;
    json_t *j;

    assert_non_null(view);
    assert_int_equal(history_index_from_table(f->t, &h, NULL), NS_OK);
    src = history_index_source(h);
    for (size_t i = 0; i < f->t->nrows; i += 41) {
        double margin, base, sum = 0;
        size_t k;
        json_t *x;

        table_row(f->t, i, view);
        if (explain_record(b, view, &src, 3, &j, &err) != NS_OK ||
            bundle_score_record(b, view, &src, &sc, NULL, &err) != NS_OK)
            fail_msg("row %zu: %s", i, err.msg);
        margin = json_real_value(json_object_get(j, "margin"));
        base = json_real_value(json_object_get(j, "base"));
        json_array_foreach(json_object_get(j, "features"), k, x)
            sum += json_real_value(json_object_get(x, "contribution"));
        if (fabs(margin - sc.margin) > 1e-4 || fabs(base + sum - margin) >
                                                   1e-4)
            fail_msg("row %zu: explained margin %.6f (base + sum %.6f), "
                     "scored margin %.6f", i, margin, base + sum,
                     sc.margin);
        assert_true(json_array_size(json_object_get(j, "reasons")) <= 3);
        assert_true(fabs(json_real_value(json_object_get(
                             j, "probability")) - sc.probability) < 1e-12);
        json_decref(j);
    }
    history_index_free(h);
    record_free(view);
}

static void test_cmd_explain_row_prints_top_reasons(void **state)
{
    struct model_fixture *f = *state;
    json_t *j;
    json_error_t jerr;

    assert_int_equal(run(f, 7, f->model, f->csv, "--row", "3", "--top",
                         "2", "--json"), CLI_EXIT_OK);
    j = json_loads(slurp(f->out), 0, &jerr);
    if (j == NULL)
        fail_msg("output is not JSON: %s", jerr.text);
    assert_int_equal(json_integer_value(json_object_get(j, "row")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "reasons")), 2);
    json_decref(j);
    assert_int_equal(run(f, 4, f->model, f->csv, "--row", "1"),
                     CLI_EXIT_OK);
    assert_has(slurp(f->out), "row 1: probability ");
    assert_has(slurp(f->out), "  1. ");
}

static void test_cmd_explain_row_out_of_range_names_row_count(void **state)
{
    struct model_fixture *f = *state;

    assert_int_equal(run(f, 4, f->model, f->csv, "--row", "601"),
                     CLI_EXIT_FAIL);
    assert_has(slurp(f->errf), "row 601 is out of range: the file has "
                               "600 data rows");
    assert_int_equal(run(f, 4, f->model, f->csv, "--row", "0"),
                     CLI_EXIT_USAGE);
}

static void test_cmd_explain_missing_columns_are_named(void **state)
{
    struct model_fixture *f = *state;
    char path[80];
    FILE *fp;

    snprintf(path, sizeof(path), "%s.few", f->csv);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay\n"
          "1,2,F,2016-04-29T08:00:00Z,2016-04-29T00:00:00Z\n", fp);
    fclose(fp);
    assert_int_equal(run(f, 2, f->model, path), CLI_EXIT_FAIL);
    unlink(path);
    assert_has(slurp(f->errf), "missing required column(s) 'Age'");
}

static void test_cmd_explain_file_without_rows_is_refused(void **state)
{
    struct model_fixture *f = *state;
    char path[80];
    FILE *fp;

    snprintf(path, sizeof(path), "%s.head", f->csv);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,"
          "Neighbourhood,Scholarship,Hipertension,Diabetes,Alcoholism,"
          "Handcap,SMS_received,No-show\n", fp);
    fclose(fp);
    assert_int_equal(run(f, 2, f->model, path), CLI_EXIT_FAIL);
    unlink(path);
    assert_has(slurp(f->errf), "no data rows");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_record_adds_up_to_bundle_margin),
        cmocka_unit_test(test_cmd_explain_row_prints_top_reasons),
        cmocka_unit_test(test_cmd_explain_row_out_of_range_names_row_count),
        cmocka_unit_test(test_cmd_explain_missing_columns_are_named),
        cmocka_unit_test(test_cmd_explain_file_without_rows_is_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
