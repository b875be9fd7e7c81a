/* The learning loop end to end on made-up rows: appointments booked
 * through the API, their outcomes posted, a retraining round promoting a
 * challenger that the running service then serves and stamps on new
 * bookings; a challenger trained on shuffled labels kept out; rollback
 * through the API; the event export; input drift seen by a replica on a
 * shifted stream of requests and not on an unshifted one. SQLite always,
 * MariaDB when NOSHOW_TEST_MYSQL_URL names one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "data/csv.h"
#include "learn/retrain.h"
#include "model/train.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/backends.h"
#include "server/client.h"
#include "server/fixture.h"
#include "store/store.h"
#include "support/run_cmd.h"
#include "support/synth.h"
#include "util/log.h"
#include "util/timeutil.h"

#define N_BOOKINGS 480

static const char *g_url;

struct fx {
    struct server_fx srv;       /* first: see server_fx_teardown */
    char model[128];
    char csv[128];
    char h_clinic[100], h_admin[100];
    bool booked;
};

/* A weak champion: 5 shallow trees on 200 rows of another sample. */
static int train_champion(const char *dir, const char *out)
{
    struct table_load_opts lo = {.schema_name = "kaggle-noshow",
                                 .need_label = true};
    struct train_result res = {0};
    struct schema *s = NULL;
    struct table *t = NULL;
    struct train_opts o;
    char csv[128];
    int rc = -1;

    snprintf(csv, sizeof(csv), "%s/champion.csv", dir);
    if (synth_write(csv, 200, 99, 0) != 0
        || table_load_csv(csv, NULL, &lo, &t, &s, NULL, NULL) != NS_OK)
        goto out;
    train_opts_default(&o);
    o.xgb.n_trees = 5;
    o.xgb.max_depth = 2;
    o.xgb.nthread = 1;
    if (train_run(t, &o, &res, NULL) == NS_OK
        && bundle_save(res.bundle, out, NULL) == NS_OK)
        rc = 0;
out:
    train_result_free(&res);
    table_free(t);
    schema_free(s);
    return rc;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct api_config cfg = {0};

    if (f == NULL
        || server_fx_prepare(&f->srv, "/tmp/noshow-learn-XXXXXX", "", g_url))
        return -1;
    snprintf(f->model, sizeof(f->model), "%s/model.json", f->srv.dir);
    snprintf(f->csv, sizeof(f->csv), "%s/book.csv", f->srv.dir);
    if (train_champion(f->srv.dir, f->model) != 0
        || synth_write(f->csv, N_BOOKINGS, 7, 0) != 0) {
        fprintf(stderr, "cannot make the test data\n");
        return -1;
    }
    cfg.model_path = f->model;
    cfg.threads = 2;
    cfg.timeout_s = 5;
    cfg.registry_poll_ms = 100;
    if (server_fx_start(&f->srv, &cfg)
        || server_fx_key(&f->srv, STORE_ROLE_CLINIC, NULL, f->h_clinic)
        || server_fx_key(&f->srv, STORE_ROLE_ADMIN, NULL, f->h_admin))
        return -1;
    *state = f;
    return 0;
}

static json_t *call(struct fx *f, const char *hdr, const char *method,
                    const char *path, const char *body, long want)
{
    const char *h[3] = {hdr, body ? "Content-Type: application/json"
                                  : NULL, NULL};
    struct reply r;
    json_t *j;

    assert_int_equal(http_call(f->srv.port, method, path, body,
                               body ? strlen(body) : 0, h, &r), CURLE_OK);
    if (r.status != want)
        fail_msg("%s %s answered %ld, expected %ld: %s", method, path,
                 r.status, want, r.body);
    j = json_loads(r.body, 0, NULL);
    if (j == NULL)
        fail_msg("%s %s: not JSON: %s", method, path, r.body);
    reply_free(&r);
    return j;
}

/* The rows of the made-up file at path as JSON records of strings, one
 * member per column, with Age moved by age_shift years; a new
 * reference. */
