/* Statistics of the exploratory data report: per-column summaries,
 * histograms, no-show rates by group (category, lead time, weekday, age
 * band), class balance and a correlation matrix. They are accumulated one
 * cleaned record at a time, so any source of records (a table, a CSV
 * stream, a test) can feed them; nothing here formats output. */
#ifndef NS_EDA_STATS_H
#define NS_EDA_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/record.h"
#include "data/schema.h"
#include "util/err.h"

/* Most categories listed per column; the rest are summed into one
 * "other" group. */
#define EDA_TOP_CATEGORIES 20
/* Numeric columns with at most this many distinct integer values also get
 * a no-show rate per value (e.g. a 0-4 handicap grade). */
#define EDA_SMALL_DISTINCT 12
#define EDA_MAX_BINS 40
/* Variables of the correlation matrix, at most. */
#define EDA_MAX_CORR_VARS 48

#define EDA_NLEAD_BUCKETS 7
#define EDA_NWEEKDAYS 7
#define EDA_NAGE_BANDS 10

/* One bar of a rate chart: a category, a value or a bucket. */
struct eda_group {
    char *name;             /* owned; NULL in the fixed lead, weekday and
                               age arrays, named by the functions below */
    size_t n;               /* rows in the group */
    size_t labelled;        /* rows with a known outcome */
    size_t positive;        /* of which no-shows */
};

enum eda_kind {
    EDA_KIND_NUMBER,        /* BINARY and NUMERIC columns, lead days */
    EDA_KIND_CATEGORY,      /* CATEGORICAL columns */
    EDA_KIND_IDENT,         /* patient and appointment ids */
    EDA_KIND_DATE,          /* booking and appointment dates */
    EDA_KIND_TIME,          /* appointment time of day */
    EDA_KIND_LABEL          /* the target */
};

struct eda_column {
    char name[SCHEMA_NAME_MAX];
    char label[SCHEMA_NAME_MAX];    /* the schema's plain words, or name */
    enum schema_role role;  /* ROLE_NUMERIC for the derived lead days */
    enum eda_kind kind;
    int schema_col;         /* index in the schema; -1 when derived */
    size_t present, missing;
    size_t distinct;
    /* EDA_KIND_NUMBER, EDA_KIND_DATE (days), EDA_KIND_TIME (seconds);
     * NaN when no value is present. */
    double min, max, mean, sd, q1, median, q3;
    /* Histogram of EDA_KIND_NUMBER: nbins bars, bar i covers
     * [edges[i], edges[i+1]) and the last one includes its right edge. */
    size_t nbins;
    bool integer_bins;      /* bar i holds the integers edges[i] to
                               edges[i+1] - 1 */
    bool tail_bin;          /* the last bar holds every value from
                               edges[nbins-1] up: a long right tail */
    double *edges;          /* owned, [nbins + 1] */
    size_t *counts;         /* owned, [nbins] */
    /* Rate groups: every value of a binary or small numeric column, the
     * top categories of a categorical one (most frequent first), then
     * "(other)" and "(missing)" when not empty. */
    size_t ngroups;
    struct eda_group *groups;   /* owned */
    size_t other_categories;    /* categories folded into "(other)" */
    void *acc;              /* private accumulator, NULL after finish */
};

struct eda_stats {
    const struct schema *schema;    /* borrowed until finished; NULL
                                       after eda_stats_finish */
    size_t rows;
    size_t labelled, positive;      /* class balance */
    size_t ncols;
    struct eda_column *cols;        /* owned: schema columns not ignored,
                                       then the derived lead days */
    int lead_col;                   /* index in cols of lead days */
    int age_col;                    /* index in cols of the age, or -1 */
    struct eda_group lead[EDA_NLEAD_BUCKETS];
    struct eda_group weekday[EDA_NWEEKDAYS];   /* Monday first */
    struct eda_group age[EDA_NAGE_BANDS];
    size_t lead_unknown;            /* rows without both dates */
    size_t lead_negative;           /* booked after the appointment */
    size_t repeat_appt_ids;         /* rows whose id was seen before */
    size_t patients;                /* distinct patient ids */
    /* Pearson correlation over pairwise complete rows, row-major
     * [ncorr * ncorr]; NaN where a variable is constant. */
    size_t ncorr;
    int *corr_col;                  /* owned: index in cols, or -1 for
                                       the label */
    double *corr;                   /* owned */
    bool finished;
    void *acc;                      /* private accumulator */
};

/* Prepares empty statistics for records of schema s (borrowed until
 * eda_stats_finish returns; the finished statistics copy what they keep).
 * Caller frees with eda_stats_free(). */
NS_MUST_CHECK enum ns_err eda_stats_new(const struct schema *s,
                                        struct eda_stats **out,
                                        struct ns_error *err);

/* Counts one record; its strings are copied when kept. Fails only when
 * out of memory, or after eda_stats_finish (NS_ERR_INVALID). */
NS_MUST_CHECK enum ns_err eda_stats_add(struct eda_stats *st,
                                        const struct record *r,
                                        struct ns_error *err);

/* Computes quantiles, histograms, top categories and correlations, and
 * frees the accumulators. Call once, after the last record. */
NS_MUST_CHECK enum ns_err eda_stats_finish(struct eda_stats *st,
                                           struct ns_error *err);

/* Name of lead-time bucket i ("0", "1-2", ..., ">60"), of weekday i
 * ("Monday" first) and of age band i ("0-9", ..., "90+"); static
 * storage. */
const char *eda_lead_bucket_name(int i);
const char *eda_weekday_name(int i);
const char *eda_age_band_name(int i);

/* The bucket of a lead time in days, or -1 when negative. */
int eda_lead_bucket(long days);

/* Name of correlation variable i: a column name or "no-show". Borrowed
 * from st. */
const char *eda_corr_name(const struct eda_stats *st, size_t i);

/* No-show rate of a group, NaN when no row has a known outcome. */
double eda_group_rate(const struct eda_group *g);

void eda_stats_free(struct eda_stats *st);

#endif
