/* Cookie sessions: sealing and opening cookies, CSRF tokens, and the
 * /session routes and cookie authorisation through a real HTTP core on
 * 127.0.0.1, port 0, with a small route table of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "client.h"
#include "server/http.h"
#include "server/session.h"
#include "util/log.h"

static void h_echo(struct http_req *req, struct http_resp *resp)
{
    http_resp_json(resp, 200, json_pack("{s:i, s:I}", "role",
                                        (int)req->role, "key_id",
                                        (json_int_t)req->key_id));
}

static const struct http_route routes[] = {
    {"GET", "/items", HTTP_ROLE_READER, HTTP_BODY_NONE, h_echo, "read"},
    {"POST", "/items", HTTP_ROLE_CLINIC, HTTP_BODY_JSON, h_echo, "write"},
};

static enum ns_err auth(void *app, const char *key, enum http_role *role,
                        int64_t *key_id, struct ns_error *err)
{
    (void)app;
    *key_id = 1;
    if (strcmp(key, "reader-key") == 0)
        *role = HTTP_ROLE_READER;
    else if (strcmp(key, "clinic-key") == 0 || (strlen(key) == SESSION_KEY_MAX
                                               && key[0] == 'k'))
        *role = HTTP_ROLE_CLINIC;
    else
        return ns_error_set(err, NS_ERR_AUTH, "unknown key");
    return NS_OK;
}

struct fixture {
    struct session_keeper *k;
    struct http_server *srv;
    unsigned port;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct session_config sc = {.secret = "test secret", .auth = auth};
    struct http_config cfg = {0};
    struct ns_error err;

    ns_log_threshold = NS_LOG_ERROR;
    if (f == NULL || session_keeper_new(&sc, &f->k, &err) != NS_OK)
        return -1;
    cfg.host = "127.0.0.1";
    cfg.threads = 2;
    cfg.timeout_s = 2;
    cfg.routes = routes;
    cfg.nroutes = sizeof(routes) / sizeof(routes[0]);
    cfg.auth = auth;
    cfg.sessions = f->k;
    if (http_start(&cfg, &f->srv, &err) != NS_OK) {
        fprintf(stderr, "cannot start: %s\n", err.msg);
        return -1;
    }
    f->port = http_port(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    http_stop(f->srv, 1000);
    session_keeper_free(f->k);
    free(f);
    return 0;
}

/* Logs in with key; fills "Cookie: ..." and "X-CSRF-Token: ..." lines. */
static void login(struct fixture *f, const char *key, char *cookie,
                  size_t cn, char *csrf, size_t tn)
{
    char body[160];
    const char *const hdr[] = {"Content-Type: application/json", NULL};
    struct reply r;
    json_t *j;
    size_t vn;

    snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", key);
    assert_int_equal(http_call(f->port, "POST", "/session", body,
                               strlen(body), hdr, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    vn = strcspn(r.set_cookie, ";");
    snprintf(cookie, cn, "Cookie: %.*s", (int)vn, r.set_cookie);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    snprintf(csrf, tn, "X-CSRF-Token: %s",
             json_string_value(json_object_get(j, "csrf_token")));
    json_decref(j);
    reply_free(&r);
}

static void test_session_seal_then_open_gives_key_back(void **state)
{
    struct fixture *f = *state;
    char cookie[SESSION_COOKIE_MAX];
    char key[SESSION_KEY_MAX + 1];
    int64_t exp = 0;

    assert_int_equal(session_seal(f->k, "clinic-key", 2000, cookie, NULL),
                     NS_OK);
    assert_null(strstr(cookie, "clinic"));
    assert_int_equal(session_open(f->k, cookie, 1999, key, &exp, NULL),
                     NS_OK);
    assert_string_equal(key, "clinic-key");
    assert_int_equal(exp, 2000);
}

static void test_session_open_tampered_or_expired_is_auth_error(void **st)
{
    struct fixture *f = *st;
    char cookie[SESSION_COOKIE_MAX];
    char key[SESSION_KEY_MAX + 1];
    struct ns_error err;

    assert_int_equal(session_seal(f->k, "clinic-key", 2000, cookie, NULL),
                     NS_OK);
    assert_int_equal(session_open(f->k, cookie, 2000, key, NULL, &err),
                     NS_ERR_AUTH);
    assert_non_null(strstr(err.msg, "expired"));
    cookie[20] = cookie[20] == 'A' ? 'B' : 'A';
    assert_int_equal(session_open(f->k, cookie, 1000, key, NULL, &err),
                     NS_ERR_AUTH);
    assert_int_equal(session_open(f->k, "%%%", 1000, key, NULL, NULL),
                     NS_ERR_AUTH);
    assert_int_equal(session_open(f->k, "", 1000, key, NULL, NULL),
                     NS_ERR_AUTH);
}

static void test_session_same_secret_shares_other_secret_refuses(void **st)
{
    struct fixture *f = *st;
    struct session_config same = {.secret = "test secret", .auth = auth};
    struct session_config other = {.secret = "another", .auth = auth};
    struct session_keeper *a = NULL;
    struct session_keeper *b = NULL;
    char cookie[SESSION_COOKIE_MAX];
    char key[SESSION_KEY_MAX + 1];
    char t1[SESSION_CSRF_LEN];
    char t2[SESSION_CSRF_LEN];

    assert_int_equal(session_keeper_new(&same, &a, NULL), NS_OK);
    assert_int_equal(session_keeper_new(&other, &b, NULL), NS_OK);
    assert_int_equal(session_seal(f->k, "reader-key", 5000, cookie, NULL),
                     NS_OK);
    assert_int_equal(session_open(a, cookie, 10, key, NULL, NULL), NS_OK);
    assert_int_equal(session_open(b, cookie, 10, key, NULL, NULL),
                     NS_ERR_AUTH);
    session_csrf(f->k, cookie, t1);
    session_csrf(a, cookie, t2);
    assert_string_equal(t1, t2);
    assert_int_equal(strlen(t1), 64);
    session_csrf(b, cookie, t2);
    assert_string_not_equal(t1, t2);
    session_keeper_free(a);
    session_keeper_free(b);
}

static void test_session_overlong_key_is_invalid(void **state)
{
    struct fixture *f = *state;
    char key[SESSION_KEY_MAX + 2];
    char cookie[SESSION_COOKIE_MAX];
    struct ns_error err;

    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    assert_int_equal(session_seal(f->k, key, 10, cookie, &err),
                     NS_ERR_INVALID);
    assert_string_equal(err.field, "api_key");
}

/* The longest key still gives a whole cookie (it must fit one header). */
static void test_session_longest_key_logs_in_and_reads(void **state)
{
    struct fixture *f = *state;
    char key[SESSION_KEY_MAX + 1];
    char cookie[300];
    char csrf[100];
    const char *hdr[2] = {cookie, NULL};
    struct reply r;

    memset(key, 'k', SESSION_KEY_MAX);
    key[SESSION_KEY_MAX] = '\0';
    login(f, key, cookie, sizeof(cookie), csrf, sizeof(csrf));
    assert_int_equal(http_call(f->port, "GET", "/items", NULL, 0, hdr, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

static void test_session_login_sets_httponly_strict_cookie(void **state)
{
    struct fixture *f = *state;
    const char *const hdr[] = {"Content-Type: application/json", NULL};
    const char *body = "{\"api_key\":\"clinic-key\"}";
    struct reply r;

    assert_int_equal(http_call(f->port, "POST", "/session", body,
                               strlen(body), hdr, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.set_cookie, SESSION_COOKIE "="));
    assert_non_null(strstr(r.set_cookie, "HttpOnly"));
    assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
    assert_non_null(strstr(r.set_cookie, "Path=/"));
    assert_null(strstr(r.set_cookie, "clinic-key"));
    assert_non_null(strstr(r.body, "\"role\":\"clinic\""));
    assert_non_null(strstr(r.body, "\"csrf_token\":\""));
    reply_free(&r);
}

static void test_session_bad_logins_are_refused(void **state)
{
    struct fixture *f = *state;
    const char *const json[] = {"Content-Type: application/json", NULL};
    const char *const text[] = {"Content-Type: text/plain", NULL};
    const char *unknown = "{\"api_key\":\"nope\"}";
    const char *extra = "{\"api_key\":\"clinic-key\",\"user\":1}";
    struct reply r;

    assert_int_equal(http_call(f->port, "POST", "/session", unknown,
                               strlen(unknown), json, &r), CURLE_OK);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.set_cookie, "");
    reply_free(&r);
    assert_int_equal(http_call(f->port, "POST", "/session", extra,
                               strlen(extra), json, &r), CURLE_OK);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "\"field\":\"user\""));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "POST", "/session", "{}", 2, json,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "\"field\":\"api_key\""));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "POST", "/session", unknown,
                               strlen(unknown), text, &r), CURLE_OK);
    assert_int_equal(r.status, 415);
    reply_free(&r);
}

