#include "server/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const unsigned known_status[] = {200, 201, 204, 400, 401, 403, 404,
                                        405, 408, 409, 413, 415, 422, 429,
                                        499, 500, 503};
#define NSTATUS (sizeof(known_status) / sizeof(known_status[0]) + 1)

/* Upper bounds in microseconds; rendered in seconds. */
static const int64_t bounds_us[] = {100,    250,    500,     1000,
                                    2500,   5000,   10000,   25000,
                                    50000,  100000, 250000,  500000,
                                    1000000, 2500000};
#define NBUCKETS (sizeof(bounds_us) / sizeof(bounds_us[0]))

struct cell {
    atomic_ullong count;
    atomic_ullong sum_us;
    atomic_ullong bucket[NBUCKETS]; /* per bucket, not cumulative */
};

struct metrics {
    const struct http_route *routes;
    size_t nroutes;
    struct cell *cells;             /* [(nroutes + 2) * NSTATUS] */
    atomic_ullong predictions[3];
    atomic_ullong reload_ok;
    atomic_ullong reload_failed;
};

struct metrics *metrics_new(const struct http_route *routes, size_t n)
{
    struct metrics *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->cells = calloc((n + 2) * NSTATUS, sizeof(*m->cells));
    if (m->cells == NULL) {
        free(m);
        return NULL;
    }
    m->routes = routes;
    m->nroutes = n;
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    free(m->cells);
    free(m);
}

static size_t status_slot(unsigned status)
{
    for (size_t i = 0; i < NSTATUS - 1; i++) {
        if (known_status[i] == status)
            return i;
    }
    return NSTATUS - 1;
}

void metrics_observe(struct metrics *m, size_t route, unsigned status,
                     int64_t micros)
{
    struct cell *c;
    size_t b = 0;

    if (route > m->nroutes + 1)
        route = m->nroutes + 1;
    c = &m->cells[route * NSTATUS + status_slot(status)];
    while (b < NBUCKETS && micros > bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->sum_us, (unsigned long long)micros,
                              memory_order_relaxed);
    if (b < NBUCKETS)
        atomic_fetch_add_explicit(&c->bucket[b], 1, memory_order_relaxed);
}

void metrics_prediction(struct metrics *m, int band)
{
    if (band >= 0 && band < 3)
        atomic_fetch_add_explicit(&m->predictions[band], 1,
                                  memory_order_relaxed);
}

void metrics_reload(struct metrics *m, bool ok)
{
    atomic_fetch_add(ok ? &m->reload_ok : &m->reload_failed, 1);
}

static void route_labels(const struct metrics *m, size_t r,
                         const char **method, const char **pattern)
{
    if (r < m->nroutes) {
        *method = m->routes[r].method;
        *pattern = m->routes[r].pattern;
    } else {
        *method = "GET";
        *pattern = r == m->nroutes ? "/*static" : "unmatched";
    }
}

static enum ns_err render_cell(const struct metrics *m, size_t r,
                               size_t st, struct ns_buf *out)
{
    const struct cell *c = &m->cells[r * NSTATUS + st];
    unsigned long long count = atomic_load(&c->count);
    unsigned long long cum = 0;
    const char *method;
    const char *pattern;
    char status[8];
    char labels[200];
    enum ns_err rc = NS_OK;

    if (count == 0)
        return NS_OK;
    route_labels(m, r, &method, &pattern);
    if (st < NSTATUS - 1)
        snprintf(status, sizeof(status), "%u", known_status[st]);
    else
        snprintf(status, sizeof(status), "other");
    snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\","
             "status=\"%s\"", method, pattern, status);
    rc = ns_buf_printf(out, "noshow_http_requests_total{%s} %llu\n",
                       labels, count);
    for (size_t b = 0; b < NBUCKETS && rc == NS_OK; b++) {
        cum += atomic_load(&c->bucket[b]);
        rc = ns_buf_printf(out, "noshow_http_request_duration_seconds_"
                           "bucket{%s,le=\"%g\"} %llu\n", labels,
                           (double)bounds_us[b] / 1e6, cum);
    }
    if (rc == NS_OK)
        rc = ns_buf_printf(out, "noshow_http_request_duration_seconds_"
                           "bucket{%s,le=\"+Inf\"} %llu\n"
                           "noshow_http_request_duration_seconds_sum{%s} "
                           "%.6f\n"
                           "noshow_http_request_duration_seconds_count{%s}"
                           " %llu\n", labels, count, labels,
                           (double)atomic_load(&c->sum_us) / 1e6, labels,
                           count);
    return rc;
}

