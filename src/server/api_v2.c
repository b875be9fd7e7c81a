/* The Open Inference Protocol (KServe v2) routes: named input tensors,
 * one per schema column, turned row by row into the same JSON records
 * that /predict takes, so both paths score identically. Errors keep the
 * problem+json shape and add the protocol's "error" member. */
#include <stdio.h>
#include <string.h>

#include "server/api_int.h"

/* LIMITATION: the request's "outputs" selection and "parameters" are
 * ignored: every answer carries the three outputs (probability, band,
 * label) as flat tensors. Clients that ask for one output get all three,
 * which standard clients accept. Honouring the selection needs a filter
 * over the outputs list by name. */
static void v2_error(const struct http_req *req, struct http_resp *resp,
                     unsigned status, const char *detail, json_t *errors)
{
    json_t *p = http_problem_json(req, status, detail, errors);

    if (p)
        json_object_set_new(p, "error", json_string(detail));
    http_resp_problem(resp, status, p);
}

static const char *datatype_of(const struct schema_column *c)
{
    switch (c->role) {
    case ROLE_NUMERIC:
        return c->integer ? "INT64" : "FP64";
    case ROLE_BINARY:
        return "INT64";
    default:
        return "BYTES";
    }
}

static bool is_input(const struct schema_column *c)
{
    return c->role != ROLE_TARGET && c->role != ROLE_IGNORE;
}

void api_h_v2_model(struct http_req *req, struct http_resp *resp)
{
    struct api_model *m = api_model_acquire(req->app);
    const struct schema *s;
    json_t *in;

    if (m == NULL) {
        v2_error(req, resp, 503, "no model is loaded", NULL);
        return;
    }
    s = bundle_schema(m->bundle);
    in = json_array();
    for (size_t i = 0; in && i < s->ncols; i++) {
        if (!is_input(&s->cols[i]))
            continue;
        json_array_append_new(in, json_pack("{s:s, s:s, s:[i]}", "name",
                                            s->cols[i].name, "datatype",
                                            datatype_of(&s->cols[i]),
                                            "shape", -1));
    }
    http_resp_json(resp, 200, json_pack(
        "{s:s, s:[s], s:s, s:o, s:[{s:s,s:s,s:[i]},{s:s,s:s,s:[i]},"
        "{s:s,s:s,s:[i]}]}", "name", "noshow", "versions",
        bundle_version(m->bundle), "platform", "xgboost", "inputs", in,
        "outputs", "name", "probability", "datatype", "FP64", "shape", -1,
        "name", "band", "datatype", "BYTES", "shape", -1, "name", "label",
        "datatype", "INT64", "shape", -1));
    api_model_release(m);
}

void api_h_v2_live(struct http_req *req, struct http_resp *resp)
{
    (void)req;
    http_resp_json(resp, 200, json_pack("{s:b}", "live", 1));
}

void api_h_v2_ready(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct api_model *m = api_model_acquire(a);
    bool ready = m != NULL && store_ping(a->store, NULL) == NS_OK;

    api_model_release(m);
    http_resp_json(resp, ready ? 200 : 503,
                   json_pack("{s:b}", "ready", ready));
}

