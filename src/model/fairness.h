/* Fairness audit: how well the model does for each subgroup of patients
 * (gender, age band, and any categorical column the user names), so a
 * clinic can see whether the tool treats some patients worse. Per group:
 * rows, ROC AUC, mean predicted versus observed rate, false-positive and
 * false-negative rates at the decision threshold; and per attribute the
 * largest gap between its groups, largest first. */
#ifndef NS_MODEL_FAIRNESS_H
#define NS_MODEL_FAIRNESS_H

#include <jansson.h>
#include <stdio.h>

#include "data/table.h"
#include "util/err.h"

/* Groups smaller than this are listed but left out of the gaps: their
 * rates are too noisy to compare. */
#define FAIRNESS_MIN_ROWS 30

/* An attribute with more distinct values than this is refused. */
#define FAIRNESS_MAX_GROUPS 256

struct fairness_group {
    char attribute[64];     /* "gender", "age band" or a column name */
    char value[64];         /* "F", "18-39", "missing", ... */
    size_t rows;
    size_t positives;       /* observed no-shows */
    double auc;             /* NAN when the group has one class only */
    double mean_predicted;
    double observed_rate;
    double fpr;             /* fp / (fp + tn); NAN without negatives */
    double fnr;             /* fn / (fn + tp); NAN without positives */
};

struct fairness_gap {
    char attribute[64];
    char metric[32];        /* "auc", "calibration", "fpr", "fnr" */
    double gap;             /* highest minus lowest value */
    char low[64], high[64]; /* the groups at either end */
    double low_value, high_value;
};

struct fairness_report {
    double threshold;
    size_t ngroups;
    struct fairness_group *groups;  /* owned; by attribute, then value */
    size_t ngaps;
    struct fairness_gap *gaps;      /* owned; largest first */
};

/* Audits the probabilities p[t->nrows] of t's rows (labels from t) at
 * threshold. Gender and age come from the columns named or labelled
 * "gender"/"sex" and "age" when the schema has them; cols[0..ncols)
 * name more columns (categorical, binary or integer). Rows without a
 * label are skipped. Errors: NS_ERR_NOT_FOUND (a named column is not in
 * the schema, listing those that are), NS_ERR_INVALID (a column that is
 * not a category, or has more than FAIRNESS_MAX_GROUPS values),
 * NS_ERR_NOMEM. Caller frees out with fairness_report_free(). */
NS_MUST_CHECK enum ns_err fairness_audit(const struct table *t,
                                         const double *p, double threshold,
                                         const char *const *cols,
                                         size_t ncols,
                                         struct fairness_report *out,
                                         struct ns_error *err);

void fairness_report_free(struct fairness_report *r);

/* {"threshold", "groups": [{attribute, value, rows, positives, auc,
 * mean_predicted, observed_rate, fpr, fnr}], "gaps": [{attribute,
 * metric, gap, low, low_value, high, high_value}]}; non-finite numbers
 * become null. Caller owns the reference; NULL when out of memory. */
json_t *fairness_json(const struct fairness_report *r);

/* A table per attribute, then the gaps, the largest marked. */
void fairness_print(const struct fairness_report *r, FILE *f);

#endif
