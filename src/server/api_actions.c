/* What happens to a booked appointment: its outcome and reminders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_int.h"
#include "util/timeutil.h"

#define MESSAGE_MAX 1000

/* Reports every member of obj not in allowed[] (NULL-terminated) and
 * returns false with resp set; true when all are known. */
static bool only_fields(const struct http_req *req, struct http_resp *resp,
                        const json_t *obj, const char *const *allowed,
                        const char *expected)
{
    json_t *errors = json_array();
    const char *key;
    json_t *v;
    char detail[256] = "";

    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;

        for (size_t i = 0; allowed[i]; i++)
            ok = ok || strcmp(allowed[i], key) == 0;
        if (ok)
            continue;
        if (detail[0] == '\0')
            snprintf(detail, sizeof(detail), "field '%.64s' is not "
                     "accepted here; expected %s", key, expected);
        if (errors)
            json_array_append_new(errors, http_error_entry(
                                      key, json_deep_copy(v), expected));
    }
    if (detail[0] == '\0') {
        json_decref(errors);
        return true;
    }
    http_problem(req, resp, 422, detail, errors);
    return false;
}

static void field_problem(const struct http_req *req,
                          struct http_resp *resp, const char *field,
                          const json_t *value, const char *expected)
{
    char detail[256];
    json_t *errors = json_array();

    snprintf(detail, sizeof(detail), "field '%s': expected %s", field,
             expected);
    if (errors)
        json_array_append_new(errors, http_error_entry(
                                  field, value ? json_deep_copy(value)
                                               : NULL, expected));
    http_problem(req, resp, 422, detail, errors);
}

static bool parse_outcome(const struct http_req *req, struct http_resp *resp,
                          enum store_status *st, int64_t *at)
{
    static const char *const allowed[] = {"outcome", "at", NULL};
    static const char *const exp_outcome = "one of honored, cancelled, "
                                           "no_show";
    const json_t *o = json_object_get(req->body, "outcome");
    const json_t *t = json_object_get(req->body, "at");
    const char *ts;

    if (!json_is_object(req->body)) {
        field_problem(req, resp, "(body)", req->body, "a JSON object "
                      "{\"outcome\": ..., \"at\": ...}");
        return false;
    }
    if (!only_fields(req, resp, req->body, allowed, "'outcome' and 'at'"))
        return false;
    if (!json_is_string(o)
        || store_status_parse(json_string_value(o), st, NULL) != NS_OK
        || (*st != STORE_HONORED && *st != STORE_CANCELLED
            && *st != STORE_NO_SHOW)) {
        field_problem(req, resp, "outcome", o, exp_outcome);
        return false;
    }
    *at = ns_now_ms() / 1000;
    if (t == NULL || json_is_null(t))
        return true;
    ts = json_string_value(t);
    if (ts == NULL || ns_parse_datetime(ts, strlen(ts), at) != NS_OK) {
        field_problem(req, resp, "at", t, "a date-time such as "
                      "2016-05-02T10:15:00Z");
        return false;
    }
    return true;
}

void api_h_outcome(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    enum store_status st;
    struct ns_error err;
    char actor[32];
    char when[21];
    int64_t id;
    int64_t at;
    int repeat = 0;

    ns_error_clear(&err);
    if (!api_path_id(req, resp, &id) || !parse_outcome(req, resp, &st, &at))
        return;
    snprintf(actor, sizeof(actor), "key:%lld", (long long)req->key_id);
    if (store_set_outcome(a->store, id, st, at, actor, ns_now_ms(),
                          &repeat, &err) != NS_OK) {
        /* A conflict is about the outcome sent, not about the id. */
        if (strcmp(err.field, "outcome") == 0)
            http_problem_err(req, resp, &err,
                             json_incref(json_object_get(req->body,
                                                         "outcome")),
                             "the outcome and time already recorded");
        else
            api_appt_error(req, resp, &err);
        return;
    }
    ns_format_datetime(at, when);
    http_resp_json(resp, 200, json_pack("{s:I, s:s, s:s, s:b}", "id",
                                        (json_int_t)id, "status",
                                        store_status_name(st), "outcome_at",
                                        when, "repeat", repeat));
}

