/* The decision routes end to end: GET /actions (order, capacity, the
 * recorded and stable control group, patients contacted recently left
 * off, a list kept with its statuses once its patients are notified),
 * GET /overbooking and GET /actions/effect, with their errors, on
 * SQLite and, when NOSHOW_TEST_MYSQL_URL names one, MariaDB. Rows of a
 * run carry a unique specialty, since MariaDB keeps earlier runs' rows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends.h"
#include "client.h"
#include "fixture.h"
#include "server/api.h"
#include "server/auth.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

#define DAY "2016-05-02"

static const char *g_url;

struct fx {
    struct server_fx srv;       /* first: see server_fx_teardown */
    char h_reader[100], h_clinic[100];
    int64_t ids[5];
};

/* Books one appointment of patient P<patient> on day with risk. */
static int64_t book(struct fx *f, const char *ext, int patient, int32_t day,
                    double risk)
{
    struct store_appt_new a = {0};
    struct store_book_result res = {0};
    struct ns_error err;
    char ext_id[96], pat[64];

    snprintf(ext_id, sizeof(ext_id), "%s-%s", f->srv.tag, ext);
    snprintf(pat, sizeof(pat), "%s-p%d", f->srv.tag, patient);
    a.ext_id = ext_id;
    a.patient_ref = pat;
    a.booked_at = 1461945600;
    a.appt_day = day;
    a.appt_time = -1;
    a.specialty = f->srv.tag;
    a.risk = risk;
    a.band = "low";
    a.model_version = "test-model";
    a.now_ms = ns_now_ms();
    if (store_book(f->srv.store, &a, NULL, NULL, NULL, &res, &err) != NS_OK)
        fail_msg("store_book: %s", err.msg);
    store_book_result_free(&res);
    return res.id;
}

static int setup(void **state)
{
    static const double risks[5] = {0.9, 0.7, 0.5, 0.3, 0.05};
    struct fx *f = calloc(1, sizeof(*f));
    struct api_config cfg = {0};
    char ext[16];

    if (f == NULL
        || server_fx_prepare(&f->srv, "/tmp/noshow-decide-XXXXXX", "d",
                             g_url))
        return -1;
    cfg.threads = 2;
    cfg.timeout_s = 1;
    cfg.control_share = 0.5;
    cfg.no_contact_days = 7;
    if (server_fx_start(&f->srv, &cfg)
        || server_fx_key(&f->srv, STORE_ROLE_READER, NULL, f->h_reader)
        || server_fx_key(&f->srv, STORE_ROLE_CLINIC, NULL, f->h_clinic))
        return -1;
    for (int i = 0; i < 5; i++) {
        snprintf(ext, sizeof(ext), "a%d", i);
        f->ids[i] = book(f, ext, i, ns_days_from_civil(2016, 5, 2),
                         risks[i]);
    }
    *state = f;
    return 0;
}

/* GET path?query (printf-style) as a clinic key ('c') or a reader
 * ('r'); the body parsed into *j (NULL when not JSON). */
static long get(struct fx *f, char who, json_t **j, const char *fmt, ...)
{
    const char *h[2] = {who == 'c' ? f->h_clinic : f->h_reader, NULL};
    char path[512];
    struct reply r;
    va_list ap;
    long st;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    assert_int_equal(http_call(f->srv.port, "GET", path, NULL, 0, h, &r),
                     CURLE_OK);
    st = r.status;
    *j = json_loads(r.body, 0, NULL);
    if (*j == NULL)
        fail_msg("GET %s: body is not JSON: %s", path, r.body);
    reply_free(&r);
    return st;
}

static json_t *items(json_t *j)
{
    return json_object_get(j, "items");
}

/* The problem names the query parameter in its errors list. */
static void expect_problem(json_t *j, const char *field)
{
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    const char *got = json_string_value(json_object_get(e, "field"));

    if (got == NULL || strcmp(got, field) != 0)
        fail_msg("expected a problem about '%s', got %s", field,
                 json_dumps(j, JSON_COMPACT));
}

