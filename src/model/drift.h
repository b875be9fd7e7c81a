/* Feature drift: at training time, a reference histogram of every input
 * column (numeric: bins cut at the training deciles; categorical: the
 * most frequent values and "other"; both with a "missing" bin); while
 * serving, bounded counters of the same bins over the records scored,
 * and the population stability index (PSI) of each input between the
 * two. PSI above DRIFT_PSI_WARN is the usual sign of a shifted input. */
#ifndef NS_DRIFT_H
#define NS_DRIFT_H

#include <jansson.h>
#include <stddef.h>

#include "data/record.h"
#include "data/schema.h"
#include "data/table.h"
#include "util/err.h"

#define DRIFT_PSI_WARN 0.2
#define DRIFT_MAX_BINS 10       /* numeric bins, from the deciles */
#define DRIFT_MAX_VALUES 20     /* categorical values kept by name */
#define DRIFT_MIN_ROWS 100      /* fewer recent rows: no PSI yet */

/* The reference of rows[0..n) of t (every row when rows is NULL) as JSON
 * {"features": [{"name", "kind", "edges" | "values", "p"}, ...]}.
 * Caller owns *out. Errors: NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err drift_reference(const struct table *t,
                                          const size_t *rows, size_t n,
                                          json_t **out,
                                          struct ns_error *err);

struct drift;

/* Counters for the reference ref (borrowed for the call) over schema s
 * (borrowed; must outlive the counters). Features of ref that s lacks
 * are skipped. Caller frees with drift_free(). NS_ERR_PARSE names a
 * malformed reference. */
NS_MUST_CHECK enum ns_err drift_new(const json_t *ref,
                                    const struct schema *s,
                                    struct drift **out,
                                    struct ns_error *err);

/* Counts one scored record. Lock-free: any number of threads at once. */
void drift_add(struct drift *d, const struct record *r);

/* {"rows": n, "warn_above": 0.2, "features": [{"name", "psi" (null
 * below DRIFT_MIN_ROWS), "warning"}, ...]}; caller owns it, NULL when out
 * of memory. */
json_t *drift_report(const struct drift *d);

/* Rows counted so far. */
size_t drift_rows(const struct drift *d);

/* PSI of feature i (NAN below DRIFT_MIN_ROWS) and its name (borrowed);
 * false when i is out of range. */
bool drift_feature_psi(const struct drift *d, size_t i, const char **name,
                       double *psi);

void drift_free(struct drift *d);

#endif
