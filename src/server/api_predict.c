/* Scoring: history from the store, the bundle's one scoring path, the
 * answer's shape, and POST /predict. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "features/history.h"
#include "model/explain.h"
#include "server/api_int.h"
#include "util/timeutil.h"

/* The store's raw counts for a booking at t, as the in-memory index
 * gives them (history.h): days since the last known outcome count to
 * the booking day D, and the previous booking's lead is counted from
 * the UTC day it was made. */
static void stats_from_store(const struct store_history *h, int64_t t,
                             struct history_stats *out)
{
    history_stats_empty(out);
    out->prior_appts = (double)h->prior_appts;
    out->prior_noshows = (double)h->prior_noshows;
    if (h->prior_appts > 0)
        out->noshow_rate = (double)h->prior_noshows /
                           (double)h->prior_appts;
    if (h->prior_appts > 0 && h->last_prior_day != INT32_MIN)
        out->days_since_last = (double)(h->day - h->last_prior_day);
    out->held_appts = (double)h->held_appts;
    out->bookings_30d = (double)h->bookings_30d;
    out->bookings_today = (double)h->bookings_today;
    out->same_day_appts = (double)h->same_day_appts;
    if (h->prev_booked_at != INT64_MIN && h->prev_booked_for != INT32_MIN) {
        out->days_since_booking = (double)(t - h->prev_booked_at) /
                                  86400.0;
        out->prev_lead = h->prev_booked_for - ns_day_of(h->prev_booked_at);
    }
}

/* The store answers history questions for the pipeline, by pseudonym. */
static enum ns_err store_stats(void *ctx, const struct history_query *q,
                               struct history_stats *out,
                               struct ns_error *err)
{
    struct api *a = ctx;
    struct store_history h;
    char ref[AUTH_HEX_LEN];
    enum ns_err rc;

    if (q->patient == NULL || q->patient[0] == '\0') {
        history_stats_empty(out);
        return NS_OK;
    }
    rc = auth_pseudonymise(&a->pseudo, q->patient, ref, err);
    if (rc == NS_OK)
        rc = store_history_stats(a->store, ref, q->booked_at, q->appt_day,
                                 &h, err);
    if (rc != NS_OK)
        return rc;
    stats_from_store(&h, q->booked_at, out);
    return NS_OK;
}

enum ns_err api_score(struct api *a, const struct api_model *m,
                      const struct record *r, struct bundle_score *out,
                      float *x, struct ns_error *err)
{
    struct history_source src = {a, store_stats};
    enum ns_err rc;

    rc = bundle_score_record(m->bundle, r, &src, out, x, err);
    if (rc != NS_OK)
        return rc;
    metrics_prediction(a->metrics, (int)out->band);
    if (m->drift)
        drift_add(m->drift, r);
    return rc;
}

json_t *api_reasons(const struct bundle *b, const float *x,
                    struct ns_error *err)
{
    struct explain_ctx c;
    struct explain_result res;
    json_t *all;
    json_t *reasons;

    explain_ctx_of_bundle(b, &c);
    memset(&res, 0, sizeof(res));
    if (explain_row(&c, x, &res, err) != NS_OK)
        return NULL;
    all = explain_result_json(&c, &res, API_REASONS);
    explain_result_free(&res);
    reasons = json_incref(json_object_get(all, "reasons"));
    json_decref(all);
    if (reasons == NULL)
        ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    return reasons;
}

json_t *api_unknown_categories(const struct bundle *b,
                               const struct record *r)
{
    const struct schema *s = bundle_schema(b);
    const struct encoders *enc = bundle_encoders(b);
    json_t *cols = json_array();

    for (size_t i = 0; cols && enc && i < s->ncols; i++) {
        int unknown = 0;

        if (s->cols[i].role != ROLE_CATEGORICAL || r->text[i] == NULL)
            continue;
        (void)encoders_code(enc, (int)i, r->text[i], &unknown);
        if (unknown && json_array_append_new(cols,
                                             json_string(s->cols[i].name))) {
            json_decref(cols);
            return NULL;
        }
    }
    return cols;
}