static void test_actions_order_capacity_and_stable_groups(void **state)
{
    struct fx *f = *state;
    json_t *a, *b, *x;
    double prev = INFINITY;
    size_t k;

    assert_int_equal(get(f, 'c', &a, "/actions?date=" DAY "&capacity=3"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(a)), 3);
    json_array_foreach(items(a), k, x) {
        double risk = json_number_value(json_object_get(x, "risk"));
        double gain = json_number_value(json_object_get(x, "gain"));
        const char *g = json_string_value(json_object_get(x, "group"));

        if (risk > prev)
            fail_msg("item %zu has risk %g after %g: not by gain", k, risk,
                     prev);
        prev = risk;
        if (fabs(gain - (risk * 0.25 * 50 - 2)) > 1e-9)
            fail_msg("gain %g for risk %g; expected p x 0.25 x 50 - 2",
                     gain, risk);
        assert_true(g && (!strcmp(g, "act") || !strcmp(g, "control")));
        assert_true(json_is_true(json_object_get(x, "recorded_now")));
    }
    assert_int_equal(get(f, 'c', &b, "/actions?date=" DAY "&capacity=3"
                         "&specialty=%s", f->srv.tag), 200);
    json_array_foreach(items(b), k, x) {
        json_t *y = json_array_get(items(a), k);

        if (!json_equal(json_object_get(x, "group"),
                        json_object_get(y, "group")))
            fail_msg("item %zu changed group between two listings", k);
        assert_true(json_is_false(json_object_get(x, "recorded_now")));
    }
    json_decref(a);
    json_decref(b);
}

static void test_actions_empty_answers_and_errors(void **state)
{
    struct fx *f = *state;
    json_t *j;

    int32_t day = ns_days_from_civil(2016, 5, 23);

    /* A day of its own: DAY's list is kept from the earlier tests. */
    book(f, "e0", 40, day, 0.8);
    book(f, "e1", 41, day, 0.65);
    book(f, "e2", 42, day, 0.2);
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-23&capacity=0"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 0);
    json_decref(j);
    assert_int_equal(get(f, 'c', &j, "/actions?date=2015-01-01&capacity=5"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 0);
    json_decref(j);
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-23&capacity=5"
                         "&threshold=0.6&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 2);
    json_decref(j);
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-02-30&capacity=5"),
                     422);
    expect_problem(j, "date");
    json_decref(j);
    assert_int_equal(get(f, 'c', &j, "/actions?date=" DAY), 422);
    expect_problem(j, "capacity");
    json_decref(j);
    assert_int_equal(get(f, 'r', &j, "/actions?date=" DAY "&capacity=1"),
                     403);
    json_decref(j);
}

/* A patient reminded yesterday about another appointment is left off. */
static void test_actions_recent_contact_left_off(void **state)
{
    struct fx *f = *state;
    int32_t day = ns_days_from_civil(2016, 5, 9);
    int64_t other = book(f, "other", 7, ns_days_from_civil(2016, 5, 3),
                         0.5);
    struct ns_error err;
    int64_t job;
    json_t *j;

    book(f, "later", 7, day, 0.8);
    book(f, "fresh", 8, day, 0.6);
    if (store_notify(f->srv.store, other, "reminder", "{}", "test",
                     ns_now_ms() - 86400000, &job, &err) != NS_OK)
        fail_msg("store_notify: %s", err.msg);
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-09&capacity=5"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         j, "skipped_recent_contact")), 1);
    json_decref(j);
}

/* POST /appointments/{id}/notify as a clinic key; 202 expected. */
static void notify(struct fx *f, int64_t id)
{
    const char *h[3] = {f->h_clinic, "Content-Type: application/json",
                        NULL};
    char path[80];
    struct reply r;

    snprintf(path, sizeof(path), "/appointments/%lld/notify",
             (long long)id);
    assert_int_equal(http_call(f->srv.port, "POST", path, "{}", 2, h, &r),
                     CURLE_OK);
    if (r.status != 202)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    reply_free(&r);
}

static int64_t item_id(json_t *j, size_t k)
{
    return json_integer_value(json_object_get(json_array_get(items(j), k),
                                              "id"));
}

static const char *item_str(json_t *j, size_t k, const char *key)
{
    return json_string_value(json_object_get(json_array_get(items(j), k),
                                             key));
}

/* Regression: the list was recomputed from pending appointments, so once
 * staff notified the listed patients it refilled with others and more
 * than the capacity were contacted in a day. */
