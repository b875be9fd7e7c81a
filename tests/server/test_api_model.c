/* The routes that need a model: booking (validation, idempotency,
 * pseudonyms, injection strings), /predict, the Open Inference Protocol
 * and model reload, on a real server over SQLite (and MariaDB when
 * NOSHOW_TEST_MYSQL_URL names one), with a tiny bundle trained by
 * `noshow train` on made-up rows (or the file NOSHOW_TEST_BUNDLE names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "backends.h"
#include "client.h"
#include "fixture.h"
#include "server/api.h"
#include "server/auth.h"
#include "store/store.h"
#include "store/store_int.h"
#include "util/log.h"
#include "util/timeutil.h"

#define TRAIN_CSV "tests/fixtures/server/train.csv"

static const char *g_url;

struct fx {
    struct server_fx srv;       /* first: see server_fx_teardown */
    char model[128];
    char h_clinic[100], h_admin[100], h_reader[100];
    int seq;
};

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;

    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

static const char *bin(void)
{
    static char path[256];
    const char *build = getenv("NOSHOW_BUILD");

    snprintf(path, sizeof(path), "%s/noshow", build ? build : "build");
    return path;
}

/* A tiny bundle: 10 trees of depth 2 on 120 made-up rows, in 0.1 s. */
static int train_bundle(const char *out)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "'%s' train %s -o '%s' --trees 10 "
             "--depth 2 --threads 1 > /dev/null 2>&1", bin(), TRAIN_CSV,
             out);
    return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const char *src = getenv("NOSHOW_TEST_BUNDLE");
    struct api_config cfg = {0};

    if (f == NULL
        || server_fx_prepare(&f->srv, "/tmp/noshow-apim-XXXXXX", "", g_url))
        return -1;
    snprintf(f->model, sizeof(f->model), "%s/model.json", f->srv.dir);
    if (src && *src ? copy_file(src, f->model) : train_bundle(f->model)) {
        fprintf(stderr, "cannot make the test bundle\n");
        return -1;
    }
    cfg.model_path = f->model;
    cfg.threads = 2;
    cfg.timeout_s = 2;
    if (server_fx_start(&f->srv, &cfg)
        || server_fx_key(&f->srv, STORE_ROLE_CLINIC, NULL, f->h_clinic)
        || server_fx_key(&f->srv, STORE_ROLE_ADMIN, NULL, f->h_admin)
        || server_fx_key(&f->srv, STORE_ROLE_READER, NULL, f->h_reader))
        return -1;
    *state = f;
    return 0;
}

static long call(struct fx *f, const char *method, const char *path,
                 const char *body, const char *extra, struct reply *r)
{
    const char *h[4] = {f->h_clinic, NULL, NULL, NULL};
    size_t n = 1;

    if (body)
        h[n++] = "Content-Type: application/json";
    if (extra)
        h[n++] = extra;
    assert_int_equal(http_call(f->srv.port, method, path, body,
                               body ? strlen(body) : 0, h, r), CURLE_OK);
    return r->status;
}

/* A valid record with a fresh appointment id; fields may be overridden
 * by a JSON object text merged over it. */
static char *record(struct fx *f, const char *over)
{
    json_t *obj = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:i,"
        " s:i}", "PatientId", "29872499824296", "AppointmentID", "",
        "Gender", "F", "ScheduledDay", "2016-04-29T18:38:08Z",
        "AppointmentDay", "2016-05-03T00:00:00Z", "Age", 62,
        "Neighbourhood", "JARDIM DA PENHA", "Scholarship", 0,
        "Hipertension", 1, "Diabetes", 0, "Alcoholism", 0, "Handcap", 0,
        "SMS_received", 0);
    char id[64];
    char *text;

    snprintf(id, sizeof(id), "%s-%d", f->srv.tag, ++f->seq);
    json_object_set_new(obj, "AppointmentID", json_string(id));
    if (over) {
        json_t *o = json_loads(over, 0, NULL);

        assert_non_null(o);
        json_object_update(obj, o);
        json_decref(o);
    }
    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
}

static json_t *body_json(const struct reply *r)
{
    json_t *j = json_loads(r->body, 0, NULL);

    if (j == NULL)
        fail_msg("not JSON: %s", r->body);
    return j;
}

