/* Row fates on disk against the in-memory history index: the same
 * stats for every kept row, duplicates found whatever their reason and
 * taken back from the category counts, rows without a day asking their
 * patient's group, and enough rows that the buckets go through the
 * temporary file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "features/history.h"
#include "features/rowfate.h"
#include "util/timeutil.h"

#define ROWS 60000
#define T0 1451606400LL   /* 2016-01-01T00:00:00Z */

struct row {
    char patient[16];
    int64_t booked_at;
    int32_t appt_day;
    int label;
    int dup_of;          /* -1, or 1 for a copy of an earlier row */
    enum clean_reason reason;
};

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Patients with a few rows each, some exact repeats, some bad rows, and
 * some rows without an appointment day. */
static void make_rows(struct row *r, size_t n)
{
    uint64_t s = 7;

    for (size_t i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].dup_of = -1;
        if (i > 10 && next(&s) % 50 == 0) {
            r[i] = r[next(&s) % i];
            r[i].dup_of = 1;
            continue;
        }
        snprintf(r[i].patient, sizeof(r[i].patient), "P%llu",
                 (unsigned long long)(next(&s) % (n / 3)));
        r[i].booked_at = T0 + (int64_t)(next(&s) % (150 * 86400));
        r[i].appt_day = ns_day_of(r[i].booked_at) +
                        (int32_t)(next(&s) % 30);
        r[i].label = (int)(next(&s) % 3) - 1;
        r[i].reason = next(&s) % 40 == 0 ? CLEAN_BAD_VALUE : CLEAN_OK;
        if (next(&s) % 60 == 0)
            r[i].appt_day = NS_DAY_NONE;
    }
}

/* A row's fingerprint: equal for equal rows, as clean_row_fp gives. */
static struct clean_fp fp_of(const struct row *r)
{
    char text[96];
    int n = snprintf(text, sizeof(text), "%s|%lld|%d|%d|%d", r->patient,
                     (long long)r->booked_at, r->appt_day, r->label,
                     (int)r->reason);

    return clean_text_fp(text, (size_t)n);
}

static bool kept(const struct row *r)
{
    return r->reason == CLEAN_OK;
}

static void find_dups(const struct row *r, size_t n, bool *dup)
{
    static struct clean_fp fp[ROWS];

    for (size_t i = 0; i < n; i++)
        fp[i] = fp_of(&r[i]);
    for (size_t i = 0; i < n; i++) {
        dup[i] = false;
        for (size_t j = 0; r[i].dup_of >= 0 && j < i && !dup[i]; j++)
            dup[i] = fp[i].a == fp[j].a && fp[i].b == fp[j].b;
    }
}

static void same_stats(const struct history_stats *x,
                       const struct history_stats *y, size_t row)
{
    const double *a = (const double *)x;
    const double *b = (const double *)y;

    for (size_t k = 0; k < sizeof(*x) / sizeof(double); k++) {
        if (isnan(a[k]) && isnan(b[k]))
            continue;
        if (a[k] != b[k])
            fail_msg("row %zu, stat %zu: %g, expected %g", row, k, a[k],
                     b[k]);
    }
}

/* Scoring keeps every row: rows added to ask only (every one whose
 * fingerprint is a multiple of 7 here) get their stats without joining
 * the history the others see. */
static bool asks_only(const struct row *r)
{
    return fp_of(r).a % 7 == 0;
}

/* scoring: some rows only ask (asks_only()). */
static void add_all(struct rowfate *f, const struct row *r, size_t n,
                    bool scoring)
{
    struct ns_error err = {0};

    for (size_t i = 0; i < n; i++) {
        struct rowfate_row fr;

        memset(&fr, 0, sizeof(fr));
        fr.fp = fp_of(&r[i]);
        fr.reason = r[i].reason;
        if (kept(&r[i])) {
            fr.patient = r[i].patient;
            fr.booked_at = r[i].booked_at;
            fr.appt_day = r[i].appt_day;
            fr.label = (int8_t)r[i].label;
            fr.query_only = scoring && asks_only(&r[i]);
        }
        assert_int_equal(rowfate_add(f, &fr, &err), NS_OK);
    }
}

/* The expected stats: an in-memory index over the first copy of every
 * kept row that has a day (and, scoring, does not only ask). */
static struct history_index *expected_index(const struct row *r, size_t n,
                                            const bool *dup, bool scoring)
{
    struct history_index *h = history_index_new();

    assert_non_null(h);
    for (size_t i = 0; i < n; i++) {
        if (dup[i] || !kept(&r[i]) || r[i].appt_day == NS_DAY_NONE ||
            (scoring && asks_only(&r[i])))
            continue;
        assert_int_equal(history_index_add(h, r[i].patient, r[i].booked_at,
                                           r[i].appt_day, r[i].label),
                         NS_OK);
    }
    assert_int_equal(history_index_finish(h), NS_OK);
    return h;
}

static struct row rows[ROWS];
static bool dups[ROWS];

struct both {
    struct history_index *h;
    struct rowfate *f;
};

/* The rows through rowfate, and the index that says what it must give.
 * A tiny file size gives 16 buckets of 64 KiB: the 60,000 rows (2.9 MB,
 * then 6 MB of results) go through the temporary file. */