static json_t *read_rows(const char *path, int age_shift)
{
    json_t *rows = json_array();
    const struct csv_row *head, *row;
    struct csv_reader *r;
    struct ns_error err;
    char **names = NULL;
    enum ns_err rc;

    if (csv_reader_open(path, NULL, &r, &err) != NS_OK)
        fail_msg("%s", err.msg);
    if (csv_reader_next(r, &head, &err) != NS_OK)
        fail_msg("%s", err.msg);
    names = calloc(head->nfields, sizeof(*names));
    assert_non_null(names);
    for (size_t k = 0; k < head->nfields; k++)
        names[k] = strdup(head->fields[k].ptr);
    while ((rc = csv_reader_next(r, &row, &err)) == NS_OK) {
        json_t *rec = json_object();

        if (row->nfields != head->nfields)
            fail_msg("line %ld of the made-up file has the wrong width",
                     row->line);
        for (size_t k = 0; k < row->nfields; k++)
            json_object_set_new(rec, names[k],
                                json_string(row->fields[k].ptr));
        if (age_shift != 0) {
            char age[16];

            snprintf(age, sizeof(age), "%ld", strtol(json_string_value(
                         json_object_get(rec, "Age")), NULL, 10)
                     + age_shift);
            json_object_set_new(rec, "Age", json_string(age));
        }
        json_array_append_new(rows, rec);
    }
    if (rc != NS_DONE)
        fail_msg("%s", err.msg);
    for (size_t k = 0; k < head->nfields; k++)
        free(names[k]);
    free(names);
    csv_reader_close(r);
    return rows;
}

/* Books record i of the file (its label taken out) through the API and
 * posts its outcome. */