static void test_actions_capacity_kept_after_notifications(void **state)
{
    struct fx *f = *state;
    int32_t day = ns_days_from_civil(2016, 5, 30);
    int64_t id[4], late;
    json_t *j;

    for (int i = 0; i < 4; i++) {
        char ext[16];

        snprintf(ext, sizeof(ext), "k%d", i);
        id[i] = book(f, ext, 30 + i, day, 0.9 - 0.1 * i);
    }
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-30&capacity=2"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 2);
    assert_int_equal(item_id(j, 0), id[0]);
    assert_int_equal(item_id(j, 1), id[1]);
    assert_string_equal(item_str(j, 0, "status"), "pending");
    assert_true(json_is_null(json_object_get(json_array_get(items(j), 0),
                                             "delivery")));
    json_decref(j);
    notify(f, id[0]);
    notify(f, id[1]);

    /* Asked again: the same two, notified now, and no one else. */
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-30&capacity=2"
                         "&specialty=%s", f->srv.tag), 200);
    if (json_array_size(items(j)) != 2 || item_id(j, 0) != id[0] ||
        item_id(j, 1) != id[1])
        fail_msg("after notifying the list, it became %s",
                 json_dumps(items(j), JSON_COMPACT));
    assert_int_equal(json_integer_value(json_object_get(j,
                                                        "listed_before")),
                     2);
    for (size_t k = 0; k < 2; k++) {
        json_t *it = json_array_get(items(j), k);

        assert_string_equal(item_str(j, k, "status"),
                            "pending_confirmation");
        assert_true(json_is_false(json_object_get(it, "recorded_now")));
        if (json_string_value(json_object_get(json_object_get(
                it, "delivery"), "state")) == NULL)
            fail_msg("row %zu has no delivery state: %s", k,
                     json_dumps(it, JSON_COMPACT));
    }
    json_decref(j);

    /* More capacity adds the next by gain after the kept rows; a riskier
     * appointment booked later goes after them too. */
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-30&capacity=3"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 3);
    assert_int_equal(item_id(j, 2), id[2]);
    assert_string_equal(item_str(j, 2, "status"), "pending");
    assert_true(json_is_true(json_object_get(json_array_get(items(j), 2),
                                             "recorded_now")));
    json_decref(j);
    late = book(f, "k-late", 35, day, 0.95);
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-30&capacity=4"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 4);
    assert_int_equal(item_id(j, 0), id[0]);
    assert_int_equal(item_id(j, 2), id[2]);
    assert_int_equal(item_id(j, 3), late);
    json_decref(j);

    /* A capacity below what is listed drops no listed row, adds none. */
    assert_int_equal(get(f, 'c', &j, "/actions?date=2016-05-30&capacity=1"
                         "&specialty=%s", f->srv.tag), 200);
    assert_int_equal(json_array_size(items(j)), 4);
    json_decref(j);
}

/* Without a webhook a reminder is closed at once as failed, and
 * GET /appointments/{id} says so. */
