/* Health, readiness, the model's description, metrics and the OpenAPI
 * document. */
#include <string.h>

#include "server/api_int.h"
#include "util/buf.h"

void api_h_healthz(struct http_req *req, struct http_resp *resp)
{
    (void)req;
    http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void api_h_readyz(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct api_model *m = api_model_acquire(a);
    struct ns_error err;
    bool db_ok;

    ns_error_clear(&err);
    db_ok = store_ping(a->store, &err) == NS_OK;
    if (db_ok && m) {
        http_resp_json(resp, 200, json_pack("{s:s, s:s, s:s}", "status",
                                            "ready", "database", "ok",
                                            "model",
                                            bundle_version(m->bundle)));
    } else {
        /* The store's text may name hosts; readiness says only what. */
        http_resp_json(resp, 503, json_pack(
            "{s:s, s:s, s:s}", "status", "not ready", "database",
            db_ok ? "ok" : "unreachable", "model",
            m ? "loaded" : "not loaded"));
        http_resp_header(resp, "Retry-After", "5");
    }
    api_model_release(m);
}

void api_h_model(struct http_req *req, struct http_resp *resp)
{
    struct api_model *m = api_model_acquire(req->app);

    if (m == NULL) {
        api_no_model(req, resp);
        return;
    }
    http_resp_json(resp, 200, bundle_info_json(m->bundle));
    api_model_release(m);
}

void api_h_metrics(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct api_model *m = api_model_acquire(a);
    struct metrics_gauges g = {NULL, -1, 0};
    struct ns_buf out = NS_BUF_INIT;
    int64_t depth;

    if (m)
        g.model_version = bundle_version(m->bundle);
    if (store_outbox_depth(a->store, &depth, NULL) == NS_OK)
        g.outbox_depth = (long)depth;
    g.inflight = http_inflight(a->http);
    if (metrics_render(a->metrics, &g, &out) != NS_OK
        || api_monitoring_gauges(a, &out) != NS_OK) {
        ns_buf_free(&out);
        http_problem(req, resp, 500, "out of memory", NULL);
    } else {
        resp->status = 200;
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        resp->len = out.len;
        resp->body = ns_buf_steal(&out);
    }
    api_model_release(m);
}

void api_h_openapi(struct http_req *req, struct http_resp *resp)
{
    http_resp_json(resp, 200, api_openapi(req->app));
}
