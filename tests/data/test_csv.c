/* The CSV reader's edge cases (quotes, line breaks, separators, limits,
 * encodings) and the writer's quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/csv.h"
#include "data/testutil.h"

/* Allocation failure injection: the test binary's malloc, calloc and
 * realloc fail the Nth call once armed. AddressSanitizer brings its own
 * allocator, so the hook and its test are left out of sanitizer builds. */
#ifndef __SANITIZE_ADDRESS__
#define ALLOC_HOOK 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static long alloc_left = -1;    /* successful calls left; -1: never fail */
static bool alloc_failed;

static bool alloc_ok(void)
{
    if (alloc_left < 0)
        return true;
    if (alloc_left == 0) {
        alloc_failed = true;
        return false;
    }
    alloc_left--;
    return true;
}

void *malloc(size_t n)
{
    return alloc_ok() ? __libc_malloc(n) : NULL;
}

void *calloc(size_t n, size_t size)
{
    return alloc_ok() ? __libc_calloc(n, size) : NULL;
}

void *realloc(void *p, size_t n)
{
    return alloc_ok() ? __libc_realloc(p, n) : NULL;
}
#endif

/* Everything one read of a whole input gives. */
struct readall {
    enum ns_err rc;         /* NS_DONE when the input ended normally */
    struct ns_error err;
    size_t nrows;
    long line[16];
    size_t nfields[16];
    char first[16][64];     /* first field of each row */
    char last[16][64];      /* last field of each row */
    char sep;
};

static void read_reader(struct csv_reader *r, struct readall *a)
{
    const struct csv_row *row;

    while ((a->rc = csv_reader_next(r, &row, &a->err)) == NS_OK) {
        size_t i = a->nrows++;

        if (i >= 16)
            continue;
        a->line[i] = row->line;
        a->nfields[i] = row->nfields;
        snprintf(a->first[i], 64, "%s", row->fields[0].ptr);
        snprintf(a->last[i], 64, "%s", row->fields[row->nfields - 1].ptr);
    }
    a->sep = csv_reader_sep(r);
}

static void read_mem(const char *text, size_t len, char sep, size_t max,
                     struct readall *a)
{
    struct csv_opts o = {sep, max};
    struct csv_reader *r = NULL;

    memset(a, 0, sizeof(*a));
    assert_int_equal(csv_reader_open_mem(text, len, "t.csv", &o, &r,
                                         &a->err), NS_OK);
    read_reader(r, a);
    csv_reader_close(r);
}

static void read_str(const char *text, char sep, struct readall *a)
{
    read_mem(text, strlen(text), sep, 0, a);
}

static void test_csv_quoted_comma_stays_in_field(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 2);
    assert_int_equal(a.nfields[1], 2);
    assert_string_equal(a.first[1], "x,y");
    assert_string_equal(a.last[1], "say \"hi\"");
}

/* Rows read without libcsv say they need no quotes; a quoted row does
 * not, so writers that trust the flag never drop needed quotes. */
static void test_csv_plain_flag_only_on_rows_without_quotes(void **state)
{
    struct csv_reader *r = NULL;
    const struct csv_row *row;
    static const char text[] = "a,b\r\nx,y\n\"p,q\",z\n";
    bool want[] = {true, true, false};

    (void)state;
    assert_int_equal(csv_reader_open_mem(text, sizeof(text) - 1, "t.csv",
                                         NULL, &r, NULL), NS_OK);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(csv_reader_next(r, &row, NULL), NS_OK);
        if (row->plain != want[i])
            fail_msg("row %zu: plain is %d, expected %d", i + 1,
                     row->plain, want[i]);
    }
    assert_int_equal(csv_reader_next(r, &row, NULL), NS_DONE);
    csv_reader_close(r);
}

/* Writers copy a whole record at once, trusting this layout, for rows
 * read with and without libcsv alike. */
static void test_csv_fields_lie_back_to_back(void **state)
{
    struct csv_reader *r = NULL;
    const struct csv_row *row;
    static const char text[] = "a,,bcd\n\"p,q\",,z\n";

    (void)state;
    assert_int_equal(csv_reader_open_mem(text, sizeof(text) - 1, "t.csv",
                                         NULL, &r, NULL), NS_OK);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(csv_reader_next(r, &row, NULL), NS_OK);
        assert_int_equal(row->nfields, 3);
        for (size_t i = 0; i + 1 < row->nfields; i++) {
            const struct csv_field *f = &row->fields[i];

            assert_int_equal(f->ptr[f->len], '\0');
            assert_ptr_equal(row->fields[i + 1].ptr, f->ptr + f->len + 1);
        }
    }
    assert_string_equal(row->fields[0].ptr, "p,q");
    csv_reader_close(r);
}