static void test_api_book_answers_score_and_stores(void **state)
{
    struct fx *f = *state;
    char *rec = record(f, NULL);
    struct reply r;
    json_t *j;
    double p;
    char path[64];

    assert_int_equal(call(f, "POST", "/appointments", rec, NULL, &r), 201);
    j = body_json(&r);
    p = json_real_value(json_object_get(j, "probability"));
    assert_true(p > 0 && p < 1);
    assert_non_null(json_string_value(json_object_get(j, "band")));
    assert_non_null(json_string_value(json_object_get(j,
                                                      "model_version")));
    /* The top reasons, each said in words. */
    assert_true(json_array_size(json_object_get(j, "reasons")) > 0);
    assert_non_null(json_string_value(json_object_get(
        json_array_get(json_object_get(j, "reasons"), 0), "text")));
    assert_int_equal(json_array_size(json_object_get(j,
                                                     "unknown_categories")),
                     0);
    snprintf(path, sizeof(path), "/appointments/%lld",
             (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    reply_free(&r);
    assert_int_equal(call(f, "GET", path, NULL, NULL, &r), 200);
    /* Only the pseudonym is kept: the raw patient id is nowhere. */
    assert_null(strstr(r.body, "29872499824296"));
    assert_non_null(strstr(r.body, "\"status\":\"pending\""));
    assert_non_null(strstr(r.body, "\"kind\":\"scored\""));
    reply_free(&r);
    free(rec);
}

static void test_api_book_idempotent_retry_stores_one_row(void **state)
{
    struct fx *f = *state;
    char *rec = record(f, NULL);
    char *other = record(f, "{\"Age\": 30}");
    char key[80];
    struct reply r1, r2;

    snprintf(key, sizeof(key), "Idempotency-Key: k-%s", f->srv.tag);
    assert_int_equal(call(f, "POST", "/appointments", rec, key, &r1), 201);
    assert_int_equal(call(f, "POST", "/appointments", rec, key, &r2), 201);
    assert_string_equal(r1.body, r2.body);
    reply_free(&r2);
    /* Same key, another body: refused, nothing stored. */
    assert_int_equal(call(f, "POST", "/appointments", other, key, &r2),
                     409);
    reply_free(&r2);
    /* The same appointment id again without a key: a conflict too. */
    assert_int_equal(call(f, "POST", "/appointments", rec, NULL, &r2),
                     409);
    reply_free(&r2);
    reply_free(&r1);
    free(rec);
    free(other);
}

static void expect_422(struct fx *f, const char *over, const char *field)
{
    char *rec = record(f, over);
    struct reply r;
    json_t *j;
    const char *got;

    assert_int_equal(call(f, "POST", "/appointments", rec, NULL, &r), 422);
    assert_string_equal(r.ctype, "application/problem+json");
    j = body_json(&r);
    got = json_string_value(json_object_get(json_array_get(
        json_object_get(j, "errors"), 0), "field"));
    if (got == NULL || strcmp(got, field) != 0)
        fail_msg("422 for %s names field '%s', expected '%s'", over,
                 got ? got : "(none)", field);
    json_decref(j);
    reply_free(&r);
    free(rec);
}

static void test_api_book_invalid_records_are_422(void **state)
{
    struct fx *f = *state;
    char *rec = record(f, NULL);
    json_t *obj = json_loads(rec, 0, NULL);
    char *missing;
    struct reply r;

    expect_422(f, "{\"Age\": \"old\"}", "Age");
    expect_422(f, "{\"Age\": [1]}", "Age");
    expect_422(f, "{\"Age\": 130}", "Age");
    expect_422(f, "{\"Shoe_Size\": 42}", "Shoe_Size");
    expect_422(f, "{\"ScheduledDay\": \"yesterday\"}", "ScheduledDay");
    json_object_del(obj, "Gender");
    missing = json_dumps(obj, JSON_COMPACT);
    assert_int_equal(call(f, "POST", "/appointments", missing, NULL, &r),
                     422);
    assert_non_null(strstr(r.body, "\"field\":\"Gender\""));
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/appointments", "[1,2", NULL, &r),
                     400);
    assert_non_null(strstr(r.body, "column"));
    reply_free(&r);
    /* Booked after the appointment day: the answer names both fields
     * and both days. */
    free(rec);
    rec = record(f, "{\"AppointmentDay\": \"2016-04-28T00:00:00Z\"}");
    assert_int_equal(call(f, "POST", "/appointments", rec, NULL, &r), 422);
    if (!strstr(r.body, "appointment day 2016-04-28 is before the booking "
                "day 2016-04-29 of field 'ScheduledDay'")
        || !strstr(r.body, "\"field\":\"AppointmentDay\""))
        fail_msg("422 does not name both days and fields: %s", r.body);
    reply_free(&r);
    json_decref(obj);
    free(missing);
    free(rec);
}

/* Text fields reach the database through bound parameters only. */
static void test_api_book_injection_strings_stored_verbatim(void **state)
{
    struct fx *f = *state;
    static const char *const evil[] = {
        "x'); DROP TABLE appointments;--", "1' OR '1'='1",
        "\\\"; DELETE FROM events; --",
    };

    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        char ext[96];
        json_t *over;
        char *o;
        char *rec;
        char path[64];
        struct reply r;
        json_t *j;

        snprintf(ext, sizeof(ext), "%s%s-%zu", evil[i], f->srv.tag, i);
        over = json_pack("{s:s, s:s, s:s}", "Neighbourhood", evil[i],
                         "Gender", evil[i], "AppointmentID", ext);
        o = json_dumps(over, JSON_COMPACT);
        rec = record(f, o);
        assert_int_equal(call(f, "POST", "/appointments", rec, NULL, &r),
                         201);
        j = body_json(&r);
        /* Unseen categories are scored and named. */
        assert_non_null(strstr(r.body, "\"unknown_categories\":["
                                       "\"Gender\",\"Neighbourhood\"]"));
        snprintf(path, sizeof(path), "/appointments/%lld",
                 (long long)json_integer_value(json_object_get(j, "id")));
        json_decref(j);
        reply_free(&r);
        assert_int_equal(call(f, "GET", path, NULL, NULL, &r), 200);
        j = body_json(&r);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(j, "input"),
                                "Neighbourhood")), evil[i]);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(j, "input"), "Gender")),
                            evil[i]);
        assert_string_equal(json_string_value(json_object_get(j, "ext_id")),
                            ext);
        json_decref(j);
        reply_free(&r);
        json_decref(over);
        free(o);
        free(rec);
    }
}

