/* The feature pipeline: the feature list, every feature's value on
 * hand-made rows, JSON, and that history never reads the future. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "data/table.h"
#include "features/pipeline.h"
#include "support/alloc_hook.h"
#include "support/hand_schema.h"

enum {
    F_GENDER, F_AGE, F_HOOD, F_SMS, F_LEAD, F_APPT_WD, F_BOOK_HOUR,
    F_BOOK_WD, F_SAME_DAY, F_PRIOR, F_NOSHOWS, F_RATE, F_SINCE, F_HELD,
    F_B30, F_SINCE_BOOKING, F_TODAY, F_PREV_LEAD, F_SAME_APPT,
    F_COUNT
};

struct fixture {
    struct schema *s;
    struct table *t;
    struct encoders *e;
    struct pipeline *p;
    struct record *r;
};

static int setup(void **state)
{
    static const struct pipeline_opts o = {true, true};
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->s = hand_schema(hand_kaggle_cols, HC_NCOLS);
    if (f->s == NULL || table_new(f->s, &f->t) != NS_OK)
        return -1;
    f->r = record_new(f->s);
    if (f->r == NULL)
        return -1;
    hand_row(f->r, "1", "2016-04-29T08:00:00Z", "2016-05-02", 40, "F",
             "CENTRO", 0);
    if (table_append(f->t, f->r) != NS_OK)
        return -1;
    hand_row(f->r, "2", "2016-04-29T08:00:00Z", "2016-05-02", 40, "M",
             "PRAIA", 0);
    if (table_append(f->t, f->r) != NS_OK ||
        encoders_fit(f->t, NULL, 0, &f->e, NULL) != NS_OK)
        return -1;
    *state = f;
    return pipeline_new(f->s, f->e, &o, &f->p, NULL) == NS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    pipeline_free(f->p);
    encoders_free(f->e);
    record_free(f->r);
    table_free(f->t);
    hand_schema_free(f->s);
    free(f);
    return 0;
}

static void test_pipeline_lists_features_with_names_and_groups(void **state)
{
    static const char *const names[F_COUNT] = {
        "gender", "age", "neighbourhood", "sms_received", "lead_days",
        "appt_weekday", "booking_hour", "booking_weekday", "same_day",
        "hist_prior_appts", "hist_prior_noshows", "hist_noshow_rate",
        "hist_days_since_last", "hist_held_appts", "hist_bookings_30d",
        "hist_days_since_booking", "hist_bookings_today",
        "hist_prev_lead", "hist_same_day_appts",
    };
    static const char *const groups[F_COUNT] = {
        "gender", "age", "neighbourhood", "SMS reminder", "lead time",
        "appointment day", "booking time", "booking time", "lead time",
        "patient history", "patient history", "patient history",
        "patient history", "booking context", "booking context",
        "booking context", "booking context", "booking context",
        "booking context",
    };
    struct fixture *f = *state;

    assert_int_equal(pipeline_nfeatures(f->p), F_COUNT);
    assert_true(pipeline_uses_history(f->p));
    for (size_t i = 0; i < F_COUNT; i++) {
        const struct feature *ft = pipeline_feature(f->p, i);

        assert_string_equal(ft->name, names[i]);
        assert_string_equal(ft->group, groups[i]);
    }
    assert_int_equal(pipeline_feature(f->p, F_AGE)->col, HC_AGE);
    assert_int_equal(pipeline_feature(f->p, F_HOOD)->kind, FEAT_CATEGORY);
    assert_int_equal(pipeline_feature(f->p, F_LEAD)->col, -1);
    assert_null(pipeline_feature(f->p, F_COUNT));
}

static void features_of(struct fixture *f, float *out, int *unknown)
{
    struct ns_error err = {0};

    if (pipeline_row(f->p, f->r, NULL, out, unknown, &err) != NS_OK)
        fail_msg("pipeline_row failed: %s", err.msg);
}

static void test_pipeline_time_features_across_month_end(void **state)
{
    struct fixture *f = *state;
    float x[F_COUNT];
    int unknown = -1;

    /* Friday evening booking for the Monday after the month ends. */
    hand_row(f->r, "9", "2016-04-29T18:38:08Z", "2016-05-02", 62, "M",
             "PRAIA", 0);
    f->r->num[HC_SMS] = 1;
    features_of(f, x, &unknown);
    assert_int_equal(unknown, 0);
    assert_true(x[F_GENDER] == 1.0f && x[F_HOOD] == 1.0f);
    assert_true(x[F_AGE] == 62.0f && x[F_SMS] == 1.0f);
    assert_true(x[F_LEAD] == 3.0f);
    assert_true(x[F_APPT_WD] == 0.0f);
    assert_true(x[F_BOOK_HOUR] == 18.0f);
    assert_true(x[F_BOOK_WD] == 4.0f);
    assert_true(x[F_SAME_DAY] == 0.0f);
    /* No history source: a first-time patient. */
    assert_true(x[F_PRIOR] == 0.0f && x[F_HELD] == 0.0f);
    assert_true(isnan(x[F_RATE]) && isnan(x[F_SINCE]));
}

