/* The REST API end to end: a real server on 127.0.0.1, port 0, over a
 * temporary SQLite file, and the same suite on MariaDB when
 * NOSHOW_TEST_MYSQL_URL names one. Appointments are put in through a
 * second store handle, so the routes that read and change them are
 * tested whether or not a model is loaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "backends.h"
#include "client.h"
#include "fixture.h"
#include "server/api.h"
#include "server/api_int.h"
#include "server/auth.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char *g_url;       /* NULL: a fresh SQLite file per group */

struct hook {
    struct http_server *srv;
    pthread_mutex_t lock;
    int calls;
    int fail_next;              /* answer 503 to that many calls first */
    char last[512];
};

struct fx {
    struct server_fx srv;
    char reader[64], clinic[64], admin[64];
    char h_reader[100], h_clinic[100], h_admin[100];
    struct hook hook;
};

static struct fx *g_fx;

static void h_hook(struct http_req *req, struct http_resp *resp)
{
    struct hook *h = req->app;
    char *text = json_dumps(req->body, JSON_COMPACT);

    bool fail;

    pthread_mutex_lock(&h->lock);
    h->calls++;
    fail = h->fail_next > 0;
    if (fail)
        h->fail_next--;
    snprintf(h->last, sizeof(h->last), "%s", text ? text : "");
    pthread_mutex_unlock(&h->lock);
    free(text);
    if (fail)
        http_problem(req, resp, 503, "the receiver is down", NULL);
    else
        http_resp_json(resp, 200, json_object());
}

static const struct http_route hook_routes[] = {
    {"POST", "/hook", HTTP_ROLE_PUBLIC, HTTP_BODY_JSON, h_hook, NULL},
};

static int start_hook(struct fx *f)
{
    struct http_config hc = {0};
    struct ns_error err;

    pthread_mutex_init(&f->hook.lock, NULL);
    hc.host = "127.0.0.1";
    hc.threads = 1;
    hc.routes = hook_routes;
    hc.nroutes = 1;
    hc.app = &f->hook;
    if (http_start(&hc, &f->hook.srv, &err) != NS_OK) {
        fprintf(stderr, "hook: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct api_config cfg = {0};
    char hook_url[128];

    if (f == NULL
        || server_fx_prepare(&f->srv, "/tmp/noshow-api-XXXXXX", "t", g_url)
        || start_hook(f))
        return -1;
    snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%u/hook",
             http_port(f->hook.srv));
    cfg.threads = 2;
    cfg.timeout_s = 1;
    cfg.webhook_url = hook_url;
    cfg.outbox_poll_ms = 100;
    if (server_fx_start(&f->srv, &cfg)
        || server_fx_key(&f->srv, STORE_ROLE_READER, f->reader, f->h_reader)
        || server_fx_key(&f->srv, STORE_ROLE_CLINIC, f->clinic, f->h_clinic)
        || server_fx_key(&f->srv, STORE_ROLE_ADMIN, f->admin, f->h_admin))
        return -1;
    g_fx = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int rc = server_fx_stop(&f->srv);

    http_stop(f->hook.srv, 1000);
    pthread_mutex_destroy(&f->hook.lock);
    free(f);
    return rc;
}

/* Sends a request as one role ("r", "c", "a" or NULL for no key). */
static long call(struct fx *f, const char *method, const char *path,
                 const char *body, const char *who, struct reply *r)
{
    const char *h[3] = {NULL, NULL, NULL};
    size_t n = 0;

    if (who && who[0] == 'r')
        h[n++] = f->h_reader;
    else if (who && who[0] == 'c')
        h[n++] = f->h_clinic;
    else if (who && who[0] == 'a')
        h[n++] = f->h_admin;
    if (body)
        h[n++] = "Content-Type: application/json";
    assert_int_equal(http_call(f->srv.port, method, path, body,
                               body ? strlen(body) : 0, h, r), CURLE_OK);
    return r->status;
}

/* Books through the store directly; returns the id. */
static int64_t book_direct(struct fx *f, const char *ext, double risk,
                           const char *specialty)
{
    struct store_appt_new a = {0};
    struct store_book_result res = {0};
    struct store_event_in ev = {"booked", "test", NULL};
    struct ns_error err;
    char ext_id[96];

    snprintf(ext_id, sizeof(ext_id), "%s-%s", f->srv.tag, ext);
    a.ext_id = ext_id;
    a.patient_ref = "0123abcd";
    a.booked_at = 1461945600;
    a.appt_day = ns_days_from_civil(2016, 5, 2);
    a.appt_time = -1;
    a.specialty = specialty;
    a.risk = risk;
    a.band = risk > 0.5 ? "high" : "low";
    a.model_version = "test-model";
    a.reasons_json = "[]";
    a.input_json = "{\"Gender\":\"F\"}";
    a.events = &ev;
    a.n_events = 1;
    a.now_ms = ns_now_ms();
    if (store_book(f->srv.store, &a, NULL, NULL, NULL, &res, &err) != NS_OK)
        fail_msg("store_book: %s", err.msg);
    store_book_result_free(&res);
    return res.id;
}

static void test_api_health_routes_need_no_key(void **state)
{
    struct fx *f = *state;
    struct reply r;

    assert_int_equal(call(f, "GET", "/healthz", NULL, NULL, &r), 200);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/v2/health/live", NULL, NULL, &r),
                     200);
    reply_free(&r);
    /* No model is loaded: not ready, and the answer says why. */
    assert_int_equal(call(f, "GET", "/readyz", NULL, NULL, &r), 503);
    assert_non_null(strstr(r.body, "\"database\":\"ok\""));
    assert_non_null(strstr(r.body, "\"model\":\"not loaded\""));
    assert_string_equal(r.retry_after, "5");
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/v2/health/ready", NULL, NULL, &r),
                     503);
    reply_free(&r);
}