static void test_api_predict_one_and_list_store_nothing(void **state)
{
    struct fx *f = *state;
    char *a = record(f, NULL);
    char *b = record(f, "{\"Age\": 20}");
    char list[4096];
    struct reply r;
    json_t *j;
    double p1;

    assert_int_equal(call(f, "POST", "/predict", a, NULL, &r), 200);
    j = body_json(&r);
    p1 = json_real_value(json_object_get(j, "probability"));
    json_decref(j);
    reply_free(&r);
    /* Reasons cost a TreeSHAP pass: /predict gives them on request. */
    assert_int_equal(call(f, "POST", "/predict?reasons=true", a, NULL, &r),
                     200);
    j = body_json(&r);
    assert_true(json_array_size(json_object_get(j, "reasons")) > 0);
    json_decref(j);
    reply_free(&r);
    snprintf(list, sizeof(list), "[%s,%s]", a, b);
    assert_int_equal(call(f, "POST", "/predict", list, NULL, &r), 200);
    j = body_json(&r);
    assert_int_equal(json_array_size(j), 2);
    /* The same record scores the same alone and in a list. */
    assert_true(json_real_value(json_object_get(json_array_get(j, 0),
                                                "probability")) == p1);
    json_decref(j);
    reply_free(&r);
    snprintf(list, sizeof(list), "[%s,{\"Age\":1}]", a);
    assert_int_equal(call(f, "POST", "/predict", list, NULL, &r), 422);
    assert_non_null(strstr(r.body, "\"field\":\"[1]."));
    reply_free(&r);
    /* A what-if stores nothing: its appointment id is still free. */
    assert_int_equal(call(f, "POST", "/appointments", a, NULL, &r), 201);
    reply_free(&r);
    free(a);
    free(b);
}