static void test_notification_without_webhook_reads_failed(void **state)
{
    struct fx *f = *state;
    const char *h[3] = {f->h_clinic, "Content-Type: application/json",
                        NULL};
    int64_t id = book(f, "nohook", 20, ns_days_from_civil(2016, 5, 20),
                      0.4);
    const char *st = NULL;
    char path[80];
    struct reply r;
    json_t *j = NULL, *n = NULL;

    snprintf(path, sizeof(path), "/appointments/%lld/notify",
             (long long)id);
    assert_int_equal(http_call(f->srv.port, "POST", path, "{}", 2, h, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 202);
    reply_free(&r);
    for (int t = 0; t < 250; t++) {
        json_decref(j);
        assert_int_equal(get(f, 'r', &j, "/appointments/%lld",
                             (long long)id), 200);
        n = json_array_get(json_object_get(j, "notifications"), 0);
        st = json_string_value(json_object_get(n, "state"));
        if (st != NULL && strcmp(st, "failed") == 0)
            break;
        usleep(20000);
    }
    if (st == NULL || strcmp(st, "failed") != 0)
        fail_msg("notification never failed: %s",
                 json_dumps(j, JSON_COMPACT));
    assert_string_equal(json_string_value(json_object_get(n, "last_error")),
                        "no webhook configured");
    assert_int_equal(json_integer_value(json_object_get(n, "attempts")), 1);
    json_decref(j);
}

/* A distribution of 0..n patients: n + 1 probabilities summing to 1. */
static void expect_distribution(json_t *dist, size_t n)
{
    double sum = 0.0;

    if (json_array_size(dist) != n + 1)
        fail_msg("distribution has %zu values, expected %zu",
                 json_array_size(dist), n + 1);
    for (size_t k = 0; k <= n; k++)
        sum += json_number_value(json_array_get(dist, k));
    if (fabs(sum - 1.0) > 1e-9)
        fail_msg("distribution sums to %.12f, expected 1", sum);
}

static void test_overbooking_advice_and_errors(void **state)
{
    struct fx *f = *state;
    json_t *j, *adv;

    assert_int_equal(get(f, 'r', &j, "/overbooking?date=" DAY "&slots=5"
                         "&risk=0.1&specialty=%s", f->srv.tag), 200);
    adv = json_object_get(j, "advice");
    assert_int_equal(json_integer_value(json_object_get(j, "booked")), 5);
    if (json_number_value(json_object_get(adv, "overflow_after")) > 0.1)
        fail_msg("overflow after advice passes the risk: %s",
                 json_dumps(adv, JSON_COMPACT));
    assert_true(json_integer_value(json_object_get(adv, "extra")) >= 1);
    expect_distribution(json_object_get(adv, "show_distribution_before"),
                        5);
    expect_distribution(json_object_get(adv, "show_distribution_after"),
                        5 + (size_t)json_integer_value(
                            json_object_get(adv, "extra")));
    json_decref(j);
    assert_int_equal(get(f, 'r', &j, "/overbooking?date=2015-01-01&slots=5"
                         "&risk=0.1&specialty=%s", f->srv.tag), 200);
    assert_true(json_is_null(json_object_get(j, "advice")));
    json_decref(j);
    assert_int_equal(get(f, 'r', &j, "/overbooking?date=" DAY "&slots=5"
                         "&risk=1"), 422);
    expect_problem(j, "risk");
    json_decref(j);
    assert_int_equal(get(f, 'r', &j, "/overbooking?date=" DAY "&risk=0.1"),
                     422);
    expect_problem(j, "slots");
    json_decref(j);
}

static int64_t count(json_t *j, const char *group, const char *what)
{
    return json_integer_value(json_object_get(json_object_get(j, group),
                                              what));
}

/* Outcomes of listed appointments enter the effect counts. */
static void test_effect_counts_listed_outcomes(void **state)
{
    struct fx *f = *state;
    json_t *before, *after, *list, *x;
    struct ns_error err;
    int64_t added = 0, ns = 0;
    size_t k;
    int rep;

    assert_int_equal(get(f, 'r', &before, "/actions/effect"), 200);
    assert_int_equal(get(f, 'c', &list, "/actions?date=" DAY "&capacity=5"
                         "&threshold=0&specialty=%s", f->srv.tag), 200);
    json_array_foreach(items(list), k, x) {
        int64_t id = json_integer_value(json_object_get(x, "id"));
        enum store_status o = k % 2 ? STORE_HONORED : STORE_NO_SHOW;

        if (store_set_outcome(f->srv.store, id, o, 1462200000, "test",
                              ns_now_ms(), &rep, &err) != NS_OK)
            fail_msg("store_set_outcome: %s", err.msg);
        added++;
        ns += o == STORE_NO_SHOW;
    }
    assert_int_equal(get(f, 'r', &after, "/actions/effect"), 200);
    assert_int_equal(count(after, "acted", "appointments") +
                         count(after, "control", "appointments"),
                     count(before, "acted", "appointments") +
                         count(before, "control", "appointments") + added);
    assert_int_equal(count(after, "acted", "noshows") +
                         count(after, "control", "noshows"),
                     count(before, "acted", "noshows") +
                         count(before, "control", "noshows") + ns);
    assert_int_equal(json_array_size(json_object_get(after, "ci95")), 2);
    json_decref(before);
    json_decref(after);
    json_decref(list);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_actions_order_capacity_and_stable_groups),
    cmocka_unit_test(test_actions_empty_answers_and_errors),
    cmocka_unit_test(test_actions_recent_contact_left_off),
    cmocka_unit_test(test_actions_capacity_kept_after_notifications),
    cmocka_unit_test(test_notification_without_webhook_reads_failed),
    cmocka_unit_test(test_overbooking_advice_and_errors),
    cmocka_unit_test(test_effect_counts_listed_outcomes),
};

int main(void)
{
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = run_backends("decision API tests", tests,
                          sizeof(tests) / sizeof(tests[0]), setup,
                          server_fx_teardown, &g_url);
    curl_global_cleanup();
    return failed;
}