json_t *api_score_json(const struct bundle *b, const struct bundle_score *sc,
                       json_t *unknown, json_t *reasons)
{
    return json_pack("{s:f, s:s, s:i, s:s, s:o, s:o}", "probability",
                     sc->probability, "band", bundle_band_name(sc->band),
                     "label", sc->label, "model_version", bundle_version(b),
                     "unknown_categories", unknown ? unknown : json_array(),
                     "reasons", reasons ? reasons : json_array());
}

void api_invalid(const struct http_req *req, struct http_resp *resp,
                 const struct ns_error *err, json_t *errors)
{
    http_problem(req, resp, http_status_of(err->code), err->msg, errors);
}

void api_no_model(const struct http_req *req, struct http_resp *resp)
{
    http_problem(req, resp, 503, "no model is loaded; start the server "
                 "with --model or POST /model/reload", NULL);
}

/* Scores one JSON record into *out (owned by the caller). */
static enum ns_err predict_one(struct api *a, const struct api_model *m,
                               const json_t *obj, const char *prefix,
                               bool explain, json_t **out, json_t **errors,
                               struct ns_error *err)
{
    const struct bundle *b = m->bundle;
    struct api_rec rec;
    struct bundle_score sc;
    float x[PIPELINE_MAX_FEATURES];
    json_t *reasons = NULL;
    enum ns_err rc;

    *out = NULL;
    rc = api_rec_parse(bundle_schema(b), obj, prefix, &rec, errors, err);
    if (rc == NS_OK)
        rc = api_score(a, m, rec.rec, &sc, x, err);
    if (rc == NS_OK && explain) {
        reasons = api_reasons(b, x, err);
        rc = reasons ? NS_OK : err->code;
    }
    if (rc == NS_OK)
        *out = api_score_json(b, &sc, api_unknown_categories(b, rec.rec),
                              reasons);
    api_rec_free(&rec);
    if (rc != NS_OK)
        return rc;
    return *out ? NS_OK : ns_error_set(err, NS_ERR_NOMEM, "out of memory");
}

static enum ns_err predict_list(struct api *a, const struct api_model *m,
                                const json_t *list, bool explain,
                                json_t **out, json_t **errors,
                                struct ns_error *err)
{
    size_t n = json_array_size(list);
    json_t *res = json_array();
    char prefix[32];

    if (res == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *one;
        enum ns_err rc;

        snprintf(prefix, sizeof(prefix), "[%zu].", i);
        rc = predict_one(a, m, json_array_get(list, i), prefix, explain,
                         &one, errors, err);
        if (rc == NS_OK && json_array_append_new(res, one))
            rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        if (rc != NS_OK) {
            json_decref(res);
            return rc;
        }
    }
    *out = res;
    return NS_OK;
}

void api_h_predict(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct api_model *m = api_model_acquire(a);
    json_t *out = NULL;
    json_t *errors = NULL;
    struct ns_error err;
    enum ns_err rc;
    size_t n = json_array_size(req->body);
    const char *q = http_query_get(req, "reasons");
    bool explain = q && (strcmp(q, "true") == 0 || strcmp(q, "1") == 0);

    ns_error_clear(&err);
    if (m == NULL) {
        api_no_model(req, resp);
        return;
    }
    if (json_is_array(req->body) && (n == 0 || n > API_PREDICT_MAX)) {
        rc = ns_error_field(&err, NS_ERR_INVALID, "(body)", "the list has "
                            "%zu records; expected 1 to %d", n,
                            API_PREDICT_MAX);
    } else if (json_is_array(req->body)) {
        rc = predict_list(a, m, req->body, explain, &out, &errors,
                          &err);
    } else {
        rc = predict_one(a, m, req->body, "", explain, &out,
                         &errors, &err);
    }
    if (rc == NS_OK)
        http_resp_json(resp, 200, out);
    else if (rc == NS_ERR_INVALID)
        api_invalid(req, resp, &err, errors);
    else {
        json_decref(errors);
        http_problem_err(req, resp, &err, NULL, NULL);
    }
    api_model_release(m);
}
