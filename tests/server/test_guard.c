/* Access control and abuse guards of the service: the authorisation
 * matrix (every route of the route table x every role, so a new route is
 * covered without editing this file), per-key rate limits, TLS with a
 * self-signed certificate, and patient erasure. A real server on
 * 127.0.0.1, port 0, over a temporary SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "client.h"
#include "fixture.h"
#include "server/api.h"
#include "server/api_int.h"
#include "server/auth.h"
#include "server/ratelimit.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

#define PATIENT "29872499824296"

struct fx {
    struct server_fx srv;       /* first: see server_fx_teardown */
    char hdr[4][100];           /* none (empty), reader, clinic, admin */
};

static const char *const role_names[] = {"none", "reader", "clinic",
                                         "admin"};

static int setup_with(void **state, const struct api_config *base)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct api_config cfg = *base;

    cfg.threads = 2;
    cfg.timeout_s = 2;
    if (f == NULL
        || server_fx_prepare(&f->srv, "/tmp/noshow-guard-XXXXXX", "", NULL)
        || server_fx_start(&f->srv, &cfg)
        || server_fx_key(&f->srv, STORE_ROLE_READER, NULL, f->hdr[1])
        || server_fx_key(&f->srv, STORE_ROLE_CLINIC, NULL, f->hdr[2])
        || server_fx_key(&f->srv, STORE_ROLE_ADMIN, NULL, f->hdr[3]))
        return -1;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    struct api_config cfg = {0};

    return setup_with(state, &cfg);
}

static int setup_limited(void **state)
{
    struct api_config cfg = {0};

    cfg.rate_limit = 1;
    cfg.rate_burst = 3;
    return setup_with(state, &cfg);
}

/* A self-signed certificate for 127.0.0.1 in a directory of its own. */
static char tls_dir[64];

static int setup_tls(void **state)
{
    struct api_config cfg = {0};
    static char cert[128], key[128];
    char cmd[640];

    snprintf(tls_dir, sizeof(tls_dir), "/tmp/noshow-tls-XXXXXX");
    if (mkdtemp(tls_dir) == NULL)
        return -1;
    snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
    snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
    snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
             "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             "-keyout '%s' -out '%s' > /dev/null 2>&1", key, cert);
    if (system(cmd) != 0) {
        fprintf(stderr, "openssl could not make a test certificate\n");
        return -1;
    }
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = key;
    return setup_with(state, &cfg);
}

static int teardown_tls(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tls_dir);
    if (system(cmd) != 0)
        return -1;
    return server_fx_teardown(state);
}

static long call(struct fx *f, const char *method, const char *path,
                 const char *body, int role, struct reply *r)
{
    const char *headers[3] = {"Content-Type: application/json", NULL,
                              NULL};

    if (role > 0)
        headers[1] = f->hdr[role];
    if (http_call(f->srv.port, method, path, body, body ? strlen(body) : 0,
                  headers, r) != CURLE_OK)
        fail_msg("%s %s as %s: no answer", method, path, role_names[role]);
    return r->status;
}

/* The route's pattern with "{id}" replaced by a plausible value. */
static void concrete_path(const char *pattern, char *out, size_t n)
{
    const char *at = strstr(pattern, "{id}");

    if (at == NULL) {
        snprintf(out, n, "%s", pattern);
        return;
    }
    snprintf(out, n, "%.*s1%s", (int)(at - pattern), pattern, at + 4);
}

/* The status each role must get on a route: 401 without a key, 403
 * below the route's role, and past the access check anything else. */
static void check_cell(struct fx *f, const struct http_route *rt, int role)
{
    char path[256];
    struct reply r;
    long st;

    concrete_path(rt->pattern, path, sizeof(path));
    st = call(f, rt->method, path, rt->body == HTTP_BODY_JSON ? "{}" : NULL,
              role, &r);
    if (rt->role == HTTP_ROLE_PUBLIC || role >= (int)rt->role) {
        if (st == 401 || st == 403 || st == 405)
            fail_msg("%s %s as %s: %ld, expected the route to be allowed "
                     "(its least role is %s)", rt->method, rt->pattern,
                     role_names[role], st, role_names[rt->role]);
    } else if (role == 0) {
        if (st != 401 || strncmp(r.www_auth, "Bearer", 6) != 0)
            fail_msg("%s %s without a key: %ld '%s', expected 401 with "
                     "WWW-Authenticate: Bearer", rt->method, rt->pattern,
                     st, r.www_auth);
    } else if (st != 403) {
        fail_msg("%s %s as %s: %ld, expected 403 (least role %s)",
                 rt->method, rt->pattern, role_names[role], st,
                 role_names[rt->role]);
    }
    reply_free(&r);
}

