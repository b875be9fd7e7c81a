/* Splits, grouped folds, oversampling and SMOTE. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/resample.h"
#include "model/split.h"

#define N 2000

static float y[N];
static uint32_t group[N];
static size_t n_pos;

/* Patients of 1 to 8 appointments; about a fifth of them miss, and a
 * patient who missed once tends to miss again. */
static int setup(void **state)
{
    struct split_rng r;
    uint32_t g = 1000;
    size_t i = 0;

    (void)state;
    split_rng_seed(&r, 5);
    while (i < N) {
        size_t size = 1 + (size_t)split_rng_below(&r, 8);
        double rate = split_rng_uniform(&r) < 0.3 ? 0.6 : 0.08;

        for (size_t j = 0; j < size && i < N; j++, i++) {
            group[i] = g * 7919u;   /* ids neither dense nor sorted */
            y[i] = split_rng_uniform(&r) < rate ? 1.0f : 0.0f;
            n_pos += y[i] > 0.5f;
        }
        g = (g * 48271u) % 2147483647u;
    }
    return 0;
}

static void test_rng_is_seeded_and_bounded(void **state)
{
    struct split_rng a, b;

    (void)state;
    split_rng_seed(&a, 42);
    split_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) {
        uint64_t v = split_rng_below(&a, 7);
        double u = split_rng_uniform(&a);

        assert_true(v < 7);
        assert_true(u >= 0 && u < 1);
        assert_int_equal(v, split_rng_below(&b, 7));
        assert_true(u == split_rng_uniform(&b));
    }
    /* First splitmix64 output for seed 0, from the published reference
     * sequence. */
    split_rng_seed(&a, 0);
    assert_true(split_rng_next(&a) == 0xe220a8397b1dcdafULL);
}

static size_t positives(const size_t *idx, size_t n)
{
    size_t p = 0;

    for (size_t i = 0; i < n; i++)
        p += y[idx[i]] > 0.5f;
    return p;
}

static void test_stratified_split_keeps_the_rate(void **state)
{
    struct split_indices s, again;
    unsigned char seen[N] = {0};
    double rate = (double)n_pos / N;

    (void)state;
    assert_int_equal(split_stratified(y, N, 0.25, 42, &s, NULL), NS_OK);
    assert_int_equal(s.n_train + s.n_test, N);
    if (fabs((double)positives(s.test, s.n_test) / s.n_test - rate) > 0.002)
        fail_msg("test rate %g vs overall %g",
                 (double)positives(s.test, s.n_test) / s.n_test, rate);
    assert_int_equal(positives(s.test, s.n_test),
                     (size_t)llround(0.25 * n_pos));
    for (size_t i = 0; i < s.n_train; i++)
        seen[s.train[i]]++;
    for (size_t i = 0; i < s.n_test; i++)
        seen[s.test[i]]++;
    for (size_t i = 0; i < N; i++)
        if (seen[i] != 1)
            fail_msg("row %zu appears %d times across the sides", i,
                     seen[i]);
    for (size_t i = 1; i < s.n_test; i++)
        assert_true(s.test[i] > s.test[i - 1]);

    assert_int_equal(split_stratified(y, N, 0.25, 42, &again, NULL), NS_OK);
    assert_memory_equal(s.test, again.test, s.n_test * sizeof(size_t));
    split_indices_free(&again);
    assert_int_equal(split_stratified(y, N, 0.25, 43, &again, NULL), NS_OK);
    if (memcmp(s.test, again.test, s.n_test * sizeof(size_t)) == 0)
        fail_msg("seeds 42 and 43 gave the same split");
    split_indices_free(&again);
    split_indices_free(&s);
    assert_int_equal(split_stratified(y, N, 1.0, 42, &s, NULL),
                     NS_ERR_INVALID);
}

