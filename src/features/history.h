/* Patient history and booking context, asked of one interface so that the
 * CLI answers from an in-memory index and the service from its database.
 *
 * Leak-free by definition, for a row booked at instant t on day D (the
 * UTC day of t, not the appointment day):
 *  - outcomes: only appointments of the same patient whose day is strictly
 *    before D count (a same-day appointment may not have happened yet);
 *  - context: only other bookings of the same patient made strictly before
 *    t count, and "held" ones are those whose day is D or later.
 * So a row never sees itself, later bookings or later outcomes. */
#ifndef NS_HISTORY_H
#define NS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/table.h"
#include "util/err.h"

struct history_query {
    const char *patient;    /* "" or NULL: no history (all zero) */
    int64_t booked_at;      /* epoch seconds; NS_TIME_NONE: no history */
    int32_t appt_day;       /* the row's own day: only same_day_appts
                               uses it (see there); sources may check it */
};

struct history_stats {
    double prior_appts;     /* appointments dated before D with a known
                               outcome */
    double prior_noshows;   /* of which missed */
    double noshow_rate;     /* prior_noshows / prior_appts; NaN if none */
    double days_since_last; /* D minus the day of the latest of those
                               prior appointments; NaN if none */
    double held_appts;      /* booked before t, on day D or later */
    double bookings_30d;    /* bookings made in (t - 30 days, t) */
    double days_since_booking; /* t minus the latest booking made before
                               t, in days (fractional); NaN if none */
    double bookings_today;  /* bookings made on day D before t */
    double prev_lead;       /* lead days of that latest booking (ties of
                               instant: the later day); NaN if none */
    double same_day_appts;  /* bookings made before t for the row's own
                               appointment day */
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

/* Whether r has a place in history: a patient and a booking instant.
 * A row without gets history_stats_empty() whatever the source. */
bool history_applies(const struct record *r);

/* In-memory index over past rows, for the CLI. Add every row, then call
 * history_index_finish() before the first query; adding after that needs
 * another finish (a query in between fails with NS_ERR_INVALID). Each
 * query costs O(log m) for a patient with m rows, after an O(n log n)
 * finish. Queries only read the index: several threads may ask at once. */
struct history_index;

/* Caller frees with history_index_free(). NULL when out of memory. */
struct history_index *history_index_new(void);

/* label: 1 missed, 0 came, -1 unknown (counts as a booking only). The
 * patient text is copied. An empty or NULL patient adds nothing (NS_OK).
 * NS_ERR_INVALID for a missing instant or day, a label outside -1..1 or a
 * booking made after its appointment day (cleaning drops those rows; the
 * "held" count relies on their absence). NS_ERR_NOMEM otherwise. */
NS_MUST_CHECK enum ns_err history_index_add(struct history_index *h,
                                            const char *patient,
                                            int64_t booked_at,
                                            int32_t appt_day, int label);

/* Sorts the index; NS_ERR_NOMEM, or NS_ERR_TOO_LARGE past 2^32 rows. */
NS_MUST_CHECK enum ns_err history_index_finish(struct history_index *h);

/* A source that answers from h; h is borrowed and must outlive it. */
struct history_source history_index_source(struct history_index *h);

/* Distinct patients in the index as of the last finish. */
size_t history_index_patients(const struct history_index *h);

/* An index over every row of t that has a patient and both dates,
 * finished and ready. Patients are keyed by t's string ids, so building
 * and asking by row need no hashing. t is borrowed: it must outlive the
 * index, and rows appended later are not in it. history_index_add()
 * refuses such an index (NS_ERR_UNSUPPORTED). NS_ERR_INVALID names the
 * line of a row booked after its appointment day (cleaning drops those).
 * Caller frees *out with history_index_free(). */
NS_MUST_CHECK enum ns_err
history_index_from_table(const struct table *t, struct history_index **out,
                         struct ns_error *err);

/* The table an index was made from, or NULL. Borrowed. */
const struct table *history_index_table(const struct history_index *h);

/* For an index made from table t: the stats of a booking at booked_at
 * for appt_day by the patient whose string id in t is patient (0: none).
 * The same numbers as asking the source with the patient's text, without
 * hashing. */
void history_index_table_stats(const struct history_index *h,
                               uint32_t patient, int64_t booked_at,
                               int32_t appt_day, struct history_stats *out);

void history_index_free(struct history_index *h);

/* One patient's group for callers that gather the groups themselves
 * (features/rowfate.h does so on disk, to bound memory). */
struct history_booking {
    int64_t booked_at;
    int32_t appt_day;
    int8_t label;           /* as for history_index_add() */
};

/* Scratch room for history_group_stats(), reused from group to group.
 * Caller frees with history_group_free(). NULL when out of memory. */
struct history_group;
struct history_group *history_group_new(void);

/* Fills out[i] (room for m) with the stats of rows[i] as an index
 * holding exactly the m rows, all of one patient, would give them.
 * NS_ERR_INVALID for a row history_index_add() refuses, NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err
history_group_stats(struct history_group *g,
                    const struct history_booking *rows, size_t m,
                    struct history_stats *out);

/* After history_group_stats(): the stats the same index would give a
 * booking at booked_at for appt_day (NS_DAY_NONE allowed) of that
 * patient that is not itself one of the rows. */
void history_group_query(const struct history_group *g, int64_t booked_at,
                         int32_t appt_day, struct history_stats *out);

void history_group_free(struct history_group *g);

#endif
