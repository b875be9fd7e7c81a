#include "util/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

/* Days-from-civil on the proleptic Gregorian calendar, valid far beyond
 * any appointment date; eras of 400 years keep the arithmetic exact. */
int32_t ns_days_from_civil(int y, int m, int d)
{
    int era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void ns_civil_from_days(int32_t days, int *y, int *m, int *d)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

int ns_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int w = (int)((days + 3) % 7);

    return w < 0 ? w + 7 : w;
}

int32_t ns_day_of(int64_t epoch_s)
{
    int64_t d = epoch_s / 86400;

    if (epoch_s % 86400 < 0)
        d--;
    return (int32_t)d;
}

int32_t ns_second_of_day(int64_t epoch_s)
{
    int64_t r = epoch_s % 86400;

    return (int32_t)(r < 0 ? r + 86400 : r);
}

static bool digits(const char *s, size_t n, size_t at, size_t count,
                   int *out)
{
    int v = 0;

    if (at + count > n)
        return false;
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool valid_ymd(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return false;
    if (m == 2 && !leap)
        return d <= 28;
    return d <= mdays[m - 1];
}

/* Parses the date part; *used gets the number of bytes consumed. */
static bool parse_ymd(const char *s, size_t n, int32_t *days, size_t *used)
{
    int y, m, d;

    if (n >= 10 && s[4] == '-' && s[7] == '-') {
        if (!digits(s, n, 0, 4, &y) || !digits(s, n, 5, 2, &m) ||
            !digits(s, n, 8, 2, &d))
            return false;
    } else if (n >= 10 && s[2] == '/' && s[5] == '/') {
        if (!digits(s, n, 0, 2, &d) || !digits(s, n, 3, 2, &m) ||
            !digits(s, n, 6, 4, &y))
            return false;
    } else {
        return false;
    }
    if (!valid_ymd(y, m, d))
        return false;
    *days = ns_days_from_civil(y, m, d);
    *used = 10;
    return true;
}

/* Parses HH:MM[:SS[.fff]] at s[0..n); returns seconds or -1. */
static int32_t parse_hms(const char *s, size_t n, size_t *used)
{
    int h, mi, se = 0;
    size_t at = 5;

    if (n < 5 || s[2] != ':' || !digits(s, n, 0, 2, &h) ||
        !digits(s, n, 3, 2, &mi))
        return -1;
    if (n >= 8 && s[5] == ':') {
        if (!digits(s, n, 6, 2, &se))
            return -1;
        at = 8;
        if (at < n && s[at] == '.') {
            at++;
            while (at < n && s[at] >= '0' && s[at] <= '9')
                at++;
        }
    }
    if (h > 23 || mi > 59 || se > 59)
        return -1;
    *used = at;
    return h * 3600 + mi * 60 + se;
}

/* Parses an optional zone suffix; returns false when malformed. */
static bool parse_zone(const char *s, size_t n, int32_t *offset)
{
    int h, m;

    *offset = 0;
    if (n == 0 || (n == 1 && s[0] == 'Z'))
        return true;
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
        !digits(s, n, 1, 2, &h) || !digits(s, n, 4, 2, &m) || h > 23 ||
        m > 59)
        return false;
    *offset = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
    return true;
}

enum ns_err ns_parse_datetime(const char *s, size_t n, int64_t *epoch_s)
{
    int32_t days, secs = 0, offset = 0;
    size_t at, used;

    if (!parse_ymd(s, n, &days, &at))
        return NS_ERR_PARSE;
    if (at < n && (s[at] == 'T' || s[at] == ' ')) {
        at++;
        secs = parse_hms(s + at, n - at, &used);
        if (secs < 0)
            return NS_ERR_PARSE;
        at += used;
    }
    if (!parse_zone(s + at, n - at, &offset))
        return NS_ERR_PARSE;
    *epoch_s = (int64_t)days * 86400 + secs - offset;
    return NS_OK;
}

enum ns_err ns_parse_date(const char *s, size_t n, int32_t *days)
{
    int64_t t;

    if (ns_parse_datetime(s, n, &t) != NS_OK)
        return NS_ERR_PARSE;
    *days = ns_day_of(t);
    return NS_OK;
}

enum ns_err ns_parse_time_of_day(const char *s, size_t n, int32_t *secs)
{
    size_t used;
    int32_t v = parse_hms(s, n, &used);

    if (v < 0 || used != n)
        return NS_ERR_PARSE;
    *secs = v;
    return NS_OK;
}

void ns_format_date(int32_t days, char out[static 11])
{
    int y, m, d;

    ns_civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

void ns_format_datetime(int64_t epoch_s, char out[static 21])
{
    int32_t s = ns_second_of_day(epoch_s);
    int y, m, d;

    ns_civil_from_days(ns_day_of(epoch_s), &y, &m, &d);
    snprintf(out, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", y % 10000, m % 100,
             d % 100, s / 3600 % 100, s / 60 % 60, s % 60);
}

int64_t ns_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ns_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
