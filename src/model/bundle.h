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
#include "model/calibrate.h"
#include "model/xgb.h"
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

/* The parts of a freshly trained model. bundle_new() takes ownership of
 * every pointer here (and of calib's knots) whether it succeeds or not;
 * NULL json members are left out of the file. */
struct bundle_parts {
    struct schema *schema;
    struct encoders *encoders;      /* may be NULL: no categories */
    struct pipeline *pipeline;      /* built on schema and encoders */
    struct xgb_model *model;
    struct calib calib;
    double threshold;
    const char *threshold_rule;     /* "f1", "recall" or "cost"; copied */
    json_t *threshold_params;       /* e.g. {"target_recall": 0.8} */
    double high_from;               /* risk band "high" from here */
    json_t *metrics;                /* test metrics, curves, baseline */
    json_t *params;                 /* training parameters */
    json_t *fingerprint;            /* sha256, rows, date_from, date_to */
};

/* Assembles a bundle from trained parts, stamping the creation time and
 * the version id (UTC time + the first 8 hex digits of the SHA-256 of
 * the XGBoost part). Errors: NS_ERR_INVALID (feature count of the model
 * differs from the pipeline's, a band cut below the threshold),
 * NS_ERR_NOMEM, NS_ERR_LIB. Caller frees *out with bundle_free(). */
NS_MUST_CHECK enum ns_err bundle_new(struct bundle_parts *parts,
                                     struct bundle **out,
                                     struct ns_error *err);

/* Global importance computed elsewhere ({"feature": value, ...} or any
 * JSON the explanation module defines), saved under "importance". Takes
 * ownership of the reference; NULL removes it. */
void bundle_set_importance(struct bundle *b, json_t *importance);

/* The training data's reference histograms (src/model/drift.h), saved
 * under "reference" for drift monitoring. Takes ownership of the
 * reference; NULL removes it. Bundles made before it load without one. */
void bundle_set_reference(struct bundle *b, json_t *reference);

/* Borrowed: the "reference" value, or NULL when the bundle has none. */
const json_t *bundle_reference(const struct bundle *b);

/* Borrowed: the "importance" value, or NULL when none was set. */
const json_t *bundle_importance(const struct bundle *b);

/* Borrowed: the model, the calibration, the threshold rule name, the
 * band cut and the saved metrics (NULL when absent). */
const struct xgb_model *bundle_model(const struct bundle *b);
const struct calib *bundle_calib(const struct bundle *b);
const char *bundle_threshold_rule(const struct bundle *b);
double bundle_high_from(const struct bundle *b);
const json_t *bundle_metrics(const struct bundle *b);

/* The band of a calibrated probability: low below the threshold, high
 * from high_from, medium between. */
enum bundle_band bundle_band_of(const struct bundle *b, double p);

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

/* The file's bytes in memory (for the model registry): *text is
 * NUL-terminated, *len excludes the NUL; caller frees *text with free().
 * Errors: NS_ERR_NOMEM, NS_ERR_LIB. */
NS_MUST_CHECK enum ns_err bundle_to_text(const struct bundle *b,
                                         char **text, size_t *len,
                                         struct ns_error *err);

/* Borrowed views, valid until bundle_free(). */
const struct schema *bundle_schema(const struct bundle *b);
const struct pipeline *bundle_pipeline(const struct bundle *b);
const struct encoders *bundle_encoders(const struct bundle *b);
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

/* The same on nthread threads of libxgboost's (0: every core; 1: the
 * calling thread alone, for callers that run several at once). */
NS_MUST_CHECK enum ns_err bundle_score_matrix_threads(
    const struct bundle *b, const float *x, size_t n, int nthread,
    struct bundle_score *out, struct ns_error *err);

/* Everything a client may see: version, created, schema name and text,
 * features, threshold and rule, bands, calibration, metrics with curves,
 * importance, fingerprint, parameters, versions. Caller owns the
 * reference. */
json_t *bundle_info_json(const struct bundle *b);

void bundle_free(struct bundle *b);

#endif
