/* The service: route table, start, reload and stop. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/registry.h"
#include "server/api_int.h"
#include "server/session.h"
#include "util/log.h"

static void h_reload(struct http_req *req, struct http_resp *resp);

#define ROUTE(m, p, role, body, h, sum) {m, p, role, body, h, sum}

const struct http_route api_routes[] = {
    ROUTE("POST", "/appointments", HTTP_ROLE_CLINIC, HTTP_BODY_JSON,
          api_h_book, "Book an appointment: validate, score, store"),
    ROUTE("GET", "/appointments", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_appt_list, "List appointments by risk, with filters"),
    ROUTE("GET", "/appointments/{id}", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_appt_get, "One appointment with its risk and events"),
    ROUTE("PUT", "/appointments/{id}/outcome", HTTP_ROLE_CLINIC,
          HTTP_BODY_JSON, api_h_outcome,
          "Record what happened: honored, cancelled or no_show"),
    ROUTE("POST", "/appointments/{id}/notify", HTTP_ROLE_CLINIC,
          HTTP_BODY_JSON, api_h_notify,
          "Queue a reminder for delivery to the webhook"),
    ROUTE("POST", "/appointments/{id}/confirm", HTTP_ROLE_CLINIC,
          HTTP_BODY_NONE, api_h_confirm,
          "Record that the patient confirmed they will come"),
    ROUTE("POST", "/predict", HTTP_ROLE_CLINIC, HTTP_BODY_JSON,
          api_h_predict, "Score one record or a list without storing"),
    ROUTE("POST", "/v2/models/noshow/infer", HTTP_ROLE_CLINIC,
          HTTP_BODY_JSON, api_h_v2_infer,
          "Open Inference Protocol v2: score named input tensors"),
    ROUTE("GET", "/v2/models/noshow", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_v2_model, "Open Inference Protocol v2: model metadata"),
    ROUTE("GET", "/v2/health/live", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE,
          api_h_v2_live, "Open Inference Protocol v2: liveness"),
    ROUTE("GET", "/v2/health/ready", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE,
          api_h_v2_ready, "Open Inference Protocol v2: readiness"),
    ROUTE("GET", "/model", HTTP_ROLE_READER, HTTP_BODY_NONE, api_h_model,
          "The loaded model: version, schema, metrics, threshold"),
    ROUTE("POST", "/model/reload", HTTP_ROLE_ADMIN, HTTP_BODY_NONE,
          h_reload, "Reload the model file (as SIGHUP does)"),
    ROUTE("GET", "/models", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_models, "The model registry: every version and status"),
    ROUTE("POST", "/models/{id}/promote", HTTP_ROLE_ADMIN, HTTP_BODY_NONE,
          api_h_model_promote,
          "Make a registered version production and serve it"),
    ROUTE("POST", "/models/rollback", HTTP_ROLE_ADMIN, HTTP_BODY_NONE,
          api_h_model_rollback,
          "Put back the version the production one replaced"),
    ROUTE("GET", "/monitoring", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_monitoring, "Performance per model version and week on "
          "recorded outcomes; input drift (PSI) of the serving model"),
    ROUTE("GET", "/actions", HTTP_ROLE_CLINIC, HTTP_BODY_NONE,
          api_h_actions, "The day's reminder list by expected gain, with "
          "a recorded control group"),
    ROUTE("GET", "/actions/effect", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_effect, "No-show rate of acted-on versus control "
          "appointments, with a 95% interval"),
    ROUTE("GET", "/overbooking", HTTP_ROLE_READER, HTTP_BODY_NONE,
          api_h_overbooking, "Extra bookings a session can take at a "
          "chosen overflow risk"),
    ROUTE("GET", "/healthz", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE,
          api_h_healthz, "Liveness: the process answers"),
    ROUTE("GET", "/readyz", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE,
          api_h_readyz, "Readiness: database reachable and model loaded"),
    ROUTE("GET", "/metrics", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE,
          api_h_metrics, "Prometheus metrics"),
    ROUTE("GET", "/openapi.json", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE,
          api_h_openapi, "This document"),
    ROUTE("DELETE", "/patients/{id}", HTTP_ROLE_ADMIN, HTTP_BODY_NONE,
          api_h_patient_erase,
          "Erase a patient's personal fields and history"),
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

static enum ns_err check_key(void *app, const char *key,
                             enum http_role *role, int64_t *key_id,
                             struct ns_error *err)
{
    struct api *a = app;

    return auth_check(a->auth, key, role, key_id, err);
}

static void h_reload(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct ns_error err;
    struct api_model *m;

    ns_error_clear(&err);
    if (api_reload(a, &err) != NS_OK) {
        /* The old model still serves: say so rather than a bare 500. */
        http_problem(req, resp, 422, err.msg, NULL);
        return;
    }
    m = api_model_acquire(a);
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:s?}", "status", "reloaded",
                             "model_version",
                             m ? bundle_version(m->bundle) : NULL));
    api_model_release(m);
}

static enum ns_err copy_config(struct api *a, const struct api_config *cfg,
                               struct ns_error *err)
{
    const char **fields[] = {&a->cfg.db_url, &a->cfg.model_path,
                             &a->cfg.host, &a->cfg.web_dir,
                             &a->cfg.webhook_url,
                             &a->cfg.pseudonym_key_file,
                             &a->cfg.session_secret};