static void test_time_split_cuts_at_the_day(void **state)
{
    static const int32_t day[6] = {16900, 16930, 16905, 16931, 16931, 16929};
    struct split_indices s;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(split_by_time(day, 6, 16930, &s, NULL), NS_OK);
    assert_int_equal(s.n_train, 3);
    assert_int_equal(s.n_test, 3);
    assert_int_equal(s.train[2], 5);
    assert_int_equal(s.test[0], 1);
    split_indices_free(&s);
    assert_int_equal(split_by_time(day, 6, 16932, &s, &err),
                     NS_ERR_INVALID);
    if (!strstr(err.msg, "16900 to 16931"))
        fail_msg("message does not give the day range: %s", err.msg);
}

static void test_grouped_folds_never_split_a_group(void **state)
{
    static int fold[N], again[N];
    size_t rows[5] = {0}, pos[5] = {0};
    double rate = (double)n_pos / N;

    (void)state;
    assert_int_equal(split_kfold_grouped(y, group, N, 5, 9, fold, NULL),
                     NS_OK);
    for (size_t i = 0; i < N; i++) {
        assert_true(fold[i] >= 0 && fold[i] < 5);
        rows[fold[i]]++;
        pos[fold[i]] += y[i] > 0.5f;
        for (size_t j = i + 1; j < N; j++)
            if (group[j] == group[i] && fold[j] != fold[i])
                fail_msg("group of rows %zu and %zu is in folds %d and %d",
                         i, j, fold[i], fold[j]);
    }
    for (int f = 0; f < 5; f++) {
        if (fabs((double)pos[f] / rows[f] - rate) > 0.01)
            fail_msg("fold %d rate %g vs overall %g", f,
                     (double)pos[f] / rows[f], rate);
        if (rows[f] < N / 5 - 20 || rows[f] > N / 5 + 20)
            fail_msg("fold %d has %zu rows, expected about %d", f, rows[f],
                     N / 5);
    }
    assert_int_equal(split_kfold_grouped(y, group, N, 5, 9, again, NULL),
                     NS_OK);
    assert_memory_equal(fold, again, sizeof(fold));
}

static void test_fold_indices_partition_rows(void **state)
{
    static int fold[N];
    struct split_indices s;
    size_t total = 0;

    (void)state;
    assert_int_equal(split_kfold_grouped(y, group, N, 4, 1, fold, NULL),
                     NS_OK);
    for (int f = 0; f < 4; f++) {
        assert_int_equal(split_fold_indices(fold, N, f, &s, NULL), NS_OK);
        assert_int_equal(s.n_train + s.n_test, N);
        for (size_t i = 0; i < s.n_test; i++)
            assert_int_equal(fold[s.test[i]], f);
        total += s.n_test;
        split_indices_free(&s);
    }
    assert_int_equal(total, N);
}

static void test_too_many_folds_is_refused(void **state)
{
    static const float y3[3] = {0, 1, 0};
    static const uint32_t g3[3] = {7, 7, 8};
    struct ns_error err = {0};
    int fold[3];

    (void)state;
    assert_int_equal(split_kfold_grouped(y3, g3, 3, 3, 1, fold, &err),
                     NS_ERR_INVALID);
    if (!strstr(err.msg, "only 2 groups"))
        fail_msg("unclear message: %s", err.msg);
    assert_int_equal(split_kfold_grouped(y3, g3, 3, 1, 1, fold, &err),
                     NS_ERR_INVALID);
}

static void test_oversampling_reaches_the_ratio(void **state)
{
    size_t *idx = NULL, m = 0, add_pos;

    (void)state;
    assert_int_equal(resample_oversample(y, N, 1.0, 42, &idx, &m, NULL),
                     NS_OK);
    assert_int_equal(m, 2 * (N - n_pos));
    for (size_t i = 0; i < N; i++)
        assert_int_equal(idx[i], i);    /* originals kept, in order */
    add_pos = positives(idx + N, m - N);
    assert_int_equal(add_pos, m - N);   /* only minority rows added */
    free(idx);

    assert_int_equal(resample_oversample(y, N, 0.5, 42, &idx, &m, NULL),
                     NS_OK);
    assert_int_equal(positives(idx, m),
                     (size_t)llround(0.5 * (double)(N - n_pos)));
    free(idx);
    assert_int_equal(resample_oversample(y, N, 1.5, 42, &idx, &m, NULL),
                     NS_ERR_INVALID);
}

