/* The typed record: one appointment after validation, whatever it came
 * from (a CSV row, a JSON body, a database row). Every feature is computed
 * from this and nothing else, so all paths agree. */
#ifndef NS_RECORD_H
#define NS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "data/schema.h"

struct record {
    long line;              /* source line, 0 when not from a file */
    const char *appt_id;    /* borrowed; "" when absent */
    const char *patient;    /* borrowed; "" when absent */
    int64_t booked_at;      /* epoch seconds UTC; NS_TIME_NONE if absent */
    int32_t appt_day;       /* days since 1970-01-01 */
    int32_t appt_time;      /* seconds since midnight; -1 when absent */
    int label;              /* 1 positive, 0 negative, -1 unknown */
    double *num;            /* [ncols] owned: BINARY/NUMERIC values, NaN
                               when missing (MISSING_KEEP) or not numeric */
    const char **text;      /* [ncols] owned array of borrowed strings:
                               CATEGORICAL values, NULL when missing */
    size_t ncols;
};

/* Allocates the per-column arrays for schema s. Caller frees with
 * record_free(). NULL when out of memory. */
struct record *record_new(const struct schema *s);

/* Resets every field to absent/unknown (num to NaN, text to NULL). */
void record_reset(struct record *r);

void record_free(struct record *r);

#endif
