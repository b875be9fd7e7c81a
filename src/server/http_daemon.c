/* The libmicrohttpd side of the HTTP core: the daemon, the request
 * lifecycle (body accumulation, routing, authorisation, JSON parsing,
 * handler call, response) and the access log. */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/http.h"
#include "server/http_deadline.h"
#include "server/metrics.h"
#include "server/ratelimit.h"
#include "server/server_int.h"
#include "server/session.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Per-connection memory of libmicrohttpd (headers and read buffer). */
#define HTTP_CONN_MEMORY ((size_t)16 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_config cfg;
    struct sockaddr_storage addr;
    unsigned port;
    atomic_uint inflight;
    struct http_deadline *deadline; /* whole-request read deadline */
};

/* Per-request state, from the first callback to the completion notice. */
struct reqctx {
    int64_t t0;
    long route;             /* index, or -1 when no route matched */
    bool path_known;        /* some route has this path */
    bool too_large;
    bool queued;            /* a response went out early (413) */
    unsigned status;
    size_t bytes;
    struct ns_buf body;
    struct http_req req;
};

bool http_path_match(const char *pattern, const char *path, char *id,
                     size_t idsize)
{
    const char *p = pattern;
    const char *s = path;

    while (*p && *s) {
        if (strncmp(p, "{id}", 4) == 0) {
            size_t n = strcspn(s, "/");

            if (n == 0 || n >= idsize)
                return false;
            memcpy(id, s, n);
            id[n] = '\0';
            p += 4;
            s += n;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

/* Finds the route for method + path; *path_known tells a 405 from a
 * 404 when no method fits. */
static long find_route(const struct http_config *cfg, const char *method,
                       const char *path, char *id, size_t idsize,
                       bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        if (!http_path_match(cfg->routes[i].pattern, path, id, idsize))
            continue;
        *path_known = true;
        if (strcmp(cfg->routes[i].method, method) == 0)
            return (long)i;
    }
    id[0] = '\0';
    return -1;
}

static void set_allow(const struct http_config *cfg, const char *path,
                      struct http_resp *resp)
{
    char allow[128] = "";
    char id[64];
    size_t n = 0;

    for (size_t i = 0; i < cfg->nroutes; i++) {
        if (!http_path_match(cfg->routes[i].pattern, path, id, sizeof(id)))
            continue;
        n += (size_t)snprintf(allow + n, sizeof(allow) - n, "%s%s",
                              n ? ", " : "", cfg->routes[i].method);
        if (n >= sizeof(allow))
            break;
    }
    http_resp_header(resp, MHD_HTTP_HEADER_ALLOW, "%s", allow);
}

static bool is_json_type(const char *ctype)
{
    size_t n;

    if (ctype == NULL)
        return false;
    n = strcspn(ctype, ";");
    while (n > 0 && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(ctype, "application/json", 16) == 0)
        return true;
    /* application/<anything>+json, e.g. problem+json or merge-patch. */
    return n > 17 && strncasecmp(ctype, "application/", 12) == 0
           && strncasecmp(ctype + n - 5, "+json", 5) == 0;
}

/* The key's token bucket; false when resp already holds the 429. */
static bool within_rate(struct http_server *s, const struct http_req *req,
                        struct http_resp *resp)
{
    unsigned retry_s = 1;
    char detail[160];

    if (s->cfg.ratelimit == NULL
        || ratelimit_take(s->cfg.ratelimit, req->key_id,
                          ns_mono_ns() / 1000000, &retry_s))
        return true;
    snprintf(detail, sizeof(detail), "this API key sent more requests "
             "than its limit allows; retry after %u s", retry_s);
    http_problem(req, resp, 429, detail, NULL);
    http_resp_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "%u", retry_s);
    return false;
}

/* Authorises req for route; false when resp already holds 401/403/429 or
 * 503. */
static bool authorise(struct http_server *s, const struct http_route *rt,
                      struct http_req *req, struct http_resp *resp)
{
    struct ns_error err;
    const char *h;
    enum ns_err rc;

    if (rt->role == HTTP_ROLE_PUBLIC || s->cfg.auth == NULL) {
        req->role = HTTP_ROLE_ADMIN;
        return true;
    }
    h = http_header_get(req, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL && s->cfg.sessions != NULL) {
        enum session_auth sa = session_authorise(s->cfg.sessions, req,
                                                 rt->role, resp);

        /* A session acts for the key it logged in with: same limit. */
        if (sa != SESSION_NONE)
            return sa == SESSION_OK && within_rate(s, req, resp);
    }
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
        http_problem(req, resp, 401, "this route needs an API key sent as "
                     "'Authorization: Bearer <key>'", NULL);
        http_resp_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                         "Bearer realm=\"noshow\"");
        return false;
    }
    ns_error_clear(&err);
    rc = s->cfg.auth(s->cfg.app, h + 7, &req->role, &req->key_id,
                     &err);
    if (rc == NS_ERR_AUTH) {
        http_problem(req, resp, 401, "the API key is unknown or revoked",
                     NULL);
        http_resp_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                         "Bearer realm=\"noshow\", error=\"invalid_token\"");
        return false;
    }
    if (rc != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        return false;
    }
    if (req->role < rt->role) {
        static const char *const names[] = {"public", "reader", "clinic",
                                            "admin"};
        char detail[160];

        snprintf(detail, sizeof(detail), "this route needs the role '%s' "
                 "or higher; the key has the role '%s'", names[rt->role],
                 names[req->role]);
        http_problem(req, resp, 403, detail, NULL);
        return false;
    }
    return within_rate(s, req, resp);
}

