/* Streaming category counts give the same encoders as fitting on a
 * table of the same rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/clean.h"
#include "data/csv.h"
#include "data/generate.h"
#include "data/record.h"
#include "data/schema.h"
#include "data/table.h"
#include "features/catcount.h"
#include "features/encode.h"

static const char fixture[] =
    "Gender,Neighbourhood,Age,No-show\n"
    "F,CENTRO,30,No\n"
    "M,PRAIA,40,Yes\n"
    "F,PRAIA,50,No\n"
    "F,,60,No\n"
    "M,ILHA,20,No\n"
    "M,CENTRO,25,Yes\n";

static const char schema_text[] =
    "schema tiny\n"
    "column Gender categorical missing=keep\n"
    "column Neighbourhood categorical missing=keep\n"
    "column Age numeric min=0 max=115 integer\n"
    "column No-show target positive=Yes negative=No\n";

struct fitted {
    char *from_table;
    char *from_counts;
};

/* Feeds every row of text to a table and to a counter, then fits both. */
static void fit_both(const struct schema *s, const char *text, size_t len,
                     struct fitted *out)
{
    struct ns_error err = {0};
    struct csv_reader *rd = NULL;
    struct schema_binding *b = NULL;
    struct table *t = NULL;
    struct catcount *c = NULL;
    struct record *rec = record_new(s);
    struct encoders *e1 = NULL, *e2 = NULL;
    const struct csv_row *row;
    enum clean_reason reason;
    json_t *j;

    assert_non_null(rec);
    assert_int_equal(csv_reader_open_mem(text, len, "fixture", NULL, &rd,
                                         &err), NS_OK);
    assert_int_equal(csv_reader_next(rd, &row, &err), NS_OK);
    assert_int_equal(schema_bind(s, row, "fixture", &b, &err), NS_OK);
    assert_int_equal(table_new(s, &t), NS_OK);
    assert_int_equal(catcount_new(s, &c, &err), NS_OK);
    while (csv_reader_next(rd, &row, &err) == NS_OK) {
        if (clean_csv_row(s, b, "fixture", row, true, rec, &reason, &err))
            fail_msg("fixture row dropped: %s", err.msg);
        assert_int_equal(table_append(t, rec), NS_OK);
        assert_int_equal(catcount_add(c, rec, &err), NS_OK);
    }
    assert_int_equal(encoders_fit(t, NULL, 0, &e1, &err), NS_OK);
    if (catcount_fit(c, &e2, &err) != NS_OK)
        fail_msg("catcount_fit failed: %s", err.msg);
    j = encoders_to_json(e1);
    out->from_table = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    j = encoders_to_json(e2);
    out->from_counts = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    encoders_free(e1);
    encoders_free(e2);
    catcount_free(c);
    table_free(t);
    schema_binding_free(b);
    record_free(rec);
    csv_reader_close(rd);
}

static void expect_same(const struct fitted *f)
{
    assert_non_null(f->from_table);
    assert_non_null(f->from_counts);
    if (strcmp(f->from_table, f->from_counts) != 0)
        fail_msg("encoders differ:\n table:  %s\n counts: %s",
                 f->from_table, f->from_counts);
    free(f->from_table);
    free(f->from_counts);
}

static void test_catcount_tiny_file_matches_table_fit(void **state)
{
    struct schema *s = NULL;
    struct fitted f;

    (void)state;
    assert_int_equal(schema_parse(schema_text, strlen(schema_text), "tiny",
                                  &s, NULL), NS_OK);
    fit_both(s, fixture, strlen(fixture), &f);
    /* PRAIA and CENTRO tie at 2: the name breaks the tie. */
    if (strstr(f.from_counts, "[\"CENTRO\",\"PRAIA\",\"ILHA\"]") == NULL)
        fail_msg("expected CENTRO, PRAIA, ILHA: %s", f.from_counts);
    expect_same(&f);
    schema_free(s);
}

static void test_catcount_generated_rows_match_table_fit(void **state)
{
    struct generate_opts o;
    struct schema *s = NULL;
    struct fitted f;
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);

    (void)state;
    assert_non_null(mf);
    generate_opts_default(&o);
    o.rows = 400;
    assert_int_equal(generate_write_csv(&o, mf, "memory", NULL), NS_OK);
    assert_int_equal(fclose(mf), 0);
    assert_int_equal(schema_builtin("doctolib", &s, NULL), NS_OK);
    fit_both(s, text, len, &f);
    expect_same(&f);
    schema_free(s);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catcount_tiny_file_matches_table_fit),
        cmocka_unit_test(test_catcount_generated_rows_match_table_fit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
