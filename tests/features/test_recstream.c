/* Clean rows through the temporary file come back as the features see
 * them: same instants, label, line, ids, numbers as floats and the
 * category values behind the codes, over more rows than one buffer. */
#include <math.h>
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
#include "features/catcount.h"
#include "features/recstream.h"

#define ROWS 12000

/* What one row must decode to, copied before the reader moves on. */
struct want {
    long line;
    int64_t booked_at;
    int32_t appt_day, appt_time;
    int label;
    char id[32];
    float *num;
    char **text;
    uint32_t codes[64];
};

struct fixture {
    struct schema *s;
    struct catcount *cc;
    struct recstream *rs;
    struct want *w;
    size_t n;
    char *csv;
};

static void want_copy(struct want *w, const struct record *r)
{
    w->line = r->line;
    w->booked_at = r->booked_at;
    w->appt_day = r->appt_day;
    w->appt_time = r->appt_time;
    w->label = r->label;
    snprintf(w->id, sizeof(w->id), "%s", r->appt_id);
    w->num = calloc(r->ncols, sizeof(*w->num));
    w->text = calloc(r->ncols, sizeof(*w->text));
    assert_non_null(w->num);
    assert_non_null(w->text);
    for (size_t c = 0; c < r->ncols; c++) {
        w->num[c] = (float)r->num[c];
        w->text[c] = r->text[c] ? strdup(r->text[c]) : NULL;
    }
}

/* Cleans generated rows and puts every kept one in the stream, with
 * ids of its own so each row is told apart. */
static void fill(struct fixture *fx)
{
    struct generate_opts o;
    struct ns_error err = {0};
    struct csv_reader *rd = NULL;
    struct schema_binding *b = NULL;
    struct record *rec;
    const struct csv_row *row;
    enum clean_reason reason;
    size_t len = 0;
    FILE *mf = open_memstream(&fx->csv, &len);
    uint32_t codes[64];

    assert_non_null(mf);
    generate_opts_default(&o);
    o.rows = ROWS;
    assert_int_equal(generate_write_csv(&o, mf, "memory", NULL), NS_OK);
    assert_int_equal(fclose(mf), 0);
    assert_int_equal(schema_builtin("doctolib", &fx->s, NULL), NS_OK);
    rec = record_new(fx->s);
    assert_non_null(rec);
    assert_int_equal(catcount_new(fx->s, &fx->cc, &err), NS_OK);
    assert_true(catcount_columns(fx->cc) <= 64);
    assert_int_equal(recstream_new(fx->s, &fx->rs, &err), NS_OK);
    fx->w = calloc(ROWS, sizeof(*fx->w));
    assert_non_null(fx->w);
    assert_int_equal(csv_reader_open_mem(fx->csv, len, "memory", NULL, &rd,
                                         &err), NS_OK);
    assert_int_equal(csv_reader_next(rd, &row, &err), NS_OK);
    assert_int_equal(schema_bind(fx->s, row, "memory", &b, &err), NS_OK);
    for (size_t i = 0; csv_reader_next(rd, &row, &err) == NS_OK; i++) {
        char id[32];

        if (clean_csv_row(fx->s, b, "memory", row, true, rec, &reason,
                          &err) != NS_OK)
            continue;
        snprintf(id, sizeof(id), "A-%zu%s", i, i % 3 ? "" : "-long-id");
        rec->appt_id = id;
        assert_int_equal(catcount_add_coded(fx->cc, rec, codes, &err), NS_OK);
        want_copy(&fx->w[fx->n], rec);
        memcpy(fx->w[fx->n].codes, codes, sizeof(codes));
        if (recstream_put(fx->rs, i, rec, codes, &err) != NS_OK)
            fail_msg("put: %s", err.msg);
        fx->n++;
    }
    assert_true(fx->n > ROWS / 2);
    csv_reader_close(rd);
    schema_binding_free(b);
    record_free(rec);
}

static void expect_row(const struct fixture *fx, const struct want *w,
                       const struct record *r)
{
    assert_int_equal(r->line, w->line);
    assert_int_equal(r->booked_at, w->booked_at);
    assert_int_equal(r->appt_day, w->appt_day);
    assert_int_equal(r->appt_time, w->appt_time);
    assert_int_equal(r->label, w->label);
    assert_string_equal(r->appt_id, w->id);
    for (size_t c = 0; c < fx->s->ncols; c++) {
        enum schema_role role = fx->s->cols[c].role;

        if (role == ROLE_BINARY || role == ROLE_NUMERIC) {
            if (isnan(w->num[c]))
                assert_true(isnan(r->num[c]));
            else
                assert_true(r->num[c] == (double)w->num[c]);
        } else if (role == ROLE_CATEGORICAL && w->text[c] == NULL) {
            assert_null(r->text[c]);
        } else if (role == ROLE_CATEGORICAL) {
            assert_non_null(r->text[c]);
            assert_string_equal(r->text[c], w->text[c]);
        }
    }
}

static void free_fixture(struct fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++) {
        for (size_t c = 0; c < fx->s->ncols; c++)
            free(fx->w[i].text[c]);
        free(fx->w[i].text);
        free(fx->w[i].num);
    }
    free(fx->w);
    recstream_free(fx->rs);
    catcount_free(fx->cc);
    schema_free(fx->s);
    free(fx->csv);
}

static void test_recstream_rows_round_trip(void **state)
{
    struct fixture fx = {0};
    struct ns_error err = {0};
    struct ns_buf b = NS_BUF_INIT;
    struct record *rec;
    size_t at, ordinal, got = 0, last = 0;
    uint32_t codes[64];
    enum ns_err rc;

    (void)state;
    fill(&fx);
    rec = record_new(fx.s);
    assert_non_null(rec);
    assert_int_equal(recstream_rewind(fx.rs, &err), NS_OK);
    while ((rc = recstream_next(fx.rs, &b, &at, &ordinal, &err)) == NS_OK) {
        assert_true(got < fx.n);
        assert_true(got == 0 || ordinal > last);
        last = ordinal;
        recstream_decode(fx.rs, b.data + at, fx.cc, rec, codes);
        assert_memory_equal(codes, fx.w[got].codes,
                            catcount_columns(fx.cc) * sizeof(*codes));
        expect_row(&fx, &fx.w[got++], rec);
        ns_buf_reset(&b);
    }
    assert_int_equal(rc, NS_DONE);
    assert_int_equal(got, fx.n);
    ns_buf_free(&b);
    record_free(rec);
    free_fixture(&fx);
}

static void test_recstream_refuses_an_id_over_64k(void **state)
{
    struct schema *s = NULL;
    struct recstream *rs = NULL;
    struct record *rec;
    struct ns_error err = {0};
    uint32_t codes[64] = {0};
    char *id = malloc(70000);

    (void)state;
    assert_non_null(id);
    memset(id, 'x', 69999);
    id[69999] = '\0';
    assert_int_equal(schema_builtin("doctolib", &s, NULL), NS_OK);
    rec = record_new(s);
    assert_non_null(rec);
    rec->line = 7;
    rec->appt_id = id;
    assert_int_equal(recstream_new(s, &rs, &err), NS_OK);
    assert_int_equal(recstream_put(rs, 5, rec, codes, &err),
                     NS_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "line 7"));
    assert_non_null(strstr(err.msg, "69999 bytes"));
    recstream_free(rs);
    record_free(rec);
    schema_free(s);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recstream_rows_round_trip),
        cmocka_unit_test(test_recstream_refuses_an_id_over_64k),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
