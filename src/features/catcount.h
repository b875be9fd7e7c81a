/* Streaming fit of the categorical encoders: counts each CATEGORICAL
 * column's values row by row (memory grows with the distinct values, not
 * the rows), then builds the encoders through their JSON form, ordered
 * as encode.h promises (falling frequency, ties by name). For commands
 * that stream a file instead of loading a table. */
#ifndef NS_CATCOUNT_H
#define NS_CATCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "data/record.h"
#include "data/schema.h"
#include "features/encode.h"
#include "util/err.h"

struct catcount;

/* s is borrowed and must outlive the counter. Caller frees with
 * catcount_free(). */
NS_MUST_CHECK enum ns_err catcount_new(const struct schema *s,
                                       struct catcount **out,
                                       struct ns_error *err);

/* Counts the categorical values of r (missing ones are not counted). */
NS_MUST_CHECK enum ns_err catcount_add(struct catcount *c,
                                       const struct record *r,
                                       struct ns_error *err);

/* catcount_add() that also gives the value of each CATEGORICAL column,
 * in schema order, as a code: codes has room for catcount_columns(c);
 * a missing value is CATCOUNT_NONE. Codes are only meaningful to
 * catcount_uncount() and catcount_value() of the same counter. */
#define CATCOUNT_NONE UINT32_MAX
NS_MUST_CHECK enum ns_err catcount_add_coded(struct catcount *c,
                                             const struct record *r,
                                             uint32_t *codes,
                                             struct ns_error *err);

/* The number of CATEGORICAL columns of the schema. */
size_t catcount_columns(const struct catcount *c);

/* Takes back one catcount_add_coded() whose codes were given: for a row
 * found later to be a duplicate of an earlier one. */
void catcount_uncount(struct catcount *c, const uint32_t *codes);

/* The value that code stands for in schema column col (a CATEGORICAL
 * one), or NULL for CATCOUNT_NONE, an unknown code or another column.
 * Borrowed: valid until catcount_free(). */
const char *catcount_value(const struct catcount *c, size_t col,
                           uint32_t code);

/* The number of codes given so far in schema column col (0 for a column
 * that is not CATEGORICAL): codes run from 0 to this, exclusive. */
size_t catcount_ncodes(const struct catcount *c, size_t col);

/* Builds encoders equal to encoders_fit() over the same rows. Caller
 * frees *out with encoders_free(). */
NS_MUST_CHECK enum ns_err catcount_fit(const struct catcount *c,
                                       struct encoders **out,
                                       struct ns_error *err);

void catcount_free(struct catcount *c);

#endif