static void test_pipeline_same_day_booking_has_lead_zero(void **state)
{
    struct fixture *f = *state;
    float x[F_COUNT];

    hand_row(f->r, "9", "2016-05-02T23:59:59Z", "2016-05-02", 62, "F",
             "CENTRO", 0);
    features_of(f, x, NULL);
    assert_true(x[F_LEAD] == 0.0f);
    assert_true(x[F_SAME_DAY] == 1.0f);
    assert_true(x[F_BOOK_HOUR] == 23.0f);
    assert_true(x[F_BOOK_WD] == 0.0f);
}

static void test_pipeline_unknown_categories_are_counted(void **state)
{
    struct fixture *f = *state;
    float x[F_COUNT];
    int unknown = 0;

    hand_row(f->r, "9", "2016-05-02T10:00:00Z", "2016-05-03", 62, "X",
             "NOVA", 0);
    features_of(f, x, &unknown);
    assert_int_equal(unknown, 2);
    assert_true(x[F_GENDER] == 2.0f);
    assert_true(x[F_HOOD] == 2.0f);
}

/* Codes found ahead of the row give the same vector and the same count
 * of unknown categories as the text: known, unknown and missing. */
static void test_pipeline_coded_row_matches_text(void **state)
{
    struct fixture *f = *state;
    struct history_stats hs;
    float want[F_COUNT], got[F_COUNT];
    double cat[HC_NCOLS];
    int uw = -1, ug = -1;

    history_stats_empty(&hs);
    hand_row(f->r, "9", "2016-05-02T10:00:00Z", "2016-05-03", 62, "X",
             NULL, 0);
    for (size_t c = 0; c < HC_NCOLS; c++)
        cat[c] = encoders_code(f->e, (int)c, f->r->text[c], NULL);
    pipeline_row_stats(f->p, f->r, &hs, want, &uw);
    f->r->text[HC_GENDER] = "something else";
    pipeline_row_coded(f->p, f->r, cat, &hs, got, &ug);
    assert_int_equal(uw, 1);
    assert_int_equal(ug, 1);
    assert_true(got[F_GENDER] == 2.0f && isnan(got[F_HOOD]));
    assert_memory_equal(want, got, sizeof(want));
}

static void test_pipeline_missing_values_are_nan(void **state)
{
    struct fixture *f = *state;
    float x[F_COUNT];
    int unknown = 5;

    hand_row(f->r, "9", NULL, "2016-05-03", NAN, NULL, NULL, 0);
    features_of(f, x, &unknown);
    assert_int_equal(unknown, 0);
    assert_true(isnan(x[F_AGE]) && isnan(x[F_GENDER]) && isnan(x[F_HOOD]));
    assert_true(isnan(x[F_LEAD]) && isnan(x[F_SAME_DAY]));
    assert_true(isnan(x[F_BOOK_HOUR]) && isnan(x[F_BOOK_WD]));
    assert_true(x[F_APPT_WD] == 1.0f);
}

