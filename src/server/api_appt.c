/* Reading appointments back, and the JSON shape of one appointment. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_int.h"
#include "util/timeutil.h"

bool api_path_id(const struct http_req *req, struct http_resp *resp,
                 int64_t *id)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(req->id, &end, 10);
    if (errno != 0 || end == req->id || *end != '\0' || v <= 0) {
        char detail[160];

        snprintf(detail, sizeof(detail), "appointment id '%.64s' is not a "
                 "positive integer, so no such appointment exists",
                 req->id);
        http_problem(req, resp, 404, detail, NULL);
        return false;
    }
    *id = v;
    return true;
}

void api_appt_error(const struct http_req *req, struct http_resp *resp,
                    const struct ns_error *err)
{
    http_problem_err(req, resp, err, json_string(req->id),
                     "the id of an existing appointment");
}

/* Our own stored JSON texts, parsed back; null when absent. */
static json_t *stored_json(const char *text, bool array)
{
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    if (j == NULL)
        return array ? json_array() : json_null();
    return j;
}

static json_t *time_or_null(int64_t epoch_s)
{
    char buf[21];

    if (epoch_s < 0 || epoch_s == NS_TIME_NONE)
        return json_null();
    ns_format_datetime(epoch_s, buf);
    return json_string(buf);
}