static void test_api_openapi_lists_every_route(void **state)
{
    struct fx *f = *state;
    struct reply r;
    json_t *doc;
    char method[8];

    assert_int_equal(call(f, "GET", "/openapi.json", NULL, NULL, &r), 200);
    doc = json_loads(r.body, 0, NULL);
    assert_non_null(doc);
    for (size_t i = 0; i < api_nroutes; i++) {
        json_t *item = json_object_get(json_object_get(doc, "paths"),
                                       api_routes[i].pattern);
        size_t k;

        for (k = 0; api_routes[i].method[k]; k++)
            method[k] = (char)(api_routes[i].method[k] | 0x20);
        method[k] = '\0';
        if (json_object_get(item, method) == NULL)
            fail_msg("openapi.json lacks %s %s", api_routes[i].method,
                     api_routes[i].pattern);
    }
    json_decref(doc);
    reply_free(&r);
}

static void test_api_no_key_401_wrong_role_403(void **state)
{
    struct fx *f = *state;
    struct reply r;

    assert_int_equal(call(f, "GET", "/appointments", NULL, NULL, &r), 401);
    assert_non_null(strstr(r.www_auth, "Bearer"));
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/predict", "{}", "r", &r), 403);
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/model/reload", NULL, "c", &r), 403);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/appointments", NULL, "r", &r), 200);
    reply_free(&r);
}

static void test_api_revoked_key_is_401(void **state)
{
    struct fx *f = *state;
    char key[64], header[100], hash[AUTH_HEX_LEN];
    const char *h[] = {header, NULL};
    struct store_key k;
    struct reply r;

    assert_int_equal(server_fx_key(&f->srv, STORE_ROLE_READER, key,
                                   header), 0);
    assert_int_equal(auth_key_hash(key, hash, NULL), NS_OK);
    assert_int_equal(store_key_lookup(f->srv.store, hash, &k, NULL), NS_OK);
    assert_int_equal(store_key_revoke(f->srv.store, k.id, NULL), NS_OK);
    assert_int_equal(http_call(f->srv.port, "GET", "/appointments", NULL, 0, h,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 401);
    reply_free(&r);
}

static void test_api_model_routes_without_model_are_503(void **state)
{
    struct fx *f = *state;
    struct reply r;

    assert_int_equal(call(f, "POST", "/predict", "{}", "c", &r), 503);
    assert_string_equal(r.retry_after, "5");
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/appointments", "{}", "c", &r), 503);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/model", NULL, "r", &r), 503);
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/v2/models/noshow/infer",
                          "{\"inputs\":[]}", "c", &r), 503);
    assert_non_null(strstr(r.body, "\"error\""));
    reply_free(&r);
    /* A reload without a model file fails and says so. */
    assert_int_equal(call(f, "POST", "/model/reload", NULL, "a", &r), 422);
    assert_non_null(strstr(r.body, "--model"));
    reply_free(&r);
}

