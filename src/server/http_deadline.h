/* A deadline for reading each request: the idle timeout of
 * libmicrohttpd restarts at every byte, so a client trickling its
 * headers or body a byte at a time would hold a connection for days.
 * Here every connection's request must arrive whole (head and body)
 * within a fixed time from its first byte, or from the end of the
 * previous answer on a kept-alive connection; a watchdog thread shuts
 * the socket of any that does not, and libmicrohttpd then closes it. */
#ifndef NS_HTTP_DEADLINE_H
#define NS_HTTP_DEADLINE_H

#include <microhttpd.h>

#include "util/err.h"

struct http_deadline;

/* Starts the watchdog. limit_ms: the time a request may take to arrive.
 * Caller frees with http_deadline_free() after the daemon is stopped. */
NS_MUST_CHECK enum ns_err http_deadline_new(unsigned limit_ms,
                                            struct http_deadline **out,
                                            struct ns_error *err);
void http_deadline_free(struct http_deadline *d);

/* The MHD_OPTION_NOTIFY_CONNECTION callback; cls is the deadline. */
void http_deadline_notify(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);

/* The request on conn has fully arrived: its clock stops. */
void http_deadline_arrived(struct http_deadline *d,
                           struct MHD_Connection *conn);

/* The answer on conn is done: the clock starts for the next request. */
void http_deadline_restart(struct http_deadline *d,
                           struct MHD_Connection *conn);

#endif
