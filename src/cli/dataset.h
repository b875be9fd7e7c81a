/* A CSV file loaded for the commands that need every row at once
 * (compare, explain, audit): the cleaned table, and its feature matrix
 * computed by the one pipeline with history from the file itself. */
#ifndef NS_CLI_DATASET_H
#define NS_CLI_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include "data/clean.h"
#include "data/schema.h"
#include "data/table.h"
#include "features/encode.h"
#include "features/history.h"
#include "features/pipeline.h"
#include "model/bundle.h"
#include "util/err.h"

struct cli_dataset {
    struct schema *own_schema;      /* owned when chosen here, or NULL */
    const struct schema *schema;    /* the schema in use */
    struct table *t;
    struct clean_report report;
    struct encoders *own_enc;       /* owned when fitted here */
    struct pipeline *own_pipe;      /* owned when built here */
    const struct pipeline *pipe;    /* the pipeline in use */
    struct history_index *hist;
    size_t nf;
    float *X;                       /* [t->nrows * nf] */
    float *y;                       /* [t->nrows]: 0/1, or NaN unknown;
                                       filled by cli_dataset_load() */
};

/* Loads path. schema (borrowed) is used when given; otherwise spec names
 * a built-in schema or a schema file, or (NULL) the schema is detected
 * from the header. A file without data rows is refused (NS_ERR_INVALID
 * naming the file). need_label drops rows without an outcome and
 * exact duplicates (kept otherwise, so row numbers still name file
 * rows). Free d
 * with cli_dataset_free() whatever the result. */
NS_MUST_CHECK enum ns_err cli_dataset_load(const char *path,
                                           const char *spec,
                                           const struct schema *schema,
                                           bool need_label,
                                           struct cli_dataset *d,
                                           struct ns_error *err);

/* Features of every row with pipeline p (borrowed, or NULL: encoders
 * fitted on rows fit[0..nfit) and a pipeline with history and time
 * features built here). History comes from the file itself, plus the
 * labelled rows of the file past when not NULL. */
NS_MUST_CHECK enum ns_err cli_dataset_features(struct cli_dataset *d,
                                               const struct pipeline *p,
                                               const size_t *fit,
                                               size_t nfit,
                                               const char *past,
                                               struct ns_error *err);

/* Whether feature k has unordered codes or is a yes/no column. */
bool cli_dataset_categorical(const struct cli_dataset *d, size_t k);

/* Rows of t the bundle's importance is measured on, at most this many,
 * evenly spaced: exact TreeSHAP costs about 0.1 ms a row for a few
 * hundred trees, and the ranking is stable long before 10,000 rows. */
#define CLI_IMPORTANCE_ROWS 10000

/* Global importance of b's model over (up to CLI_IMPORTANCE_ROWS) rows
 * of t, history from t itself, stored in b with bundle_set_importance().
 * Errors: XGBoost's, NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err cli_bundle_importance(struct bundle *b,
                                                const struct table *t,
                                                struct ns_error *err);

void cli_dataset_free(struct cli_dataset *d);

#endif