static void test_csv_embedded_newline_keeps_line_numbers(void **state)
{
    struct readall a;

    (void)state;
    read_str("h1,h2\n\"two\nlines\",x\n\"three\n\nlines\",y\nlast,z\n", 0,
             &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 4);
    assert_string_equal(a.first[1], "two\nlines");
    assert_int_equal(a.line[1], 2);
    assert_string_equal(a.first[2], "three\n\nlines");
    assert_int_equal(a.line[2], 4);
    assert_int_equal(a.line[3], 7);
    assert_string_equal(a.last[3], "z");
}

static void test_csv_crlf_line_ends_are_not_in_fields(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b\r\n1,2\r\n3,4\r\n", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 3);
    assert_string_equal(a.last[1], "2");
    assert_string_equal(a.last[2], "4");
    assert_int_equal(a.line[2], 3);
}

static void test_csv_bom_is_stripped_from_first_name(void **state)
{
    struct readall a;

    (void)state;
    read_str("\xEF\xBB\xBFPatientId,Age\n1,2\n", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_string_equal(a.first[0], "PatientId");
}

static void test_csv_semicolons_are_detected(void **state)
{
    struct readall a;

    (void)state;
    read_str("a;b;\"c,d\"\n1,5;2;3\n", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.sep, ';');
    assert_int_equal(a.nfields[0], 3);
    assert_string_equal(a.last[0], "c,d");
    assert_string_equal(a.first[1], "1,5");
}

static void test_csv_detection_skips_leading_blank_lines(void **state)
{
    struct readall a;

    (void)state;
    read_str("\r\n\na;b\n1;2\n", 0, &a);
    assert_int_equal(a.sep, ';');
    assert_int_equal(a.line[0], 3);
    assert_int_equal(a.nfields[1], 2);
}

static void test_csv_commas_win_a_tie_and_quotes_hide_seps(void **state)
{
    struct readall a;

    (void)state;
    read_str("\"a;b;c\",d\n1,2\n", 0, &a);
    assert_int_equal(a.sep, ',');
    assert_int_equal(a.nfields[0], 2);
}

static void test_csv_explicit_sep_mismatch_suggests_other(void **state)
{
    struct readall a;

    (void)state;
    read_str("a;b;c\n1;2;3\n", ',', &a);
    assert_int_equal(a.rc, NS_ERR_PARSE);
    assert_contains(a.err.msg, "t.csv:1:1:");
    assert_contains(a.err.msg, "--sep ';'");
}

static void test_csv_unterminated_quote_names_start_line(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b\n1,2\n3,\"open\nmore\nand more\n", 0, &a);
    assert_int_equal(a.rc, NS_ERR_PARSE);
    assert_int_equal(a.nrows, 2);
    assert_contains(a.err.msg, "t.csv:3:2:");
    assert_contains(a.err.msg, "unterminated quoted field");
    assert_contains(a.err.msg, "starting on line 3");
}

static void test_csv_text_after_closing_quote_is_error(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b\n1,\"x\"y\n", 0, &a);
    assert_int_equal(a.rc, NS_ERR_PARSE);
    assert_contains(a.err.msg, "t.csv:2:2:");
    assert_contains(a.err.msg, "malformed field");
}

static void test_csv_long_record_in_memory_is_refused(void **state)
{
    size_t n = 3u << 20;
    char *big = malloc(n);
    struct readall a;

    (void)state;
    assert_non_null(big);
    memcpy(big, "a,b\n1,2\n", 8);
    memset(big + 8, 'x', n - 8);
    read_mem(big, n, 0, 4096, &a);
    free(big);
    assert_int_equal(a.rc, NS_ERR_TOO_LARGE);
    assert_int_equal(a.nrows, 2);
    assert_contains(a.err.msg,
                    "t.csv:3:1: record longer than 4096 bytes "
                    "(unterminated quote?)");
}