    a->cfg = *cfg;
    if (a->cfg.host == NULL)
        a->cfg.host = "127.0.0.1";
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (*fields[i] == NULL)
            continue;
        a->owned[i] = strdup(*fields[i]);
        if (a->owned[i] == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        *fields[i] = a->owned[i];
    }
    return NS_OK;
}

static enum ns_err start_http(struct api *a, struct ns_error *err)
{
    struct http_config hc = {0};
    struct session_config sc = {.secret = a->cfg.session_secret,
                                .secure_cookie = a->cfg.session_secure,
                                .auth = check_key, .app = a};
    enum ns_err rc = session_keeper_new(&sc, &a->sessions, err);

    if (rc != NS_OK)
        return rc;
    hc.host = a->cfg.host;
    hc.port = a->cfg.port;
    hc.threads = a->cfg.threads;
    hc.body_limit = a->cfg.body_limit;
    hc.timeout_s = a->cfg.timeout_s;
    hc.web_dir = a->cfg.web_dir;
    hc.routes = api_routes;
    hc.nroutes = api_nroutes;
    hc.auth = check_key;
    hc.app = a;
    hc.metrics = a->metrics;
    rc = api_guard_setup(a, &hc, err);
    if (rc != NS_OK)
        return rc;
    hc.sessions = a->sessions;
    return http_start(&hc, &a->http, err);
}

/* The registry's production version when there is one (every replica
 * serves the same model), else the file named at start. */
static enum ns_err first_model(struct api *a, struct ns_error *err)
{
    char ver[REGISTRY_VERSION_MAX];
    enum ns_err rc = registry_production(a->store, ver, sizeof(ver), err);

    if (rc != NS_OK)
        return rc;
    if (ver[0])
        return api_model_load_registry(a, ver, err);
    return a->cfg.model_path ? api_model_load(a, err) : NS_OK;
}

enum ns_err api_start(const struct api_config *cfg, struct api **out,
                      struct ns_error *err)
{
    struct api *a = calloc(1, sizeof(*a));
    enum ns_err rc;

    *out = NULL;
    if (a == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&a->model_lock, NULL);
    pthread_mutex_init(&a->reload_lock, NULL);
    pthread_mutex_init(&a->perf_lock, NULL);
    /* Before any thread exists: libcurl's global set-up is not
     * thread-safe. It counts calls, so api_stop() undoes exactly this. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = copy_config(a, cfg, err);
    if (rc == NS_OK)
        rc = auth_pseudo_load(a->cfg.db_url, a->cfg.pseudonym_key_file,
                              &a->pseudo, err);
    if (rc == NS_OK)
        rc = store_open(a->cfg.db_url, &a->store, err);
    if (rc == NS_OK)
        rc = first_model(a, err);
    if (rc != NS_OK)
        goto out;
    a->auth = auth_new(a->store);
    a->metrics = metrics_new(api_routes, api_nroutes);
    if (a->auth == NULL || a->metrics == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = api_outbox_start(a, &a->outbox, err);
    if (rc == NS_OK)
        rc = api_learn_start(a, &a->learn, err);
    if (rc == NS_OK)
        rc = start_http(a, err);
    if (rc != NS_OK)
        goto out;
    *out = a;
    a = NULL;
out:
    api_stop(a, 0);
    return rc;
}

unsigned api_port(const struct api *a)
{
    return http_port(a->http);
}

enum ns_err api_reload(struct api *a, struct ns_error *err)
{
    enum ns_err rc;

    char ver[REGISTRY_VERSION_MAX] = "";

    /* The registry's production version outranks the file: otherwise the
     * next registry poll would swap the file's model out again. */
    rc = registry_production(a->store, ver, sizeof(ver), err);
    if (rc != NS_OK)
        return rc;
    if (ver[0] == '\0' && a->cfg.model_path == NULL)
        return ns_error_set(err, NS_ERR_INVALID, "no model file to reload "
                            "and no production version in the registry; "
                            "expected the server to start with --model");
    pthread_mutex_lock(&a->reload_lock);
    rc = ver[0] ? api_model_load_registry(a, ver, err)
                : api_model_load(a, err);
    pthread_mutex_unlock(&a->reload_lock);
    metrics_reload(a->metrics, rc == NS_OK);
    if (rc != NS_OK)
        ns_log_error("api", "model reload failed, the previous model keeps "
                     "serving: %s", err ? err->msg : ns_err_str(rc));
    return rc;
}

void api_stop(struct api *a, unsigned grace_ms)
{
    if (a == NULL)
        return;
    http_stop(a->http, grace_ms);
    api_learn_stop(a->learn);
    session_keeper_free(a->sessions);
    api_outbox_stop(a->outbox);
    api_model_drop(a);
    auth_free(a->auth);
    metrics_free(a->metrics);
    api_guard_free(a);
    store_close(a->store);
    memset(&a->pseudo, 0, sizeof(a->pseudo));
    for (size_t i = 0; i < sizeof(a->owned) / sizeof(a->owned[0]); i++)
        free(a->owned[i]);
    pthread_mutex_destroy(&a->model_lock);
    pthread_mutex_destroy(&a->reload_lock);
    pthread_mutex_destroy(&a->perf_lock);
    json_decref(a->perf);
    free(a);
    curl_global_cleanup();
}
