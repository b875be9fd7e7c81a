/* An ordered pipeline of batches over threads: the caller fills batches
 * one after the other, several workers process them at once, and one
 * collector thread takes them back in the order they were filled (for
 * what must stay in file order: writing, counting), then returns them
 * to be filled again. The batches are the caller's; their number bounds
 * the memory in flight. */
#ifndef NS_STAGES_H
#define NS_STAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct ns_stages_ops {
    void *ctx;
    /* Runs on worker thread k (0 <= k < nworkers) for each batch; it
     * keeps its own failure in the batch for collect() to report. */
    void (*work)(void *ctx, size_t k, void *batch);
    /* Runs on the collector thread, batch by batch in filling order.
     * A failure stops the pipeline: later batches are not collected and
     * ns_stages_next() returns NULL. */
    NS_MUST_CHECK enum ns_err (*collect)(void *ctx, void *batch,
                                         struct ns_error *err);
};

struct ns_stages;

/* Starts nworkers workers (at least 1) and the collector, with the
 * nbatches batches (at least 1) ready to fill. ops and batches are
 * copied; the batches themselves are borrowed until ns_stages_finish().
 * Caller ends with ns_stages_finish(), which also frees. */
NS_MUST_CHECK enum ns_err ns_stages_start(const struct ns_stages_ops *ops,
                                          size_t nworkers, void **batches,
                                          size_t nbatches,
                                          struct ns_stages **out,
                                          struct ns_error *err);

/* The next batch to fill, waiting for one to come back; NULL once the
 * pipeline failed (stop filling and finish). */
void *ns_stages_next(struct ns_stages *s);

/* Hands a filled batch (from ns_stages_next()) to the workers. */
void ns_stages_submit(struct ns_stages *s, void *batch);

/* Whether the pipeline failed; cheap enough to ask between rows. */
bool ns_stages_failed(struct ns_stages *s);

/* Waits for every submitted batch to be collected, stops the threads
 * and frees s. Returns the collector's first failure (with its message
 * in err) or NS_OK. */
NS_MUST_CHECK enum ns_err ns_stages_finish(struct ns_stages *s,
                                           struct ns_error *err);

#endif
