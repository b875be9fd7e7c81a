/* Booking: validate, score with history from the store, store the row,
 * its events and the idempotency record in one transaction. */
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/api_int.h"
#include "util/log.h"
#include "util/timeutil.h"

#define IDEM_KEY_MAX 200

struct booking {
    struct api *a;
    const struct api_model *m;
    const struct bundle *b;     /* m->bundle */
    struct api_rec rec;
    struct bundle_score sc;
    float x[PIPELINE_MAX_FEATURES];
    json_t *reasons;            /* owned */
    json_t *unknown;            /* owned: unseen category columns */
    char *reasons_json;
    char ref[AUTH_HEX_LEN];
    char actor[32];
    char *input_json;
    char *scored_json;
    const json_t *body;         /* borrowed from the request */
    const char *names[SCHEMA_MAX_COLUMNS];
    struct store_value values[SCHEMA_MAX_COLUMNS];
    size_t nfeat;
};

/* A hash of the body that ignores key order and white space, so a retry
 * that serialises the same object differently still matches. */
static enum ns_err body_hash(const json_t *body, char hex[AUTH_HEX_LEN],
                             struct ns_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS
                                      | JSON_ENCODE_ANY);
    enum ns_err rc;

    if (text == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = auth_key_hash(text, hex, err);
    free(text);
    return rc;
}

/* The input as stored: the patient id replaced by nothing at all, since
 * only its pseudonym may reach the database. */
static enum ns_err input_text(const struct schema *s, const json_t *body,
                              char **out, struct ns_error *err)
{
    json_t *copy = json_copy((json_t *)body);
    int pcol = schema_find_role(s, ROLE_PATIENT_ID);

    if (copy == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (pcol >= 0)
        json_object_del(copy, s->cols[pcol].name);
    *out = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return *out ? NS_OK : ns_error_set(err, NS_ERR_NOMEM, "out of memory");
}

/* The original booking table kept the client's own day count; the
 * doctolib schema reads the lead time from the dates and ignores it, so
 * it is taken from the body as given, when it is a whole number. */
static void declared_days(const json_t *body, struct store_appt_new *an)
{
    const json_t *v = json_object_get(body,
                                      "Days_Between_Scheduling_and_"
                                      "Appointment");
    const char *text = json_string_value(v);
    char *end = NULL;
    double d = NAN;

    if (json_is_integer(v)) {
        an->days_between = json_integer_value(v);
        an->has_days_between = 1;
        return;
    }
    if (json_is_real(v))
        d = json_real_value(v);
    else if (text && text[0] && (d = strtod(text, &end), *end != '\0'))
        d = NAN;
    if (isfinite(d) && d == floor(d) && fabs(d) < 1e9) {
        an->days_between = (int64_t)d;
        an->has_days_between = 1;
    }
}

static void feature_columns(struct booking *bk, const struct schema *s)
{
    const struct record *r = bk->rec.rec;

    for (size_t i = 0; i < s->ncols; i++) {
        enum schema_role role = s->cols[i].role;
        struct store_value *v = &bk->values[bk->nfeat];

        if (role == ROLE_CATEGORICAL) {
            v->type = STORE_COL_TEXT;
            v->text = r->text[i];
        } else if (role == ROLE_BINARY || role == ROLE_NUMERIC) {
            v->type = STORE_COL_REAL;
            v->num = r->num[i];
        } else {
            continue;
        }
        bk->names[bk->nfeat++] = s->cols[i].name;
    }
}

static const char *specialty_of(const struct schema *s,
                                const struct record *r)
{
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->cols[i].role == ROLE_CATEGORICAL
            && strcasecmp(s->cols[i].name, "specialty") == 0)
            return r->text[i];
    }
    return NULL;
}

/* Builds the 201 answer once the id is known; also stored with the
 * idempotency key so that a retry gets the same bytes. */
