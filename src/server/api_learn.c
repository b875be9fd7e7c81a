/* The learning loop of a replica: a background thread that polls the
 * model registry (every registry_poll_ms) and swaps in the production
 * version when it changes, so replicas on one database follow a promotion
 * or rollback made anywhere; and, with retrain_every_s, runs a retraining
 * round under the store's "retrain" lease, so only one replica retrains
 * per period. The thread runs under SCHED_IDLE (nice 10 where that is
 * refused) and trains with one XGBoost thread: requests keep the cores.
 * Also the /models routes. */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "learn/monitor.h"
#include "learn/retrain.h"
#include "server/api_int.h"
#include "server/worker.h"
#include "util/log.h"
#include "util/timeutil.h"

#define LEARN_POLL_MS_DEFAULT 10000
#define LEARN_PERF_MS 60000     /* performance report refresh */
#define LEARN_LEASE "retrain"

struct api_learn {
    struct api *a;
    struct worker w;
    bool lowered;               /* the thread's priority (first step) */
    char holder[128];
    int64_t next_retrain_ms;
    int64_t next_perf_ms;
};

enum ns_err api_learn_sync(struct api *a, struct ns_error *err)
{
    char ver[REGISTRY_VERSION_MAX];
    struct api_model *m;
    bool same;
    enum ns_err rc;

    rc = registry_production(a->store, ver, sizeof(ver), err);
    if (rc != NS_OK || ver[0] == '\0')
        return rc;
    m = api_model_acquire(a);
    same = m && strcmp(bundle_version(m->bundle), ver) == 0;
    api_model_release(m);
    if (same)
        return NS_OK;
    pthread_mutex_lock(&a->reload_lock);
    rc = api_model_load_registry(a, ver, err);
    pthread_mutex_unlock(&a->reload_lock);
    metrics_reload(a->metrics, rc == NS_OK);
    return rc;
}

/* One round when this replica wins the lease; the lease lives for the
 * whole period, so the other replicas skip this one.
 * LIMITATION: a replica that stops in the middle of a round leaves the
 * lease held until the period ends, so that period has no retraining;
 * and a round longer than the period could overlap the next one on
 * another replica (the registry stays consistent, as each put is one
 * transaction). Renewing the lease while training would close both. */
static void retrain_round(struct api_learn *l)
{
    struct api *a = l->a;
    struct retrain_opts o;
    struct retrain_result res;
    struct ns_error err;
    int64_t period = (int64_t)a->cfg.retrain_every_s * 1000;
    int got = 0;

    ns_error_clear(&err);
    if (store_lease_acquire(a->store, LEARN_LEASE, l->holder, ns_now_ms(),
                            period, &got, &err) != NS_OK) {
        ns_log_warn("learn", "retrain lease failed: %s", err.msg);
        return;
    }
    if (!got) {
        ns_log_info("learn", "another replica holds the retrain lease");
        return;
    }
    retrain_opts_default(&o);
    o.nthread = 1;
    o.champion_file = a->cfg.model_path;
    if (a->cfg.retrain_holdout_days)
        o.holdout_days = (int)a->cfg.retrain_holdout_days;
    if (retrain_run(a->store, &o, &res, &err) != NS_OK)
        ns_log_warn("learn", "scheduled retraining failed: %s", err.msg);
    else
        ns_log_info("learn", "scheduled retraining: %s", res.decision);
}

/* This thread only (Linux schedules thread ids one by one), and the
 * OpenMP workers it starts inherit it. SCHED_IDLE runs it only when no
 * request handler wants the core; nice 10 still shares it.
 * LIMITATION: this keeps p99 only when a core is free: on two vCPUs busy
 * with other work, /predict's p99 rose from about 1 to 8 ms while a
 * round ran. Such hosts should retrain in a separate job. */
