/* The HTTP core on libmicrohttpd: a thread pool, request bodies kept up to
 * a cap, a router over method + path patterns ("/appointments/{id}"),
 * role checks, JSON bodies through jansson, RFC 9457 problem answers, one
 * access-log line and one metrics sample per request. It knows nothing of
 * appointments or models: the routes and their handlers come from api.c. */
#ifndef NS_HTTP_H
#define NS_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HTTP_DEFAULT_BODY_LIMIT (1u << 20)
#define HTTP_DEFAULT_TIMEOUT_S 10
/* A request (head and body) must arrive within this many idle timeouts
 * from its first byte, however steadily it trickles in. */
#define HTTP_READ_DEADLINE_FACTOR 2
#define HTTP_MAX_HEADERS 6

/* Roles in increasing power; a route names the least role it needs. */
enum http_role {
    HTTP_ROLE_PUBLIC = 0,   /* no key needed */
    HTTP_ROLE_READER,       /* GET of appointments and the model */
    HTTP_ROLE_CLINIC,       /* book, outcome, notify, predict */
    HTTP_ROLE_ADMIN         /* everything, model operations */
};

struct http_req {
    const char *method;         /* borrowed from libmicrohttpd */
    const char *path;           /* decoded path, borrowed */
    const char *pattern;        /* the route pattern, for logs/metrics */
    char id[64];                /* the {id} path segment, "" when none */
    json_t *body;               /* parsed body or NULL; owned by the core */
    size_t body_len;
    enum http_role role;        /* the caller's role once authorised */
    int64_t key_id;             /* the caller's key, 0 on public routes */
    void *app;                  /* the application given to http_start */
    void *conn;                 /* struct MHD_Connection, borrowed */
};

struct http_header {
    const char *name;           /* static string */
    char value[256];
};

struct http_resp {
    unsigned status;
    char *body;                 /* owned (malloc); NULL for no body */
    size_t len;
    const char *content_type;   /* static string */
    int fd;                     /* >= 0: file body, owned, len bytes */
    size_t nheaders;
    struct http_header headers[HTTP_MAX_HEADERS];
};

typedef void (*http_handler)(struct http_req *req, struct http_resp *resp);

enum http_body_kind {
    HTTP_BODY_NONE = 0,         /* a body is ignored */
    HTTP_BODY_JSON              /* JSON required (an empty body is null) */
};

struct http_route {
    const char *method;
    const char *pattern;        /* segments; "{id}" matches one segment */
    enum http_role role;
    enum http_body_kind body;
    http_handler handler;
    const char *summary;        /* one line for the OpenAPI document */
};

/* Looks up a bearer key: sets *role and *key_id, or returns NS_ERR_AUTH for an
 * unknown or revoked key, NS_ERR_UNAVAILABLE when the store is down. */
typedef enum ns_err (*http_auth_fn)(void *app, const char *key,
                                    enum http_role *role, int64_t *key_id,
                                    struct ns_error *err);

struct http_config {
    const char *host;           /* "127.0.0.1", "::", "0.0.0.0" */
    unsigned port;              /* 0 picks a free port */
    unsigned threads;           /* 0: the number of cores */
    size_t body_limit;          /* bytes; 0: HTTP_DEFAULT_BODY_LIMIT */
    unsigned timeout_s;         /* idle connection timeout */
    const char *web_dir;        /* static files at /, NULL for none */
    const struct http_route *routes;
    size_t nroutes;
    http_auth_fn auth;          /* NULL: every route is public */
    void *app;                  /* passed to handlers and auth */
    struct metrics *metrics;    /* borrowed; NULL records nothing */
    struct ratelimit *ratelimit; /* per-key limits, borrowed; NULL: none */
    const char *tls_cert_pem;   /* PEM text: with tls_key_pem, HTTPS */
    const char *tls_key_pem;    /* PEM text; both NULL: plain HTTP */
    /* Cookie sessions of the web app (session.h): borrowed; NULL means
     * bearer keys only. */
    struct session_keeper *sessions;
};

struct http_server;
struct metrics;
struct ratelimit;
struct session_keeper;

/* Binds and starts the thread pool. cfg and the strings and routes it
 * points to are borrowed and must outlive the server. Caller stops and
 * frees with http_stop(). */
NS_MUST_CHECK enum ns_err http_start(const struct http_config *cfg,
                                     struct http_server **out,
                                     struct ns_error *err);

/* The port actually bound (useful with port 0). */
unsigned http_port(const struct http_server *s);

/* Requests being handled right now. */
unsigned http_inflight(const struct http_server *s);

/* Graceful stop: stops accepting, waits up to grace_ms for the requests
 * in flight, then closes everything and frees s. Accepts NULL. */
void http_stop(struct http_server *s, unsigned grace_ms);

/* The value of a request header or query argument; borrowed for the
 * request's lifetime, NULL when absent. */
const char *http_header_get(const struct http_req *req, const char *name);
const char *http_query_get(const struct http_req *req, const char *name);

/* Response helpers. json: takes ownership of j (serialised compactly).
 * A serialisation failure turns the answer into a 500 problem. */
void http_resp_json(struct http_resp *resp, unsigned status, json_t *j);
void http_resp_text(struct http_resp *resp, unsigned status,
                    const char *ctype, const char *text, size_t len);
void http_resp_header(struct http_resp *resp, const char *name,
                      const char *fmt, ...) NS_PRINTF(3, 4);

/* An RFC 9457 problem: type, title (from the status), status, detail,
 * instance (the request path) and, when errors is not NULL, "errors"
 * (takes ownership of errors). */
void http_problem(const struct http_req *req, struct http_resp *resp,
                  unsigned status, const char *detail, json_t *errors);

/* The problem object alone (caller owns it; NULL when out of memory),
 * for routes that add members; takes ownership of errors. */
json_t *http_problem_json(const struct http_req *req, unsigned status,
                          const char *detail, json_t *errors);

/* Answers with a problem object; takes ownership of problem (NULL gives
 * a fixed 500). */
void http_resp_problem(struct http_resp *resp, unsigned status,
                       json_t *problem);

/* The one mapping from an error code to an HTTP status. */
unsigned http_status_of(enum ns_err code);

/* A problem for err: its status, its message as detail and, when it names
 * a field, one {"field", "value", "expected"} entry (value may be NULL,
 * expected may be NULL). 503 answers carry Retry-After. */
void http_problem_err(const struct http_req *req, struct http_resp *resp,
                      const struct ns_error *err, json_t *value,
                      const char *expected);

/* One entry of a problem's "errors" list; takes ownership of value (may be
 * NULL for JSON null). NULL when out of memory. */
json_t *http_error_entry(const char *field, json_t *value,
                         const char *expected);

/* The standard reason phrase of a status ("Not Found"). */
const char *http_reason(unsigned status);

#endif
