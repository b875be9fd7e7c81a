/* Row batches: rows copied out of the reader keep their fields, lines
 * and plain flags after the reader has moved on, across a clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "data/rowbatch.h"

static const char text[] =
    "a,b,c\n"
    "1,two,3\n"
    "\"x,y\",\"multi\nline\",\n"
    "4,,6\n";

static void fill(struct row_batch *b, struct csv_reader *rd)
{
    const struct csv_row *row;
    struct ns_error err = {0};

    while (!row_batch_full(b) && csv_reader_next(rd, &row, &err) == NS_OK)
        assert_int_equal(row_batch_add(b, row), NS_OK);
    row_batch_seal(b);
}

static void test_rowbatch_keeps_rows_after_the_reader_moves(void **state)
{
    struct csv_reader *rd;
    struct ns_error err = {0};
    struct row_batch *b = row_batch_new(3);
    const struct csv_row *r;

    (void)state;
    assert_non_null(b);
    assert_int_equal(csv_reader_open_mem(text, strlen(text), "t.csv", NULL,
                                         &rd, &err), NS_OK);
    fill(b, rd);
    assert_int_equal(b->n, 3);
    assert_true(row_batch_full(b));
    r = &b->rows[0];
    assert_int_equal(r->nfields, 3);
    assert_string_equal(r->fields[0].ptr, "a");
    r = &b->rows[2];
    assert_int_equal(r->line, 3);
    assert_false(r->plain);
    assert_string_equal(r->fields[0].ptr, "x,y");
    assert_string_equal(r->fields[1].ptr, "multi\nline");
    assert_int_equal(r->fields[2].len, 0);
    assert_string_equal(r->fields[2].ptr, "");
    row_batch_clear(b);
    fill(b, rd);
    assert_int_equal(b->n, 1);
    assert_int_equal(b->rows[0].line, 5);
    assert_string_equal(b->rows[0].fields[2].ptr, "6");
    assert_int_equal(b->rows[0].fields[1].len, 0);
    csv_reader_close(rd);
    row_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rowbatch_keeps_rows_after_the_reader_moves),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
