/* Patient history index: what a booking may know of earlier ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "features/history.h"
#include "support/hand_schema.h"

struct booking {
    const char *patient;
    const char *booked;
    const char *day;
    int label;
};

/* Patient P, seen from a booking made 2016-05-10T09:00Z (day D = 05-10)
 * for 2016-05-20. */
static const struct booking timeline[] = {
    {"P", "2016-03-01T08:00:00Z", "2016-03-02", -1}, /* outcome unknown */
    {"P", "2016-05-01T08:00:00Z", "2016-05-03", 1},  /* missed */
    {"P", "2016-05-02T08:00:00Z", "2016-05-09", 0},  /* day before D */
    {"P", "2016-05-05T08:00:00Z", "2016-05-10", 1},  /* on D: not known */
    {"P", "2016-05-08T10:00:00Z", "2016-05-15", 0},  /* still to come */
    {"P", "2016-05-10T09:00:00Z", "2016-05-20", 0},  /* the row itself */
    {"P", "2016-05-10T10:00:00Z", "2016-05-12", 0},  /* booked later */
    {"P", "2016-05-11T07:00:00Z", "2016-05-11", 1},  /* booked later */
    {"Q", "2016-05-01T08:00:00Z", "2016-05-02", 1},  /* someone else */
};

static struct history_index *build(const struct booking *b, size_t n)
{
    struct history_index *h = history_index_new();

    assert_non_null(h);
    for (size_t i = 0; i < n; i++) {
        enum ns_err rc = history_index_add(h, b[i].patient,
                                           hand_instant(b[i].booked),
                                           hand_day(b[i].day), b[i].label);

        assert_int_equal(rc, NS_OK);
    }
    assert_int_equal(history_index_finish(h), NS_OK);
    return h;
}

static struct history_stats ask(struct history_index *h, const char *who,
                                const char *booked, const char *day)
{
    struct history_source src = history_index_source(h);
    struct history_query q = {who, hand_instant(booked), hand_day(day)};
    struct history_stats st;
    struct ns_error err = {0};

    if (src.stats(src.ctx, &q, &st, &err) != NS_OK)
        fail_msg("query failed: %s", err.msg);
    return st;
}

static void test_history_counts_only_days_before_booking_day(void **state)
{
    struct history_index *h = build(timeline, 9);
    struct history_stats st = ask(h, "P", "2016-05-10T09:00:00Z",
                                  "2016-05-20");

    (void)state;
    /* 05-03 (missed) and 05-09 (came); 05-10 is the booking day itself. */
    assert_true(st.prior_appts == 2);
    assert_true(st.prior_noshows == 1);
    assert_true(st.noshow_rate == 0.5);
    assert_true(st.days_since_last == 1);
    /* Booked before t and dated 05-10 or later: 05-10 and 05-15. */
    assert_true(st.held_appts == 2);
    /* Booked in the 30 days before t: 05-01, 05-02, 05-05, 05-08. */
    assert_true(st.bookings_30d == 4);
    assert_int_equal(history_index_patients(h), 2);
    history_index_free(h);
}

static void test_history_next_day_sees_the_same_day_outcome(void **state)
{
    struct history_index *h = build(timeline, 9);
    struct history_stats st = ask(h, "P", "2016-05-11T12:00:00Z",
                                  "2016-05-30");

    (void)state;
    assert_true(st.prior_appts == 3);
    assert_true(st.prior_noshows == 2);
    assert_true(st.days_since_last == 1);
    /* 05-11, 05-12, 05-15 and 05-20 are still to come. */
    assert_true(st.held_appts == 4);
    assert_true(st.bookings_30d == 7);
    history_index_free(h);
}

static void test_history_booking_context_sees_only_earlier(void **state)
{
    struct history_index *h = build(timeline, 9);
    struct history_stats st = ask(h, "P", "2016-05-10T09:00:00Z",
                                  "2016-05-20");

    (void)state;
    /* Latest earlier booking 05-08T10:00 for 05-15: 47 hours, lead 7. */
    assert_float_equal(st.days_since_booking, 47.0 / 24.0, 1e-12);
    assert_true(st.prev_lead == 7);
    /* The row itself (09:00) and the 10:00 booking are not earlier. */
    assert_true(st.bookings_today == 0);
    assert_true(st.same_day_appts == 0);

    st = ask(h, "P", "2016-05-11T12:00:00Z", "2016-05-12");
    /* 05-11T07:00 for 05-11: five hours before, lead 0, same day. */
    assert_float_equal(st.days_since_booking, 5.0 / 24.0, 1e-12);
    assert_true(st.prev_lead == 0);
    assert_true(st.bookings_today == 1);
    /* 05-10T10:00 was booked for 05-12, this row's own day. */
    assert_true(st.same_day_appts == 1);
    history_index_free(h);
}

static void test_history_instant_ties_take_the_later_day(void **state)
{
    static const struct booking b[] = {
        {"P", "2016-05-01T08:00:00Z", "2016-05-02", 1},
        {"P", "2016-05-01T08:00:00Z", "2016-05-04", 1},  /* same instant */
        {"P", "2016-05-02T08:00:00Z", "2016-05-04", 0},
    };
    struct history_index *h = build(b, 3);
    struct history_stats st = ask(h, "P", "2016-05-01T09:00:00Z",
                                  "2016-05-04");

    (void)state;
    /* Two bookings at one instant: the later day (05-04) is "previous". */
    assert_true(st.prev_lead == 3);
    assert_true(st.bookings_today == 2);
    assert_true(st.same_day_appts == 1);
    history_index_free(h);
}

