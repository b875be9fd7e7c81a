/* The model bundle: one JSON file that is at once a valid XGBoost JSON
 * model (XGBoost ignores the extra top-level "noshow" key, so a notebook
 * loads it with xgboost.Booster(model_file=...)) and everything noshow
 * needs to score a raw record: schema, fitted encoders, feature list,
 * calibration, decision threshold and its rule, risk bands, metrics and
 * curves, global importance, training-data fingerprint, parameters,
 * library versions and creation time. Loading checks all of it. */
#ifndef NS_BUNDLE_H
#define NS_BUNDLE_H

#include <jansson.h>
#include <stddef.h>

#include "data/record.h"
#include "data/schema.h"
#include "features/history.h"
#include "features/pipeline.h"
#include "util/err.h"

#define BUNDLE_FORMAT_VERSION 1

enum bundle_band { BAND_LOW = 0, BAND_MEDIUM, BAND_HIGH };

struct bundle;

struct bundle_score {
    double margin;          /* raw XGBoost margin (log-odds) */
    double probability;     /* calibrated */
    enum bundle_band band;
    int label;              /* probability >= threshold */
    int unknown_cats;       /* categories unseen in training */
};

/* Reads and checks a bundle file. Truncated or corrupted files, another
 * format, a newer format version or a schema/feature mismatch fail with a
 * message saying what does not match. Caller frees with bundle_free(). */
NS_MUST_CHECK enum ns_err bundle_load(const char *path, struct bundle **out,
                                      struct ns_error *err);

/* The same from memory (a registry blob); data is borrowed. */
NS_MUST_CHECK enum ns_err bundle_load_mem(const char *data, size_t len,
                                          const char *name,
                                          struct bundle **out,
                                          struct ns_error *err);

/* Writes atomically (temporary file, fsync, rename). */
NS_MUST_CHECK enum ns_err bundle_save(const struct bundle *b,
                                      const char *path,
                                      struct ns_error *err);

/* Borrowed views, valid until bundle_free(). */
const struct schema *bundle_schema(const struct bundle *b);
const struct pipeline *bundle_pipeline(const struct bundle *b);
const char *bundle_version(const struct bundle *b);
double bundle_threshold(const struct bundle *b);
const char *bundle_band_name(enum bundle_band band);

/* Scores one record: features (history from hist, may be NULL), margin
 * on one thread (single rows must not pay for a thread pool), calibration,
 * band, label. features_out (may be NULL) receives the feature vector.
 * Thread-safe: many threads may score with one bundle at once. */
NS_MUST_CHECK enum ns_err bundle_score_record(const struct bundle *b,
                                              const struct record *r,
                                              const struct history_source *h,
                                              struct bundle_score *out,
                                              float *features_out,
                                              struct ns_error *err);

/* Scores n feature rows (row-major, pipeline_nfeatures columns) using
 * every core. */
NS_MUST_CHECK enum ns_err bundle_score_matrix(const struct bundle *b,
                                              const float *x, size_t n,
                                              struct bundle_score *out,
                                              struct ns_error *err);

/* Everything a client may see: version, created, schema name and text,
 * features, threshold and rule, bands, calibration, metrics with curves,
 * importance, fingerprint, parameters, versions. Caller owns the
 * reference. */
json_t *bundle_info_json(const struct bundle *b);

void bundle_free(struct bundle *b);

#endif
