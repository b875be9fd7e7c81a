/* CSV rows copied out of a reader into one block, so that they outlive
 * the reader's next call and can be handed to another thread. */
#ifndef NS_ROWBATCH_H
#define NS_ROWBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/csv.h"
#include "util/buf.h"
#include "util/err.h"

struct row_batch {
    size_t n;                   /* rows added since the last clear */
    size_t cap;                 /* rows it takes */
    struct csv_row *rows;       /* [cap]; fields point into the block
                                   once row_batch_seal() has run */
    /* The rest is the batch's own. */
    struct ns_buf bytes;        /* the rows' fields, back to back */
    struct csv_field *fields;   /* the reader's pointers until sealed */
    size_t nfields, fields_cap;
    size_t *first_field;        /* [cap] */
    size_t *row_at;             /* [cap]: each row's offset in bytes */
    uintptr_t *old_start;       /* [cap]: where the reader had it */
};

/* Room for cap rows (at least 1). Caller frees with row_batch_free().
 * NULL when out of memory. */
struct row_batch *row_batch_new(size_t cap);

/* Copies row (from csv_reader_next) in; NS_ERR_NOMEM. The batch must
 * not be full. */
NS_MUST_CHECK enum ns_err row_batch_add(struct row_batch *b,
                                        const struct csv_row *row);

/* Whether no row fits any more: cap rows, or a block of 8 MiB. */
bool row_batch_full(const struct row_batch *b);

/* Points each row's fields into the block: call once the last row is
 * in, before reading b->rows (on the thread that reads them: the
 * adding thread need not pay for it). */
void row_batch_seal(struct row_batch *b);

/* Empties the batch, keeping its memory. */
void row_batch_clear(struct row_batch *b);

void row_batch_free(struct row_batch *b);

#endif