static void test_session_cookie_reads_without_csrf(void **state)
{
    struct fixture *f = *state;
    char cookie[300];
    char csrf[100];
    const char *hdr[2] = {cookie, NULL};
    struct reply r;

    login(f, "reader-key", cookie, sizeof(cookie), csrf, sizeof(csrf));
    assert_int_equal(http_call(f->port, "GET", "/items", NULL, 0, hdr, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"key_id\":1"));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "GET", "/session", NULL, 0, hdr,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"role\":\"reader\""));
    assert_non_null(strstr(r.body, csrf + strlen("X-CSRF-Token: ")));
    reply_free(&r);
}

static void test_session_write_needs_csrf_token(void **state)
{
    struct fixture *f = *state;
    char cookie[300];
    char csrf[100];
    const char *without[] = {cookie, "Content-Type: application/json",
                             NULL};
    const char *with[] = {cookie, csrf, "Content-Type: application/json",
                          NULL};
    const char *wrong[] = {cookie, "X-CSRF-Token: 00",
                           "Content-Type: application/json", NULL};
    struct reply r;

    login(f, "clinic-key", cookie, sizeof(cookie), csrf, sizeof(csrf));
    assert_int_equal(http_call(f->port, "POST", "/items", "{}", 2, without,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "X-CSRF-Token"));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "POST", "/items", "{}", 2, wrong,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    assert_int_equal(http_call(f->port, "POST", "/items", "{}", 2, with,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

static void test_session_reader_cookie_cannot_write(void **state)
{
    struct fixture *f = *state;
    char cookie[300];
    char csrf[100];
    const char *with[] = {cookie, csrf, "Content-Type: application/json",
                          NULL};
    struct reply r;

    login(f, "reader-key", cookie, sizeof(cookie), csrf, sizeof(csrf));
    assert_int_equal(http_call(f->port, "POST", "/items", "{}", 2, with,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "clinic"));
    reply_free(&r);
}

static void test_session_forged_cookie_and_logout(void **state)
{
    struct fixture *f = *state;
    const char *forged[] = {"Cookie: " SESSION_COOKIE "=AAAAAAAAAAAAAAAAAAA"
                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL};
    const char *bearer[] = {"Cookie: " SESSION_COOKIE "=junk",
                            "Authorization: Bearer reader-key", NULL};
    struct reply r;

    assert_int_equal(http_call(f->port, "GET", "/items", NULL, 0, forged,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.set_cookie, "Max-Age=0"));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "GET", "/session", NULL, 0, NULL,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 401);
    reply_free(&r);
    /* A bearer key wins over a cookie: API clients are unaffected. */
    assert_int_equal(http_call(f->port, "GET", "/items", NULL, 0, bearer,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(http_call(f->port, "DELETE", "/session", NULL, 0,
                               NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 204);
    assert_non_null(strstr(r.set_cookie, "Max-Age=0"));
    reply_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_seal_then_open_gives_key_back),
        cmocka_unit_test(test_session_open_tampered_or_expired_is_auth_error),
        cmocka_unit_test(test_session_same_secret_shares_other_secret_refuses),
        cmocka_unit_test(test_session_overlong_key_is_invalid),
        cmocka_unit_test(test_session_longest_key_logs_in_and_reads),
        cmocka_unit_test(test_session_login_sets_httponly_strict_cookie),
        cmocka_unit_test(test_session_bad_logins_are_refused),
        cmocka_unit_test(test_session_cookie_reads_without_csrf),
        cmocka_unit_test(test_session_write_needs_csrf_token),
        cmocka_unit_test(test_session_reader_cookie_cannot_write),
        cmocka_unit_test(test_session_forged_cookie_and_logout),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, setup, teardown);
}