static void test_pipeline_appt_time_from_its_column(void **state)
{
    static const struct hand_col cols[] = {
        {"booked", NULL, ROLE_BOOKED_AT},
        {"day", NULL, ROLE_APPT_DATE},
        {"time", NULL, ROLE_APPT_TIME},
    };
    static const struct pipeline_opts o = {true, true};
    struct schema *s = hand_schema(cols, 3);
    struct record *r = record_new(s);
    struct pipeline *p = NULL;
    float x[8];

    (void)state;
    assert_int_equal(pipeline_new(s, NULL, &o, &p, NULL), NS_OK);
    /* No patient column: no history features. */
    assert_int_equal(pipeline_nfeatures(p), 6);
    assert_false(pipeline_uses_history(p));
    assert_string_equal(pipeline_feature(p, 5)->name, "appt_time");
    r->booked_at = hand_instant("2016-05-02T07:00:00Z");
    r->appt_day = hand_day("2016-05-06");
    r->appt_time = 8 * 3600 + 30 * 60;
    assert_int_equal(pipeline_row(p, r, NULL, x, NULL, NULL), NS_OK);
    assert_true(x[0] == 4.0f && x[1] == 4.0f && x[4] == 0.0f);
    assert_true(x[5] == 30600.0f);
    r->appt_time = -1;
    assert_int_equal(pipeline_row(p, r, NULL, x, NULL, NULL), NS_OK);
    assert_true(isnan(x[5]));
    pipeline_free(p);
    record_free(r);
    hand_schema_free(s);
}

static void test_pipeline_options_and_names_from_headers(void **state)
{
    static const struct hand_col cols[] = {
        {"Age", NULL, ROLE_NUMERIC},
        {" AGE ", NULL, ROLE_NUMERIC},
        {"No-show Reason!", NULL, ROLE_BINARY},
        {"PatientId", NULL, ROLE_PATIENT_ID},
        {"booked", NULL, ROLE_BOOKED_AT},
        {"day", NULL, ROLE_APPT_DATE},
        {"Town", NULL, ROLE_CATEGORICAL},
    };
    static const struct pipeline_opts plain = {false, false};
    struct schema *s = hand_schema(cols, 7);
    struct pipeline *p = NULL;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(pipeline_new(s, NULL, &plain, &p, &err),
                     NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "column 'Town' is categorical"));
    s->cols[6].role = ROLE_IGNORE;
    assert_int_equal(pipeline_new(s, NULL, &plain, &p, &err), NS_OK);
    assert_int_equal(pipeline_nfeatures(p), 4);
    assert_string_equal(pipeline_feature(p, 0)->name, "age");
    assert_string_equal(pipeline_feature(p, 1)->name, "age_2");
    assert_string_equal(pipeline_feature(p, 2)->name, "no_show_reason");
    assert_string_equal(pipeline_feature(p, 2)->group, "No-show Reason!");
    assert_string_equal(pipeline_feature(p, 3)->name, "lead_days");
    assert_false(pipeline_uses_history(p));
    pipeline_free(p);
    hand_schema_free(s);
}

static void test_pipeline_json_round_trip_and_mismatch(void **state)
{
    struct fixture *f = *state;
    json_t *j = pipeline_to_json(f->p);
    struct pipeline *back = NULL;
    struct ns_error err = {0};

    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "history")));
    assert_int_equal(pipeline_from_json(f->s, f->e, j, &back, &err), NS_OK);
    assert_int_equal(pipeline_nfeatures(back), F_COUNT);
    pipeline_free(back);

    /* A schema whose Age column was renamed gives another feature. */
    snprintf(f->s->cols[HC_AGE].name, SCHEMA_NAME_MAX, "Years");
    assert_int_equal(pipeline_from_json(f->s, f->e, j, &back, &err),
                     NS_ERR_INVALID);
    assert_null(back);
    if (strstr(err.msg, "bundle lists feature 'age' but schema "
               "'hand-made' gives 'years'") == NULL)
        fail_msg("unexpected message: %s", err.msg);
    snprintf(f->s->cols[HC_AGE].name, SCHEMA_NAME_MAX, "Age");

    json_object_set_new(j, "time", json_string("yes"));
    assert_int_equal(pipeline_from_json(f->s, f->e, j, &back, &err),
                     NS_ERR_PARSE);
    assert_non_null(strstr(err.msg, "'time' must be true or false"));
    json_decref(j);
}

/* A deterministic sequence, so the rows are the same on every run. */
static uint32_t next_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 8) & 0xffffff;
}

static void add_rows(struct fixture *f, size_t n, const char *first_day,
                     uint32_t seed)
{
    int32_t day0 = hand_day(first_day);
    char pid[8];

    for (size_t i = 0; i < n; i++) {
        int32_t d = day0 + (int32_t)(next_rand(&seed) % 25);
        int64_t t = (int64_t)d * 86400 + next_rand(&seed) % 86400;

        snprintf(pid, sizeof(pid), "p%u", next_rand(&seed) % 6);
        hand_row(f->r, pid, NULL, NULL, 30, "F", "CENTRO",
                 (int)(next_rand(&seed) % 3) - 1);
        f->r->booked_at = t;
        f->r->appt_day = d + (int32_t)(next_rand(&seed) % 20);
        f->r->line = (long)f->t->nrows + 2;
        assert_int_equal(table_append(f->t, f->r), NS_OK);
    }
}

