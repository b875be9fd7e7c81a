/* The service's shared state and the helpers its route files share;
 * private to src/server/. */
#ifndef NS_API_INT_H
#define NS_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "data/csv.h"
#include "data/record.h"
#include "model/bundle.h"
#include "model/drift.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/metrics.h"
#include "store/store.h"
#include "util/buf.h"

#define API_PREDICT_MAX 1000    /* records in one /predict or infer call */
#define API_REASONS 3           /* reasons in an answer */

/* A loaded bundle shared by the requests using it; freed by the last. */
struct api_model {
    struct bundle *bundle;
    struct drift *drift;        /* NULL when the bundle has no reference */
    atomic_int refs;
};

struct api_outbox;
struct api_learn;

struct api {
    struct api_config cfg;      /* strings point into owned copies */
    char *owned[8];
    struct store *store;
    struct auth *auth;
    struct auth_pseudo pseudo;
    struct metrics *metrics;
    struct http_server *http;
    struct api_outbox *outbox;
    struct session_keeper *sessions;
    pthread_mutex_t model_lock; /* guards model (the pointer only) */
    struct api_model *model;
    pthread_mutex_t reload_lock; /* one reload at a time */
    struct ratelimit *ratelimit; /* NULL: no limit */
    char *tls_cert;             /* PEM texts read at start, or NULL */
    char *tls_key;
    struct api_learn *learn;    /* registry poller and retraining */
    pthread_mutex_t perf_lock;  /* guards perf */
    json_t *perf;               /* last monitor_performance() report */
};

extern const struct http_route api_routes[];
extern const size_t api_nroutes;

/* Model holder (api_model.c). acquire: a counted reference to the
 * current model, NULL when none is loaded; give it back with release. */
struct api_model *api_model_acquire(struct api *a);
void api_model_release(struct api_model *m);
NS_MUST_CHECK enum ns_err api_model_load(struct api *a,
                                         struct ns_error *err);
/* Swaps b in (takes ownership of b whatever the result), after giving
 * the appointments table its schema's columns. */
NS_MUST_CHECK enum ns_err api_model_install(struct api *a, struct bundle *b,
                                            struct ns_error *err);
/* Loads a registry version (NULL: production) and swaps it in. */
NS_MUST_CHECK enum ns_err api_model_load_registry(struct api *a,
                                                  const char *version,
                                                  struct ns_error *err);
void api_model_drop(struct api *a);

/* A JSON object turned into a typed record (api_record.c). */
struct api_rec {
    struct csv_field *vals;     /* [ncols], owned */
    char **texts;               /* [ncols] owned strings */
    struct record *rec;         /* owned; borrows from texts */
    size_t ncols;
};

/* Parses obj against the schema s: every member must be a schema column
 * (target excluded), numbers and strings accepted where the column takes
 * them, then the one cleaning path (clean_values). On failure returns
 * NS_ERR_INVALID and sets *errors to a new array of {"field", "value",
 * "expected"} entries (field names prefixed with prefix, e.g. "[3].") and
 * err to the first. Free r with api_rec_free() in every case. */
NS_MUST_CHECK enum ns_err api_rec_parse(const struct schema *s,
                                        const json_t *obj,
                                        const char *prefix,
                                        struct api_rec *r, json_t **errors,
                                        struct ns_error *err);
void api_rec_free(struct api_rec *r);

/* What a column accepts, in words, into buf. */
void api_column_expected(const struct schema_column *c, char *buf,
                         size_t n);

/* Scores r with m's bundle, history from the store (patient
 * pseudonymised), and adds r to m's drift window; x (may be NULL)
 * receives the feature vector, PIPELINE_MAX_FEATURES floats. The caller
 * holds m (api_model_acquire), so scoring takes no lock of its own. */
NS_MUST_CHECK enum ns_err api_score(struct api *a,
                                    const struct api_model *m,
                                    const struct record *r,
                                    struct bundle_score *out, float *x,
                                    struct ns_error *err);

/* The API_REASONS strongest reasons of a scored feature vector x (TreeSHAP
 * on one thread, grouped by input): a new JSON array, or NULL with err. */
json_t *api_reasons(const struct bundle *b, const float *x,
                    struct ns_error *err);

/* The names of the categorical columns of r whose value was not seen in
 * training (scored in the unknown bucket): a new JSON array. */
json_t *api_unknown_categories(const struct bundle *b,
                               const struct record *r);

/* {"probability", "band", "label", "model_version",
 * "unknown_categories", "reasons"}; takes ownership of unknown and
 * reasons (NULL gives an empty list). Caller owns the result. */
json_t *api_score_json(const struct bundle *b, const struct bundle_score *sc,
                       json_t *unknown, json_t *reasons);

/* Answers 422 with errors (owned) and the message of err as detail. */
void api_invalid(const struct http_req *req, struct http_resp *resp,
                 const struct ns_error *err, json_t *errors);

