/* noshow clean as a user runs it: exit codes, messages and the report,
 * on tiny fixtures in tests/fixtures/clean/. Runs the built binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/clirun.h"

#define FIX "tests/fixtures/clean/"

/* Runs a shell command (not noshow) in dir. */
static void run_in(const char *dir, const char *sh, struct result *res)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "cd %s && %s", dir, sh);
    res->status = system(cmd);
    assert_int_equal(res->status, 0);
}

static void test_clean_empty_file_fails_with_location(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "empty.csv", &res);
    expect(&res, 1, "empty.csv:1:1: empty file; expected a header line");
}

static void test_clean_header_only_fails(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "header_only.csv", &res);
    expect(&res, 1, "no rows after the header");
}

static void test_clean_wrong_separator_suggests_sep(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "semicolon.csv --sep ,", &res);
    expect(&res, 1, "try --sep ';'");
}

static void test_clean_detected_semicolon_reads_rows(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "semicolon.csv --json", &res);
    expect(&res, 0, "\"rows_kept\":2");
}

static void test_clean_bad_rows_are_counted_per_reason(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "mixed.csv --json", &res);
    expect(&res, 0, "\"rows_read\":5");
    expect(&res, 0, "\"rows_kept\":2");
    expect(&res, 0, "\"duplicate\":1");
    expect(&res, 0, "\"bad_value\":1");
    expect(&res, 0, "\"field_count\":1");
    /* Counted without --features too: both kept rows are patient P1. */
    expect(&res, 0, "\"patients\":1");
}

static void test_clean_strict_stops_at_first_bad_row(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "mixed.csv --strict", &res);
    expect(&res, 1, "mixed.csv:4");
}

static void test_clean_features_have_a_row_per_kept_row(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "mixed.csv --features - --json", &res);
    expect(&res, 0, "appointment_id,label,");
    expect(&res, 0, "\nA1,0,");
    expect(&res, 0, "\nA2,1,");
    /* Distance 4.2 is written as read, not as 4.19999981. */
    expect(&res, 0, ",4.2,");
    /* A2's history: one earlier appointment (A1, kept), no no-show, rate
     * 0, one day ago, none held, one booking in 30 days; then its booking
     * context: A1 was booked 7 days 22:45 earlier with lead 7, nothing
     * earlier that day, nothing else for A2's day. */
    expect(&res, 0, ",1,0,0,1,0,1,7.94791651,0,7,0\n");
}

/* Standard input is copied once and read twice: the same features and
 * history as from the file. */
static void test_clean_features_from_standard_input(void **state)
{
    struct result res;

    (void)state;
    run("clean - --features - < " FIX "mixed.csv", &res);
    expect(&res, 0, "\nA2,1,");
    expect(&res, 0, ",1,0,0,1,0,1,7.94791651,0,7,0\n");
    expect(&res, 0, "kept 2 of 5 rows; dropped: duplicate=1");
    run("clean - --strict < " FIX "mixed.csv", &res);
    expect(&res, 1, "-:4");
}

/* Features come from pass 1's clean rows, or from the file read again
 * when rejected rows are written too: both give the same bytes, over
 * generated rows with repeats of earlier ones. */
static void test_clean_features_same_with_and_without_rejects(void **st)
{
    const char *build = getenv("NOSHOW_BUILD");
    char dir[] = "/tmp/noshow-clean-XXXXXX";
    char args[1024];
    struct result res;

    (void)st;
    assert_non_null(mkdtemp(dir));
    build = build ? build : "build";
    snprintf(args, sizeof(args),
             "generate --rows 20000 --seed 3 -o %s/g.csv && "
             "tail -n +2 %s/g.csv | head -700 >> %s/g.csv && "
             "%s/noshow clean %s/g.csv --features %s/a.csv && "
             "%s/noshow clean %s/g.csv --features %s/b.csv "
             "--rejects %s/r.csv && cmp %s/a.csv %s/b.csv && "
             "wc -l < %s/a.csv && rm -r %s",
             dir, dir, dir, build, dir, dir, build, dir, dir, dir, dir, dir,
             dir, dir);
    run(args, &res);
    expect(&res, 0, "duplicate=700");
    expect(&res, 0, "\n20001\n");
}

/* A run that fails leaves its output paths as they were: the old
 * features file stays when the rejected rows cannot be written, and a
 * --strict stop leaves no rejects file behind. */
