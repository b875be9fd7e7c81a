#include "util/stages.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/queue.h"

struct worker {
    struct ns_stages *s;
    size_t k;
    pthread_t thread;
};

/* Batch j goes to worker j modulo n, and the collector takes them back
 * in that turn, so it sees them in filling order. */
struct ns_stages {
    struct ns_stages_ops ops;
    size_t nworkers, started;
    struct ns_queue empty;
    struct ns_queue *todo;      /* [nworkers] */
    struct ns_queue *done;      /* [nworkers] */
    struct worker *workers;
    pthread_t collector;
    bool collector_started;
    bool has_empty;             /* the empty queue was made */
    size_t submitted;
    pthread_mutex_t mu;         /* guards fail and ferr */
    enum ns_err fail;
    struct ns_error ferr;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct ns_stages *s = w->s;
    void *batch;

    while (ns_queue_pop(&s->todo[w->k], &batch)) {
        if (!ns_stages_failed(s))
            s->ops.work(s->ops.ctx, w->k, batch);
        ns_queue_push(&s->done[w->k], batch);
    }
    ns_queue_close(&s->done[w->k]);
    return NULL;
}

static void *collector_main(void *arg)
{
    struct ns_stages *s = arg;
    void *batch;

    for (size_t k = 0; ns_queue_pop(&s->done[k], &batch);
         k = (k + 1) % s->nworkers) {
        struct ns_error e = {0};
        enum ns_err rc;

        if (!ns_stages_failed(s) &&
            (rc = s->ops.collect(s->ops.ctx, batch, &e)) != NS_OK) {
            pthread_mutex_lock(&s->mu);
            s->fail = rc;
            s->ferr = e;
            pthread_mutex_unlock(&s->mu);
        }
        ns_queue_push(&s->empty, batch);
    }
    return NULL;
}

/* Makes the queues; *made counts the worker queue pairs made, for
 * free_stages() after a failure. */
static enum ns_err init_queues(struct ns_stages *s, size_t nbatches,
                               size_t *made)
{
    *made = 0;
    s->todo = calloc(s->nworkers, sizeof(*s->todo));
    s->done = calloc(s->nworkers, sizeof(*s->done));
    s->workers = calloc(s->nworkers, sizeof(*s->workers));
    if (s->todo == NULL || s->done == NULL || s->workers == NULL ||
        ns_queue_init(&s->empty, nbatches) != NS_OK)
        return NS_ERR_NOMEM;
    s->has_empty = true;
    for (size_t k = 0; k < s->nworkers; k++) {
        if (ns_queue_init(&s->todo[k], nbatches) != NS_OK)
            return NS_ERR_NOMEM;
        if (ns_queue_init(&s->done[k], nbatches) != NS_OK) {
            ns_queue_destroy(&s->todo[k]);
            return NS_ERR_NOMEM;
        }
        (*made)++;
    }
    return NS_OK;
}

static void free_stages(struct ns_stages *s, size_t made)
{
    for (size_t k = 0; k < made; k++) {
        ns_queue_destroy(&s->todo[k]);
        ns_queue_destroy(&s->done[k]);
    }
    if (s->has_empty)
        ns_queue_destroy(&s->empty);
    pthread_mutex_destroy(&s->mu);
    free(s->todo);
    free(s->done);
    free(s->workers);
    free(s);
}

static enum ns_err stop(struct ns_stages *s, struct ns_error *err);

static enum ns_err start_threads(struct ns_stages *s)
{
    if (pthread_create(&s->collector, NULL, collector_main, s) != 0)
        return NS_ERR_NOMEM;
    s->collector_started = true;
    for (s->started = 0; s->started < s->nworkers; s->started++) {
        struct worker *w = &s->workers[s->started];

        w->s = s;
        w->k = s->started;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return NS_ERR_NOMEM;
    }
    return NS_OK;
}

enum ns_err ns_stages_start(const struct ns_stages_ops *ops,
                            size_t nworkers, void **batches,
                            size_t nbatches, struct ns_stages **out,
                            struct ns_error *err)
{
    struct ns_stages *s;
    size_t made;

    *out = NULL;
    if (nworkers == 0 || nbatches == 0)
        return ns_error_set(err, NS_ERR_INVALID, "stages: %zu workers and "
                            "%zu batches; expected at least one of each",
                            nworkers, nbatches);
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    s->ops = *ops;
    s->nworkers = nworkers;
    pthread_mutex_init(&s->mu, NULL);
    if (init_queues(s, nbatches, &made) != NS_OK) {
        free_stages(s, made);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nbatches; i++)
        (void)ns_queue_push(&s->empty, batches[i]);
    if (start_threads(s) != NS_OK) {
        /* Nothing was submitted: stopping only ends the threads. */
        stop(s, NULL);
        return ns_error_set(err, NS_ERR_NOMEM, "cannot start a thread");
    }
    *out = s;
    return NS_OK;
}

bool ns_stages_failed(struct ns_stages *s)
{
    bool failed;

    pthread_mutex_lock(&s->mu);
    failed = s->fail != NS_OK;
    pthread_mutex_unlock(&s->mu);
    return failed;
}

void *ns_stages_next(struct ns_stages *s)
{
    void *batch = NULL;

    /* The queue of empty batches is never closed: this waits until the
     * collector gives one back. */
    if (ns_stages_failed(s) || !ns_queue_pop(&s->empty, &batch))
        return NULL;
    if (ns_stages_failed(s)) {
        ns_queue_push(&s->empty, batch);
        return NULL;
    }
    return batch;
}

void ns_stages_submit(struct ns_stages *s, void *batch)
{
    ns_queue_push(&s->todo[s->submitted++ % s->nworkers], batch);
}

/* Closes the work queues, joins every thread that started, frees s
 * and returns the collector's failure. */
static enum ns_err stop(struct ns_stages *s, struct ns_error *err)
{
    enum ns_err rc;

    for (size_t k = 0; k < s->nworkers; k++) {
        ns_queue_close(&s->todo[k]);
        /* A worker that never started leaves its queue to close here. */
        if (k >= s->started)
            ns_queue_close(&s->done[k]);
    }
    for (size_t k = 0; k < s->started; k++)
        pthread_join(s->workers[k].thread, NULL);
    if (s->collector_started)
        pthread_join(s->collector, NULL);
    rc = s->fail;
    if (rc != NS_OK && err != NULL)
        *err = s->ferr;
    free_stages(s, s->nworkers);
    return rc;
}

enum ns_err ns_stages_finish(struct ns_stages *s, struct ns_error *err)
{
    return stop(s, err);
}
