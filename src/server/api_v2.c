/* The Open Inference Protocol (KServe v2) routes: named input tensors,
 * one per schema column, turned row by row into the same JSON records
 * that /predict takes, so both paths score identically. A request's
 * "outputs" list picks among probability, band and label; "parameters"
 * are ignored. Errors keep the problem+json shape and add the protocol's
 * "error" member. */
#include <stdio.h>
#include <string.h>

#include "server/api_int.h"

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
                       const struct api_model *m, const json_t *inputs,
                       size_t rows, json_t *prob, json_t *band,
                       json_t *label)
{
    const struct bundle *b = m->bundle;

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
            rc = api_score(req->app, m, rec.rec, &sc, NULL, &err);
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

/* True when the request asks for output name: no "outputs" list means
 * every output. */
static bool wanted(const json_t *asked, const char *name)
{
    size_t i;
    json_t *o;

    if (asked == NULL)
        return true;
    json_array_foreach(asked, i, o) {
        const char *n = json_string_value(json_object_get(o, "name"));

        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* Checks the "outputs" selection; false when resp holds a 422. */
static bool check_outputs(const struct http_req *req,
                          struct http_resp *resp, const json_t *asked)
{
    static const char *const names[] = {"probability", "band", "label"};
    char detail[200];
    size_t i;
    json_t *o;

    if (asked == NULL)
        return true;
    if (!json_is_array(asked)) {
        v2_error(req, resp, 422, "'outputs' must be a list of {\"name\"}",
                 NULL);
        return false;
    }
    json_array_foreach(asked, i, o) {
        const char *n = json_string_value(json_object_get(o, "name"));
        bool known = false;

        for (size_t k = 0; n && k < 3; k++)
            known = known || strcmp(n, names[k]) == 0;
        if (known)
            continue;
        snprintf(detail, sizeof(detail), "outputs[%zu]: '%.64s' is not an "
                 "output; expected probability, band or label", i,
                 n ? n : "(no name)");
        v2_error(req, resp, 422, detail, NULL);
        return false;
    }
    return true;
}

static void add_output(json_t *outs, const json_t *asked, const char *name,
                       const char *datatype, size_t rows, json_t *data)
{
    if (!wanted(asked, name))
        return;
    json_array_append_new(outs, json_pack("{s:s, s:s, s:[I], s:O}", "name",
                                          name, "datatype", datatype,
                                          "shape", (json_int_t)rows, "data",
                                          data));
}

void api_h_v2_infer(struct http_req *req, struct http_resp *resp)
{
    struct api_model *m = api_model_acquire(req->app);
    const json_t *inputs = json_object_get(req->body, "inputs");
    const json_t *asked = json_object_get(req->body, "outputs");
    json_t *prob = json_array();
    json_t *band = json_array();
    json_t *label = json_array();
    json_t *outs = json_array();
    json_t *id = json_object_get(req->body, "id");
    size_t rows;

    if (m == NULL) {
        v2_error(req, resp, 503, "no model is loaded", NULL);
        goto out;
    }
    if (!check_outputs(req, resp, asked))
        goto out;
    rows = check_inputs(req, resp, bundle_schema(m->bundle), inputs);
    if (rows == 0 || !score_rows(req, resp, m, inputs, rows, prob,
                                 band, label))
        goto out;
    add_output(outs, asked, "probability", "FP64", rows, prob);
    add_output(outs, asked, "band", "BYTES", rows, band);
    add_output(outs, asked, "label", "INT64", rows, label);
    http_resp_json(resp, 200, json_pack("{s:s, s:s, s:O?, s:O}",
                                        "model_name", "noshow",
                                        "model_version",
                                        bundle_version(m->bundle), "id", id,
                                        "outputs", outs));
out:
    json_decref(prob);
    json_decref(band);
    json_decref(label);
    json_decref(outs);
    api_model_release(m);
}
