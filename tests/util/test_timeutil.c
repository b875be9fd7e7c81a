/* Calendar arithmetic and the accepted date and time spellings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/timeutil.h"

static void test_days_round_trip_over_four_centuries(void **state)
{
    (void)state;
    for (int32_t d = -146097; d < 146097 * 2; d += 37) {
        int y, m, dd;

        ns_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(ns_days_from_civil(y, m, dd), d);
    }
    assert_int_equal(ns_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ns_days_from_civil(2016, 4, 29), 16920);
}

static void test_weekday_of_known_dates(void **state)
{
    (void)state;
    /* 2016-04-29 was a Friday, 2016-05-02 a Monday. */
    assert_int_equal(ns_weekday(ns_days_from_civil(2016, 4, 29)), 4);
    assert_int_equal(ns_weekday(ns_days_from_civil(2016, 5, 2)), 0);
    assert_int_equal(ns_weekday(ns_days_from_civil(1969, 12, 31)), 2);
}

static void test_datetime_spellings_parse_to_utc(void **state)
{
    int64_t t;
    const char *z = "2016-04-29T18:38:08Z";

    (void)state;
    assert_int_equal(ns_parse_datetime(z, strlen(z), &t), NS_OK);
    assert_int_equal(t, 16920LL * 86400 + 18 * 3600 + 38 * 60 + 8);
    assert_int_equal(ns_parse_datetime("2016-04-29 18:38", 16, &t), NS_OK);
    assert_int_equal(t, 16920LL * 86400 + 18 * 3600 + 38 * 60);
    assert_int_equal(ns_parse_datetime("29/04/2016", 10, &t), NS_OK);
    assert_int_equal(t, 16920LL * 86400);
    assert_int_equal(
        ns_parse_datetime("2016-04-29T20:38:08+02:00", 25, &t), NS_OK);
    assert_int_equal(t, 16920LL * 86400 + 18 * 3600 + 38 * 60 + 8);
}

static void test_datetime_rejects_malformed_text(void **state)
{
    static const char *const bad[] = {
        "2016-02-30", "2016-13-01", "16-04-29", "2016-04-29T25:00",
        "2016-04-29X", "", "abc", "2016-04-29T10:00:00+2", "04/29/2016",
    };
    int64_t t;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ns_parse_datetime(bad[i], strlen(bad[i]), &t) != NS_ERR_PARSE)
            fail_msg("'%s' should not parse as a date-time", bad[i]);
    }
}

static void test_time_of_day_bounds(void **state)
{
    int32_t s;

    (void)state;
    assert_int_equal(ns_parse_time_of_day("08:30", 5, &s), NS_OK);
    assert_int_equal(s, 8 * 3600 + 30 * 60);
    assert_int_equal(ns_parse_time_of_day("23:59:59", 8, &s), NS_OK);
    assert_int_equal(s, 86399);
    assert_int_equal(ns_parse_time_of_day("24:00", 5, &s), NS_ERR_PARSE);
    assert_int_equal(ns_parse_time_of_day("8:30", 4, &s), NS_ERR_PARSE);
    assert_int_equal(ns_parse_time_of_day("08:30:", 6, &s), NS_ERR_PARSE);
}

static void test_negative_instants_floor_to_the_previous_day(void **state)
{
    (void)state;
    assert_int_equal(ns_day_of(-1), -1);
    assert_int_equal(ns_second_of_day(-1), 86399);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_round_trip_over_four_centuries),
        cmocka_unit_test(test_weekday_of_known_dates),
        cmocka_unit_test(test_datetime_spellings_parse_to_utc),
        cmocka_unit_test(test_datetime_rejects_malformed_text),
        cmocka_unit_test(test_time_of_day_bounds),
        cmocka_unit_test(test_negative_instants_floor_to_the_previous_day),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
