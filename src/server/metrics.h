/* Service metrics in the Prometheus text format: requests and latency
 * histograms by route pattern and status, predictions by risk band, model
 * reloads. Counters are lock-free atomics, so recording costs a few
 * nanoseconds on the request path; rendering reads them without locks. */
#ifndef NS_SERVER_METRICS_H
#define NS_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/http.h"
#include "util/buf.h"
#include "util/err.h"

/* Route slots beyond the route table: static files, unmatched paths. */
#define METRICS_ROUTE_STATIC(n) (n)
#define METRICS_ROUTE_UNMATCHED(n) ((n) + 1)

struct metrics;

/* routes is borrowed and must outlive the registry. Caller frees with
 * metrics_free(). NULL when out of memory. */
struct metrics *metrics_new(const struct http_route *routes, size_t n);
void metrics_free(struct metrics *m);

/* One finished request; route is an index into the table or one of the
 * extra slots above. */
void metrics_observe(struct metrics *m, size_t route, unsigned status,
                     int64_t micros);

/* One scored record in band 0 (low), 1 (medium) or 2 (high). */
void metrics_prediction(struct metrics *m, int band);

void metrics_reload(struct metrics *m, bool ok);

/* Gauges the service passes in at scrape time. */
struct metrics_gauges {
    const char *model_version;  /* NULL when no model is loaded */
    long outbox_depth;          /* -1 when the store cannot say */
    unsigned inflight;
};

/* Appends the exposition text to out. */
NS_MUST_CHECK enum ns_err metrics_render(const struct metrics *m,
                                         const struct metrics_gauges *g,
                                         struct ns_buf *out);

#endif