static void test_history_unknown_or_absent_patient_is_empty(void **state)
{
    struct history_index *h = build(timeline, 9);
    const char *who[] = {"R", "", NULL};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct history_stats st = ask(h, who[i], "2016-05-10T09:00:00Z",
                                      "2016-05-20");

        assert_true(st.prior_appts == 0 && st.prior_noshows == 0);
        assert_true(isnan(st.noshow_rate) && isnan(st.days_since_last));
        assert_true(st.held_appts == 0 && st.bookings_30d == 0);
        assert_true(isnan(st.prev_lead));
        assert_true(isnan(st.days_since_booking));
        assert_true(st.bookings_today == 0 && st.same_day_appts == 0);
    }
    history_index_free(h);
}

static void test_history_thirty_day_window_is_open(void **state)
{
    static const struct booking b[] = {
        {"P", "2016-04-10T09:00:00Z", "2016-04-11", 0}, /* exactly 30d */
        {"P", "2016-04-10T09:00:01Z", "2016-04-11", 0}, /* inside */
        {"P", "2016-05-10T09:00:00Z", "2016-05-12", 0}, /* same instant */
    };
    struct history_index *h = build(b, 3);
    struct history_stats st = ask(h, "P", "2016-05-10T09:00:00Z",
                                  "2016-05-20");

    (void)state;
    assert_true(st.bookings_30d == 1);
    assert_true(st.held_appts == 0);
    history_index_free(h);
}

static void test_history_query_before_finish_fails(void **state)
{
    struct history_index *h = build(timeline, 9);
    struct history_source src = history_index_source(h);
    struct history_query q = {"P", hand_instant("2016-05-10T09:00:00Z"),
                              hand_day("2016-05-20")};
    struct history_stats st;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(history_index_add(h, "P", q.booked_at, q.appt_day, 0),
                     NS_OK);
    assert_int_equal(src.stats(src.ctx, &q, &st, &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "history_index_finish"));
    assert_int_equal(history_index_finish(h), NS_OK);
    assert_int_equal(src.stats(src.ctx, &q, &st, &err), NS_OK);
    history_index_free(h);
}

static void test_history_refuses_impossible_rows(void **state)
{
    struct history_index *h = history_index_new();
    int64_t t = hand_instant("2016-05-10T09:00:00Z");

    (void)state;
    assert_non_null(h);
    assert_int_equal(history_index_add(h, "P", t, hand_day("2016-05-09"),
                                       0), NS_ERR_INVALID);
    assert_int_equal(history_index_add(h, "P", t, hand_day("2016-05-10"),
                                       2), NS_ERR_INVALID);
    assert_int_equal(history_index_add(h, "P", NS_TIME_NONE,
                                       hand_day("2016-05-10"), 0),
                     NS_ERR_INVALID);
    assert_int_equal(history_index_add(h, "", t, hand_day("2016-05-10"),
                                       0), NS_OK);
    assert_int_equal(history_index_patients(h), 0);
    history_index_free(h);
}

/* A group handed over whole gives, bit for bit, what the index gives
 * each of its rows; a booking outside the group asks it the same way. */
static void test_history_group_matches_the_index(void **state)
{
    size_t n = sizeof(timeline) / sizeof(timeline[0]);
    struct history_index *h = build(timeline, n);
    struct history_group *g = history_group_new();
    struct history_booking rows[16];
    struct history_stats got[16], want, probe;
    size_t m = 0;

    (void)state;
    assert_non_null(g);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(timeline[i].patient, "P") != 0)
            continue;
        rows[m++] = (struct history_booking){
            hand_instant(timeline[i].booked), hand_day(timeline[i].day),
            (int8_t)timeline[i].label};
    }
    assert_int_equal(history_group_stats(g, rows, m, got), NS_OK);
    for (size_t i = 0, k = 0; i < n; i++) {
        if (strcmp(timeline[i].patient, "P") != 0)
            continue;
        want = ask(h, "P", timeline[i].booked, timeline[i].day);
        assert_memory_equal(&got[k++], &want, sizeof(want));
    }
    want = ask(h, "P", "2016-05-10T09:30:00Z", "2016-05-21");
    history_group_query(g, hand_instant("2016-05-10T09:30:00Z"),
                        hand_day("2016-05-21"), &probe);
    assert_memory_equal(&probe, &want, sizeof(want));
    rows[0].appt_day = rows[0].appt_day - 400;
    assert_int_equal(history_group_stats(g, rows, m, got), NS_ERR_INVALID);
    history_group_free(g);
    history_index_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_counts_only_days_before_booking_day),
        cmocka_unit_test(test_history_next_day_sees_the_same_day_outcome),
        cmocka_unit_test(test_history_booking_context_sees_only_earlier),
        cmocka_unit_test(test_history_instant_ties_take_the_later_day),
        cmocka_unit_test(test_history_unknown_or_absent_patient_is_empty),
        cmocka_unit_test(test_history_thirty_day_window_is_open),
        cmocka_unit_test(test_history_query_before_finish_fails),
        cmocka_unit_test(test_history_refuses_impossible_rows),
        cmocka_unit_test(test_history_group_matches_the_index),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
