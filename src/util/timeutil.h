/* Calendar arithmetic and strict parsing of the date and time formats
 * that appointment files use. All instants are UTC; a "day" is a count of
 * days since 1970-01-01. */
#ifndef NS_TIMEUTIL_H
#define NS_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NS_TIME_NONE INT64_MIN
#define NS_DAY_NONE INT32_MIN

int32_t ns_days_from_civil(int y, int m, int d);
void ns_civil_from_days(int32_t days, int *y, int *m, int *d);

/* Monday = 0 ... Sunday = 6. */
int ns_weekday(int32_t days);

/* Floor division of an instant into its day and second of day. */
int32_t ns_day_of(int64_t epoch_s);
int32_t ns_second_of_day(int64_t epoch_s);

/* Accepts YYYY-MM-DD, optionally followed by a time part ("T" or space,
 * HH:MM[:SS[.fff]], optional "Z" or "+00:00") which must be midnight when
 * require_midnight is set. Also accepts DD/MM/YYYY. The text need not be
 * NUL-terminated. Returns NS_ERR_PARSE without touching any message. */
NS_MUST_CHECK enum ns_err ns_parse_date(const char *s, size_t n,
                                        int32_t *days);

/* Accepts YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM] and
 * DD/MM/YYYY[ HH:MM[:SS]]; a date alone means midnight. An offset is
 * applied to give UTC. */
NS_MUST_CHECK enum ns_err ns_parse_datetime(const char *s, size_t n,
                                            int64_t *epoch_s);

/* HH:MM or HH:MM:SS, 00:00 to 23:59:59, into seconds since midnight. */
NS_MUST_CHECK enum ns_err ns_parse_time_of_day(const char *s, size_t n,
                                               int32_t *secs);

/* Writes YYYY-MM-DD (11 bytes with the NUL) into out. */
void ns_format_date(int32_t days, char out[static 11]);

/* Writes YYYY-MM-DDTHH:MM:SSZ (21 bytes with the NUL) into out. */
void ns_format_datetime(int64_t epoch_s, char out[static 21]);

/* Wall clock in milliseconds since the epoch, and a monotonic clock in
 * nanoseconds for measuring durations. */
int64_t ns_now_ms(void);
int64_t ns_mono_ns(void);

#endif
