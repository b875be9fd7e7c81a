/* The HTTP core on its own: routing, roles, body rules, problem answers,
 * limits, timeouts, static files and metrics, with a small route table of
 * its own and a real server on 127.0.0.1, port 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <time.h>
#include <pthread.h>

#include <cmocka.h>

#include "client.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/server_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

static void h_ping(struct http_req *req, struct http_resp *resp)
{
    (void)req;
    http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_echo(struct http_req *req, struct http_resp *resp)
{
    if (req->body == NULL) {
        http_problem(req, resp, 422, "a body is required", NULL);
        return;
    }
    http_resp_json(resp, 200, json_incref(req->body));
}

static void h_item(struct http_req *req, struct http_resp *resp)
{
    http_resp_json(resp, 200, json_pack("{s:s}", "id", req->id));
}

#define R(m, p, role, body, h) {m, p, role, body, h, NULL}
static const struct http_route routes[] = {
    R("GET", "/ping", HTTP_ROLE_PUBLIC, HTTP_BODY_NONE, h_ping),
    R("POST", "/echo", HTTP_ROLE_CLINIC, HTTP_BODY_JSON, h_echo),
    R("GET", "/items/{id}", HTTP_ROLE_READER, HTTP_BODY_NONE, h_item),
    R("DELETE", "/items/{id}", HTTP_ROLE_ADMIN, HTTP_BODY_NONE, h_item),
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static enum ns_err auth(void *app, const char *key, enum http_role *role,
                        int64_t *key_id, struct ns_error *err)
{
    (void)app;
    *key_id = 1;
    if (strcmp(key, "reader-key") == 0)
        *role = HTTP_ROLE_READER;
    else if (strcmp(key, "clinic-key") == 0)
        *role = HTTP_ROLE_CLINIC;
    else
        return ns_error_set(err, NS_ERR_AUTH, "unknown key");
    return NS_OK;
}

struct fixture {
    struct http_server *srv;
    struct metrics *m;
    char web[64];
    unsigned port;
};

static const char *const as_clinic[] = {
    "Authorization: Bearer clinic-key",
    "Content-Type: application/json", NULL};
static const char *const as_reader[] = {
    "Authorization: Bearer reader-key", NULL};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct http_config cfg = {0};
    struct ns_error err;
    char path[128];

    ns_log_threshold = NS_LOG_ERROR;
    snprintf(f->web, sizeof(f->web), "/tmp/noshow-web-XXXXXX");
    if (mkdtemp(f->web) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/index.html", f->web);
    write_file(path, "<h1>noshow</h1>");
    snprintf(path, sizeof(path), "%s/app.js", f->web);
    write_file(path, "console.log(1);");
    f->m = metrics_new(routes, NROUTES);
    cfg.host = "127.0.0.1";
    cfg.threads = 2;
    cfg.body_limit = 4096;
    cfg.timeout_s = 1;
    cfg.web_dir = f->web;
    cfg.routes = routes;
    cfg.nroutes = NROUTES;
    cfg.auth = auth;
    cfg.metrics = f->m;
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
    char cmd[128];

    http_stop(f->srv, 1000);
    metrics_free(f->m);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->web);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void test_http_public_route_answers_without_key(void **state)
{
    struct fixture *f = *state;
    struct reply r;

    assert_int_equal(http_call(f->port, "GET", "/ping", NULL, 0, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    assert_string_equal(r.ctype, "application/json");
    reply_free(&r);
}

static void test_http_unknown_path_is_404_problem(void **state)
{
    struct fixture *f = *state;
    struct reply r;

    assert_int_equal(http_call(f->port, "POST", "/nothing", "{}", 2,
                               as_clinic, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.ctype, "application/problem+json");
    assert_non_null(strstr(r.body, "\"status\":404"));
    assert_non_null(strstr(r.body, "\"instance\":\"/nothing\""));
    reply_free(&r);
}

static void test_http_wrong_method_is_405_with_allow(void **state)
{
    struct fixture *f = *state;
    struct reply r;

    assert_int_equal(http_call(f->port, "PUT", "/items/7", "{}", 2,
                               as_clinic, &r), CURLE_OK);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, DELETE");
    reply_free(&r);
}

static void test_http_missing_key_is_401_with_challenge(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    const char *const bad[] = {"Authorization: Bearer nope", NULL};

    assert_int_equal(http_call(f->port, "GET", "/items/7", NULL, 0, NULL,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.www_auth, "Bearer"));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "GET", "/items/7", NULL, 0, bad,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.www_auth, "invalid_token"));
    reply_free(&r);
}

static void test_http_weaker_role_is_403(void **state)
{
    struct fixture *f = *state;
    struct reply r;

    assert_int_equal(http_call(f->port, "POST", "/echo", "{}", 2,
                               as_reader, &r), CURLE_OK);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "clinic"));
    reply_free(&r);
    assert_int_equal(http_call(f->port, "GET", "/items/abc", NULL, 0,
                               as_reader, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"id\":\"abc\"}");
    reply_free(&r);
}

static void test_http_bad_json_is_400_naming_position(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    const char *body = "{\n  \"a\": 1,\n  \"b\": }";

    assert_int_equal(http_call(f->port, "POST", "/echo", body,
                               strlen(body), as_clinic, &r), CURLE_OK);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "line 3"));
    assert_non_null(strstr(r.body, "column"));
    reply_free(&r);
}

static void test_http_non_json_body_is_415(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    const char *const text[] = {"Authorization: Bearer clinic-key",
                                "Content-Type: text/plain", NULL};

    assert_int_equal(http_call(f->port, "POST", "/echo", "a=1", 3, text,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 415);
    reply_free(&r);
    assert_int_equal(http_call(f->port, "POST", "/echo", "[1,2]", 5,
                               as_clinic, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "[1,2]");
    reply_free(&r);
}

static void test_http_body_over_limit_is_413(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    size_t n = 10u << 20;
    char *big = malloc(n);

    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '[';
    big[n - 1] = ']';
    assert_int_equal(http_call(f->port, "POST", "/echo", big, n, as_clinic,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "4096 bytes"));
    reply_free(&r);
    free(big);
}

/* Chunked uploads carry no length: the cap must hold while reading. */
static void test_http_chunked_body_over_limit_is_413(void **state)
{
    struct fixture *f = *state;
    struct reply r;
    size_t n = 100000;
    char *big = malloc(n);
    const char *const chunked[] = {"Authorization: Bearer clinic-key",
                                   "Content-Type: application/json",
                                   "Transfer-Encoding: chunked", NULL};

    assert_non_null(big);
    memset(big, '1', n);
    assert_int_equal(http_call(f->port, "POST", "/echo", big, n, chunked,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    reply_free(&r);
    free(big);
}

/* A client that sends half a request and stalls is cut by the timeout. */
static void test_http_stalled_client_is_disconnected(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_in a = {.sin_family = AF_INET};
    const char *part = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                       "Content-Length: 100\r\n\r\n{\"a\":";
    char buf[512];
    int64_t t0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};

    assert_true(fd >= 0);
    a.sin_port = htons((uint16_t)f->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_true(write(fd, part, strlen(part)) > 0);
    t0 = ns_mono_ns();
    n = read(fd, buf, sizeof(buf));
    /* Closed (0) or reset (-1) by the server, well before our 5 s. */
    assert_true(n <= 0 || strstr(buf, "408") != NULL);
    assert_true(ns_mono_ns() - t0 < 4000000000LL);
    close(fd);
}

static void test_http_static_files_and_no_traversal(void **state)
{
    struct fixture *f = *state;
    struct reply r;

    assert_int_equal(http_call(f->port, "GET", "/", NULL, 0, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<h1>noshow</h1>");
    assert_string_equal(r.ctype, "text/html; charset=utf-8");
    reply_free(&r);
    assert_int_equal(http_call(f->port, "GET", "/app.js", NULL, 0, NULL,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/javascript; charset=utf-8");
    reply_free(&r);
    assert_int_equal(http_call(f->port, "GET", "/%2e%2e/%2e%2e/etc/passwd",
                               NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    assert_null(strstr(r.body, "root:"));
    reply_free(&r);
}

static void test_http_path_match_takes_one_segment(void **state)
{
    char id[16];

    (void)state;
    assert_true(http_path_match("/a/{id}/b", "/a/42/b", id, sizeof(id)));
    assert_string_equal(id, "42");
    assert_false(http_path_match("/a/{id}/b", "/a/4/2/b", id, sizeof(id)));
    assert_false(http_path_match("/a/{id}", "/a/", id, sizeof(id)));
    assert_false(http_path_match("/a", "/a/", id, sizeof(id)));
    assert_false(http_path_match("/a/{id}", "/a/0123456789abcdefg", id,
                                 sizeof(id)));
}

static void test_http_status_of_maps_every_code(void **state)
{
    (void)state;
    assert_int_equal(http_status_of(NS_ERR_PARSE), 400);
    assert_int_equal(http_status_of(NS_ERR_AUTH), 401);
    assert_int_equal(http_status_of(NS_ERR_FORBIDDEN), 403);
    assert_int_equal(http_status_of(NS_ERR_NOT_FOUND), 404);
    assert_int_equal(http_status_of(NS_ERR_CONFLICT), 409);
    assert_int_equal(http_status_of(NS_ERR_TOO_LARGE), 413);
    assert_int_equal(http_status_of(NS_ERR_UNSUPPORTED), 415);
    assert_int_equal(http_status_of(NS_ERR_INVALID), 422);
    assert_int_equal(http_status_of(NS_ERR_UNAVAILABLE), 503);
    assert_int_equal(http_status_of(NS_ERR_LIB), 500);
}

static void test_http_metrics_count_by_route_pattern(void **state)
{
    struct fixture *f = *state;
    struct metrics_gauges g = {"v1", 3, 0};
    struct ns_buf out = NS_BUF_INIT;
    struct reply r;
    struct timespec nap = {0, 50 * 1000 * 1000};

    assert_int_equal(http_call(f->port, "GET", "/items/99", NULL, 0,
                               as_reader, &r), CURLE_OK);
    reply_free(&r);
    nanosleep(&nap, NULL);
    assert_int_equal(metrics_render(f->m, &g, &out), NS_OK);
    assert_non_null(strstr(out.data, "noshow_http_requests_total{method="
                                     "\"GET\",route=\"/items/{id}\","
                                     "status=\"200\"}"));
    assert_null(strstr(out.data, "/items/99"));
    assert_non_null(strstr(out.data, "noshow_model_info{version=\"v1\"} 1"));
    assert_non_null(strstr(out.data, "noshow_outbox_depth 3"));
    ns_buf_free(&out);
}

static void *stop_later(void *arg)
{
    http_stop(arg, 3000);
    return NULL;
}

static int connect_port(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    struct timeval tv = {5, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* A stop while a request is in flight lets it finish, and refuses new
 * connections meanwhile. */
static void test_http_stop_finishes_request_in_flight(void **state)
{
    struct http_config cfg = {0};
    struct http_server *srv;
    const char *head = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer clinic-key\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 5\r\n\r\n[1,";
    struct timespec nap = {0, 100 * 1000 * 1000};
    char buf[512] = "";
    pthread_t stopper;
    unsigned port;
    ssize_t n;
    int fd;

    (void)state;
    cfg.host = "127.0.0.1";
    cfg.threads = 1;
    cfg.timeout_s = 5;
    cfg.routes = routes;
    cfg.nroutes = NROUTES;
    cfg.auth = auth;
    assert_int_equal(http_start(&cfg, &srv, NULL), NS_OK);
    port = http_port(srv);
    fd = connect_port(port);
    assert_true(fd >= 0);
    assert_true(write(fd, head, strlen(head)) > 0);

    /* Poll rather than sleep a fixed time: a loaded machine may take a
     * while to schedule the server's thread. */
    for (int i = 0; i < 50 && http_inflight(srv) != 1; i++)
        nanosleep(&nap, NULL);
    assert_int_equal(http_inflight(srv), 1);
    assert_int_equal(pthread_create(&stopper, NULL, stop_later, srv), 0);
    for (int i = 0; i < 20; i++) {
        int probe = connect_port(port);

        if (probe < 0)
            break;
        close(probe);
        nanosleep(&nap, NULL);
    }
    assert_int_equal(connect_port(port), -1);
    assert_true(write(fd, "2]", 2) == 2);
    n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "[1,2]"));
    close(fd);
    pthread_join(stopper, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_public_route_answers_without_key),
        cmocka_unit_test(test_http_unknown_path_is_404_problem),
        cmocka_unit_test(test_http_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_http_missing_key_is_401_with_challenge),
        cmocka_unit_test(test_http_weaker_role_is_403),
        cmocka_unit_test(test_http_bad_json_is_400_naming_position),
        cmocka_unit_test(test_http_non_json_body_is_415),
        cmocka_unit_test(test_http_body_over_limit_is_413),
        cmocka_unit_test(test_http_chunked_body_over_limit_is_413),
        cmocka_unit_test(test_http_stalled_client_is_disconnected),
        cmocka_unit_test(test_http_static_files_and_no_traversal),
        cmocka_unit_test(test_http_path_match_takes_one_segment),
        cmocka_unit_test(test_http_status_of_maps_every_code),
        cmocka_unit_test(test_http_metrics_count_by_route_pattern),
        cmocka_unit_test(test_http_stop_finishes_request_in_flight),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
