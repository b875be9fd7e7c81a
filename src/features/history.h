/* Patient history and booking context, asked of one interface so that the
 * CLI answers from an in-memory index and the service from its database.
 *
 * Leak-free by definition, for a row booked at instant t on day D:
 *  - outcomes: only appointments of the same patient whose day is strictly
 *    before D count (a same-day appointment may not have happened yet);
 *  - context: only other bookings of the same patient made strictly before
 *    t count, and "held" ones are those whose day is D or later.
 * So a row never sees itself, later bookings or later outcomes. */
#ifndef NS_HISTORY_H
#define NS_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct history_query {
    const char *patient;    /* "" or NULL: no history (all zero) */
    int64_t booked_at;      /* epoch seconds */
    int32_t appt_day;
};

struct history_stats {
    double prior_appts;     /* earlier appointments with a known outcome */
    double prior_noshows;   /* of which missed */
    double noshow_rate;     /* prior_noshows / prior_appts; NaN if none */
    double days_since_last; /* D minus the last prior day; NaN if none */
    double held_appts;      /* booked before t, on day D or later */
    double bookings_30d;    /* bookings made in the 30 days before t */
};

struct history_source {
    void *ctx;
    NS_MUST_CHECK enum ns_err (*stats)(void *ctx,
                                       const struct history_query *q,
                                       struct history_stats *out,
                                       struct ns_error *err);
};

/* Fills out for a source-less query (no patient, or no history). */
void history_stats_empty(struct history_stats *out);

/* In-memory index over past rows, for the CLI. Add every row, then call
 * history_index_finish() before the first query. */
struct history_index;

struct history_index *history_index_new(void);

/* label: 1 missed, 0 came, -1 unknown (counts as a booking only). */
NS_MUST_CHECK enum ns_err history_index_add(struct history_index *h,
                                            const char *patient,
                                            int64_t booked_at,
                                            int32_t appt_day, int label);

NS_MUST_CHECK enum ns_err history_index_finish(struct history_index *h);

/* A source that answers from h; h is borrowed and must outlive it. */
struct history_source history_index_source(struct history_index *h);

size_t history_index_patients(const struct history_index *h);

void history_index_free(struct history_index *h);

#endif