static void test_api_v2_infer_matches_predict(void **state)
{
    struct fx *f = *state;
    char *rec = record(f, NULL);
    json_t *obj = json_loads(rec, 0, NULL);
    json_t *inputs = json_array();
    json_t *req;
    const char *key;
    json_t *v;
    char *body;
    struct reply r;
    double p_predict;
    json_t *j;

    assert_int_equal(call(f, "POST", "/predict", rec, NULL, &r), 200);
    j = body_json(&r);
    p_predict = json_real_value(json_object_get(j, "probability"));
    json_decref(j);
    reply_free(&r);
    json_object_foreach(obj, key, v) {
        json_array_append_new(inputs, json_pack(
            "{s:s, s:[i], s:s, s:[O]}", "name", key, "shape", 1,
            "datatype", json_is_string(v) ? "BYTES" : "INT64", "data", v));
    }
    req = json_pack("{s:s, s:o}", "id", "r1", "inputs", inputs);
    body = json_dumps(req, JSON_COMPACT);
    assert_int_equal(call(f, "POST", "/v2/models/noshow/infer", body, NULL,
                          &r), 200);
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "r1");
    assert_true(json_real_value(json_array_get(json_object_get(
        json_array_get(json_object_get(j, "outputs"), 0), "data"), 0))
                == p_predict);
    json_decref(j);
    reply_free(&r);
    /* An "outputs" list picks the outputs. */
    json_object_set_new(req, "outputs", json_pack("[{s:s}]", "name",
                                                  "band"));
    free(body);
    body = json_dumps(req, JSON_COMPACT);
    assert_int_equal(call(f, "POST", "/v2/models/noshow/infer", body, NULL,
                          &r), 200);
    j = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "outputs")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            json_object_get(j, "outputs"), 0), "name")),
                        "band");
    json_decref(j);
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/v2/models/noshow/infer",
                          "{\"inputs\":[{\"name\":\"Nope\",\"shape\":[1],"
                          "\"datatype\":\"BYTES\",\"data\":[\"x\"]}]}",
                          NULL, &r), 422);
    assert_non_null(strstr(r.body, "\"error\""));
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/v2/models/noshow", NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"name\":\"Age\""));
    reply_free(&r);
    json_decref(req);
    json_decref(obj);
    free(body);
    free(rec);
}

static void test_api_model_info_and_readiness(void **state)
{
    struct fx *f = *state;
    struct reply r;

    assert_int_equal(call(f, "GET", "/model", NULL, NULL, &r), 200);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/readyz", NULL, NULL, &r), 200);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/v2/health/ready", NULL, NULL, &r),
                     200);
    reply_free(&r);
}

/* A corrupted file at reload: the old model keeps serving, the failure
 * is counted in /metrics; a good file then reloads. */
/* The first data row of a generated doctolib file as a JSON object of
 * strings, keyed by the header. */
static json_t *doctolib_row(const char *csv)
{
    char head[2048], row[2048];
    char *hs = NULL, *rs = NULL;
    json_t *obj = json_object();
    FILE *in = fopen(csv, "r");

    assert_non_null(in);
    assert_non_null(fgets(head, sizeof(head), in));
    assert_non_null(fgets(row, sizeof(row), in));
    fclose(in);
    head[strcspn(head, "\r\n")] = '\0';
    row[strcspn(row, "\r\n")] = '\0';
    for (char *h = strtok_r(head, ",", &hs), *v = strtok_r(row, ",", &rs);
         h && v; h = strtok_r(NULL, ",", &hs), v = strtok_r(NULL, ",", &rs))
        json_object_set_new(obj, h, json_string(v));
    json_object_del(obj, "Appointment_Status");
    return obj;
}

static int64_t stored_int(struct fx *f, const char *col, int64_t id,
                          int *is_null)
{
    struct store_conn *c = NULL;
    struct store_stmt *st = NULL;
    struct ns_error e;
    char sql[96];
    int64_t v;

    snprintf(sql, sizeof(sql), "SELECT %s FROM appointments WHERE id = ?",
             col);
    assert_int_equal(store_conn_get(f->srv.store, &c, &e), NS_OK);
    assert_int_equal(store_query(f->srv.store, c, sql, 0, &st, &e, "i",
                                 id), NS_OK);
    *is_null = f->srv.store->drv->col_null(st, 0);
    v = f->srv.store->drv->col_int(st, 0);
    f->srv.store->drv->finalize(st);
    store_conn_put(f->srv.store, c);
    return v;
}