static bool parse_message(const struct http_req *req, struct http_resp *resp,
                          const char **msg)
{
    static const char *const allowed[] = {"message", NULL};
    const json_t *m;

    *msg = NULL;
    if (req->body == NULL)
        return true;
    if (!json_is_object(req->body)) {
        field_problem(req, resp, "(body)", req->body, "a JSON object "
                      "{\"message\": ...} or no body");
        return false;
    }
    if (!only_fields(req, resp, req->body, allowed, "'message'"))
        return false;
    m = json_object_get(req->body, "message");
    if (m == NULL || json_is_null(m))
        return true;
    if (!json_is_string(m) || json_string_length(m) == 0
        || json_string_length(m) > MESSAGE_MAX) {
        field_problem(req, resp, "message", m, "a string of 1 to 1000 "
                      "bytes");
        return false;
    }
    *msg = json_string_value(m);
    return true;
}

static enum ns_err queue_notice(struct api *a, const struct store_appt *ap,
                                const char *msg, const char *actor,
                                int64_t *outbox_id, struct ns_error *err)
{
    char day[11];
    char text[256];
    json_t *payload;
    char *pj;
    enum ns_err rc;

    ns_format_date(ap->appt_day, day);
    if (msg == NULL) {
        snprintf(text, sizeof(text), "Reminder: you have a medical "
                 "appointment on %s. Please reply to confirm or cancel.",
                 day);
        msg = text;
    }
    payload = json_pack("{s:I, s:s?, s:s, s:s}", "appointment_id",
                        (json_int_t)ap->id, "ext_id", ap->ext_id,
                        "appointment_day", day, "message", msg);
    pj = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    if (pj == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = store_notify(a->store, ap->id, msg, pj, actor, ns_now_ms(),
                      outbox_id, err);
    free(pj);
    return rc;
}

void api_h_notify(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct store_appt ap;
    struct ns_error err;
    const char *msg;
    char actor[32];
    int64_t id;
    int64_t outbox_id = 0;
    enum ns_err rc;

    ns_error_clear(&err);
    memset(&ap, 0, sizeof(ap));
    if (!api_path_id(req, resp, &id) || !parse_message(req, resp, &msg))
        return;
    snprintf(actor, sizeof(actor), "key:%lld", (long long)req->key_id);
    rc = store_appt_get(a->store, id, &ap, &err);
    if (rc == NS_OK)
        rc = queue_notice(a, &ap, msg, actor, &outbox_id, &err);
    store_appt_free(&ap);
    if (rc != NS_OK) {
        api_appt_error(req, resp, &err);
        return;
    }
    api_outbox_kick(a->outbox);
    http_resp_json(resp, 202, json_pack(
        "{s:I, s:s, s:I, s:s}", "id", (json_int_t)id, "status",
        "pending_confirmation", "outbox_id", (json_int_t)outbox_id,
        "delivery", a->cfg.webhook_url ? "queued"
                                       : "not delivered: no webhook "
                                         "configured"));
}

/* The patient's answer to a reminder (or to any call): confirmed. A
 * second confirmation is harmless; after an outcome it is a 409. */
void api_h_confirm(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct ns_error err;
    char actor[32];
    int64_t id;
    int repeat = 0;

    ns_error_clear(&err);
    if (!api_path_id(req, resp, &id))
        return;
    snprintf(actor, sizeof(actor), "key:%lld", (long long)req->key_id);
    if (store_confirm(a->store, id, actor, ns_now_ms(), &repeat, &err)
        != NS_OK) {
        api_appt_error(req, resp, &err);
        return;
    }
    http_resp_json(resp, 200, json_pack("{s:I, s:s, s:b}", "id",
                                        (json_int_t)id, "status",
                                        "confirmed", "repeat", repeat));
}
