/* The prediction service: the store, the loaded model bundle, the routes
 * of the REST API and the Open Inference Protocol, the notification
 * outbox worker and model hot reload. `noshow serve` and the API tests
 * drive it through these few calls. */
#ifndef NS_API_H
#define NS_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct api_config {
    const char *db_url;         /* sqlite:PATH, sqlite::memory:, mysql:// */
    const char *model_path;     /* bundle file; NULL serves without one */
    const char *host;           /* listen address */
    unsigned port;              /* 0 picks a free port */
    unsigned threads;           /* 0: one per core */
    size_t body_limit;          /* 0: 1 MiB */
    unsigned timeout_s;         /* 0: 10 s */
    const char *web_dir;        /* NULL: no static files */
    const char *webhook_url;    /* NULL: notifications are not delivered */
    const char *pseudonym_key_file; /* see auth_pseudo_load() */
    unsigned outbox_poll_ms;    /* 0: 1000 */
    double rate_limit;          /* requests/s per key; 0: no limit */
    double rate_burst;          /* bucket size; 0: twice rate_limit */
    const char *tls_cert_file;  /* PEM; with tls_key_file, HTTPS only */
    const char *tls_key_file;   /* PEM private key */
    unsigned registry_poll_ms;  /* 0: 10000 */
    unsigned retrain_every_s;   /* 0: no scheduled retraining */
    unsigned retrain_holdout_days; /* 0: 7 */
    const char *session_secret; /* web app cookies (session.h); NULL:
                                   random, sessions end with the process */
    bool session_secure;        /* mark the cookie Secure (behind TLS) */
    /* Decision support (GET /actions, /overbooking, /actions/effect):
     * cost of an empty slot, of a reminder call, and the share of
     * no-shows a reminder prevents (0: the POLICY_DEFAULT_* values of
     * decide/policy.h); the share of each action list held back as
     * control and the days within which a contacted patient is left off
     * new lists (taken as given: 0 disables; noshow serve defaults to
     * 0.1 and 7). */
    double cost_slot, cost_call, reminder_effect;
    double control_share;
    unsigned no_contact_days;
};

struct api;

/* Opens the store (applying migrations), loads the model (the registry's
 * production version when there is one, else the file when one is named;
 * a version promoted later replaces it), reads the pseudonymisation key,
 * starts the outbox worker, the registry poller and the HTTP server. The
 * strings in cfg are copied. Caller stops and frees with api_stop(). */
NS_MUST_CHECK enum ns_err api_start(const struct api_config *cfg,
                                    struct api **out,
                                    struct ns_error *err);

unsigned api_port(const struct api *a);

/* Loads the model again (the registry's production version when there is
 * one, else the file) and swaps it in; requests in flight finish on the
 * old one. A file that fails to load leaves the old model serving,
 * is counted in /metrics and returned as the error. */
NS_MUST_CHECK enum ns_err api_reload(struct api *a, struct ns_error *err);

/* Stops accepting, lets requests in flight finish (up to grace_ms), stops
 * the outbox worker, closes the store. Accepts NULL. */
void api_stop(struct api *a, unsigned grace_ms);

/* The OpenAPI 3.1 document of every route; caller owns the reference. */
json_t *api_openapi(const struct api *a);

#endif