static float *all_features(struct fixture *f, size_t nrows)
{
    struct history_index *h = NULL;
    float *x = malloc(nrows * F_COUNT * sizeof(*x));
    struct ns_error err = {0};

    assert_non_null(x);
    assert_int_equal(history_index_from_table(f->t, &h, &err), NS_OK);
    assert_int_equal(history_index_add(h, "p1", 0, 0, 0),
                     NS_ERR_UNSUPPORTED);
    if (pipeline_table(f->p, f->t, NULL, nrows, h, x, NULL, &err))
        fail_msg("pipeline_table failed: %s", err.msg);
    history_index_free(h);
    return x;
}

/* Rows booked later (with their outcomes) must not change any feature
 * of the rows booked before them. */
static void test_pipeline_future_rows_change_nothing(void **state)
{
    struct fixture *f = *state;
    size_t nr, with_history = 0, with_today = 0, with_same_appt = 0;
    float *before, *after;

    add_rows(f, 400, "2016-04-01", 7);
    nr = f->t->nrows;
    before = all_features(f, nr);
    /* Booked from 2016-04-26 on: after every row above (booked up to
     * 04-25), for the same six patients. */
    add_rows(f, 300, "2016-04-26", 11);
    after = all_features(f, nr + 300);
    assert_memory_equal(before, after, nr * F_COUNT * sizeof(float));
    for (size_t i = 0; i < nr; i++) {
        const float *v = before + i * F_COUNT;

        with_history += v[F_PRIOR] > 0;
        with_today += v[F_TODAY] > 0;
        with_same_appt += v[F_SAME_APPT] > 0;
    }
    /* The check means something only if each kind was seen at all; the
     * later rows are for the same patients and days, so a feature that
     * looked at them would change. */
    assert_true(with_history > nr / 2);
    if (with_today == 0 || with_same_appt == 0)
        fail_msg("fixture does not exercise the context features: %zu rows "
                 "with same-day bookings, %zu with a same-day appointment",
                 with_today, with_same_appt);
    free(before);
    free(after);
}

/* The table path (string ids, memoised codes) and the row path (texts,
 * hashing) must give the same numbers, row subsets included. */
static void test_pipeline_table_path_matches_row_path(void **state)
{
    struct fixture *f = *state;
    struct history_index *by_text = history_index_new();
    struct history_source src;
    struct record *v = record_new(f->s);
    const size_t rows[] = {5, 3, 99, 0, 42};
    float *fast, *slow;

    assert_non_null(by_text);
    assert_non_null(v);
    add_rows(f, 150, "2016-04-01", 3);
    f->t->cat[HC_HOOD][7] = 0;      /* one missing neighbourhood */
    for (size_t i = 0; i < f->t->nrows; i++)
        assert_int_equal(history_index_add(by_text,
                                           table_str(f->t, f->t->patient[i]),
                                           f->t->booked_at[i],
                                           f->t->appt_day[i],
                                           f->t->label[i]), NS_OK);
    assert_int_equal(history_index_finish(by_text), NS_OK);
    src = history_index_source(by_text);
    fast = all_features(f, f->t->nrows);
    slow = malloc(f->t->nrows * F_COUNT * sizeof(*slow));
    assert_non_null(slow);
    for (size_t i = 0; i < f->t->nrows; i++) {
        table_row(f->t, i, v);
        assert_int_equal(pipeline_row(f->p, v, &src, slow + i * F_COUNT,
                                      NULL, NULL), NS_OK);
    }
    assert_memory_equal(fast, slow, f->t->nrows * F_COUNT * sizeof(float));
    assert_true(isnan(fast[7 * F_COUNT + F_HOOD]));

    /* A subset, asked through an index made elsewhere (by text). */
    assert_int_equal(pipeline_table(f->p, f->t, rows, 5, by_text, fast,
                                    NULL, NULL), NS_OK);
    for (size_t i = 0; i < 5; i++)
        assert_memory_equal(fast + i * F_COUNT, slow + rows[i] * F_COUNT,
                            F_COUNT * sizeof(float));
    free(fast);
    free(slow);
    record_free(v);
    history_index_free(by_text);
}

