/* Tests of the .xlsx writer: a small workbook is written, then read back
 * with Python's openpyxl (tests/report/read_xlsx.py) to see what Excel
 * users would see. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/xlsx_out.h"

static const char *const header[] = {
    "PatientId", "Age", "Neighbourhood", "no_show_probability", "risk_band",
};

static void temp_path(char *path, size_t size)
{
    int fd;

    snprintf(path, size, "/tmp/noshow-xlsx-XXXXXX.xlsx");
    fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    close(fd);
}

/* Three rows, one per band; the patient id stays text although it looks
 * like a number, and one age is missing. */
static void write_sample(const char *path)
{
    static const char *const cells[3][5] = {
        {"29872499824296", "62", "JARDIM DA PENHA", "0.12", "low"},
        {"558997776694438", "", "<CENTRO & SUL>", "0.25", "medium"},
        {"4262962299951", "8", "PRAIA", "0.5", "high"},
    };
    static const double nums[3][5] = {
        {NAN, 62, NAN, 0.12, NAN},
        {NAN, NAN, NAN, 0.25, NAN},
        {NAN, 8, NAN, 0.5, NAN},
    };
    struct xlsx_out *w = NULL;
    struct ns_error err = {0};

    if (xlsx_out_open(path, header, 5, NULL, &w, &err) != NS_OK)
        fail_msg("opening %s failed: %s", path, err.msg);
    for (int i = 0; i < 3; i++) {
        if (xlsx_out_row(w, cells[i], nums[i], &err) != NS_OK)
            fail_msg("writing row %d failed: %s", i + 1, err.msg);
    }
    assert_int_equal(xlsx_out_rows(w), 3);
    if (xlsx_out_close(w, &err) != NS_OK)
        fail_msg("closing %s failed: %s", path, err.msg);
}

/* What openpyxl reads from path, one fact a line. */
static char *read_back(const char *path)
{
    char cmd[256];
    char *out = calloc(1, 8192);
    size_t n;
    FILE *p;

    assert_non_null(out);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 tests/report/read_xlsx.py %s 2>&1", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, 8191, p);
    out[n] = '\0';
    if (pclose(p) != 0)
        fail_msg("reading %s back failed:\n%s", path, out);
    return out;
}

static void expect_line(const char *out, const char *line)
{
    if (strstr(out, line) == NULL)
        fail_msg("expected the line '%s' in what openpyxl read:\n%s", line,
                 out);
}

/* The sample is written and read back once for the tests that look at
 * it; *state holds openpyxl's lines. */
static int sample_setup(void **state)
{
    char path[64];

    temp_path(path, sizeof(path));
    write_sample(path);
    *state = read_back(path);
    unlink(path);
    return 0;
}

static int sample_teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_xlsx_out_cells_keep_their_types(void **state)
{
    const char *out = *state;

    expect_line(out, "sheet predictions rows 4 cols 5\n");
    expect_line(out, "cell A2 str 29872499824296 bold=0");
    expect_line(out, "cell B2 num 62 bold=0 fmt=General\n");
    expect_line(out, "cell C3 str <CENTRO & SUL> bold=0");
    expect_line(out, "cell D3 num 0.25 bold=0 fmt=0.0%\n");
    expect_line(out, "cell E4 str high bold=0");
    if (strstr(out, "cell B3 "))
        fail_msg("a missing age should leave B3 blank:\n%s", out);
}

static void test_xlsx_out_header_bold_and_frozen(void **state)
{
    const char *out = *state;

    expect_line(out, "cell A1 str PatientId bold=1");
    expect_line(out, "cell E1 str risk_band bold=1");
    expect_line(out, "freeze A2\n");
}

static void test_xlsx_out_risk_bands_coloured(void **state)
{
    const char *out = *state;

    expect_line(out, "cf E2:E4 cellIs equal \"low\" fill=C6EFCE\n");
    expect_line(out, "cf E2:E4 cellIs equal \"medium\" fill=FFEB9C\n");
    expect_line(out, "cf E2:E4 cellIs equal \"high\" fill=FFC7CE\n");
}

static void test_xlsx_out_unwritable_path_refused_at_open(void **state)
{
    const char *path = "/nonexistent-noshow-dir/out.xlsx";
    struct xlsx_out *w = NULL;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(xlsx_out_open(path, header, 5, NULL, &w, &err),
                     NS_ERR_IO);
    assert_null(w);
    if (strstr(err.msg, path) == NULL ||
        strstr(err.msg, "No such file") == NULL)
        fail_msg("the message should name the file and the system's "
                 "reason; got: %s", err.msg);
}

/* The directory disappears while rows are written: the failure comes
 * from libxlsxwriter at close, and its text reaches the message. */
static void test_xlsx_out_failed_close_reports_library_error(void **state)
{
    char dir[64], path[96];
    struct xlsx_out *w = NULL;
    struct ns_error err = {0};
    const char *cells[5] = {"1", "2", "3", "0.1", "low"};

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/noshow-xlsx-dir-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.xlsx", dir);
    assert_int_equal(xlsx_out_open(path, header, 5, NULL, &w, &err), NS_OK);
    assert_int_equal(xlsx_out_row(w, cells, NULL, &err), NS_OK);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(xlsx_out_close(w, &err), NS_ERR_LIB);
    if (strstr(err.msg, path) == NULL || strstr(err.msg, "xlsx") == NULL)
        fail_msg("the message should name the file and give "
                 "libxlsxwriter's reason; got: %s", err.msg);
}

static void test_xlsx_out_bad_sheet_name_refused(void **state)
{
    struct xlsx_out_opts o = {.prob_col = 3, .risk_col = 4,
                              .sheet = "bad:name"};
    struct xlsx_out *w = NULL;
    struct ns_error err = {0};
    char path[64];

    (void)state;
    temp_path(path, sizeof(path));
    assert_int_equal(xlsx_out_open(path, header, 5, &o, &w, &err),
                     NS_ERR_INVALID);
    assert_null(w);
    assert_non_null(strstr(err.msg, "bad:name"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_xlsx_out_cells_keep_their_types,
                                        sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_xlsx_out_header_bold_and_frozen,
                                        sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_xlsx_out_risk_bands_coloured,
                                        sample_setup, sample_teardown),
        cmocka_unit_test(test_xlsx_out_unwritable_path_refused_at_open),
        cmocka_unit_test(test_xlsx_out_failed_close_reports_library_error),
        cmocka_unit_test(test_xlsx_out_bad_sheet_name_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
