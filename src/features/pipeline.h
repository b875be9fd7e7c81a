/* The one feature path: typed record (+ history) -> feature vector. Used by
 * training, evaluation, batch prediction, explanations and the service, so
 * a row gets the same numbers whichever way it arrives. */
#ifndef NS_PIPELINE_H
#define NS_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "data/record.h"
#include "data/schema.h"
#include "data/table.h"
#include "features/encode.h"
#include "features/history.h"
#include "util/err.h"

#define PIPELINE_MAX_FEATURES 320

enum feat_kind {
    FEAT_NUMERIC = 0,       /* a BINARY or NUMERIC column as it is */
    FEAT_CATEGORY,          /* encoded CATEGORICAL column */
    FEAT_LEAD_DAYS,         /* appointment day - booking day */
    FEAT_APPT_WEEKDAY,      /* Monday = 0 */
    FEAT_BOOKING_HOUR,      /* 0..23 (UTC as written) */
    FEAT_BOOKING_WEEKDAY,
    FEAT_APPT_TIME,         /* seconds since midnight */
    FEAT_SAME_DAY,          /* booked on the appointment day */
    FEAT_HIST_PRIOR,
    FEAT_HIST_NOSHOWS,
    FEAT_HIST_RATE,
    FEAT_HIST_DAYS_SINCE,
    FEAT_HIST_HELD,
    FEAT_HIST_BOOKINGS_30D,
    FEAT_HIST_SINCE_BOOKING,
    FEAT_HIST_BOOKINGS_TODAY,
    FEAT_HIST_PREV_LEAD,
    FEAT_HIST_SAME_DAY_APPTS
};

struct feature {
    enum feat_kind kind;
    int col;                /* schema column, or -1 for derived ones */
    char name[64];          /* machine name, e.g. "lead_days" */
    char group[64];         /* the input a person knows, e.g. "lead time" */
};

struct pipeline_opts {
    bool history;           /* patient-history and booking-context */
    bool time;              /* weekday, hour, time of day, same day */
};

struct pipeline;

/* Builds the feature list for schema s. enc is borrowed (may be NULL for a
 * schema without categorical columns) and must outlive the pipeline.
 * History features need a PATIENT_ID column and are left out without one.
 * Caller frees with pipeline_free(). */
NS_MUST_CHECK enum ns_err pipeline_new(const struct schema *s,
                                       const struct encoders *enc,
                                       const struct pipeline_opts *o,
                                       struct pipeline **out,
                                       struct ns_error *err);

size_t pipeline_nfeatures(const struct pipeline *p);
const struct feature *pipeline_feature(const struct pipeline *p, size_t i);
bool pipeline_uses_history(const struct pipeline *p);

/* The encoders given to pipeline_new() (borrowed; may be NULL). */
const struct encoders *pipeline_encoders(const struct pipeline *p);

/* Computes the feature vector of r into out[nfeatures]. hist may be NULL
 * (history features become 0/NaN as for a first-time patient).
 * *unknown_cats (may be NULL) is set to the number of r's categories
 * unseen in training. Fails only when the history source fails. */
NS_MUST_CHECK enum ns_err pipeline_row(const struct pipeline *p,
                                       const struct record *r,
                                       const struct history_source *hist,
                                       float *out, int *unknown_cats,
                                       struct ns_error *err);

/* pipeline_row with the row's history already known (hs is read only
 * when p uses history; history_stats_empty() for none), for a caller
 * that asks its own index by row rather than through a source. */
void pipeline_row_stats(const struct pipeline *p, const struct record *r,
                        const struct history_stats *hs, float *out,
                        int *unknown_cats);

/* pipeline_row_stats with the codes of r's categories found already:
 * cat[col] is what encoders_code() gives r->text[col] (NaN for none),
 * for a caller that codes each distinct value once instead of hashing
 * it again in every row. */
void pipeline_row_coded(const struct pipeline *p, const struct record *r,
                        const double *cat, const struct history_stats *hs,
                        float *out, int *unknown_cats);

/* Feature vectors of rows[0..nrows) of t (every row when rows is NULL)
 * into out, row-major: out[i * nfeatures + k], with the same numbers as
 * pipeline_row. History comes from idx (NULL: none); an index made from
 * t itself by history_index_from_table() is asked by string id, any
 * other one by patient text. *unknown_cats (may be NULL) receives the
 * number of unseen categories over all those rows. */
NS_MUST_CHECK enum ns_err pipeline_table(const struct pipeline *p,
                                         const struct table *t,
                                         const size_t *rows, size_t nrows,
                                         struct history_index *idx,
                                         float *out, size_t *unknown_cats,
                                         struct ns_error *err);

/* {"history": true, "time": true, "features": ["age", ...]}; the feature
 * names are checked again on load. Caller owns the reference. */
json_t *pipeline_to_json(const struct pipeline *p);

NS_MUST_CHECK enum ns_err pipeline_from_json(const struct schema *s,
                                             const struct encoders *enc,
                                             const json_t *j,
                                             struct pipeline **out,
                                             struct ns_error *err);

void pipeline_free(struct pipeline *p);

#endif