static void lower_priority(void)
{
    if (sched_setscheduler(gettid(), SCHED_IDLE,
                           &(struct sched_param){0}) != 0 &&
        setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
        ns_log_debug("learn", "no lower priority errno=%d", errno);
}

static void learn_step(void *arg)
{
    struct api_learn *l = arg;
    struct api *a = l->a;
    struct ns_error err;

    if (!l->lowered) {
        lower_priority();
        l->lowered = true;
    }
    ns_error_clear(&err);
    if (api_learn_sync(a, &err) != NS_OK)
        ns_log_warn("learn", "registry poll failed: %s", err.msg);
    if (ns_now_ms() >= l->next_perf_ms) {
        l->next_perf_ms = ns_now_ms() + LEARN_PERF_MS;
        if (api_learn_refresh(a, &err) != NS_OK)
            ns_log_warn("learn", "performance report failed: %s", err.msg);
    }
    if (a->cfg.retrain_every_s && ns_now_ms() >= l->next_retrain_ms) {
        l->next_retrain_ms = ns_now_ms()
                             + (int64_t)a->cfg.retrain_every_s * 1000;
        retrain_round(l);
        if (api_learn_sync(a, &err) != NS_OK)
            ns_log_warn("learn", "registry poll failed: %s", err.msg);
    }
}

enum ns_err api_learn_start(struct api *a, struct api_learn **out,
                            struct ns_error *err)
{
    struct api_learn *l = calloc(1, sizeof(*l));
    char host[64] = "host";
    enum ns_err rc;

    *out = NULL;
    if (l == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    l->a = a;
    gethostname(host, sizeof(host) - 1);
    snprintf(l->holder, sizeof(l->holder), "%.63s:%ld:%lld", host,
             (long)getpid(), (long long)ns_now_ms());
    /* The first round waits one period: a fresh start is not a reason
     * to retrain. */
    l->next_retrain_ms = ns_now_ms()
                         + (int64_t)a->cfg.retrain_every_s * 1000;
    rc = worker_start(&l->w, "retraining", a->cfg.registry_poll_ms
                                               ? a->cfg.registry_poll_ms
                                               : LEARN_POLL_MS_DEFAULT,
                      learn_step, l, err);
    if (rc != NS_OK) {
        free(l);
        return rc;
    }
    *out = l;
    return NS_OK;
}

void api_learn_stop(struct api_learn *l)
{
    if (l == NULL)
        return;
    worker_stop(&l->w);
    free(l);
}

/* ---- routes -------------------------------------------------------- */

void api_h_models(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct api_model *m = api_model_acquire(a);
    struct ns_error err;
    json_t *list = NULL;

    ns_error_clear(&err);
    if (registry_list_json(a->store, &list, &err) != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
    } else {
        http_resp_json(resp, 200, json_pack(
            "{s:s?, s:o}", "serving", m ? bundle_version(m->bundle) : NULL,
            "models", list));
    }
    api_model_release(m);
}

static void answer_swap(struct http_req *req, struct http_resp *resp,
                        const char *status, const char *version)
{
    struct api *a = req->app;
    struct ns_error err;

    ns_error_clear(&err);
    /* This replica switches now; the others at their next poll. */
    if (api_learn_sync(a, &err) != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    ns_log_info("api", "model registry: %s version=%s", status, version);
    http_resp_json(resp, 200, json_pack("{s:s, s:s}", "status", status,
                                        "model_version", version));
}

void api_h_model_promote(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct ns_error err;

    ns_error_clear(&err);
    if (registry_promote(a->store, req->id, &err) != NS_OK) {
        if (err.code == NS_ERR_NOT_FOUND)
            http_problem(req, resp, 404, err.msg, NULL);
        else
            http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    answer_swap(req, resp, "promoted", req->id);
}

void api_h_model_rollback(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    char restored[REGISTRY_VERSION_MAX];
    struct ns_error err;

    ns_error_clear(&err);
    if (registry_rollback(a->store, restored, sizeof(restored), &err)
        != NS_OK) {
        if (err.code == NS_ERR_NOT_FOUND)
            http_problem(req, resp, 409, err.msg, NULL);
        else
            http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    answer_swap(req, resp, "rolled back", restored);
}

/* ---- monitoring ---------------------------------------------------- */

enum ns_err api_learn_refresh(struct api *a, struct ns_error *err)
{
    json_t *perf = NULL;
    json_t *old;
    enum ns_err rc = monitor_performance(a->store, &perf, err);

    if (rc != NS_OK)
        return rc;
    pthread_mutex_lock(&a->perf_lock);
    old = a->perf;
    a->perf = perf;
    pthread_mutex_unlock(&a->perf_lock);
    json_decref(old);
    return NS_OK;
}

static enum ns_err perf_gauges(struct api *a, struct ns_buf *out)
{
    static const char *const keys[] = {"roc_auc", "brier", "observed_rate",
                                       "predicted_rate"};
    json_t *perf;
    const json_t *v;
    size_t i;
    enum ns_err rc = NS_OK;

    pthread_mutex_lock(&a->perf_lock);
    perf = json_incref(a->perf);
    pthread_mutex_unlock(&a->perf_lock);
    for (size_t k = 0; k < 4 && rc == NS_OK; k++) {
        rc = ns_buf_printf(out, "# TYPE noshow_model_%s gauge\n", keys[k]);
        json_array_foreach(json_object_get(perf, "versions"), i, v) {
            const json_t *x = json_object_get(v, keys[k]);

            if (rc == NS_OK && json_is_number(x))
                rc = ns_buf_printf(out, "noshow_model_%s{version=\"%s\"} "
                                   "%.6f\n", keys[k],
                                   json_string_value(json_object_get(
                                       v, "model_version")),
                                   json_number_value(x));
        }
    }
    json_decref(perf);
    return rc;
}

enum ns_err api_monitoring_gauges(struct api *a, struct ns_buf *out)
{
    struct api_model *m = api_model_acquire(a);
    enum ns_err rc = NS_OK;
    const char *name;
    double psi;

    if (m && m->drift) {
        rc = ns_buf_printf(out, "# TYPE noshow_feature_psi gauge\n");
        for (size_t i = 0; rc == NS_OK
                           && drift_feature_psi(m->drift, i, &name, &psi);
             i++) {
            if (!isnan(psi))
                rc = ns_buf_printf(out, "noshow_feature_psi{feature=\"%s\"}"
                                   " %.6f\n", name, psi);
        }
        if (rc == NS_OK)
            rc = ns_buf_printf(out, "# TYPE noshow_drift_rows gauge\n"
                               "noshow_drift_rows %zu\n",
                               drift_rows(m->drift));
    }
    api_model_release(m);
    return rc == NS_OK ? perf_gauges(a, out) : rc;
}

void api_h_monitoring(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct api_model *m = api_model_acquire(a);
    struct ns_error err;
    json_t *perf;

    ns_error_clear(&err);
    if (api_learn_refresh(a, &err) != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        api_model_release(m);
        return;
    }
    pthread_mutex_lock(&a->perf_lock);
    perf = json_incref(a->perf);
    pthread_mutex_unlock(&a->perf_lock);
    http_resp_json(resp, 200, json_pack(
        "{s:s?, s:o, s:o}", "model_version",
        m ? bundle_version(m->bundle) : NULL, "drift",
        m && m->drift ? drift_report(m->drift) : json_null(),
        "performance", perf));
    api_model_release(m);
}
