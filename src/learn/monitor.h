/* Model performance on recorded outcomes: for every model version and
 * every week (Monday to Sunday, by appointment day) of labelled bookings,
 * ROC AUC, Brier score, observed no-show rate and mean predicted
 * probability, from the risk each booking was given when it was made. */
#ifndef NS_MONITOR_H
#define NS_MONITOR_H

#include <jansson.h>

#include "store/store.h"
#include "util/err.h"

/* {"versions": [{"model_version", "rows", "roc_auc", "brier",
 * "observed_rate", "predicted_rate", "weeks": [{"week" (its Monday,
 * YYYY-MM-DD), the same numbers}, ...]}, ...]}; roc_auc is null when a
 * group holds one class only. Caller owns *out. Errors: the store's,
 * NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err monitor_performance(struct store *s,
                                              json_t **out,
                                              struct ns_error *err);

#endif