/* Writes s as a label value: backslash, quote and newline escaped. */
static enum ns_err put_label(struct ns_buf *out, const char *s)
{
    enum ns_err rc = NS_OK;

    for (; *s && rc == NS_OK; s++) {
        if (*s == '\\' || *s == '"')
            rc = ns_buf_printf(out, "\\%c", *s);
        else if (*s == '\n')
            rc = ns_buf_puts(out, "\\n");
        else
            rc = ns_buf_append(out, s, 1);
    }
    return rc;
}

static enum ns_err render_gauges(const struct metrics *m,
                                 const struct metrics_gauges *g,
                                 struct ns_buf *out)
{
    static const char *const bands[] = {"low", "medium", "high"};
    enum ns_err rc;

    rc = ns_buf_puts(out, "# HELP noshow_predictions_total Records scored,"
                     " by risk band.\n"
                     "# TYPE noshow_predictions_total counter\n");
    for (int b = 0; b < 3 && rc == NS_OK; b++)
        rc = ns_buf_printf(out, "noshow_predictions_total{band=\"%s\"} "
                           "%llu\n", bands[b],
                           atomic_load(&m->predictions[b]));
    if (rc == NS_OK)
        rc = ns_buf_printf(
            out, "# HELP noshow_model_reloads_total Model reloads by result."
            "\n# TYPE noshow_model_reloads_total counter\n"
            "noshow_model_reloads_total{result=\"ok\"} %llu\n"
            "noshow_model_reloads_total{result=\"failed\"} %llu\n"
            "# HELP noshow_http_inflight Requests being handled.\n"
            "# TYPE noshow_http_inflight gauge\nnoshow_http_inflight %u\n"
            "# HELP noshow_outbox_depth Notifications waiting for delivery"
            " (-1: store unreachable).\n# TYPE noshow_outbox_depth gauge\n"
            "noshow_outbox_depth %ld\n"
            "# HELP noshow_model_info The loaded model version.\n"
            "# TYPE noshow_model_info gauge\n",
            atomic_load(&m->reload_ok), atomic_load(&m->reload_failed),
            g->inflight, g->outbox_depth);
    if (rc == NS_OK && g->model_version) {
        rc = ns_buf_puts(out, "noshow_model_info{version=\"");
        if (rc == NS_OK)
            rc = put_label(out, g->model_version);
        if (rc == NS_OK)
            rc = ns_buf_puts(out, "\"} 1\n");
    }
    return rc;
}

enum ns_err metrics_render(const struct metrics *m,
                           const struct metrics_gauges *g,
                           struct ns_buf *out)
{
    enum ns_err rc;

    rc = ns_buf_puts(out, "# HELP noshow_http_requests_total Requests by "
                     "route pattern and status.\n"
                     "# TYPE noshow_http_requests_total counter\n"
                     "# HELP noshow_http_request_duration_seconds Time "
                     "from the request line to the last byte sent.\n"
                     "# TYPE noshow_http_request_duration_seconds "
                     "histogram\n");
    for (size_t r = 0; r < m->nroutes + 2 && rc == NS_OK; r++) {
        for (size_t st = 0; st < NSTATUS && rc == NS_OK; st++)
            rc = render_cell(m, r, st, out);
    }
    if (rc == NS_OK)
        rc = render_gauges(m, g, out);
    return rc;
}