static size_t feature_index(const struct pipeline *p, const char *name)
{
    for (size_t i = 0; i < pipeline_nfeatures(p); i++) {
        if (strcmp(pipeline_feature(p, i)->name, name) == 0)
            return i;
    }
    fail_msg("no feature named '%s'", name);
    return 0;
}

struct totals {
    size_t with_prior, with_booking;
    double prior, noshows, held, bookings_30d, days_since;
    double since_booking, today, prev_lead, same_appt;
};

/* Sum of feature k over rows, NaN skipped; *n counts the others. */
static double sum_feature(const float *x, size_t nf, size_t k,
                          size_t nrows, size_t *n)
{
    double s = 0;

    *n = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (!isnan(x[i * nf + k])) {
            s += x[i * nf + k];
            (*n)++;
        }
    }
    return s;
}

static struct totals sum_history(const struct pipeline *p, const float *x,
                                 size_t nrows)
{
    size_t nf = pipeline_nfeatures(p);
    size_t kp = feature_index(p, "hist_prior_appts");
    size_t kn = feature_index(p, "hist_prior_noshows");
    size_t kh = feature_index(p, "hist_held_appts");
    size_t kb = feature_index(p, "hist_bookings_30d");
    size_t ks = feature_index(p, "hist_days_since_last");
    struct totals s = {0};
    size_t n;

    for (size_t i = 0; i < nrows; i++) {
        const float *v = x + i * nf;

        s.with_prior += v[kp] > 0;
        s.prior += v[kp];
        s.noshows += v[kn];
        s.held += v[kh];
        s.bookings_30d += v[kb];
        if (!isnan(v[ks]))
            s.days_since += v[ks];
    }
    s.since_booking = sum_feature(x, nf, feature_index(
                                      p, "hist_days_since_booking"),
                                  nrows, &s.with_booking);
    s.today = sum_feature(x, nf, feature_index(p, "hist_bookings_today"),
                          nrows, &n);
    s.prev_lead = sum_feature(x, nf, feature_index(p, "hist_prev_lead"),
                              nrows, &n);
    assert_int_equal(n, s.with_booking);
    s.same_appt = sum_feature(x, nf, feature_index(
                                  p, "hist_same_day_appts"), nrows, &n);
    return s;
}

/* The expected numbers were computed independently with pandas from the
 * same file: the five rows booked after their day dropped, then for each
 * row the same patient's rows counted by the rules of history.h. About a
 * fifth of the rows (18,868) have a known earlier outcome. */
static void test_pipeline_real_file_history_matches_pandas(void **state)
{
    static const struct pipeline_opts o = {true, true};
    struct table_load_opts lo = {0};
    struct table *t = NULL;
    struct schema *s = NULL;
    struct clean_report rep;
    struct encoders *e = NULL;
    struct pipeline *p = NULL;
    struct history_index *h = NULL;
    struct ns_error err = {0};
    struct totals sum;
    float *x;

    (void)state;
    lo.need_label = true;
    if (table_load_csv("data/noshow-vitoria-2016-until-may.csv", NULL, &lo,
                       &t, &s, &rep, &err) != NS_OK)
        fail_msg("load failed: %s", err.msg);
    assert_int_equal(rep.rows_read, 84076);
    assert_int_equal(rep.dropped[CLEAN_NEGATIVE_LEAD], 5);
    assert_int_equal(t->nrows, 84071);
    assert_int_equal(encoders_fit(t, NULL, 0, &e, &err), NS_OK);
    assert_int_equal(pipeline_new(s, e, &o, &p, &err), NS_OK);
    assert_int_equal(history_index_from_table(t, &h, &err), NS_OK);
    assert_int_equal(history_index_patients(h), 51670);
    x = malloc(t->nrows * pipeline_nfeatures(p) * sizeof(*x));
    assert_non_null(x);
    assert_int_equal(pipeline_table(p, t, NULL, 0, h, x, NULL, &err),
                     NS_OK);
    sum = sum_history(p, x, t->nrows);
    assert_int_equal(sum.with_prior, 18868);
    assert_true(sum.prior == 54543 && sum.noshows == 7919);
    assert_true(sum.held == 28062 && sum.bookings_30d == 76904);
    assert_true(sum.days_since == 124103);
    /* The booking-context sums, from the same independent computation;
     * days since the previous booking are fractional (float features). */
    assert_int_equal(sum.with_booking, 31762);
    assert_float_equal(sum.since_booking, 314124.0258, 0.5);
    assert_true(sum.today == 9094 && sum.prev_lead == 331467);
    assert_true(sum.same_appt == 6800);
    free(x);
    history_index_free(h);
    pipeline_free(p);
    encoders_free(e);
    table_free(t);
    schema_free(s);
}