static void book_row(struct fx *f, json_t *rec, int i)
{
    json_t *j;
    char id[64], path[96], *body;
    char outcome[128];
    bool no_show = strcmp(json_string_value(json_object_get(
                              rec, "No-show")), "Yes") == 0;

    json_object_del(rec, "No-show");
    snprintf(id, sizeof(id), "%s-%d", f->srv.tag, i);
    json_object_set_new(rec, "AppointmentID", json_string(id));
    body = json_dumps(rec, JSON_COMPACT);
    j = call(f, f->h_clinic, "POST", "/appointments", body, 201);
    free(body);
    snprintf(path, sizeof(path), "/appointments/%lld/outcome",
             (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    snprintf(outcome, sizeof(outcome), "{\"outcome\": \"%s\", \"at\": "
             "\"%.10sT12:00:00Z\"}", no_show ? "no_show" : "honored",
             json_string_value(json_object_get(rec, "AppointmentDay")));
    json_decref(call(f, f->h_clinic, "PUT", path, outcome, 200));
}

static void book_all(struct fx *f)
{
    json_t *rows, *rec;
    size_t i;

    if (f->booked)
        return;
    rows = read_rows(f->csv, 0);
    json_array_foreach(rows, i, rec)
        book_row(f, rec, (int)i);
    json_decref(rows);
    f->booked = true;
}

static const char *serving(struct fx *f, char *buf, size_t n)
{
    json_t *j = call(f, f->h_admin, "GET", "/model", NULL, 200);

    snprintf(buf, n, "%s",
             json_string_value(json_object_get(j, "version")));
    json_decref(j);
    return buf;
}

/* Waits (up to 5 s) for the service to serve version v. */
static void wait_serving(struct fx *f, const char *v)
{
    char cur[REGISTRY_VERSION_MAX];

    for (int i = 0; i < 100; i++) {
        if (strcmp(serving(f, cur, sizeof(cur)), v) == 0)
            return;
        usleep(50000);
    }
    fail_msg("the service still serves %s, expected %s after the "
             "registry moved", cur, v);
}

static void production(struct fx *f, char *buf, size_t n)
{
    assert_int_equal(registry_production(f->srv.store, buf, n, NULL), NS_OK);
}

static void opts(struct fx *f, struct retrain_opts *o)
{
    retrain_opts_default(o);
    o->champion_file = f->model;
    o->nthread = 1;
}

/* Retrains with tolerances wide enough that a sane challenger passes:
 * the promotion path, not the model's quality, is under test here (on
 * a few hundred rows a window of 80 bookings is a noisy judge). */
static void promote_round(struct fx *f, int holdout_days, double tol,
                          struct retrain_result *res)
{
    struct retrain_opts o;
    struct ns_error err;

    opts(f, &o);
    o.holdout_days = holdout_days;
    o.tol_auc = tol;
    o.tol_brier = tol / 5;
    if (retrain_run(f->srv.store, &o, res, &err) != NS_OK)
        fail_msg("retrain: %s", err.msg);
    if (!res->promoted)
        fail_msg("a sane challenger within wide tolerances was kept out: "
                 "%s", res->decision);
}

static void test_retrain_challenger_promoted_and_stamped_on_bookings(
    void **state)
{
    struct fx *f = *state;
    struct retrain_result res;
    struct store_model m = {0};
    char prod[REGISTRY_VERSION_MAX], path[96];
    json_t *j, *a, *obj;
    char *rec;

    book_all(f);
    promote_round(f, 7, 0.25, &res);
    assert_true(res.n_db_rows >= N_BOOKINGS);
    assert_true(res.n_window > 0 && res.n_train > res.n_window);
    production(f, prod, sizeof(prod));
    assert_string_equal(prod, res.challenger.version);
    assert_int_equal(store_model_get(f->srv.store, prod, &m, NULL), NS_OK);
    assert_non_null(m.parent);
    assert_string_equal(m.parent, res.champion.version);
    assert_non_null(strstr(m.metrics_json, "\"evaluation\""));
    store_model_free(&m);
    /* The service follows the registry, and new bookings carry it. */
    wait_serving(f, prod);
    snprintf(path, sizeof(path), "%s-after", f->srv.tag);
    obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:i, "
                    "s:i, s:i, s:i}", "PatientId", "123", "AppointmentID",
                    path, "Gender", "F", "ScheduledDay",
                    "2016-05-30T09:00:00Z", "AppointmentDay", "2016-06-02",
                    "Age", 40, "Neighbourhood", "CENTRO", "Scholarship", 0,
                    "Hipertension", 0, "Diabetes", 0, "Alcoholism", 0,
                    "Handcap", 0, "SMS_received", 1);
    rec = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    j = call(f, f->h_clinic, "POST", "/appointments", rec, 201);
    free(rec);
    assert_string_equal(json_string_value(json_object_get(
                            j, "model_version")), prod);
    snprintf(path, sizeof(path), "/appointments/%lld",
             (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    a = call(f, f->h_clinic, "GET", path, NULL, 200);
    if (strcmp(json_string_value(json_object_get(a, "model_version")),
               prod) != 0)
        fail_msg("the stored prediction names %s, expected %s",
                 json_string_value(json_object_get(a, "model_version")),
                 prod);
    json_decref(a);
}

static void test_retrain_shuffled_labels_challenger_not_promoted(
    void **state)
{
    struct fx *f = *state;
    struct retrain_opts o;
    struct retrain_result res;
    struct store_model m = {0};
    char before[REGISTRY_VERSION_MAX], after[REGISTRY_VERSION_MAX];
    struct ns_error err;

    book_all(f);
    /* The champion: trained on the true labels of the same rows (so the
     * test does not depend on what an earlier run left in production). */
    promote_round(f, 8, 5.0, &res);
    opts(f, &o);
    o.holdout_days = 8;
    o.shuffle_labels = true;
    if (retrain_run(f->srv.store, &o, &res, &err) != NS_OK)
        fail_msg("retrain: %s", err.msg);
    production(f, before, sizeof(before));
    if (res.promoted)
        fail_msg("a challenger trained on shuffled labels was promoted: "
                 "%s", res.decision);
    assert_true(res.challenger.auc < res.champion.auc);
    production(f, after, sizeof(after));
    assert_string_equal(after, res.champion.version);
    /* Registered all the same, as a candidate, with the numbers. */
    assert_int_equal(store_model_get(f->srv.store, res.challenger.version, &m,
                                     NULL), NS_OK);
    assert_int_equal(m.status, STORE_MODEL_CANDIDATE);
    assert_non_null(strstr(m.metrics_json, "kept the champion"));
    store_model_free(&m);
}

static void test_models_rollback_route_restores_parent(void **state)
{
    struct fx *f = *state;
    struct retrain_result res;
    char prod[REGISTRY_VERSION_MAX];
    json_t *j;

    book_all(f);
    /* Another window: the same rows would give the same model again. Any
     * challenger will do: rollback is under test. */
    promote_round(f, 6, 5.0, &res);
    wait_serving(f, res.challenger.version);
    /* Only an admin may move production. */
    json_decref(call(f, f->h_clinic, "POST", "/models/rollback", NULL,
                     403));
    j = call(f, f->h_admin, "POST", "/models/rollback", NULL, 200);
    assert_string_equal(json_string_value(json_object_get(
                            j, "model_version")), res.champion.version);
    json_decref(j);
    production(f, prod, sizeof(prod));
    assert_string_equal(prod, res.champion.version);
    wait_serving(f, res.champion.version);
    /* And forward again by name. */
    {
        char path[128];

        snprintf(path, sizeof(path), "/models/%s/promote",
                 res.challenger.version);
        json_decref(call(f, f->h_admin, "POST", path, NULL, 200));
        wait_serving(f, res.challenger.version);
        json_decref(call(f, f->h_admin, "POST", "/models/nope/promote",
                         NULL, 404));
    }
    j = call(f, f->h_clinic, "GET", "/models", NULL, 200);
    assert_true(json_array_size(json_object_get(j, "models")) >= 2);
    json_decref(j);
}

static void test_export_jsonl_has_every_booking_event(void **state)
{
    struct fx *f = *state;
    char out[128], errf[128], line[4096];
    size_t n = 0, outcomes = 0;
    FILE *in;

    book_all(f);
    snprintf(out, sizeof(out), "%s/export.jsonl", f->srv.dir);
    snprintf(errf, sizeof(errf), "%s/export.err", f->srv.dir);
    assert_int_equal(run_cmd(cmd_export, "export", "/dev/null", errf, 8,
                             "--db", f->srv.url, "--since", "2000-01-01",
                             "--format", "jsonl", "-o", out), 0);
    in = fopen(out, "r");
    assert_non_null(in);
    while (fgets(line, sizeof(line), in)) {
        json_t *j = json_loads(line, 0, NULL);

        if (j == NULL)
            fail_msg("export line %zu is not JSON: %s", n + 1, line);
        outcomes += strcmp(json_string_value(json_object_get(j, "kind")),
                           "outcome") == 0;
        json_decref(j);
        n++;
    }
    fclose(in);
    if (outcomes < N_BOOKINGS || n < 3 * (size_t)N_BOOKINGS)
        fail_msg("export holds %zu events and %zu outcomes; expected at "
                 "least %d bookings' worth", n, outcomes, N_BOOKINGS);
}

static void test_monitoring_reports_versions_weeks_and_drift(void **state)
{
    struct fx *f = *state;
    const json_t *v, *w;
    json_t *j;
    struct reply r;
    const char *h[2] = {f->h_clinic, NULL};
    size_t i, rows = 0, weeks = 0;

    book_all(f);
    j = call(f, f->h_clinic, "GET", "/monitoring", NULL, 200);
    json_array_foreach(json_object_get(json_object_get(j, "performance"),
                                       "versions"), i, v) {
        rows += (size_t)json_integer_value(json_object_get(v, "rows"));
        weeks += json_array_size(json_object_get(v, "weeks"));
        w = json_array_get(json_object_get(v, "weeks"), 0);
        assert_non_null(json_object_get(w, "brier"));
        assert_non_null(json_object_get(w, "observed_rate"));
    }
    if (rows < N_BOOKINGS || weeks < 4)
        fail_msg("monitoring counts %zu labelled rows in %zu weeks; "
                 "expected the %d bookings over 5 weeks", rows, weeks,
                 N_BOOKINGS);
    assert_true(json_is_object(json_object_get(j, "drift")));
    json_decref(j);
    assert_int_equal(http_call(f->srv.port, "GET", "/metrics", NULL, 0, h, &r),
                     CURLE_OK);
    if (strstr(r.body, "noshow_model_brier{version=") == NULL)
        fail_msg("/metrics lacks the per-version Brier gauge");
    reply_free(&r);
}

static size_t n_versions(struct fx *f)
{
    struct store_model_list l = {0};
    size_t n;

    assert_int_equal(store_model_list(f->srv.store, &l, NULL), NS_OK);
    n = l.n;
    store_model_list_free(&l);
    return n;
}

static struct api *replica(struct fx *f, unsigned every_s)
{
    struct api_config cfg = {0};
    struct api *a = NULL;
    struct ns_error err;

    cfg.db_url = f->srv.url;
    cfg.model_path = f->model;
    cfg.threads = 1;
    cfg.timeout_s = 5;
    cfg.registry_poll_ms = 100;
    cfg.retrain_every_s = every_s;
    cfg.retrain_holdout_days = 5;
    if (api_start(&cfg, &a, &err) != NS_OK)
        fail_msg("replica: %s", err.msg);
    return a;
}

/* Two replicas retraining every 3 s on one database: in the first
 * period exactly one of them runs a round (the lease), and the lease
 * stays held for the rest of the period. */
static void test_scheduled_retrain_one_replica_per_period(void **state)
{
    struct fx *f = *state;
    size_t before, now = 0;
    struct api *b, *c;
    int got = 1;

    book_all(f);
    before = n_versions(f);
    b = replica(f, 3);
    c = replica(f, 3);
    for (int i = 0; i < 150 && (now = n_versions(f)) == before; i++)
        usleep(50000);
    if (now == before)
        fail_msg("no scheduled round registered a version in 7.5 s");
    assert_int_equal(store_lease_acquire(f->srv.store, "retrain", "intruder",
                                         ns_now_ms(), 1000, &got, NULL),
                     NS_OK);
    assert_int_equal(got, 0);
    usleep(700000);
    now = n_versions(f);
    api_stop(b, 1000);
    api_stop(c, 1000);
    if (now != before + 1)
        fail_msg("%zu rounds ran in one period across two replicas; "
                 "expected 1", now - before);
}

/* A made-up stream of n records (another seed than the bookings, labels
 * left out) with Age moved by age_shift years, as one /predict list. */
static char *stream(struct fx *f, uint64_t seed, int n, int age_shift)
{
    char path[160];
    json_t *list, *rec;
    size_t i;
    char *body;

    snprintf(path, sizeof(path), "%s/stream-%llu.csv", f->srv.dir,
             (unsigned long long)seed);
    assert_int_equal(synth_write(path, n, seed, 0), 0);
    list = read_rows(path, age_shift);
    json_array_foreach(list, i, rec)
        json_object_del(rec, "No-show");
    body = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return body;
}

/* Starts a fresh replica (its drift counts start at zero), posts body to
 * its /predict and returns the drift part of its /monitoring. */
static json_t *drift_of_replica(struct fx *f, const char *body)
{
    struct api *a = replica(f, 0);
    const char *h[3] = {f->h_clinic, "Content-Type: application/json",
                        NULL};
    json_t *j, *d;
    struct reply r;

    assert_int_equal(http_call(api_port(a), "POST", "/predict", body,
                               strlen(body), h, &r), CURLE_OK);
    if (r.status != 200)
        fail_msg("POST /predict answered %ld: %.300s", r.status, r.body);
    reply_free(&r);
    h[1] = NULL;
    assert_int_equal(http_call(api_port(a), "GET", "/monitoring", NULL, 0,
                               h, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    reply_free(&r);
    api_stop(a, 1000);
    assert_non_null(j);
    d = json_incref(json_object_get(j, "drift"));
    json_decref(j);
    if (!json_is_object(d))
        fail_msg("/monitoring has no drift report for the serving model");
    return d;
}

/* Names of the inputs whose PSI warns, comma-separated, in buf. */
static size_t warned(const json_t *drift, char *buf, size_t n)
{
    const json_t *ft;
    size_t i, count = 0;

    buf[0] = '\0';
    json_array_foreach(json_object_get(drift, "features"), i, ft) {
        if (!json_is_true(json_object_get(ft, "warning")))
            continue;
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s",
                 count++ ? "," : "",
                 json_string_value(json_object_get(ft, "name")));
    }
    return count;
}

/* 300 requests from the bookings' own process: no input warns. The same
 * requests with every age 25 years higher: Age warns. Each stream goes
 * to a fresh replica serving the registry's production version. */
static void test_monitoring_drift_warns_on_shifted_stream_only(
    void **state)
{
    struct fx *f = *state;
    char names[512];
    char *body;
    json_t *d;

    book_all(f);
    body = stream(f, 21, 300, 0);
    d = drift_of_replica(f, body);
    free(body);
    assert_int_equal(json_integer_value(json_object_get(d, "rows")), 300);
    if (warned(d, names, sizeof(names)) != 0)
        fail_msg("an unshifted stream raised drift on %s", names);
    json_decref(d);
    body = stream(f, 21, 300, 25);
    d = drift_of_replica(f, body);
    free(body);
    if (warned(d, names, sizeof(names)) == 0
        || strstr(names, "Age") == NULL)
        fail_msg("ages moved by 25 years: drift warned on '%s', expected "
                 "Age", names);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_retrain_challenger_promoted_and_stamped_on_bookings),
        cmocka_unit_test(
            test_retrain_shuffled_labels_challenger_not_promoted),
        cmocka_unit_test(test_models_rollback_route_restores_parent),
        cmocka_unit_test(test_export_jsonl_has_every_booking_event),
        cmocka_unit_test(test_monitoring_reports_versions_weeks_and_drift),
        cmocka_unit_test(test_scheduled_retrain_one_replica_per_period),
        cmocka_unit_test(
            test_monitoring_drift_warns_on_shifted_stream_only),
    };

    return run_backends("learning loop", tests,
                        sizeof(tests) / sizeof(tests[0]), setup,
                        server_fx_teardown, &g_url);
}
