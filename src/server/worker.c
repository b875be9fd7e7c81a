#include "server/worker.h"

#include <string.h>
#include <time.h>

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct timespec until;

    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        w->kicked = false;
        pthread_mutex_unlock(&w->lock);
        w->step(w->arg);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->period_ms / 1000;
        until.tv_nsec += (long)(w->period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&w->lock);
        /* A wake-up with neither stop nor kick goes back to sleep. */
        while (!w->stop && !w->kicked
               && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

enum ns_err worker_start(struct worker *w, const char *what,
                         unsigned period_ms, void (*step)(void *arg),
                         void *arg, struct ns_error *err)
{
    int e;

    if (period_ms == 0)
        return ns_error_set(err, NS_ERR_INVALID, "%s thread: a period of "
                            "0 ms; expected at least 1", what);
    memset(w, 0, sizeof(*w));
    w->period_ms = period_ms;
    w->step = step;
    w->arg = arg;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    e = pthread_create(&w->thread, NULL, worker_main, w);
    if (e != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        return ns_error_set(err, NS_ERR_IO, "%s thread: %s", what,
                            strerror(e));
    }
    return NS_OK;
}

void worker_kick(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->kicked = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

bool worker_stopping(struct worker *w)
{
    bool stop;

    pthread_mutex_lock(&w->lock);
    stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

void worker_stop(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
}
