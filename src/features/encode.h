/* Categorical encoders, fitted on training rows only and saved in the
 * model bundle. Categories are numbered by falling frequency (ties by
 * name); a category never seen in training maps to its own bucket
 * (the number of known categories), a missing value to NaN. */
#ifndef NS_ENCODE_H
#define NS_ENCODE_H

#include <jansson.h>
#include <stddef.h>

#include "data/schema.h"
#include "data/table.h"
#include "util/err.h"

struct encoders;

/* Fits one encoder per CATEGORICAL column of t's schema on the given rows
 * (all rows when rows is NULL). Caller frees with encoders_free(). */
NS_MUST_CHECK enum ns_err encoders_fit(const struct table *t,
                                       const size_t *rows, size_t nrows,
                                       struct encoders **out,
                                       struct ns_error *err);

/* Code of a value of schema column col: known index, the unknown bucket,
 * or NaN for NULL. *unknown (may be NULL) is set when the value was not
 * seen in training. */
double encoders_code(const struct encoders *e, int col, const char *value,
                     int *unknown);

/* Number of known categories of column col (0 for other columns). */
size_t encoders_count(const struct encoders *e, int col);

/* Category text of code k of column col; borrowed, NULL when out of
 * range. */
const char *encoders_category(const struct encoders *e, int col, size_t k);

/* {"Neighbourhood": ["JARDIM CAMBURI", ...], ...}; caller owns the
 * returned reference. */
json_t *encoders_to_json(const struct encoders *e);

NS_MUST_CHECK enum ns_err encoders_from_json(const struct schema *s,
                                             const json_t *j,
                                             struct encoders **out,
                                             struct ns_error *err);

void encoders_free(struct encoders *e);

#endif