#ifdef ALLOC_HOOK
/* Load, encode, index, compute features and round-trip the encoders and
 * the pipeline through JSON, with allocation number n failing. */
static enum ns_err run_whole_path(long n, struct ns_error *err)
{
    static const struct pipeline_opts o = {true, true};
    struct table_load_opts lo = {0};
    struct table *t = NULL;
    struct schema *s = NULL;
    struct encoders *e = NULL;
    struct pipeline *p = NULL;
    struct history_index *h = NULL;
    struct encoders *e2 = NULL;
    struct pipeline *p2 = NULL;
    json_t *je = NULL, *jp = NULL;
    float x[3 * 32];
    enum ns_err rc;

    lo.dedup = true;
    alloc_hook_failed = false;
    alloc_hook_left = n;
    rc = table_load_csv("tests/fixtures/table/small.csv", NULL, &lo, &t,
                        &s, NULL, err);
    if (rc == NS_OK)
        rc = encoders_fit(t, NULL, 0, &e, err);
    if (rc == NS_OK)
        rc = pipeline_new(s, e, &o, &p, err);
    if (rc == NS_OK)
        rc = history_index_from_table(t, &h, err);
    if (rc == NS_OK)
        rc = pipeline_table(p, t, NULL, 0, h, x, NULL, err);
    if (rc == NS_OK && ((je = encoders_to_json(e)) == NULL ||
                        (jp = pipeline_to_json(p)) == NULL))
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory in JSON");
    if (rc == NS_OK)
        rc = encoders_from_json(s, je, &e2, err);
    if (rc == NS_OK)
        rc = pipeline_from_json(s, e2, jp, &p2, err);
    alloc_hook_left = -1;
    json_decref(je);
    json_decref(jp);
    pipeline_free(p2);
    encoders_free(e2);
    history_index_free(h);
    pipeline_free(p);
    encoders_free(e);
    table_free(t);
    schema_free(s);
    return rc;
}
#endif

/* Every allocation of the whole path failing in turn gives "out of
 * memory", never a crash, a leak or another error. (fopen's own allocation
 * surfaces as an I/O error carrying the system's out-of-memory text.) */
static void test_pipeline_each_failed_allocation_is_reported(void **state)
{
#ifdef ALLOC_HOOK
    struct ns_error err = {0};
    long n;

    (void)state;
    for (n = 0; n < 5000; n++) {
        long live = alloc_hook_live;
        enum ns_err rc = run_whole_path(n, &err);

        if (alloc_hook_live != live)
            fail_msg("allocation %ld failed and %ld blocks were not freed",
                     n, alloc_hook_live - live);
        if (!alloc_hook_failed) {
            assert_int_equal(rc, NS_OK);
            break;
        }
        /* NS_OK: the C library got by without that one (stdio falls
         * back to an unbuffered stream). */
        if (rc != NS_OK && rc != NS_ERR_NOMEM &&
            !(rc == NS_ERR_IO && strstr(err.msg, strerror(ENOMEM))))
            fail_msg("allocation %ld failed but the path gave %d (%s)", n,
                     (int)rc, err.msg);
    }
    assert_true(n > 10 && n < 5000);
#else
    (void)state;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_pipeline_lists_features_with_names_and_groups, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_time_features_across_month_end, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_same_day_booking_has_lead_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_unknown_categories_are_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_coded_row_matches_text, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_missing_values_are_nan, setup, teardown),
        cmocka_unit_test(test_pipeline_appt_time_from_its_column),
        cmocka_unit_test(test_pipeline_options_and_names_from_headers),
        cmocka_unit_test_setup_teardown(
            test_pipeline_json_round_trip_and_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_future_rows_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pipeline_table_path_matches_row_path, setup, teardown),
        cmocka_unit_test(test_pipeline_real_file_history_matches_pandas),
        cmocka_unit_test(test_pipeline_each_failed_allocation_is_reported),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