/* Parses the JSON body; false when resp already holds 400/415. */
static bool parse_body(struct reqctx *c, struct http_resp *resp)
{
    struct http_req *req = &c->req;
    json_error_t jerr;
    char detail[400];

    if (c->body.len == 0)
        return true;
    if (!is_json_type(http_header_get(req,
                                      MHD_HTTP_HEADER_CONTENT_TYPE))) {
        http_problem(req, resp, 415, "the body must be JSON, sent with "
                     "'Content-Type: application/json'", NULL);
        return false;
    }
    req->body = json_loadb(c->body.data, c->body.len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (req->body == NULL) {
        snprintf(detail, sizeof(detail), "the body is not valid JSON: "
                 "line %d, column %d (byte %d): %s", jerr.line,
                 jerr.column, jerr.position, jerr.text);
        http_problem(req, resp, 400, detail, NULL);
        return false;
    }
    return true;
}

static void route_request(struct http_server *s, struct reqctx *c,
                          struct http_resp *resp)
{
    struct http_req *req = &c->req;
    const struct http_route *rt;
    bool head = strcmp(req->method, "HEAD") == 0;

    if (s->cfg.sessions != NULL
        && session_route(s->cfg.sessions, req, c->body.data, c->body.len,
                         resp))
        return;
    if (c->route < 0) {
        if (!c->path_known && s->cfg.web_dir
            && (head || strcmp(req->method, "GET") == 0)) {
            req->pattern = "/*static";
            http_static_serve(req, s->cfg.web_dir, resp);
            return;
        }
        if (c->path_known) {
            http_problem(req, resp, 405, "this path does not accept this "
                         "method; the Allow header lists those it does",
                         NULL);
            set_allow(&s->cfg, req->path, resp);
            return;
        }
        http_problem(req, resp, 404, "no route for this path; "
                     "GET /openapi.json lists them", NULL);
        return;
    }
    rt = &s->cfg.routes[c->route];
    if (!authorise(s, rt, req, resp))
        return;
    if (rt->body == HTTP_BODY_JSON && !parse_body(c, resp))
        return;
    rt->handler(req, resp);
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct reqctx *c,
                             struct http_resp *resp)
{
    struct MHD_Response *r;
    enum MHD_Result ok;

    if (resp->fd >= 0) {
        r = MHD_create_response_from_fd(resp->len, resp->fd);
        if (r == NULL)
            close(resp->fd);
        resp->fd = -1;
    } else {
        /* MUST_FREE: libmicrohttpd frees the body with free() once sent. */
        r = MHD_create_response_from_buffer(resp->len, resp->body,
                                            MHD_RESPMEM_MUST_FREE);
        if (r == NULL)
            free(resp->body);
        resp->body = NULL;
    }
    if (r == NULL)
        return MHD_NO;
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                resp->content_type);
    for (size_t i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].name,
                                resp->headers[i].value);
    c->status = resp->status;
    c->bytes = resp->len;
    ok = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static struct reqctx *ctx_new(struct http_server *s,
                              struct MHD_Connection *conn, const char *url,
                              const char *method)
{
    struct reqctx *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->t0 = ns_mono_ns();
    c->req.method = method;
    c->req.path = url;
    c->req.app = s->cfg.app;
    c->req.conn = conn;
    c->route = find_route(&s->cfg, method, url, c->req.id,
                          sizeof(c->req.id), &c->path_known);
    c->req.pattern = c->route >= 0 ? s->cfg.routes[c->route].pattern
                                   : "unmatched";
    atomic_fetch_add(&s->inflight, 1);
    return c;
}