/* Checks the tensors and returns the row count, or 0 with resp set. */
static size_t check_inputs(const struct http_req *req,
                           struct http_resp *resp, const struct schema *s,
                           const json_t *inputs)
{
    size_t rows = 0;
    char detail[256];
    size_t i;
    json_t *t;

    if (!json_is_array(inputs) || json_array_size(inputs) == 0) {
        v2_error(req, resp, 422, "'inputs' must be a non-empty list of "
                 "tensors {name, shape, datatype, data}", NULL);
        return 0;
    }
    json_array_foreach(inputs, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        const json_t *data = json_object_get(t, "data");
        size_t n = json_array_size(data);

        if (name == NULL || !json_is_array(data) || n == 0) {
            snprintf(detail, sizeof(detail), "inputs[%zu]: expected a "
                     "'name' string and a non-empty flat 'data' list", i);
        } else if (schema_find_name(s, name) < 0) {
            snprintf(detail, sizeof(detail), "inputs[%zu]: '%.64s' is not "
                     "a column of the schema '%s'; GET /v2/models/noshow "
                     "lists the inputs", i, name, s->name);
        } else if (rows != 0 && n != rows) {
            snprintf(detail, sizeof(detail), "inputs[%zu] '%.64s' has %zu "
                     "values; expected %zu like the first input", i, name,
                     n, rows);
        } else if (n > API_PREDICT_MAX) {
            snprintf(detail, sizeof(detail), "inputs[%zu] has %zu rows; "
                     "expected at most %d", i, n, API_PREDICT_MAX);
        } else {
            rows = n;
            continue;
        }
        v2_error(req, resp, 422, detail, NULL);
        return 0;
    }
    return rows;
}

/* Row r of the tensors as a JSON record {column: value}. */
static json_t *row_record(const json_t *inputs, size_t r)
{
    json_t *obj = json_object();
    size_t i;
    json_t *t;

    json_array_foreach(inputs, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        json_t *v = json_array_get(json_object_get(t, "data"), r);

        if (obj && json_object_set(obj, name, v)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static bool score_rows(struct http_req *req, struct http_resp *resp,
                       const struct bundle *b, const json_t *inputs,
                       size_t rows, json_t *prob, json_t *band,
                       json_t *label)
{
    for (size_t r = 0; r < rows; r++) {
        json_t *obj = row_record(inputs, r);
        json_t *errors = NULL;
        struct api_rec rec;
        struct bundle_score sc;
        struct ns_error err;
        char prefix[32];
        enum ns_err rc;

        ns_error_clear(&err);
        snprintf(prefix, sizeof(prefix), "[%zu].", r);
        rc = api_rec_parse(bundle_schema(b), obj, prefix, &rec, &errors,
                           &err);
        if (rc == NS_OK)
            rc = api_score(req->app, b, rec.rec, &sc, NULL, &err);
        api_rec_free(&rec);
        json_decref(obj);
        if (rc != NS_OK) {
            v2_error(req, resp, http_status_of(rc), err.msg, errors);
            return false;
        }
        json_array_append_new(prob, json_real(sc.probability));
        json_array_append_new(band, json_string(bundle_band_name(sc.band)));
        json_array_append_new(label, json_integer(sc.label));
    }
    return true;
}

void api_h_v2_infer(struct http_req *req, struct http_resp *resp)
{
    struct api_model *m = api_model_acquire(req->app);
    const json_t *inputs = json_object_get(req->body, "inputs");
    json_t *prob = json_array();
    json_t *band = json_array();
    json_t *label = json_array();
    json_t *id = json_object_get(req->body, "id");
    size_t rows;

    if (m == NULL) {
        v2_error(req, resp, 503, "no model is loaded", NULL);
        goto out;
    }
    rows = check_inputs(req, resp, bundle_schema(m->bundle), inputs);
    if (rows == 0 || !score_rows(req, resp, m->bundle, inputs, rows, prob,
                                 band, label))
        goto out;
    http_resp_json(resp, 200, json_pack(
        "{s:s, s:s, s:O?, s:[{s:s,s:s,s:[I],s:O},{s:s,s:s,s:[I],s:O},"
        "{s:s,s:s,s:[I],s:O}]}", "model_name", "noshow", "model_version",
        bundle_version(m->bundle), "id", id, "outputs", "name",
        "probability", "datatype", "FP64", "shape", (json_int_t)rows,
        "data", prob, "name", "band", "datatype", "BYTES", "shape",
        (json_int_t)rows, "data", band, "name", "label", "datatype",
        "INT64", "shape", (json_int_t)rows, "data", label));
out:
    json_decref(prob);
    json_decref(band);
    json_decref(label);
    api_model_release(m);
}
