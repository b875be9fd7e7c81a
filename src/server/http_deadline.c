#include "server/http_deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "server/worker.h"
#include "util/log.h"
#include "util/timeutil.h"

#define TICK_MS 200

/* One connection; lives from the STARTED to the CLOSED notice, linked
 * in the deadline's list and pointed to by the socket context. The
 * request clock is atomic: the connection's own thread sets it twice per
 * request without the list lock, which every thread of the pool shares.
 * since_ms is stored before waiting is set, so a sweep that sees waiting
 * sees that request's start. */
struct watch {
    struct watch *prev, *next;
    MHD_socket fd;
    _Atomic int64_t since_ms;   /* when the current request began */
    atomic_bool waiting;        /* a request is on its way in */
    bool cut;                   /* under the list lock */
};

struct http_deadline {
    unsigned limit_ms;
    pthread_mutex_t lock;       /* guards the list and each cut flag */
    struct watch head;          /* sentinel of a circular list */
    struct worker w;
};

static int64_t now_ms(void)
{
    return ns_mono_ns() / 1000000;
}

/* Shuts the sockets whose request is late. The list lock is held, so a
 * socket is never shut after its CLOSED notice (and possible reuse). */
static unsigned sweep(struct http_deadline *d, int64_t now)
{
    unsigned n = 0;

    for (struct watch *w = d->head.next; w != &d->head; w = w->next) {
        if (w->cut || !atomic_load(&w->waiting)
            || now - atomic_load(&w->since_ms) <= d->limit_ms)
            continue;
        shutdown(w->fd, SHUT_RDWR);
        w->cut = true;
        n++;
    }
    return n;
}

static void watchdog(void *arg)
{
    struct http_deadline *d = arg;
    unsigned n;

    pthread_mutex_lock(&d->lock);
    n = sweep(d, now_ms());
    pthread_mutex_unlock(&d->lock);
    if (n > 0)
        ns_log_warn("http", "closed connections whose request did not "
                    "arrive in time count=%u limit_ms=%u", n, d->limit_ms);
}

enum ns_err http_deadline_new(unsigned limit_ms, struct http_deadline **out,
                              struct ns_error *err)
{
    struct http_deadline *d = calloc(1, sizeof(*d));
    enum ns_err rc;

    *out = NULL;
    if (d == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    d->limit_ms = limit_ms;
    d->head.next = d->head.prev = &d->head;
    pthread_mutex_init(&d->lock, NULL);
    rc = worker_start(&d->w, "request deadline", TICK_MS, watchdog, d,
                      err);
    if (rc != NS_OK) {
        pthread_mutex_destroy(&d->lock);
        free(d);
        return rc;
    }
    *out = d;
    return NS_OK;
}

void http_deadline_free(struct http_deadline *d)
{
    if (d == NULL)
        return;
    worker_stop(&d->w);
    /* Connections the daemon closed without a notice. */
    while (d->head.next != &d->head) {
        struct watch *w = d->head.next;

        d->head.next = w->next;
        free(w);
    }
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static void watch_start(struct http_deadline *d,
                        struct MHD_Connection *conn, void **ctx)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct watch *w;

    if (ci == NULL)
        return;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return;     /* no deadline for this one: the idle timeout stays */
    w->fd = ci->connect_fd;
    atomic_init(&w->since_ms, now_ms());
    atomic_init(&w->waiting, true);
    pthread_mutex_lock(&d->lock);
    w->next = d->head.next;
    w->prev = &d->head;
    d->head.next->prev = w;
    d->head.next = w;
    pthread_mutex_unlock(&d->lock);
    *ctx = w;
}

void http_deadline_notify(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_deadline *d = cls;
    struct watch *w = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        watch_start(d, conn, socket_context);
        return;
    }
    if (w == NULL)
        return;
    pthread_mutex_lock(&d->lock);
    w->prev->next = w->next;
    w->next->prev = w->prev;
    pthread_mutex_unlock(&d->lock);
    free(w);
    *socket_context = NULL;
}

static struct watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

void http_deadline_arrived(struct http_deadline *d,
                           struct MHD_Connection *conn)
{
    struct watch *w;

    if (d == NULL || (w = watch_of(conn)) == NULL)
        return;
    atomic_store(&w->waiting, false);
}

void http_deadline_restart(struct http_deadline *d,
                           struct MHD_Connection *conn)
{
    struct watch *w;

    if (d == NULL || (w = watch_of(conn)) == NULL)
        return;
    atomic_store(&w->since_ms, now_ms());
    atomic_store(&w->waiting, true);
}