/* Answers 503 "no model loaded". */
void api_no_model(const struct http_req *req, struct http_resp *resp);

/* Parses the {id} segment: false (and a 404 in resp) when it is not a
 * positive integer. */
bool api_path_id(const struct http_req *req, struct http_resp *resp,
                 int64_t *id);

/* A store failure about the appointment in the path: the problem names
 * the id as the value when the store names a field. */
void api_appt_error(const struct http_req *req, struct http_resp *resp,
                    const struct ns_error *err);

/* A copy of text in which the user name and password of every URL
 * (between "://" and "@") become three asterisks, so a stored delivery
 * error never shows a webhook's credentials. Caller frees the
 * result with free(); NULL when out of memory. */
char *api_redact_credentials(const char *text);

/* One delivery job as JSON {"outbox_id", "state", "attempts",
 * "next_attempt_at", "last_error", "updated_at"}, its error redacted.
 * Caller owns the result (NULL when out of memory). */
json_t *api_delivery_json(const struct store_outbox_info *j);

/* Abuse guards (api_guard.c): the rate limiter and the TLS key pair
 * that cfg names, set into a and hc (which borrows them). free releases
 * them (wiping the key) and accepts a half-built a. */
NS_MUST_CHECK enum ns_err api_guard_setup(struct api *a,
                                          struct http_config *hc,
                                          struct ns_error *err);
void api_guard_free(struct api *a);

/* Answers 422 naming the query parameter, its value and what was
 * expected; returns false so parsers can "return api_query_fail(..)". */
bool api_query_fail(const struct http_req *req, struct http_resp *resp,
                    const char *field, const char *value,
                    const char *expected);

/* Route handlers. */
void api_h_book(struct http_req *req, struct http_resp *resp);
void api_h_appt_get(struct http_req *req, struct http_resp *resp);
void api_h_appt_list(struct http_req *req, struct http_resp *resp);
void api_h_outcome(struct http_req *req, struct http_resp *resp);
void api_h_notify(struct http_req *req, struct http_resp *resp);
void api_h_confirm(struct http_req *req, struct http_resp *resp);
void api_h_predict(struct http_req *req, struct http_resp *resp);
void api_h_v2_infer(struct http_req *req, struct http_resp *resp);
void api_h_v2_model(struct http_req *req, struct http_resp *resp);
void api_h_v2_live(struct http_req *req, struct http_resp *resp);
void api_h_v2_ready(struct http_req *req, struct http_resp *resp);
void api_h_model(struct http_req *req, struct http_resp *resp);
void api_h_healthz(struct http_req *req, struct http_resp *resp);
void api_h_readyz(struct http_req *req, struct http_resp *resp);
void api_h_metrics(struct http_req *req, struct http_resp *resp);
void api_h_openapi(struct http_req *req, struct http_resp *resp);
void api_h_patient_erase(struct http_req *req, struct http_resp *resp);
void api_h_models(struct http_req *req, struct http_resp *resp);
void api_h_model_promote(struct http_req *req, struct http_resp *resp);
void api_h_model_rollback(struct http_req *req, struct http_resp *resp);
void api_h_monitoring(struct http_req *req, struct http_resp *resp);
/* Decision support (api_decide.c). */
void api_h_actions(struct http_req *req, struct http_resp *resp);
void api_h_overbooking(struct http_req *req, struct http_resp *resp);
void api_h_effect(struct http_req *req, struct http_resp *resp);

/* Outbox worker (api_outbox.c). */
NS_MUST_CHECK enum ns_err api_outbox_start(struct api *a,
                                           struct api_outbox **out,
                                           struct ns_error *err);
/* Wakes the worker after a new job was queued. */
void api_outbox_kick(struct api_outbox *o);
void api_outbox_stop(struct api_outbox *o);

/* Registry poller and scheduled retraining (api_learn.c): one thread that
 * swaps in the production version whenever the registry's changes, and
 * every retrain_every_s runs one retraining round under the store's
 * "retrain" lease. */
NS_MUST_CHECK enum ns_err api_learn_start(struct api *a,
                                          struct api_learn **out,
                                          struct ns_error *err);
/* Checks the registry now and swaps when production moved; NS_OK when
 * nothing changed or the swap succeeded. */
NS_MUST_CHECK enum ns_err api_learn_sync(struct api *a,
                                         struct ns_error *err);
void api_learn_stop(struct api_learn *l);

/* Recomputes the performance report into a->perf; on failure the last
 * one stays. */
NS_MUST_CHECK enum ns_err api_learn_refresh(struct api *a,
                                            struct ns_error *err);

/* The monitoring gauges in Prometheus text: PSI per input of the serving
 * model, and per model version ROC AUC, Brier, observed and predicted
 * rates from the last report. */
NS_MUST_CHECK enum ns_err api_monitoring_gauges(struct api *a,
                                                struct ns_buf *out);

#endif