/* A doctolib booking fills the original table's columns: its inputs
 * under their names, days_between as the client sent it and
 * number_days from the two dates. */
static void test_api_doctolib_booking_fills_original_columns(void **state)
{
    struct fx *f = *state;
    const char *admin[] = {f->h_admin, NULL};
    char csv[160], saved[160], cmd[512], id[64];
    struct reply r;
    json_t *row, *j;
    char *body;
    int64_t appt_id;
    int null = 1;

    /* The registry is shared by the tests of a group: the kaggle model
     * goes back in at teardown, whether or not this test passes. */
    snprintf(saved, sizeof(saved), "%s.kaggle", f->model);
    assert_int_equal(rename(f->model, saved), 0);
    snprintf(csv, sizeof(csv), "%s/doctolib.csv", f->srv.dir);
    snprintf(cmd, sizeof(cmd), "'%s' generate --rows 400 --seed 5 -o '%s'"
             " > /dev/null 2>&1 && '%s' train '%s' -o '%s' --trees 10"
             " --depth 2 --threads 1 > /dev/null 2>&1", bin(), csv, bin(),
             csv, f->model);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(http_call(f->srv.port, "POST", "/model/reload", NULL, 0,
                               admin, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);

    row = doctolib_row(csv);
    snprintf(id, sizeof(id), "%s-d1", f->srv.tag);
    json_object_set_new(row, "Appointment_Id", json_string(id));
    json_object_set_new(row, "Appointment_Booking_Date",
                        json_string("2024-03-01 18:30:00"));
    json_object_set_new(row, "Appointment_Date", json_string("2024-03-11"));
    json_object_set_new(row, "Days_Between_Scheduling_and_Appointment",
                        json_string("9"));
    body = json_dumps(row, JSON_COMPACT);
    assert_int_equal(call(f, "POST", "/appointments", body, NULL, &r), 201);
    j = body_json(&r);
    appt_id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    reply_free(&r);

    assert_int_equal(stored_int(f, "days_between", appt_id, &null), 9);
    assert_false(null);
    assert_int_equal(stored_int(f, "number_days", appt_id, &null), 10);
    assert_false(null);
    (void)stored_int(f, "f_hospital_rating", appt_id, &null);
    assert_false(null);
    json_decref(row);
    free(body);
}

/* Puts the kaggle model of the doctolib test back in force before the
 * service stops, so the next test of the group starts on it. */
static int doctolib_teardown(void **state)
{
    struct fx *f = *state;
    char saved[160];
    struct ns_error err;

    snprintf(saved, sizeof(saved), "%s.kaggle", f->model);
    if (access(saved, F_OK) == 0
        && (rename(saved, f->model) != 0
            || api_reload(f->srv.api, &err) != NS_OK)) {
        fprintf(stderr, "cannot put the kaggle model back\n");
        server_fx_teardown(state);
        return -1;
    }
    return server_fx_teardown(state);
}

static void test_api_reload_bad_file_keeps_old_model(void **state)
{
    struct fx *f = *state;
    char saved[160];
    const char *admin[] = {f->h_admin, NULL};
    char *rec = record(f, NULL);
    struct reply r;
    FILE *out;

    snprintf(saved, sizeof(saved), "%s.good", f->model);
    assert_int_equal(rename(f->model, saved), 0);
    out = fopen(f->model, "w");
    assert_non_null(out);
    fputs("{\"learner\": {\"trunc", out);
    fclose(out);
    assert_int_equal(http_call(f->srv.port, "POST", "/model/reload", NULL, 0,
                               admin, &r), CURLE_OK);
    assert_int_equal(r.status, 422);
    reply_free(&r);
    assert_int_equal(call(f, "POST", "/predict", rec, NULL, &r), 200);
    reply_free(&r);
    assert_int_equal(call(f, "GET", "/metrics", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "noshow_model_reloads_total{result="
                                   "\"failed\"} 1"));
    assert_non_null(strstr(r.body, "noshow_model_info{version="));
    reply_free(&r);
    assert_int_equal(rename(saved, f->model), 0);
    assert_int_equal(http_call(f->srv.port, "POST", "/model/reload", NULL, 0,
                               admin, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    free(rec);
}

struct hammer {
    struct fx *f;
    const char *body;
    int ok, bad;
    volatile int stop;
};

static void *hammer_predict(void *arg)
{
    struct hammer *h = arg;

    while (!h->stop) {
        const char *hd[] = {h->f->h_clinic, "Content-Type: application/json",
                            NULL};
        struct reply r;

        if (http_call(h->f->srv.port, "POST", "/predict", h->body,
                      strlen(h->body), hd, &r) == CURLE_OK && r.status == 200)
            h->ok++;
        else
            h->bad++;
        reply_free(&r);
    }
    return NULL;
}

/* Reloads while requests are in flight: none of them fails. */
static void test_api_reload_under_load_fails_no_request(void **state)
{
    struct fx *f = *state;
    char *rec = record(f, NULL);
    struct hammer h = {f, rec, 0, 0, 0};
    pthread_t t;
    struct ns_error err;

    assert_int_equal(pthread_create(&t, NULL, hammer_predict, &h), 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(api_reload(f->srv.api, &err), NS_OK);
        usleep(20000);
    }
    h.stop = 1;
    pthread_join(t, NULL);
    assert_true(h.ok > 0);
    assert_int_equal(h.bad, 0);
    free(rec);
}

/* The same rows through `noshow predict` and POST /predict give the same
 * probabilities (patients without history in either path). */
static void test_api_predict_matches_cli(void **state)
{
    struct fx *f = *state;
    char cmd[512], line[4096], want[32][16], got[16];
    json_t *list = json_array();
    size_t n = 0;
    struct reply r;
    char *body;
    json_t *j;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "head -n 21 %s > %s/rows.csv && '%s' "
             "predict '%s' %s/rows.csv --no-file-history -o - 2>/dev/null",
             TRAIN_CSV, f->srv.dir, bin(), f->model, f->srv.dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    while (n < 20 && fgets(line, sizeof(line), p)) {
        char *fld[20];
        size_t k = 0;

        for (char *s = line, *c; k < 20 && s; s = c ? c + 1 : NULL) {
            c = strchr(s, ',');
            if (c)
                *c = '\0';
            fld[k++] = s;
        }
        assert_true(k >= 15);
        snprintf(want[n], sizeof(want[n]), "%s", fld[14]);
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
            " s:s}", "PatientId", fld[0], "AppointmentID", fld[1],
            "Gender", fld[2], "ScheduledDay", fld[3], "AppointmentDay",
            fld[4], "Age", fld[5], "Neighbourhood", fld[6], "Scholarship",
            fld[7], "Hipertension", fld[8], "Diabetes", fld[9],
            "Alcoholism", fld[10], "Handcap", fld[11], "SMS_received",
            fld[12]));
        n++;
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(n, 20);
    body = json_dumps(list, JSON_COMPACT);
    assert_int_equal(call(f, "POST", "/predict", body, NULL, &r), 200);
    j = body_json(&r);
    for (size_t i = 0; i < n; i++) {
        snprintf(got, sizeof(got), "%.6f", json_real_value(json_object_get(
                                               json_array_get(j, i),
                                               "probability")));
        if (strcmp(got, want[i]) != 0)
            fail_msg("row %zu: /predict %s, noshow predict %s", i + 1, got,
                     want[i]);
    }
    json_decref(j);
    json_decref(list);
    reply_free(&r);
    free(body);
}

#define T(fn) cmocka_unit_test(fn)
static const struct CMUnitTest tests[] = {
    T(test_api_book_answers_score_and_stores),
    T(test_api_book_idempotent_retry_stores_one_row),
    T(test_api_book_invalid_records_are_422),
    T(test_api_book_injection_strings_stored_verbatim),
    T(test_api_predict_one_and_list_store_nothing),
    T(test_api_v2_infer_matches_predict),
    T(test_api_model_info_and_readiness),
    T(test_api_reload_bad_file_keeps_old_model),
    cmocka_unit_test_setup_teardown(
        test_api_doctolib_booking_fills_original_columns, setup,
        doctolib_teardown),
    T(test_api_predict_matches_cli),
    T(test_api_reload_under_load_fails_no_request),
};

int main(void)
{
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = run_backends("model API tests", tests,
                          sizeof(tests) / sizeof(tests[0]), setup,
                          server_fx_teardown, &g_url);
    curl_global_cleanup();
    return failed;
}