static void prepare(struct both *b, bool scoring)
{
    struct ns_error err = {0};

    make_rows(rows, ROWS);
    find_dups(rows, ROWS, dups);
    b->h = expected_index(rows, ROWS, dups, scoring);
    assert_int_equal(rowfate_new(0, 64, &b->f, &err), NS_OK);
    add_all(b->f, rows, ROWS, scoring);
    if (scoring)
        rowfate_dups_ask(b->f);
    assert_int_equal(rowfate_finish(b->f, NULL, &err), NS_OK);
}

/* Row i's fate, with its stats checked against the index's. */
static struct rowfate_fate fate_of(const struct both *b, size_t i)
{
    struct history_source src = history_index_source(b->h);
    struct history_query q = {rows[i].patient, rows[i].booked_at,
                              rows[i].appt_day};
    struct ns_error err = {0};
    struct rowfate_fate got;
    struct history_stats want;

    assert_int_equal(rowfate_get(b->f, i, &got, &err), NS_OK);
    if (got.has_stats) {
        assert_int_equal(got.booked_at, rows[i].booked_at);
        assert_int_equal(src.stats(src.ctx, &q, &want, &err), NS_OK);
        same_stats(&got.stats, &want, i);
    }
    return got;
}

static void test_rowfate_matches_the_index(void **state)
{
    struct both b;
    size_t ndup = 0, first = SIZE_MAX;

    (void)state;
    prepare(&b, false);
    for (size_t i = 0; i < ROWS; i++) {
        struct rowfate_fate got = fate_of(&b, i);

        assert_int_equal(got.duplicate, dups[i]);
        assert_int_equal(got.has_stats, !dups[i] && kept(&rows[i]));
        ndup += dups[i];
        if (dups[i] && i < first)
            first = i;
    }
    assert_true(ndup > 100);
    assert_int_equal(rowfate_duplicates(b.f, CLEAN_OK) +
                     rowfate_duplicates(b.f, CLEAN_BAD_VALUE), ndup);
    assert_int_equal(rowfate_first_duplicate(b.f), first);
    assert_int_equal(rowfate_patients(b.f), history_index_patients(b.h));
    rowfate_free(b.f);
    history_index_free(b.h);
}

/* With rowfate_dups_ask() a repeat gets the stats the index gives it;
 * rows that only ask get them from an index without them. */
static void test_rowfate_scoring_rows_match_the_index(void **state)
{
    struct both b;
    size_t asked = 0, repeats = 0;

    (void)state;
    prepare(&b, true);
    for (size_t i = 0; i < ROWS; i++) {
        struct rowfate_fate got = fate_of(&b, i);

        assert_false(got.duplicate);
        assert_int_equal(got.has_stats, kept(&rows[i]));
        asked += kept(&rows[i]) && asks_only(&rows[i]);
        repeats += kept(&rows[i]) && dups[i];
    }
    assert_true(asked > 1000 && repeats > 100);
    rowfate_free(b.f);
    history_index_free(b.h);
}

/* Each duplicate of a kept row gives its category codes back. */
static void test_rowfate_duplicates_leave_the_counts(void **state)
{
    struct rowfate *f;
    struct ns_error err = {0};
    struct rowfate_row fr;
    uint32_t codes[2][1] = {{5}, {7}};
    struct rowfate_fate got;

    (void)state;
    assert_int_equal(rowfate_new(1, 0, &f, &err), NS_OK);
    for (int i = 0; i < 4; i++) {
        memset(&fr, 0, sizeof(fr));
        fr.fp = clean_text_fp(i % 2 ? "b" : "a", 1);
        fr.codes = codes[i % 2];
        assert_int_equal(rowfate_add(f, &fr, &err), NS_OK);
    }
    /* No counter given: the duplicates are still found. */
    assert_int_equal(rowfate_finish(f, NULL, &err), NS_OK);
    assert_int_equal(rowfate_duplicates(f, CLEAN_OK), 2);
    assert_int_equal(rowfate_first_duplicate(f), 2);
    assert_int_equal(rowfate_get(f, 1, &got, &err), NS_OK);
    assert_false(got.duplicate);
    assert_int_equal(rowfate_get(f, 3, &got, &err), NS_OK);
    assert_true(got.duplicate);
    rowfate_free(f);
}

/* A row booked after its own day never passed cleaning: refused. */
static void test_rowfate_refuses_a_negative_lead(void **state)
{
    struct rowfate *f;
    struct ns_error err = {0};
    struct rowfate_row fr;

    (void)state;
    memset(&fr, 0, sizeof(fr));
    fr.fp = clean_text_fp("x", 1);
    fr.patient = "P";
    fr.booked_at = T0 + 5 * 86400;
    fr.appt_day = ns_day_of(T0);
    assert_int_equal(rowfate_new(0, 0, &f, &err), NS_OK);
    assert_int_equal(rowfate_add(f, &fr, &err), NS_OK);
    assert_int_equal(rowfate_finish(f, NULL, &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "data row 1: booked after"));
    rowfate_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rowfate_matches_the_index),
        cmocka_unit_test(test_rowfate_scoring_rows_match_the_index),
        cmocka_unit_test(test_rowfate_duplicates_leave_the_counts),
        cmocka_unit_test(test_rowfate_refuses_a_negative_lead),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