static void test_api_get_appointment_and_404s(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "get", 0.42, "cardio");
    char path[64];
    struct reply r;

    snprintf(path, sizeof(path), "/appointments/%lld", (long long)id);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    assert_non_null(strstr(r.body, "\"status\":\"pending\""));
    assert_non_null(strstr(r.body, "\"appointment_day\":\"2016-05-02\""));
    assert_non_null(strstr(r.body, "\"events\":[{"));
    assert_null(strstr(r.body, "0123abcd"));
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/appointments/999999999", NULL, "r",
                          &r), 404);
    assert_string_equal(r.ctype, "application/problem+json");
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/appointments/abc", NULL, "r", &r),
                     404);
    reply_free(&r);
    assert_int_equal(call(f, "DELETE", path, NULL, "a", &r), 405);
    assert_string_equal(r.allow, "GET");
    reply_free(&r);
}

static void test_api_outcome_repeat_and_conflict(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "outcome", 0.3, "derm");
    const char *honored = "{\"outcome\":\"honored\","
                          "\"at\":\"2016-05-02T10:00:00Z\"}";
    char path[64];
    struct reply r;
    json_t *doc, *e;

    snprintf(path, sizeof(path), "/appointments/%lld/outcome",
             (long long)id);
    assert_int_equal(call(f, "PUT", path, honored, "c", &r), 200);
    assert_non_null(strstr(r.body, "\"repeat\":false"));
    reply_free(&r);
    assert_int_equal(call(f, "PUT", path, honored, "c", &r), 200);
    assert_non_null(strstr(r.body, "\"repeat\":true"));
    reply_free(&r);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\":\"no_show\","
                          "\"at\":\"2016-05-02T10:00:00Z\"}", "c", &r),
                     409);
    /* The conflict names the outcome sent and both times as dates. */
    doc = json_loads(r.body, 0, NULL);
    assert_non_null(doc);
    e = json_array_get(json_object_get(doc, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "field")),
                        "outcome");
    assert_string_equal(json_string_value(json_object_get(e, "value")),
                        "no_show");
    assert_non_null(strstr(json_string_value(json_object_get(doc,
                                                             "detail")),
                           "honored at 2016-05-02T10:00:00Z"));
    json_decref(doc);
    reply_free(&r);
    assert_int_equal(call(f, "PUT", "/appointments/999999999/outcome",
                          honored, "c", &r), 404);
    reply_free(&r);
}

static void test_api_outcome_bad_bodies(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "badbody", 0.3, "derm");
    const char *const text[] = {f->h_clinic, "Content-Type: text/plain",
                                NULL};
    char path[64];
    struct reply r;

    snprintf(path, sizeof(path), "/appointments/%lld/outcome",
             (long long)id);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\":\"maybe\"}", "c",
                          &r), 422);
    assert_non_null(strstr(r.body, "\"field\":\"outcome\""));
    assert_non_null(strstr(r.body, "\"value\":\"maybe\""));
    reply_free(&r);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\":\"honored\","
                          "\"colour\":1}", "c", &r), 422);
    assert_non_null(strstr(r.body, "\"field\":\"colour\""));
    reply_free(&r);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\":\"honored\","
                          "\"at\":17}", "c", &r), 422);
    assert_non_null(strstr(r.body, "\"field\":\"at\""));
    reply_free(&r);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\": }", "c", &r),
                     400);
    assert_non_null(strstr(r.body, "line 1, column 13"));
    reply_free(&r);
    assert_int_equal(call(f, "PUT", path, NULL, "c", &r), 422);
    reply_free(&r);
    assert_int_equal(http_call(f->srv.port, "PUT", path, "x", 1, text, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 415);
    reply_free(&r);
}

static int hook_calls(struct fx *f, char *last, size_t n)
{
    int calls;

    pthread_mutex_lock(&f->hook.lock);
    calls = f->hook.calls;
    snprintf(last, n, "%s", f->hook.last);
    pthread_mutex_unlock(&f->hook.lock);
    return calls;
}

/* Text fields reach the database through bound parameters only: these
 * strings come back exactly as sent. */
