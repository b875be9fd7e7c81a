/* Bounded pointer queue: one mutex, one condition for every change. */
#include "util/queue.h"

#include <stdlib.h>

enum ns_err ns_queue_init(struct ns_queue *q, size_t cap)
{
    q->items = calloc(cap ? cap : 1, sizeof(*q->items));
    if (q->items == NULL)
        return NS_ERR_NOMEM;
    q->cap = cap ? cap : 1;
    q->head = 0;
    q->count = 0;
    q->closed = false;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->changed, NULL);
    return NS_OK;
}

void ns_queue_destroy(struct ns_queue *q)
{
    if (q->items == NULL)
        return;
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    q->items = NULL;
}

bool ns_queue_push(struct ns_queue *q, void *item)
{
    bool ok;

    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->closed)
        pthread_cond_wait(&q->changed, &q->mu);
    ok = !q->closed;
    if (ok) {
        q->items[(q->head + q->count) % q->cap] = item;
        q->count++;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

bool ns_queue_pop(struct ns_queue *q, void **item)
{
    bool ok;

    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->changed, &q->mu);
    ok = q->count > 0;
    if (ok) {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

void ns_queue_close(struct ns_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}
