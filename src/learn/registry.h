/* The model registry on top of the store: bundles kept as versions with
 * their metrics, data fingerprint, parent and status, and the moves
 * between statuses (promote, rollback). Used by 'noshow retrain',
 * 'noshow models' and the service, which loads its model from here. */
#ifndef NS_REGISTRY_H
#define NS_REGISTRY_H

#include <jansson.h>
#include <stddef.h>

#include "model/bundle.h"
#include "store/store.h"
#include "util/err.h"

#define REGISTRY_VERSION_MAX 64

/* Stores b as a new version with the given status and parent (NULL: none).
 * extra (borrowed, may be NULL) is merged into the stored metrics next to
 * the bundle's own test metrics, e.g. the champion/challenger numbers.
 * Errors: NS_ERR_CONFLICT when the version exists, the store's. */
NS_MUST_CHECK enum ns_err registry_put(struct store *s,
                                       const struct bundle *b,
                                       const char *parent,
                                       enum store_model_status status,
                                       const json_t *extra,
                                       struct ns_error *err);

/* Loads a stored version (NULL: the production one) and checks it as
 * bundle_load does. NS_ERR_NOT_FOUND names the version. Caller frees *out
 * with bundle_free(). */
NS_MUST_CHECK enum ns_err registry_load(struct store *s,
                                        const char *version,
                                        struct bundle **out,
                                        struct ns_error *err);

/* The production version into out ("" when there is none). */
NS_MUST_CHECK enum ns_err registry_production(struct store *s, char *out,
                                              size_t outsz,
                                              struct ns_error *err);

/* Makes version production; the previous one becomes archived in the same
 * transaction. The bundle is loaded first, so a version that would not
 * serve is refused (NS_ERR_INVALID) before anything changes. */
NS_MUST_CHECK enum ns_err registry_promote(struct store *s,
                                           const char *version,
                                           struct ns_error *err);

/* Puts back the version the current production replaced: its parent, the
 * champion it was measured against. *restored receives its name.
 * NS_ERR_NOT_FOUND when no version is in production or it has no parent
 * left in the registry. */
NS_MUST_CHECK enum ns_err registry_rollback(struct store *s,
                                            char *restored, size_t rsz,
                                            struct ns_error *err);

/* One version without its bundle, as clients see it: version, status,
 * created, parent, metrics and fingerprint as JSON. Caller owns it. */
json_t *registry_model_json(const struct store_model *m);

/* Every version, newest first, as a JSON array. Caller owns *out. */
NS_MUST_CHECK enum ns_err registry_list_json(struct store *s, json_t **out,
                                             struct ns_error *err);

#endif