static bool declared_too_large(struct http_server *s, struct reqctx *c)
{
    const char *cl = http_header_get(&c->req,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long n;
    char *end;

    if (cl == NULL)
        return false;
    errno = 0;
    n = strtoull(cl, &end, 10);
    return errno == 0 && end != cl && n > s->cfg.body_limit;
}

static enum MHD_Result answer_too_large(struct http_server *s,
                                        struct MHD_Connection *conn,
                                        struct reqctx *c)
{
    struct http_resp resp = {.status = 500, .fd = -1};
    char detail[160];

    snprintf(detail, sizeof(detail), "the body is larger than the limit "
             "of %zu bytes", s->cfg.body_limit);
    http_problem(&c->req, &resp, 413, detail, NULL);
    http_resp_header(&resp, MHD_HTTP_HEADER_CONNECTION, "close");
    c->queued = true;
    return queue(conn, c, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct reqctx *c = *con_cls;
    struct http_resp resp = {.status = 500, .fd = -1};

    (void)version;
    if (c == NULL) {
        c = ctx_new(s, conn, url, method);
        if (c == NULL)
            return MHD_NO;
        *con_cls = c;
        if (declared_too_large(s, c))
            return answer_too_large(s, conn, c);
        return MHD_YES;
    }
    if (c->queued) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* Past the cap the rest is read and dropped, never kept. */
        if (!c->too_large && c->body.len + *upload_data_size
                                 <= s->cfg.body_limit) {
            if (ns_buf_append(&c->body, upload_data, *upload_data_size))
                return MHD_NO;
        } else {
            c->too_large = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    http_deadline_arrived(s->deadline, conn);
    if (c->too_large)
        return answer_too_large(s, conn, c);
    c->req.body_len = c->body.len;
    route_request(s, c, &resp);
    return queue(conn, c, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct reqctx *c = *con_cls;
    int64_t us;
    size_t slot;

    http_deadline_restart(s->deadline, conn);
    if (c == NULL)
        return;
    us = (ns_mono_ns() - c->t0) / 1000;
    if (c->status == 0)
        c->status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408
                                                                  : 499;
    slot = c->route >= 0 ? (size_t)c->route
           : strcmp(c->req.pattern, "/*static") == 0
               ? METRICS_ROUTE_STATIC(s->cfg.nroutes)
               : METRICS_ROUTE_UNMATCHED(s->cfg.nroutes);
    if (s->cfg.metrics)
        metrics_observe(s->cfg.metrics, slot, c->status, us);
    /* The route pattern, never the raw path: paths may carry ids. */
    ns_log_info("access", "%s %s %u %lldus %zuB", c->req.method,
                c->req.pattern, c->status, (long long)us, c->bytes);
    json_decref(c->req.body);
    ns_buf_free(&c->body);
    free(c);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    ns_log_warn("http", "libmicrohttpd: %s", line);
}

static enum ns_err resolve(struct http_server *s, struct ns_error *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc;

    rc = getaddrinfo(s->cfg.host, NULL, &hints, &res);
    if (rc != 0)
        return ns_error_set(err, NS_ERR_INVALID, "listen address '%s': %s; "
                            "expected an IP address or host name",
                            s->cfg.host, gai_strerror(rc));
    memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (s->addr.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&s->addr)->sin6_port =
            htons((uint16_t)s->cfg.port);
    else
        ((struct sockaddr_in *)&s->addr)->sin_port =
            htons((uint16_t)s->cfg.port);
    return NS_OK;
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 && n < 256 ? (unsigned)n : 1;
}

/* The TLS options for cfg into tls[3] (terminated by MHD_OPTION_END);
 * returns the daemon flag they need, 0 for plain HTTP. */
static unsigned tls_options(const struct http_config *cfg,
                            struct MHD_OptionItem *tls)
{
    tls[0] = tls[1] = tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0,
                                                       NULL};
    if (cfg->tls_cert_pem == NULL || cfg->tls_key_pem == NULL)
        return 0;
    /* libmicrohttpd keeps pointers to the PEM texts: the caller, who
     * keeps cfg's strings alive, owns them. */
    tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                     (void *)cfg->tls_cert_pem};
    tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                     (void *)cfg->tls_key_pem};
    return MHD_USE_TLS;
}

enum ns_err http_start(const struct http_config *cfg,
                       struct http_server **out, struct ns_error *err)
{
    struct http_server *s = calloc(1, sizeof(*s));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL
                     | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    struct MHD_OptionItem tls[3];
    enum ns_err rc;

    *out = NULL;
    if (s == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    s->cfg = *cfg;
    if (s->cfg.body_limit == 0)
        s->cfg.body_limit = HTTP_DEFAULT_BODY_LIMIT;
    if (s->cfg.threads == 0)
        s->cfg.threads = default_threads();
    if (s->cfg.timeout_s == 0)
        s->cfg.timeout_s = HTTP_DEFAULT_TIMEOUT_S;
    rc = resolve(s, err);
    if (rc == NS_OK)
        rc = http_deadline_new(HTTP_READ_DEADLINE_FACTOR * 1000
                               * s->cfg.timeout_s, &s->deadline, err);
    if (rc != NS_OK)
        goto out;
    if (s->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    flags |= tls_options(&s->cfg, tls);
    /* libmicrohttpd zeroes the whole per-connection pool before each
     * request on a kept-alive connection: at 64 KiB that memset was 5%
     * of a /predict request. 16 KiB still holds 8 KiB of headers; bodies
     * stream through on_request and never need the pool to grow. */
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr,
        MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, 1000u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, http_deadline_notify, s->deadline,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (s->daemon == NULL) {
        int e = errno;

        rc = ns_error_set(err, NS_ERR_IO, "cannot listen on %s:%u: %s",
                          s->cfg.host, s->cfg.port, strerror(e));
        goto out;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->cfg.port;
    *out = s;
    s = NULL;
out:
    if (s)
        http_deadline_free(s->deadline);
    free(s);
    return rc;
}

unsigned http_port(const struct http_server *s)
{
    return s->port;
}

unsigned http_inflight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->inflight);
}

void http_stop(struct http_server *s, unsigned grace_ms)
{
    int64_t deadline;
    struct timespec nap = {0, 5 * 1000 * 1000};
    MHD_socket listen_fd;

    if (s == NULL)
        return;
    listen_fd = MHD_quiesce_daemon(s->daemon);
    /* Quiescing only stops accept(); the kernel would still queue new
     * connections. shutdown() ends listening now, while the descriptor
     * stays open until the daemon's threads are gone. */
    if (listen_fd != MHD_INVALID_SOCKET)
        shutdown(listen_fd, SHUT_RDWR);
    deadline = ns_mono_ns() + (int64_t)grace_ms * 1000000;
    while (atomic_load(&s->inflight) > 0 && ns_mono_ns() < deadline)
        nanosleep(&nap, NULL);
    if (atomic_load(&s->inflight) > 0)
        ns_log_warn("http", "stopping with requests still in flight "
                    "count=%u", atomic_load(&s->inflight));
    MHD_stop_daemon(s->daemon);
    http_deadline_free(s->deadline);
    /* After quiescing, the listening socket is ours to close. */
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    free(s);
}
