/* Bounded first-in first-out queue of pointers between threads, for
 * pipelines whose stages hand work items to each other. A full queue
 * blocks the producer and an empty one the consumer, so the items in
 * flight (and the memory they hold) stay bounded. The queue only lends
 * the pointers: items stay owned by whoever made them. */
#ifndef NS_QUEUE_H
#define NS_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct ns_queue {
    pthread_mutex_t mu;
    pthread_cond_t changed;     /* an item came or went, or it closed */
    void **items;               /* ring of cap slots */
    size_t cap, head, count;
    bool closed;
};

/* Room for cap items (at least one). Free with ns_queue_destroy(). */
NS_MUST_CHECK enum ns_err ns_queue_init(struct ns_queue *q, size_t cap);

/* Only once no thread uses the queue. Items still queued are dropped,
 * not freed. */
void ns_queue_destroy(struct ns_queue *q);

/* Appends item, waiting while the queue is full. Returns false, leaving
 * the item with the caller, when the queue is closed. */
bool ns_queue_push(struct ns_queue *q, void *item);

/* Takes the oldest item, waiting while the queue is empty and open.
 * Returns false once the queue is closed and drained. */
bool ns_queue_pop(struct ns_queue *q, void **item);

/* No more pushes: waiting producers give up, consumers drain what is
 * left, then stop. */
void ns_queue_close(struct ns_queue *q);

#endif