static void test_api_injection_message_stored_verbatim(void **state)
{
    struct fx *f = *state;
    static const char *const evil[] = {
        "Robert'); DROP TABLE appointments;--",
        "x' OR '1'='1",
        "\\\"; DELETE FROM events; --",
    };
    char path[64], body[256], last[512];
    struct reply r;
    int before;

    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        int64_t id = book_direct(f, evil[i], 0.6, "inj");
        json_t *msg = json_string(evil[i]);
        char *m = json_dumps(msg, JSON_ENCODE_ANY);
        json_t *got;

        snprintf(path, sizeof(path), "/appointments/%lld/notify",
                 (long long)id);
        snprintf(body, sizeof(body), "{\"message\":%s}", m);
        before = hook_calls(f, last, sizeof(last));
        assert_int_equal(call(f, "POST", path, body, "c", &r), 202);
        reply_free(&r);
        snprintf(path, sizeof(path), "/appointments/%lld", (long long)id);
        assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
        got = json_loads(r.body, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(
                                got, "notification_message")), evil[i]);
        assert_string_equal(json_string_value(json_object_get(got,
                                                              "status")),
                            "pending_confirmation");
        json_decref(got);
        reply_free(&r);
        /* The webhook receives it within a few polls. */
        for (int t = 0; t < 100 && hook_calls(f, last, sizeof(last))
                                       == before; t++)
            usleep(20000);
        assert_true(hook_calls(f, last, sizeof(last)) > before);
        json_decref(msg);
        free(m);
    }
}

/* The first notification of appointment path once it is in state want
 * after at least attempts delivery attempts (a queued job is "pending"
 * with none), polled for up to 5 s; a new reference. */
static json_t *wait_delivery(struct fx *f, const char *path,
                             const char *want, json_int_t attempts)
{
    for (int t = 0; t < 250; t++) {
        struct reply r;
        json_t *got, *n;
        const char *st;

        assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
        got = json_loads(r.body, 0, NULL);
        reply_free(&r);
        n = json_array_get(json_object_get(got, "notifications"), 0);
        st = json_string_value(json_object_get(n, "state"));
        if (st != NULL && strcmp(st, want) == 0 &&
            json_integer_value(json_object_get(n, "attempts")) >= attempts) {
            json_incref(n);
            json_decref(got);
            return n;
        }
        json_decref(got);
        usleep(20000);
    }
    fail_msg("%s: no notification reached state '%s' after %lld "
             "attempt(s) within 5 s", path, want, (long long)attempts);
    return NULL;
}

/* GET /appointments/{id} shows no notification before a reminder, then
 * the queued job until the webhook took it: delivered, one attempt. */
static void test_api_appointment_shows_delivery_state(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "state", 0.7, "cardio");
    char path[64], notify[80];
    struct reply r;
    json_t *n;

    snprintf(path, sizeof(path), "/appointments/%lld", (long long)id);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    assert_non_null(strstr(r.body, "\"notifications\":[]"));
    reply_free(&r);
    snprintf(notify, sizeof(notify), "%s/notify", path);
    assert_int_equal(call(f, "POST", notify, NULL, "c", &r), 202);
    reply_free(&r);
    n = wait_delivery(f, path, "delivered", 1);
    assert_int_equal(json_integer_value(json_object_get(n, "attempts")), 1);
    assert_true(json_is_null(json_object_get(n, "last_error")));
    assert_true(json_is_null(json_object_get(n, "next_attempt_at")));
    assert_true(json_integer_value(json_object_get(n, "outbox_id")) > 0);
    assert_true(json_is_string(json_object_get(n, "updated_at")));
    json_decref(n);
}

/* A webhook that fails once: the job goes back with its error and a
 * next attempt about 2 s later (the first backoff step), then the
 * worker delivers it on the second attempt. */
static void test_api_failed_delivery_is_retried_with_backoff(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "retry", 0.6, "cardio");
    char path[64], notify[80];
    struct reply r;
    json_t *n;
    int calls;

    pthread_mutex_lock(&f->hook.lock);
    f->hook.fail_next = 1;
    calls = f->hook.calls;
    pthread_mutex_unlock(&f->hook.lock);
    snprintf(path, sizeof(path), "/appointments/%lld", (long long)id);
    snprintf(notify, sizeof(notify), "%s/notify", path);
    assert_int_equal(call(f, "POST", notify, NULL, "c", &r), 202);
    reply_free(&r);
    n = wait_delivery(f, path, "pending", 1);
    assert_int_equal(json_integer_value(json_object_get(n, "attempts")), 1);
    assert_non_null(strstr(json_string_value(json_object_get(
                               n, "last_error")), "HTTP 503"));
    assert_true(json_is_string(json_object_get(n, "next_attempt_at")));
    json_decref(n);
    n = wait_delivery(f, path, "delivered", 2);
    assert_int_equal(json_integer_value(json_object_get(n, "attempts")), 2);
    json_decref(n);
    pthread_mutex_lock(&f->hook.lock);
    assert_int_equal(f->hook.calls - calls, 2);
    pthread_mutex_unlock(&f->hook.lock);
}