static void test_clean_failed_run_leaves_outputs_alone(void **st)
{
    char dir[] = "/tmp/noshow-clean-XXXXXX";
    char args[512];
    struct result res;

    (void)st;
    assert_non_null(mkdtemp(dir));
    snprintf(args, sizeof(args), "clean " FIX "mixed.csv --features "
             "%s/f.csv --rejects /dev/full 2>&1; echo rc=$?; cat %s/f.csv; "
             "ls %s", dir, dir, dir);
    run_in(dir, "echo 'old features' > f.csv", &res);
    run(args, &res);
    expect(&res, 0, "/dev/full: write failed");
    expect(&res, 0, "rc=1\nold features\nf.csv\n");
    snprintf(args, sizeof(args), "clean " FIX "mixed.csv --strict "
             "--rejects %s/r.csv; echo rc=$?; ls %s; rm -r %s", dir, dir,
             dir);
    run(args, &res);
    expect(&res, 0, "rc=1\nf.csv\n");
}

/* Temporary files go to $TMPDIR: one that cannot hold them is named. */
static void test_clean_unusable_tmpdir_is_named(void **st)
{
    struct result res;

    (void)st;
    assert_int_equal(setenv("TMPDIR", "/nonexistent/tmp", 1), 0);
    run("clean " FIX "mixed.csv --features /dev/null", &res);
    assert_int_equal(unsetenv("TMPDIR"), 0);
    expect(&res, 1, "/nonexistent/tmp: cannot create a temporary file: No "
           "such file or directory");
}

/* Repeated rows do not weigh in the category codes: North and South
 * (and their specialties) are one row each, so codes go by name, though
 * South's row comes three times. */
static void test_clean_duplicates_do_not_count_for_codes(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "dupcats.csv --features -", &res);
    expect(&res, 0, "\nA1,0,0,1,0,0,0,0,0,0,");
    expect(&res, 0, "\nA3,0,0,0,0,0,0,1,1,1,");
    expect(&res, 0, "kept 2 of 4 rows; dropped: duplicate=2");
}

/* A schema file with neither dates nor outcome: rows are kept, labels
 * are empty and no history is indexed (and nothing fails for it). */
static void test_clean_schema_file_without_dates_or_target(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "nodates.csv --schema " FIX "nodates.schema "
        "--features -", &res);
    expect(&res, 0, "appointment_id,label,age,ward\nV1,,30,0\n");
    expect(&res, 0, "kept 3 of 3 rows");
    expect(&res, 0, "patients: 0");
}

/* The real Vitoria file: five rows booked after their day, 51,670
 * patients (data/README.md). */
static void test_clean_real_file_report_counts(void **state)
{
    struct result res;

    (void)state;
    run("clean data/noshow-vitoria-2016-until-may.csv --json", &res);
    expect(&res, 0, "\"rows_read\":84076,\"rows_kept\":84071");
    expect(&res, 0, "\"negative_lead\":5");
    expect(&res, 0, "\"patients\":51670");
}

static void test_clean_bad_option_is_a_usage_error(void **state)
{
    struct result res;

    (void)state;
    run("clean " FIX "mixed.csv --sep x", &res);
    expect(&res, 2, "--sep: 'x' is not a separator");
    run("clean", &res);
    expect(&res, 2, "missing the input file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_empty_file_fails_with_location),
        cmocka_unit_test(test_clean_header_only_fails),
        cmocka_unit_test(test_clean_wrong_separator_suggests_sep),
        cmocka_unit_test(test_clean_detected_semicolon_reads_rows),
        cmocka_unit_test(test_clean_bad_rows_are_counted_per_reason),
        cmocka_unit_test(test_clean_strict_stops_at_first_bad_row),
        cmocka_unit_test(test_clean_features_have_a_row_per_kept_row),
        cmocka_unit_test(test_clean_features_from_standard_input),
        cmocka_unit_test(test_clean_features_same_with_and_without_rejects),
        cmocka_unit_test(test_clean_failed_run_leaves_outputs_alone),
        cmocka_unit_test(test_clean_unusable_tmpdir_is_named),
        cmocka_unit_test(test_clean_duplicates_do_not_count_for_codes),
        cmocka_unit_test(test_clean_schema_file_without_dates_or_target),
        cmocka_unit_test(test_clean_real_file_report_counts),
        cmocka_unit_test(test_clean_bad_option_is_a_usage_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