/* A quote that never closes must stop at the limit, not at the end. */
static void test_csv_long_quoted_record_in_file_is_refused(void **state)
{
    char path[] = "/tmp/noshow-test-csv-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct csv_opts o = {0, 10000};
    struct csv_reader *r = NULL;
    struct readall a = {0};

    (void)state;
    assert_non_null(f);
    fputs("a,b\n1,\"", f);
    for (int i = 0; i < 40000; i++)
        fputs("0123456789abcdef,\n", f);
    fclose(f);
    assert_int_equal(csv_reader_open(path, &o, &r, &a.err), NS_OK);
    read_reader(r, &a);
    csv_reader_close(r);
    unlink(path);
    assert_int_equal(a.rc, NS_ERR_TOO_LARGE);
    assert_contains(a.err.msg, ":2:1: record longer than 10000 bytes");
}

static void test_csv_default_limit_is_one_mebibyte(void **state)
{
    size_t n = (1u << 20) + 100;
    char *big = malloc(n);
    struct readall a;

    (void)state;
    assert_non_null(big);
    memset(big, 'y', n);
    read_mem(big, n, 0, 0, &a);
    free(big);
    assert_int_equal(a.rc, NS_ERR_TOO_LARGE);
    assert_contains(a.err.msg, "t.csv:1:1: record longer than 1048576 "
                    "bytes (unterminated quote?)");
}