/* The patient's confirmation after a reminder: confirmed, with its
 * event; again is harmless; a reader may not; after an outcome, 409. */
static void test_api_confirm_after_notify_then_outcome(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "confirm", 0.5, "derm");
    char path[64], sub[96];
    struct reply r;
    json_t *doc;

    snprintf(path, sizeof(path), "/appointments/%lld", (long long)id);
    snprintf(sub, sizeof(sub), "%s/notify", path);
    assert_int_equal(call(f, "POST", sub, NULL, "c", &r), 202);
    reply_free(&r);
    snprintf(sub, sizeof(sub), "%s/confirm", path);
    assert_int_equal(call(f, "POST", sub, NULL, "r", &r), 403);
    reply_free(&r);
    assert_int_equal(call(f, "POST", sub, NULL, "c", &r), 200);
    assert_non_null(strstr(r.body, "\"status\":\"confirmed\""));
    assert_non_null(strstr(r.body, "\"repeat\":false"));
    reply_free(&r);
    assert_int_equal(call(f, "POST", sub, NULL, "c", &r), 200);
    assert_non_null(strstr(r.body, "\"repeat\":true"));
    reply_free(&r);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    doc = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(doc, "status")),
                        "confirmed");
    assert_non_null(strstr(r.body, "\"kind\":\"confirmed\""));
    json_decref(doc);
    reply_free(&r);
    snprintf(sub, sizeof(sub), "%s/outcome", path);
    assert_int_equal(call(f, "PUT", sub, "{\"outcome\":\"honored\"}", "c",
                          &r), 200);
    reply_free(&r);
    snprintf(sub, sizeof(sub), "%s/confirm", path);
    assert_int_equal(call(f, "POST", sub, NULL, "c", &r), 409);
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/appointments/999999999/confirm",
                          NULL, "c", &r), 404);
    reply_free(&r);
}

static void test_api_notify_after_outcome_is_409(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "late", 0.3, "derm");
    char path[64];
    struct reply r;

    snprintf(path, sizeof(path), "/appointments/%lld/outcome",
             (long long)id);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\":\"cancelled\"}",
                          "c", &r), 200);
    reply_free(&r);
    snprintf(path, sizeof(path), "/appointments/%lld/notify",
             (long long)id);
    assert_int_equal(call(f, "POST", path, NULL, "c", &r), 409);
    reply_free(&r);
    assert_int_equal(call(f, "POST", path, "{\"message\":5}", "c", &r),
                     422);
    reply_free(&r);
}

static void test_api_list_filters_sorts_and_pages(void **state)
{
    struct fx *f = *state;
    char path[256];
    struct reply r;
    json_t *page;
    const char *cursor;
    double first;

    book_direct(f, "l1", 0.2, f->srv.tag);
    book_direct(f, "l2", 0.9, f->srv.tag);
    book_direct(f, "l3", 0.6, f->srv.tag);
    snprintf(path, sizeof(path), "/appointments?specialty=%s&limit=2&"
             "min_risk=0.5&status=pending", f->srv.tag);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    page = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(page, "items")), 2);
    first = json_real_value(json_object_get(
        json_array_get(json_object_get(page, "items"), 0), "risk"));
    assert_true(first > 0.89 && first < 0.91);
    json_decref(page);
    reply_free(&r);
    snprintf(path, sizeof(path), "/appointments?specialty=%s&limit=1",
             f->srv.tag);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    page = json_loads(r.body, 0, NULL);
    cursor = json_string_value(json_object_get(page, "next_cursor"));
    assert_non_null(cursor);
    snprintf(path, sizeof(path), "/appointments?specialty=%s&limit=5&"
             "cursor=%s", f->srv.tag, cursor);
    json_decref(page);
    reply_free(&r);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    page = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(page, "items")), 2);
    json_decref(page);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/appointments?limit=0", NULL, "r",
                          &r), 422);
    assert_non_null(strstr(r.body, "\"field\":\"limit\""));
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/appointments?from=2016-13-01", NULL,
                          "r", &r), 422);
    reply_free(&r);
}