static void test_take_copies_the_rows(void **state)
{
    static const float X[6] = {1, 2, 3, 4, 5, 6};
    static const float yy[3] = {0, 1, 0};
    static const size_t idx[4] = {2, 0, 1, 1};
    float *xo = NULL, *yo = NULL;

    (void)state;
    assert_int_equal(resample_take(X, yy, 2, idx, 4, &xo, &yo, NULL),
                     NS_OK);
    assert_true(xo[0] == 5 && xo[1] == 6 && xo[2] == 1 && xo[7] == 4);
    assert_true(yo[0] == 0 && yo[2] == 1 && yo[3] == 1);
    free(xo);
    free(yo);
}

/* Minority rows at x = 0, 1, 2 and 10, 11: with k = 1 every synthetic
 * row stays inside [0, 2] or [10, 11], never in the gap between. */
static void test_smote_interpolates_between_near_neighbours(void **state)
{
    float X[20 * 2], yy[20];
    static const float xs[5] = {0, 1, 2, 10, 11};
    float *xo = NULL, *yo = NULL;
    size_t m = 0;

    (void)state;
    for (size_t i = 0; i < 20; i++) {
        X[2 * i] = i < 5 ? xs[i] : 5.0f + (float)i;
        X[2 * i + 1] = i == 2 ? NAN : 0.5f;
        yy[i] = i < 5 ? 1.0f : 0.0f;
    }
    assert_int_equal(resample_smote(X, yy, 20, 2, 1.0, 1, 3, &xo, &yo, &m,
                                    NULL), NS_OK);
    assert_int_equal(m, 30);
    assert_memory_equal(xo, X, sizeof(X));
    for (size_t i = 20; i < m; i++) {
        float v = xo[2 * i];

        assert_true(yo[i] == 1.0f);
        if (!((v >= 0 && v <= 2) || (v >= 10 && v <= 11)))
            fail_msg("synthetic row %zu at x=%g lies in the gap", i, v);
        if (!(xo[2 * i + 1] == 0.5f || isnan(xo[2 * i + 1])))
            fail_msg("synthetic row %zu: second feature %g", i,
                     xo[2 * i + 1]);
    }
    free(xo);
    free(yo);
}

static void test_smote_reaches_the_ratio_deterministically(void **state)
{
    static float X[N * 3];
    float *a = NULL, *ya = NULL, *b = NULL, *yb = NULL;
    size_t ma = 0, mb = 0;
    struct split_rng r;

    (void)state;
    split_rng_seed(&r, 11);
    for (size_t i = 0; i < N * 3; i++)
        X[i] = (float)split_rng_uniform(&r);
    assert_int_equal(resample_smote(X, y, N, 3, 1.0, 5, 8, &a, &ya, &ma,
                                    NULL), NS_OK);
    assert_int_equal(resample_smote(X, y, N, 3, 1.0, 5, 8, &b, &yb, &mb,
                                    NULL), NS_OK);
    assert_int_equal(ma, 2 * (N - n_pos));
    assert_int_equal(ma, mb);
    assert_memory_equal(a, b, ma * 3 * sizeof(float));
    free(a);
    free(ya);
    free(b);
    free(yb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_is_seeded_and_bounded),
        cmocka_unit_test(test_stratified_split_keeps_the_rate),
        cmocka_unit_test(test_time_split_cuts_at_the_day),
        cmocka_unit_test(test_grouped_folds_never_split_a_group),
        cmocka_unit_test(test_fold_indices_partition_rows),
        cmocka_unit_test(test_too_many_folds_is_refused),
        cmocka_unit_test(test_oversampling_reaches_the_ratio),
        cmocka_unit_test(test_take_copies_the_rows),
        cmocka_unit_test(test_smote_interpolates_between_near_neighbours),
        cmocka_unit_test(test_smote_reaches_the_ratio_deterministically),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
