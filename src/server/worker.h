/* A background thread that runs one step, then sleeps for a period or
 * until kicked, again and again until stopped. The service's pollers
 * (the outbox, the model registry and retraining, the request deadline)
 * all run on it. */
#ifndef NS_WORKER_H
#define NS_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "util/err.h"

/* Owned by its user (usually a member of a larger struct); only the
 * functions below touch the fields. */
struct worker {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    bool kicked;
    unsigned period_ms;
    void (*step)(void *arg);
    void *arg;
};

/* Starts the thread: step(arg) first at once, then every period_ms
 * (> 0). what names the thread in the error. On failure w holds
 * nothing to stop. */
NS_MUST_CHECK enum ns_err worker_start(struct worker *w, const char *what,
                                       unsigned period_ms,
                                       void (*step)(void *arg), void *arg,
                                       struct ns_error *err);

/* Ends the current sleep: the next step runs now. */
void worker_kick(struct worker *w);

/* true once worker_stop() was called: a long step may end early. */
bool worker_stopping(struct worker *w);

/* Asks the thread to stop, waits for the step under way and joins it. */
void worker_stop(struct worker *w);

#endif
