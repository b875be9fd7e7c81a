/* Synthetic appointments in the doctolib schema with a known, documented
 * generating model (docs/generated-data.md), for tests, demos and
 * benchmarks. Streaming: memory does not depend on the number of rows,
 * and a patient's shared traits come from a hash of the patient id, not
 * from a table. Deterministic for a seed (own xoshiro256** generator). */
#ifndef NS_GENERATE_H
#define NS_GENERATE_H

#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define GENERATE_NCOLUMNS 27

struct generate_opts {
    uint64_t seed;
    uint64_t rows;
    int32_t start_day;      /* first appointment day, days since 1970 */
    int32_t days;           /* appointment days span [start, start+days) */
    uint64_t patients;      /* size of the patient id pool, >= 1 */
};

/* One generated appointment. Strings are static. */
struct generate_row {
    uint64_t patient_id;
    uint64_t appt_id;
    int64_t booked_at;      /* epoch seconds */
    int32_t appt_day;
    int32_t appt_time;      /* seconds since midnight */
    int lead_days;
    int scholarship, hypertension, diabetes, alcoholism, disability;
    const char *area;
    const char *specialty;
    const char *facility;
    int distance_dm;        /* Distance_km in tenths of a km */
    const char *care;
    int prev_treated;
    int age;
    const char *social;
    int sms;
    const char *weather;
    char gender;            /* 'F' or 'M' */
    int consultations;
    int waiting_min;
    int rating;             /* 1..5 */
    int fee_cents;          /* Average_Fee in cents */
    int status;             /* 1 missed or cancelled, 0 kept */
    double propensity;      /* the patient's latent z, N(0,1) */
    double logit;           /* log-odds the status was drawn from */
};

/* Column names in output order; static storage. */
extern const char *const generate_columns[GENERATE_NCOLUMNS];

/* rows 1000, seed 1, start 2024-01-01, days 365, patients 0 (meaning
 * rows / 3, at least 1, when the generator is created). */
void generate_opts_default(struct generate_opts *o);

struct generate;

/* Validates o (days >= 1, start year 1900..9999) and seeds the
 * generator. Caller frees with generate_free(). */
NS_MUST_CHECK enum ns_err generate_new(const struct generate_opts *o,
                                       struct generate **out,
                                       struct ns_error *err);

/* Draws the next appointment into row (o->rows is not enforced here). */
void generate_next(struct generate *g, struct generate_row *row);

void generate_free(struct generate *g);

/* Formats row as one CSV line ending in "\n" into buf. Returns the
 * length, or 0 when cap is smaller than GENERATE_LINE_MAX. */
#define GENERATE_LINE_MAX 512
size_t generate_format_row(const struct generate_row *row, char *buf,
                           size_t cap);

/* Writes the header and o->rows rows to f through a large buffer.
 * Returns NS_ERR_IO (with strerror text) when f fails; what names the
 * destination in that message. */
NS_MUST_CHECK enum ns_err generate_write_csv(const struct generate_opts *o,
                                             FILE *f, const char *what,
                                             struct ns_error *err);

#endif
