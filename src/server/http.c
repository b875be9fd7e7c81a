#include "server/http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static const struct {
    unsigned status;
    const char *reason;
    const char *slug;
} statuses[] = {
    {200, "OK", NULL},
    {201, "Created", NULL},
    {204, "No Content", NULL},
    {400, "Bad Request", "bad-request"},
    {401, "Unauthorized", "unauthorized"},
    {403, "Forbidden", "forbidden"},
    {404, "Not Found", "not-found"},
    {405, "Method Not Allowed", "method-not-allowed"},
    {409, "Conflict", "conflict"},
    {413, "Content Too Large", "too-large"},
    {415, "Unsupported Media Type", "unsupported-media-type"},
    {422, "Unprocessable Content", "validation"},
    {429, "Too Many Requests", "rate-limited"},
    {500, "Internal Server Error", "internal"},
    {503, "Service Unavailable", "unavailable"},
};

const char *http_reason(unsigned status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (statuses[i].status == status)
            return statuses[i].reason;
    }
    return "Unknown";
}

static const char *problem_slug(unsigned status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (statuses[i].status == status && statuses[i].slug)
            return statuses[i].slug;
    }
    return "error";
}

unsigned http_status_of(enum ns_err code)
{
    switch (code) {
    case NS_OK:
    case NS_DONE:
        return 200;
    case NS_ERR_PARSE:
        return 400;
    case NS_ERR_AUTH:
        return 401;
    case NS_ERR_FORBIDDEN:
        return 403;
    case NS_ERR_NOT_FOUND:
        return 404;
    case NS_ERR_CONFLICT:
        return 409;
    case NS_ERR_TOO_LARGE:
        return 413;
    case NS_ERR_UNSUPPORTED:
        return 415;
    case NS_ERR_INVALID:
        return 422;
    case NS_ERR_UNAVAILABLE:
        return 503;
    case NS_ERR_NOMEM:
    case NS_ERR_IO:
    case NS_ERR_LIB:
        return 500;
    }
    return 500;
}

static void resp_reset_body(struct http_resp *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
    if (resp->fd >= 0)
        close(resp->fd);
    resp->fd = -1;
}

/* The fallback when even a problem cannot be built: a fixed text. */
static void resp_oom(struct http_resp *resp)
{
    static const char text[] = "{\"title\":\"Internal Server Error\","
                               "\"status\":500,\"detail\":\"out of memory\"}";

    resp_reset_body(resp);
    resp->status = 500;
    resp->content_type = "application/problem+json";
    resp->body = strdup(text);
    resp->len = resp->body ? sizeof(text) - 1 : 0;
}

static void resp_set_json(struct http_resp *resp, unsigned status,
                          json_t *j, const char *ctype)
{
    char *text;

    resp_reset_body(resp);
    if (j == NULL) {
        resp_oom(resp);
        return;
    }
    text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(j);
    if (text == NULL) {
        resp_oom(resp);
        return;
    }
    resp->status = status;
    resp->content_type = ctype;
    resp->body = text;
    resp->len = strlen(text);
}

void http_resp_json(struct http_resp *resp, unsigned status, json_t *j)
{
    resp_set_json(resp, status, j, "application/json");
}

void http_resp_text(struct http_resp *resp, unsigned status,
                    const char *ctype, const char *text, size_t len)
{
    resp_reset_body(resp);
    resp->body = malloc(len + 1);
    if (resp->body == NULL) {
        resp_oom(resp);
        return;
    }
    memcpy(resp->body, text, len);
    resp->body[len] = '\0';
    resp->len = len;
    resp->status = status;
    resp->content_type = ctype;
}

void http_resp_header(struct http_resp *resp, const char *name,
                      const char *fmt, ...)
{
    va_list ap;
    struct http_header *h;

    if (resp->nheaders >= HTTP_MAX_HEADERS)
        return;
    h = &resp->headers[resp->nheaders++];
    h->name = name;
    va_start(ap, fmt);
    vsnprintf(h->value, sizeof(h->value), fmt, ap);
    va_end(ap);
}

json_t *http_error_entry(const char *field, json_t *value,
                         const char *expected)
{
    json_t *e = json_object();

    if (e == NULL) {
        json_decref(value);
        return NULL;
    }
    if (json_object_set_new(e, "field", json_string(field ? field : ""))
        || json_object_set_new(e, "value", value ? value : json_null())
        || json_object_set_new(e, "expected",
                               expected ? json_string(expected)
                                        : json_null())) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* A JSON string of text taken (in part) from a request, which may hold
 * bytes that are not UTF-8: those become '?' rather than failing the
 * whole answer. NULL only when out of memory. */
static json_t *lenient_string(const char *text)
{
    json_t *j = json_string(text);
    char *copy;

    if (j != NULL)
        return j;
    copy = strdup(text);
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    }
    j = json_string(copy);
    free(copy);
    return j;
}

json_t *http_problem_json(const struct http_req *req, unsigned status,
                          const char *detail, json_t *errors)
{
    json_t *p = json_object();
    char type[64];
    int bad = 0;

    snprintf(type, sizeof(type), "/problems/%s", problem_slug(status));
    if (p == NULL) {
        json_decref(errors);
        return NULL;
    }
    bad |= json_object_set_new(p, "type", json_string(type));
    bad |= json_object_set_new(p, "title", json_string(http_reason(status)));
    bad |= json_object_set_new(p, "status", json_integer(status));
    bad |= json_object_set_new(p, "detail",
                               lenient_string(detail ? detail : ""));
    bad |= json_object_set_new(p, "instance",
                               lenient_string(req && req->path ? req->path
                                                               : "/"));
    if (errors)
        bad |= json_object_set_new(p, "errors", errors);
    if (bad) {
        json_decref(p);
        return NULL;
    }
    return p;
}

void http_resp_problem(struct http_resp *resp, unsigned status,
                       json_t *problem)
{
    resp_set_json(resp, status, problem, "application/problem+json");
    if (status == 503)
        http_resp_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
}

void http_problem(const struct http_req *req, struct http_resp *resp,
                  unsigned status, const char *detail, json_t *errors)
{
    http_resp_problem(resp, status,
                      http_problem_json(req, status, detail, errors));
}

void http_problem_err(const struct http_req *req, struct http_resp *resp,
                      const struct ns_error *err, json_t *value,
                      const char *expected)
{
    unsigned status = http_status_of(err->code);
    json_t *errors = NULL;

    if (err->field[0]) {
        errors = json_array();
        if (errors == NULL
            || json_array_append_new(errors,
                                     http_error_entry(err->field, value,
                                                      expected))) {
            json_decref(errors);
            resp_oom(resp);
            return;
        }
        value = NULL;
    }
    json_decref(value);
    /* Internal failures keep their library text out of the answer: it
     * may name files or hosts. The log line keeps it instead. */
    if (status == 500) {
        ns_log_error("http", "%s %s failed: %s", req->method, req->pattern,
                     err->msg);
        http_problem(req, resp, status, "the request could not be "
                     "completed; the server log has the cause", errors);
        return;
    }
    http_problem(req, resp, status, err->msg, errors);
}

const char *http_header_get(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query_get(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
                                       name);
}