static json_t *appt_time_json(int64_t secs)
{
    char buf[16];

    if (secs < 0)
        return json_null();
    snprintf(buf, sizeof(buf), "%02d:%02d:%02d", (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    return json_string(buf);
}

static json_t *appt_json(const struct store_appt *ap, bool events)
{
    char day[11];
    json_t *j;

    ns_format_date(ap->appt_day, day);
    j = json_pack("{s:I, s:s?, s:o, s:s, s:o, s:s?, s:s, s:o, s:s?, s:s?,"
                  " s:o, s:s?, s:o, s:o, s:o, s:o}",
                  "id", (json_int_t)ap->id, "ext_id", ap->ext_id,
                  "booked_at", time_or_null(ap->booked_at),
                  "appointment_day", day,
                  "appointment_time", appt_time_json(ap->appt_time),
                  "specialty", ap->specialty,
                  "status", store_status_name(ap->status),
                  "risk", isnan(ap->risk) ? json_null()
                                          : json_real(ap->risk),
                  "band", ap->band, "model_version", ap->model_version,
                  "reasons", stored_json(ap->reasons_json, true),
                  "notification_message", ap->notification_message,
                  "outcome_at", time_or_null(ap->outcome_at),
                  "created_at", time_or_null(ap->created_at_ms / 1000),
                  "updated_at", time_or_null(ap->updated_at_ms / 1000),
                  "input", stored_json(ap->input_json, false));
    if (j && events)
        json_object_set_new(j, "events",
                            stored_json(ap->events_json, true));
    return j;
}

char *api_redact_credentials(const char *text)
{
    /* Each redaction adds at most 2 bytes and needs at least 4 ("://@"),
     * so twice the length always fits. */
    char *out = malloc(2 * strlen(text) + 1);
    char *o = out;
    const char *p = text;
    const char *sep;

    if (out == NULL)
        return NULL;
    while ((sep = strstr(p, "://")) != NULL) {
        const char *user = sep + 3;
        size_t span = strcspn(user, "/?# \t\"'");
        const char *at = memchr(user, '@', span);

        memcpy(o, p, (size_t)(user - p));
        o += user - p;
        p = user;
        if (at == NULL)
            continue;
        /* Three asterisks: not even the length is told. */
        memcpy(o, "***", 3);
        o += 3;
        p = at;
    }
    memcpy(o, p, strlen(p) + 1);
    return out;
}

static json_t *ms_time_or_null(int64_t ms)
{
    return ms > 0 ? time_or_null(ms / 1000) : json_null();
}

json_t *api_delivery_json(const struct store_outbox_info *j)
{
    char *e = j->last_error ? api_redact_credentials(j->last_error) : NULL;
    bool waiting = j->state == STORE_OUTBOX_PENDING;
    json_t *o;

    if (j->last_error != NULL && e == NULL)
        return NULL;
    o = json_pack("{s:I, s:s, s:i, s:o, s:s?, s:o}", "outbox_id",
                  (json_int_t)j->id, "state",
                  store_outbox_state_name(j->state), "attempts",
                  j->attempts, "next_attempt_at",
                  waiting ? ms_time_or_null(j->next_attempt_ms)
                          : json_null(),
                  "last_error", e, "updated_at",
                  ms_time_or_null(j->updated_at_ms));
    free(e);
    return o;
}

/* The appointment's delivery jobs, oldest first: a new JSON array, or
 * NULL with err. */
static json_t *deliveries_json(struct api *a, int64_t id,
                               struct ns_error *err)
{
    struct store_outbox_list l = {0};
    json_t *arr;

    if (store_outbox_list(a->store, id, &l, err) != NS_OK)
        return NULL;
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < l.n; i++) {
        if (json_array_append_new(arr, api_delivery_json(&l.items[i]))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    store_outbox_list_free(&l);
    if (arr == NULL)
        ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    return arr;
}

void api_h_appt_get(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct store_appt ap;
    struct ns_error err;
    json_t *j = NULL;
    json_t *deliveries;
    int64_t id;

    ns_error_clear(&err);
    memset(&ap, 0, sizeof(ap));
    if (!api_path_id(req, resp, &id))
        return;
    if (store_appt_get(a->store, id, &ap, &err) != NS_OK) {
        api_appt_error(req, resp, &err);
        return;
    }
    deliveries = deliveries_json(a, id, &err);
    if (deliveries != NULL)
        j = appt_json(&ap, true);
    store_appt_free(&ap);
    if (j == NULL) {
        json_decref(deliveries);
        if (err.code == NS_OK)
            ns_error_set(&err, NS_ERR_NOMEM, "out of memory");
        http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    json_object_set_new(j, "notifications", deliveries);
    http_resp_json(resp, 200, j);
}

bool api_query_fail(const struct http_req *req, struct http_resp *resp,
                    const char *field, const char *value,
                    const char *expected)
{
    char detail[256];
    json_t *errors = json_array();

    snprintf(detail, sizeof(detail), "query parameter '%s': '%.64s' is "
             "not valid; expected %s", field, value, expected);
    if (errors)
        json_array_append_new(errors, http_error_entry(
                                  field, json_string(value), expected));
    http_problem(req, resp, 422, detail, errors);
    return false;
}

static bool parse_day(const struct http_req *req, struct http_resp *resp,
                      const char *name, int *has, int32_t *day)
{
    const char *v = http_query_get(req, name);

    if (v == NULL || *v == '\0')
        return true;
    if (ns_parse_date(v, strlen(v), day) != NS_OK)
        return api_query_fail(req, resp, name, v, "a date YYYY-MM-DD");
    *has = 1;
    return true;
}

static bool parse_list_query(const struct http_req *req,
                             struct http_resp *resp,
                             struct store_list_query *q)
{
    const char *v;
    char *end;

    memset(q, 0, sizeof(*q));
    q->min_risk = NAN;
    q->limit = 50;
    v = http_query_get(req, "status");
    if (v && *v) {
        if (store_status_parse(v, &q->status, NULL) != NS_OK)
            return api_query_fail(req, resp, "status", v, "one of pending, "
                              "pending_confirmation, confirmed, honored, "
                              "cancelled, no_show");
        q->has_status = 1;
    }
    v = http_query_get(req, "min_risk");
    if (v && *v) {
        errno = 0;
        q->min_risk = strtod(v, &end);
        if (errno || *end || !(q->min_risk >= 0 && q->min_risk <= 1))
            return api_query_fail(req, resp, "min_risk", v,
                              "a number from 0 to 1");
    }
    v = http_query_get(req, "limit");
    if (v && *v) {
        long n;

        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || *end || n < 1 || n > 1000)
            return api_query_fail(req, resp, "limit", v,
                              "an integer from 1 to 1000");
        q->limit = (int)n;
    }
    q->specialty = http_query_get(req, "specialty");
    q->cursor = http_query_get(req, "cursor");
    return parse_day(req, resp, "from", &q->has_from, &q->from_day)
           && parse_day(req, resp, "to", &q->has_to, &q->to_day);
}

void api_h_appt_list(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct store_list_query q;
    struct store_appt_page page = {0};
    struct ns_error err;
    json_t *items;

    ns_error_clear(&err);
    if (!parse_list_query(req, resp, &q))
        return;
    if (store_appt_list(a->store, &q, &page, &err) != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    items = json_array();
    for (size_t i = 0; items && i < page.n; i++) {
        if (json_array_append_new(items, appt_json(&page.items[i], false)))
            break;
    }
    http_resp_json(resp, 200, json_pack("{s:o, s:s?}", "items", items,
                                        "next_cursor", page.next_cursor));
    store_appt_page_free(&page);
}