static void test_csv_invalid_utf8_names_byte_and_place(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b\n1,2\n3,ab\xC3(\n", 0, &a);
    assert_int_equal(a.rc, NS_ERR_PARSE);
    assert_contains(a.err.msg, "t.csv:3:2: invalid UTF-8 byte 0xC3 at byte "
                    "3 of the field");
}

static void test_csv_utf8_edge_sequences(void **state)
{
    struct readall a;

    (void)state;
    read_str("n\nVit\xC3\xB3ria \xE2\x82\xAC \xF0\x9F\x98\x80\n", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_string_equal(a.first[1], "Vit\xC3\xB3ria \xE2\x82\xAC "
                        "\xF0\x9F\x98\x80");
    read_str("n\n\xE0\x80\x80\n", 0, &a);       /* overlong */
    assert_int_equal(a.rc, NS_ERR_PARSE);
    read_str("n\n\xED\xA0\x80\n", 0, &a);       /* surrogate */
    assert_int_equal(a.rc, NS_ERR_PARSE);
    read_str("n\nab\xE2\x82\n", 0, &a);         /* cut short */
    assert_contains(a.err.msg, "byte 0xE2 at byte 3");
    read_mem("n\nab\0c\n", 7, 0, 0, &a);
    assert_int_equal(a.rc, NS_ERR_PARSE);
    assert_contains(a.err.msg, "byte 0x00 at byte 3");
}

/* The reader scans plain lines 8 bytes at a time: a separator, quote,
 * CR, NUL or non-ASCII byte at any offset of a word, or in the tail
 * after the last whole word, must be found as byte by byte. */
static void test_csv_word_scan_sees_every_offset(void **state)
{
    char line[64];
    struct readall a;

    (void)state;
    for (size_t at = 0; at < 40; at++) {
        struct csv_reader *r = NULL;
        const struct csv_row *row;
        char text[128];
        int n;

        /* One separator at byte `at` of a 40-byte line of 'x'. */
        memset(line, 'x', 40);
        line[40] = '\0';
        line[at] = ';';
        n = snprintf(text, sizeof(text), "h1;h2\n%s\n", line);
        assert_int_equal(csv_reader_open_mem(text, (size_t)n, "t.csv", NULL,
                                             &r, NULL), NS_OK);
        assert_int_equal(csv_reader_next(r, &row, NULL), NS_OK);
        assert_int_equal(csv_reader_next(r, &row, NULL), NS_OK);
        assert_int_equal(row->nfields, 2);
        assert_int_equal(row->fields[0].len, at);
        assert_int_equal(row->fields[1].len, 39 - at);
        assert_true(row->plain);
        csv_reader_close(r);

        /* A quote there makes the line a quoted one (libcsv refuses a
         * quote inside an unquoted field); an invalid byte is named. */
        line[at] = '"';
        snprintf(text, sizeof(text), "h\n%s\n", line);
        read_str(text, ',', &a);
        assert_int_equal(a.rc, NS_ERR_PARSE);
        line[at] = '\xFF';
        snprintf(text, sizeof(text), "h\n%s\n", line);
        read_str(text, ',', &a);
        assert_int_equal(a.rc, NS_ERR_PARSE);
        assert_contains(a.err.msg, "byte 0xFF");
        /* A bare CR ends a record, as libcsv reads it: the line splits
         * in two unless the CR is first (a blank line) or last (CRLF). */
        line[at] = '\r';
        snprintf(text, sizeof(text), "h\n%s\n", line);
        read_str(text, ',', &a);
        assert_int_equal(a.rc, NS_DONE);
        assert_int_equal(a.nrows, at == 0 || at == 39 ? 2 : 3);
        assert_int_equal(strlen(a.last[a.nrows - 1]),
                         at == 0 || at == 39 ? 39 : 39 - at);
    }
    /* Many one-byte fields, several separators in one word. */
    read_str("h\n1,2,3,4,5,6,7,8,9,a,b,c,d,e,f,g,h,i,j\n", ',', &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nfields[1], 19);
    assert_string_equal(a.first[1], "1");
    assert_string_equal(a.last[1], "j");
}

/* The line of a bad byte inside a multi-line field is its own line. */
static void test_csv_invalid_utf8_in_second_line_of_field(void **state)
{
    struct readall a;

    (void)state;
    read_str("a\n\"ok\nbad\xFF\"\n", 0, &a);
    assert_int_equal(a.rc, NS_ERR_PARSE);
    assert_contains(a.err.msg, "t.csv:3:1: invalid UTF-8 byte 0xFF");
}

static void test_csv_empty_input_is_done_at_once(void **state)
{
    struct readall a;

    (void)state;
    read_str("", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 0);
    read_str("\n\r\n\n", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 0);
}

static void test_csv_header_only_gives_one_row(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b,c", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 1);
    assert_int_equal(a.nfields[0], 3);
    assert_string_equal(a.last[0], "c");
}

static void test_csv_blank_lines_are_skipped(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b\n\n1,2\n\r\n\n3,4", 0, &a);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.nrows, 3);
    assert_int_equal(a.line[1], 3);
    assert_int_equal(a.line[2], 6);
    assert_string_equal(a.last[2], "4");
}

static void test_csv_spaces_and_empty_fields_are_kept(void **state)
{
    struct readall a;

    (void)state;
    read_str("a,b,c\n x ,,\n", 0, &a);
    assert_int_equal(a.nfields[1], 3);
    assert_string_equal(a.first[1], " x ");
    assert_string_equal(a.last[1], "");
}

/* Rows crossing the 64 KiB chunk boundary keep their lines and bytes. */
static void test_csv_rows_across_chunks_are_whole(void **state)
{
    size_t rows = 9000, cap = rows * 16 + 16, len = 0;
    char *text = malloc(cap);
    struct csv_reader *r = NULL;
    const struct csv_row *row;
    struct ns_error err;
    size_t n = 0;
    enum ns_err rc;

    (void)state;
    assert_non_null(text);
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu,\"v\n%zu\"\n",
                                i, i);
    assert_int_equal(csv_reader_open_mem(text, len, "big.csv", NULL, &r,
                                         &err), NS_OK);
    while ((rc = csv_reader_next(r, &row, &err)) == NS_OK) {
        char want[32];

        snprintf(want, sizeof(want), "v\n%zu", n);
        assert_int_equal(row->line, (long)(2 * n + 1));
        assert_string_equal(row->fields[1].ptr, want);
        n++;
    }
    assert_int_equal(rc, NS_DONE);
    assert_int_equal(n, rows);
    csv_reader_close(r);
    free(text);
}

static void test_csv_missing_file_names_path_and_cause(void **state)
{
    struct csv_reader *r = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(csv_reader_open("tests/fixtures/data/nope.csv", NULL,
                                     &r, &err), NS_ERR_IO);
    assert_null(r);
    assert_contains(err.msg, "tests/fixtures/data/nope.csv");
    assert_contains(err.msg, "No such file");
}

static void test_csv_file_fixture_reads_like_memory(void **state)
{
    struct csv_reader *r = NULL;
    struct readall a = {0};

    (void)state;
    assert_int_equal(csv_reader_open("tests/fixtures/data/semicolon.csv",
                                     NULL, &r, &a.err), NS_OK);
    assert_string_equal(csv_reader_name(r),
                        "tests/fixtures/data/semicolon.csv");
    read_reader(r, &a);
    csv_reader_close(r);
    assert_int_equal(a.rc, NS_DONE);
    assert_int_equal(a.sep, ';');
    assert_int_equal(a.nrows, 3);
    assert_string_equal(a.first[0], "Name");
    assert_string_equal(a.last[2], "2,5");
}

static void test_csv_unsupported_sep_is_refused(void **state)
{
    struct csv_opts o = {'\t', 0};
    struct csv_reader *r = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(csv_reader_open_mem("a", 1, "t.csv", &o, &r, &err),
                     NS_ERR_INVALID);
    assert_contains(err.msg, "expected ',' or ';'");
}

static void test_csv_writer_quotes_only_when_needed(void **state)
{
    static const struct csv_field f[] = {
        {"plain", 5}, {"a,b", 3}, {"say \"x\"", 7}, {"l1\nl2", 5},
        {"", 0}, {"a;b", 3},
    };
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    struct readall a;

    (void)state;
    assert_non_null(m);
    assert_int_equal(csv_write_row(m, ',', f, 6), NS_OK);
    fclose(m);
    assert_string_equal(out, "plain,\"a,b\",\"say \"\"x\"\"\",\"l1\nl2\",,"
                        "a;b\n");
    read_str(out, ',', &a);
    assert_int_equal(a.nfields[0], 6);
    assert_string_equal(a.last[0], "a;b");
    free(out);
}

/* Fails each allocation of a whole read in turn: every failure must
 * come back as NS_ERR_NOMEM with a message, never as a crash or a wrong
 * row. */
static void test_csv_each_failed_allocation_is_reported(void **state)
{
#ifdef ALLOC_HOOK
    static const char text[] = "a,b,c\n1,\"x\ny\",3\n4,5,6\n7,8,9";
    long n;

    (void)state;
    for (n = 0; n < 1000; n++) {
        struct csv_reader *r = NULL;
        struct readall a = {0};
        enum ns_err rc;

        alloc_failed = false;
        alloc_left = n;
        rc = csv_reader_open_mem(text, strlen(text), "t.csv", NULL, &r,
                                 &a.err);
        if (rc == NS_OK) {
            read_reader(r, &a);
            csv_reader_close(r);
            rc = a.rc;
        }
        alloc_left = -1;
        if (!alloc_failed) {
            assert_int_equal(rc, NS_DONE);
            assert_int_equal(a.nrows, 4);
            break;
        }
        if (rc != NS_ERR_NOMEM)
            fail_msg("allocation %ld failed but the read gave %d (%s)", n,
                     (int)rc, a.err.msg);
        assert_contains(a.err.msg, "out of memory");
    }
    assert_true(n > 3 && n < 1000);
#else
    (void)state;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoted_comma_stays_in_field),
        cmocka_unit_test(test_csv_plain_flag_only_on_rows_without_quotes),
        cmocka_unit_test(test_csv_fields_lie_back_to_back),
        cmocka_unit_test(test_csv_embedded_newline_keeps_line_numbers),
        cmocka_unit_test(test_csv_crlf_line_ends_are_not_in_fields),
        cmocka_unit_test(test_csv_bom_is_stripped_from_first_name),
        cmocka_unit_test(test_csv_semicolons_are_detected),
        cmocka_unit_test(test_csv_detection_skips_leading_blank_lines),
        cmocka_unit_test(test_csv_commas_win_a_tie_and_quotes_hide_seps),
        cmocka_unit_test(test_csv_explicit_sep_mismatch_suggests_other),
        cmocka_unit_test(test_csv_unterminated_quote_names_start_line),
        cmocka_unit_test(test_csv_text_after_closing_quote_is_error),
        cmocka_unit_test(test_csv_long_record_in_memory_is_refused),
        cmocka_unit_test(test_csv_long_quoted_record_in_file_is_refused),
        cmocka_unit_test(test_csv_default_limit_is_one_mebibyte),
        cmocka_unit_test(test_csv_invalid_utf8_names_byte_and_place),
        cmocka_unit_test(test_csv_utf8_edge_sequences),
        cmocka_unit_test(test_csv_word_scan_sees_every_offset),
        cmocka_unit_test(test_csv_invalid_utf8_in_second_line_of_field),
        cmocka_unit_test(test_csv_empty_input_is_done_at_once),
        cmocka_unit_test(test_csv_header_only_gives_one_row),
        cmocka_unit_test(test_csv_blank_lines_are_skipped),
        cmocka_unit_test(test_csv_spaces_and_empty_fields_are_kept),
        cmocka_unit_test(test_csv_rows_across_chunks_are_whole),
        cmocka_unit_test(test_csv_missing_file_names_path_and_cause),
        cmocka_unit_test(test_csv_file_fixture_reads_like_memory),
        cmocka_unit_test(test_csv_unsupported_sep_is_refused),
        cmocka_unit_test(test_csv_writer_quotes_only_when_needed),
        cmocka_unit_test(test_csv_each_failed_allocation_is_reported),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