static enum ns_err respond(void *ctx, int64_t id, char **response_json,
                           int *status_code, struct ns_error *err)
{
    struct booking *bk = ctx;
    json_t *j = api_score_json(bk->b, &bk->sc, json_incref(bk->unknown),
                               json_incref(bk->reasons));

    if (j == NULL || json_object_set_new(j, "id", json_integer(id))
        || json_object_set_new(j, "status", json_string("pending"))) {
        json_decref(j);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    *response_json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    *status_code = 201;
    return *response_json ? NS_OK
                          : ns_error_set(err, NS_ERR_NOMEM, "out of memory");
}

static enum ns_err store_booking(struct booking *bk,
                                 const struct store_idem *idem,
                                 struct store_book_result *res,
                                 struct ns_error *err)
{
    const struct schema *s = bundle_schema(bk->b);
    const struct record *r = bk->rec.rec;
    struct store_appt_new an = {0};
    struct store_event_in ev[2] = {{"booked", bk->actor, NULL},
                                   {"scored", bk->actor, NULL}};

    json_t *scored = json_pack("{s:s, s:f, s:s}", "model_version",
                               bundle_version(bk->b), "probability",
                               bk->sc.probability, "band",
                               bundle_band_name(bk->sc.band));

    bk->scored_json = scored ? json_dumps(scored, JSON_COMPACT) : NULL;
    json_decref(scored);
    if (bk->scored_json == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    ev[1].detail_json = bk->scored_json;
    feature_columns(bk, s);
    an.ext_id = r->appt_id && r->appt_id[0] ? r->appt_id : NULL;
    an.patient_ref = bk->ref[0] ? bk->ref : NULL;
    an.booked_at = r->booked_at != NS_TIME_NONE ? r->booked_at
                                                : ns_now_ms() / 1000;
    an.appt_day = r->appt_day;
    an.appt_time = r->appt_time;
    an.specialty = specialty_of(s, r);
    an.risk = bk->sc.probability;
    an.band = bundle_band_name(bk->sc.band);
    an.model_version = bundle_version(bk->b);
    an.reasons_json = bk->reasons_json;
    an.input_json = bk->input_json;
    declared_days(bk->body, &an);
    an.n_features = bk->nfeat;
    an.feature_names = bk->names;
    an.feature_values = bk->values;
    an.events = ev;
    an.n_events = 2;
    an.now_ms = ns_now_ms();
    return store_book(bk->a->store, &an, idem, respond, bk, res, err);
}

static void answer_stored(struct http_resp *resp,
                          const struct store_book_result *res, bool replay)
{
    http_resp_text(resp, (unsigned)res->status_code, "application/json",
                   res->response_json, strlen(res->response_json));
    http_resp_header(resp, "Location", "/appointments/%lld",
                     (long long)res->id);
    if (replay)
        http_resp_header(resp, "Idempotent-Replayed", "true");
}

/* Checks the Idempotency-Key before any work: a replay answers at once.
 * Returns false when resp holds the answer. */
static bool idem_first(struct http_req *req, struct http_resp *resp,
                       struct store_idem *idem, char *hash)
{
    struct api *a = req->app;
    struct store_book_result res = {0};
    struct ns_error err;
    enum ns_err rc;

    ns_error_clear(&err);
    idem->key = http_header_get(req, "Idempotency-Key");
    if (idem->key == NULL)
        return true;
    if (idem->key[0] == '\0' || strlen(idem->key) > IDEM_KEY_MAX) {
        http_problem(req, resp, 400, "the Idempotency-Key header must hold "
                     "1 to 200 characters", NULL);
        return false;
    }
    rc = body_hash(req->body, hash, &err);
    idem->request_hash = hash;
    if (rc == NS_OK)
        rc = store_idem_lookup(a->store, idem, &res, &err);
    if (rc == NS_ERR_NOT_FOUND)
        return true;
    if (rc == NS_OK && res.replayed && res.response_json)
        answer_stored(resp, &res, true);
    else if (rc == NS_ERR_CONFLICT)
        http_problem(req, resp, 409, "this Idempotency-Key was used "
                     "before with a different body", NULL);
    else if (rc != NS_OK)
        http_problem_err(req, resp, &err, NULL, NULL);
    else
        http_problem(req, resp, 409, "this Idempotency-Key is in use by "
                     "a booking still in progress", NULL);
    store_book_result_free(&res);
    return false;
}

static enum ns_err book(struct booking *bk, struct http_req *req,
                        const struct store_idem *idem,
                        struct store_book_result *res, json_t **errors,
                        struct ns_error *err)
{
    const struct schema *s = bundle_schema(bk->b);
    enum ns_err rc;

    bk->body = req->body;
    rc = api_rec_parse(s, req->body, "", &bk->rec, errors, err);
    if (rc == NS_OK)
        rc = api_score(bk->a, bk->m, bk->rec.rec, &bk->sc, bk->x, err);
    if (rc == NS_OK) {
        bk->unknown = api_unknown_categories(bk->b, bk->rec.rec);
        bk->reasons = api_reasons(bk->b, bk->x, err);
        bk->reasons_json = bk->reasons ? json_dumps(bk->reasons,
                                                    JSON_COMPACT)
                                       : NULL;
        if (bk->reasons_json == NULL)
            rc = bk->reasons ? ns_error_set(err, NS_ERR_NOMEM,
                                            "out of memory")
                             : err->code;
    }
    if (rc == NS_OK && bk->rec.rec->patient && bk->rec.rec->patient[0])
        rc = auth_pseudonymise(&bk->a->pseudo, bk->rec.rec->patient,
                               bk->ref, err);
    if (rc == NS_OK)
        rc = input_text(s, req->body, &bk->input_json, err);
    if (rc == NS_OK)
        rc = store_booking(bk, idem->key ? idem : NULL, res, err);
    return rc;
}

void api_h_book(struct http_req *req, struct http_resp *resp)
{
    struct booking bk = {0};
    struct store_idem idem = {NULL, NULL};
    struct store_book_result res = {0};
    struct api_model *m = api_model_acquire(req->app);
    char hash[AUTH_HEX_LEN];
    json_t *errors = NULL;
    struct ns_error err;
    enum ns_err rc;

    ns_error_clear(&err);
    if (m == NULL) {
        api_no_model(req, resp);
        return;
    }
    if (!idem_first(req, resp, &idem, hash))
        goto out;
    bk.a = req->app;
    bk.m = m;
    bk.b = m->bundle;
    snprintf(bk.actor, sizeof(bk.actor), "key:%lld",
             (long long)req->key_id);
    rc = book(&bk, req, &idem, &res, &errors, &err);
    if (rc == NS_ERR_INVALID && errors) {
        api_invalid(req, resp, &err, errors);
        errors = NULL;
    } else if (rc != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
    } else if (res.response_json) {
        answer_stored(resp, &res, res.replayed != 0);
    } else {
        json_t *j = api_score_json(bk.b, &bk.sc, json_incref(bk.unknown),
                                   json_incref(bk.reasons));

        json_object_set_new(j, "id", json_integer(res.id));
        json_object_set_new(j, "status", json_string("pending"));
        http_resp_json(resp, 201, j);
        http_resp_header(resp, "Location", "/appointments/%lld",
                         (long long)res.id);
    }
out:
    json_decref(errors);
    store_book_result_free(&res);
    api_rec_free(&bk.rec);
    free(bk.input_json);
    free(bk.scored_json);
    free(bk.reasons_json);
    json_decref(bk.reasons);
    json_decref(bk.unknown);
    api_model_release(m);
}