static void test_api_ten_megabyte_body_is_413(void **state)
{
    struct fx *f = *state;
    const char *const h[] = {f->h_clinic, "Content-Type: application/json",
                             NULL};
    size_t n = 10u << 20;
    char *big = malloc(n);
    struct reply r;

    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    assert_int_equal(http_call(f->srv.port, "POST", "/appointments", big, n, h,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    reply_free(&r);
    free(big);
}

static void test_api_slow_client_is_cut_by_timeout(void **state)
{
    struct fx *f = *state;
    struct sockaddr_in a = {.sin_family = AF_INET};
    const char *part = "PUT /appointments/1/outcome HTTP/1.1\r\n"
                       "Host: x\r\nContent-Length: 50\r\n\r\n{";
    struct timeval tv = {5, 0};
    char buf[256] = "";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int64_t t0;
    ssize_t n;

    a.sin_port = htons((uint16_t)f->srv.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_true(write(fd, part, strlen(part)) > 0);
    t0 = ns_mono_ns();
    n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n <= 0);
    assert_true(ns_mono_ns() - t0 < 4000000000LL);
    close(fd);
}

static void test_api_metrics_show_routes_and_outbox(void **state)
{
    struct fx *f = *state;
    struct reply r;

    assert_int_equal(call(f, "GET", "/metrics", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.ctype, "text/plain"));
    assert_non_null(strstr(r.body, "route=\"/appointments/{id}\""));
    assert_non_null(strstr(r.body, "noshow_outbox_depth "));
    assert_non_null(strstr(r.body, "noshow_predictions_total{band="));
    assert_null(strstr(r.body, "/appointments/1\""));
    reply_free(&r);
}

/* A database that stays locked past the store's busy timeout (5 s) is
 * "unavailable": 503 with Retry-After, and nothing half-written. */
static void test_api_locked_database_is_503_retry_after(void **state)
{
    struct fx *f = *state;
    int64_t id = book_direct(f, "locked", 0.3, "derm");
    char path[96];
    sqlite3 *db = NULL;
    struct reply r;

    if (g_url != NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/db", f->srv.dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
                     SQLITE_OK);
    snprintf(path, sizeof(path), "/appointments/%lld/outcome",
             (long long)id);
    assert_int_equal(call(f, "PUT", path, "{\"outcome\":\"honored\"}", "c",
                          &r), 503);
    assert_string_equal(r.retry_after, "5");
    reply_free(&r);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    snprintf(path, sizeof(path), "/appointments/%lld", (long long)id);
    assert_int_equal(call(f, "GET", path, NULL, "r", &r), 200);
    assert_non_null(strstr(r.body, "\"status\":\"pending\""));
    reply_free(&r);
}

/* A model file that cannot be read stops the start with its name. */
static void test_api_start_with_missing_model_names_it(void **state)
{
    struct api_config cfg = {0};
    struct api *a = NULL;
    struct ns_error err;

    (void)state;
    cfg.db_url = "sqlite::memory:";
    cfg.model_path = "/nonexistent/model.json";
    assert_int_not_equal(api_start(&cfg, &a, &err), NS_OK);
    assert_null(a);
    assert_non_null(strstr(err.msg, "/nonexistent/model.json"));
}

#define T(fn) cmocka_unit_test(fn)
static const struct CMUnitTest tests[] = {
    T(test_api_health_routes_need_no_key),
    T(test_api_openapi_lists_every_route),
    T(test_api_no_key_401_wrong_role_403),
    T(test_api_revoked_key_is_401),
    T(test_api_model_routes_without_model_are_503),
    T(test_api_get_appointment_and_404s),
    T(test_api_outcome_repeat_and_conflict),
    T(test_api_outcome_bad_bodies),
    T(test_api_injection_message_stored_verbatim),
    T(test_api_appointment_shows_delivery_state),
    T(test_api_failed_delivery_is_retried_with_backoff),
    T(test_api_notify_after_outcome_is_409),
    T(test_api_confirm_after_notify_then_outcome),
    T(test_api_list_filters_sorts_and_pages),
    T(test_api_ten_megabyte_body_is_413),
    T(test_api_slow_client_is_cut_by_timeout),
    T(test_api_metrics_show_routes_and_outbox),
    T(test_api_start_with_missing_model_names_it),
    T(test_api_locked_database_is_503_retry_after),
};

int main(void)
{
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = run_backends("API tests", tests, sizeof(tests) / sizeof(tests[0]),
                          setup, teardown, &g_url);
    curl_global_cleanup();
    return failed;
}