static void test_routes_every_role_gets_its_expected_status(void **state)
{
    struct fx *f = *state;
    size_t cells = 0;

    /* Admin last: its DELETE and reload must not change what the weaker
     * roles see before them. */
    for (int role = 0; role < 4; role++) {
        for (size_t i = 0; i < api_nroutes; i++) {
            check_cell(f, &api_routes[i], role);
            cells++;
        }
    }
    assert_int_equal(cells, api_nroutes * 4);
}

static void test_ratelimit_empty_bucket_refills_at_rate(void **state)
{
    struct ratelimit *rl = ratelimit_new(2, 2);
    unsigned retry = 0;

    (void)state;
    assert_non_null(rl);
    assert_true(ratelimit_take(rl, 7, 1000, &retry));
    assert_true(ratelimit_take(rl, 7, 1000, &retry));
    if (ratelimit_take(rl, 7, 1000, &retry))
        fail_msg("a third request in the same millisecond passed a burst "
                 "of 2");
    assert_int_equal(retry, 1);
    /* Another key has its own bucket. */
    assert_true(ratelimit_take(rl, 8, 1000, &retry));
    /* 2 tokens/s: one token back after 500 ms, not before. */
    assert_false(ratelimit_take(rl, 7, 1400, &retry));
    assert_true(ratelimit_take(rl, 7, 1500, &retry));
    ratelimit_free(rl);
    assert_null(ratelimit_new(0, 1));
}

/* Keys that share a slot share its bucket: taking turns does not refill
 * it, so together they never pass more than one key's rate. */
static void test_ratelimit_keys_sharing_a_slot_share_the_bucket(void **st)
{
    struct ratelimit *rl = ratelimit_new(2, 2);
    int64_t other = 7 + RATELIMIT_SLOTS;
    unsigned retry = 0;

    (void)st;
    assert_non_null(rl);
    assert_true(ratelimit_take(rl, 7, 1000, &retry));
    assert_true(ratelimit_take(rl, other, 1000, &retry));
    assert_false(ratelimit_take(rl, 7, 1000, &retry));
    assert_false(ratelimit_take(rl, other, 1000, &retry));
    ratelimit_free(rl);
}

static void test_rate_limit_past_burst_answers_429_retry_after(void **state)
{
    struct fx *f = *state;
    struct reply r;
    int limited = 0;

    for (int i = 0; i < 6; i++) {
        if (call(f, "GET", "/appointments", NULL, 1, &r) == 429) {
            limited++;
            if (strtol(r.retry_after, NULL, 10) < 1)
                fail_msg("429 without a Retry-After of at least 1 s: "
                         "'%s'", r.retry_after);
            if (strstr(r.ctype, "problem+json") == NULL)
                fail_msg("429 is not problem+json: %s", r.ctype);
        }
        reply_free(&r);
    }
    if (limited < 2)
        fail_msg("6 quick requests at 1/s with a burst of 3 gave %d 429s, "
                 "expected at least 2", limited);
    /* Another key is not slowed by the first one's bursts. */
    assert_int_equal(call(f, "GET", "/appointments", NULL, 2, &r), 200);
    reply_free(&r);
    /* Public routes carry no key and are not limited per key. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(call(f, "GET", "/healthz", NULL, 0, &r), 200);
        reply_free(&r);
    }
}

/* GET path over HTTPS, trusting only the test certificate. */
static CURLcode https_get(struct fx *f, const char *path, int role,
                          struct reply *r)
{
    const char *h[2] = {role > 0 ? f->hdr[role] : NULL, NULL};
    char url[256], ca[128];

    snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", f->srv.port, path);
    snprintf(ca, sizeof(ca), "%s/cert.pem", tls_dir);
    return http_call_url(url, ca, "GET", NULL, 0, h, r);
}

static void test_tls_self_signed_serves_https_only(void **state)
{
    struct fx *f = *state;
    struct reply r;
    CURLcode rc;

    rc = https_get(f, "/healthz", 0, &r);
    if (rc != CURLE_OK || r.status != 200)
        fail_msg("GET /healthz over HTTPS: %s, status %ld",
                 curl_easy_strerror(rc), r.status);
    reply_free(&r);
    rc = https_get(f, "/appointments", 1, &r);
    if (rc != CURLE_OK || r.status != 200)
        fail_msg("GET /appointments over HTTPS with a key: %s, status %ld",
                 curl_easy_strerror(rc), r.status);
    reply_free(&r);
    /* Plain HTTP to the TLS port gets no HTTP answer. */
    rc = http_call(f->srv.port, "GET", "/healthz", NULL, 0, NULL, &r);
    if (rc == CURLE_OK && r.status == 200)
        fail_msg("plain HTTP was answered 200 on the HTTPS port");
    reply_free(&r);
}

/* A client trickling its request head one byte per 0.4 s never idles
 * for the 2 s timeout, but must still be cut at the read deadline
 * (HTTP_READ_DEADLINE_FACTOR timeouts), not held for days. */
static void test_trickled_headers_are_cut_at_read_deadline(void **state)
{
    struct fx *f = *state;
    struct sockaddr_in a = {.sin_family = AF_INET};
    const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int64_t t0 = ns_mono_ns();
    int64_t limit_ns = (int64_t)HTTP_READ_DEADLINE_FACTOR * 2 * 1000000000;
    bool cut = false;

    assert_true(fd >= 0);
    a.sin_port = htons((uint16_t)f->srv.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    for (size_t i = 0; head[i] && !cut; i++) {
        char c;

        if (send(fd, &head[i], 1, MSG_NOSIGNAL) != 1) {
            cut = true;
            break;
        }
        usleep(400000);
        /* A shut socket reads as end of file at once. */
        cut = recv(fd, &c, 1, MSG_DONTWAIT) == 0;
    }
    close(fd);
    if (!cut)
        fail_msg("a trickled request head was never cut");
    if (ns_mono_ns() - t0 > limit_ns + 2000000000LL)
        fail_msg("the trickled head was cut after %lld ms; expected about "
                 "%lld ms", (long long)((ns_mono_ns() - t0) / 1000000),
                 (long long)(limit_ns / 1000000));
}

/* Regression (fuzz/regressions/query/non-utf8-min-risk): a query value
 * with bytes that are not UTF-8 made the problem detail unbuildable, and
 * the answer a 500. */
static void test_query_non_utf8_value_answers_422_problem(void **state)
{
    struct fx *f = *state;
    struct reply r;

    assert_int_equal(call(f, "GET", "/appointments?min_risk=0%D2%CD%D9",
                          NULL, 1, &r), 422);
    if (strstr(r.ctype, "problem+json") == NULL
        || strstr(r.body, "min_risk") == NULL)
        fail_msg("expected a problem naming min_risk, got %s: %s", r.ctype,
                 r.body);
    reply_free(&r);
}

/* The booking answer kept for an Idempotency-Key: it names the
 * neighbourhood, as real reasons may. */
static enum ns_err respond(void *ctx, int64_t id, char **response_json,
                           int *status_code, struct ns_error *err)
{
    char text[96];

    (void)ctx;
    (void)err;
    snprintf(text, sizeof(text), "{\"id\":%lld,\"reasons\":[\"CENTRO\"]}",
             (long long)id);
    *response_json = strdup(text);
    *status_code = 201;
    return *response_json ? NS_OK : NS_ERR_NOMEM;
}

static int64_t book_direct(struct fx *f, const char *patient_ref,
                           const char *ext_id)
{
    struct store_idem idem = {ext_id, "request-hash"};
    struct store_appt_new a = {0};
    struct store_book_result res = {0};
    struct store_event_in ev = {"booked", "test", "{\"note\":\"x\"}"};
    struct ns_error err;

    a.ext_id = ext_id;
    a.patient_ref = patient_ref;
    a.booked_at = 1461945600;
    a.appt_day = ns_days_from_civil(2016, 5, 2);
    a.appt_time = -1;
    a.risk = 0.5;
    a.band = "medium";
    a.model_version = "test-model";
    a.reasons_json = "[]";
    a.input_json = "{\"Gender\":\"F\",\"Neighbourhood\":\"CENTRO\"}";
    a.events = &ev;
    a.n_events = 1;
    a.now_ms = ns_now_ms();
    if (store_book(f->srv.store, &a, &idem, respond, NULL, &res, &err)
        != NS_OK)
        fail_msg("store_book: %s", err.msg);
    store_book_result_free(&res);
    return res.id;
}

/* The answer a replay of the Idempotency-Key would give. */
static void check_replay(struct fx *f, const char *key, bool erased)
{
    struct store_idem idem = {key, "request-hash"};
    struct store_book_result res = {0};
    struct ns_error err;

    if (store_idem_lookup(f->srv.store, &idem, &res, &err) != NS_OK
        || res.response_json == NULL)
        fail_msg("idempotency row of %s: %s", key, err.msg);
    if (erased != (strstr(res.response_json, "CENTRO") == NULL)
        || erased != (strstr(res.response_json, "erased") != NULL))
        fail_msg("replay of %s after erasure: %s", key, res.response_json);
    store_book_result_free(&res);
}

static void test_patient_erase_clears_personal_keeps_counts(void **state)
{
    struct fx *f = *state;
    char ref[AUTH_HEX_LEN], path[64];
    struct reply r;
    json_t *j;
    int64_t mine, other;

    assert_int_equal(auth_pseudonymise(&f->srv.api->pseudo, PATIENT, ref, NULL),
                     NS_OK);
    mine = book_direct(f, ref, "ext-1");
    other = book_direct(f, "someone-else", "ext-2");
    assert_int_equal(call(f, "DELETE", "/patients/" PATIENT, NULL, 2, &r),
                     403);
    reply_free(&r);
    assert_int_equal(call(f, "DELETE", "/patients/" PATIENT, NULL, 3, &r),
                     200);
    j = json_loads(r.body, 0, NULL);
    if (json_integer_value(json_object_get(j, "appointments")) != 1)
        fail_msg("erasure answered %s, expected one appointment", r.body);
    json_decref(j);
    reply_free(&r);

    snprintf(path, sizeof(path), "/appointments/%lld", (long long)mine);
    assert_int_equal(call(f, "GET", path, NULL, 1, &r), 200);
    if (strstr(r.body, "ext-1") || strstr(r.body, "CENTRO")
        || strstr(r.body, "\"note\"") || strstr(r.body, ref))
        fail_msg("personal fields survive the erasure: %s", r.body);
    if (strstr(r.body, "\"erased\"") == NULL
        || strstr(r.body, "\"risk\":0.5") == NULL
        || strstr(r.body, "\"status\":\"pending\"") == NULL)
        fail_msg("erasure must keep status and risk and add an 'erased' "
                 "event: %s", r.body);
    reply_free(&r);

    snprintf(path, sizeof(path), "/appointments/%lld", (long long)other);
    assert_int_equal(call(f, "GET", path, NULL, 1, &r), 200);
    if (strstr(r.body, "ext-2") == NULL || strstr(r.body, "CENTRO") == NULL)
        fail_msg("another patient's appointment was touched: %s", r.body);
    reply_free(&r);

    check_replay(f, "ext-1", true);
    check_replay(f, "ext-2", false);

    /* Erasing again finds nothing left under the pseudonym. */
    assert_int_equal(call(f, "DELETE", "/patients/" PATIENT, NULL, 3, &r),
                     200);
    assert_non_null(strstr(r.body, "\"appointments\":0"));
    reply_free(&r);
}

int main(void)
{
    const struct CMUnitTest open_tests[] = {
        cmocka_unit_test(test_ratelimit_empty_bucket_refills_at_rate),
        cmocka_unit_test(test_ratelimit_keys_sharing_a_slot_share_the_bucket),
        cmocka_unit_test_setup_teardown(
            test_routes_every_role_gets_its_expected_status, setup,
            server_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_patient_erase_clears_personal_keeps_counts, setup,
            server_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_query_non_utf8_value_answers_422_problem, setup,
            server_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_trickled_headers_are_cut_at_read_deadline, setup,
            server_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_rate_limit_past_burst_answers_429_retry_after,
            setup_limited, server_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_tls_self_signed_serves_https_only, setup_tls,
            teardown_tls),
    };

    return cmocka_run_group_tests(open_tests, NULL, NULL);
}
