#include "data/rowbatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_LIMIT (8u << 20)

struct row_batch *row_batch_new(size_t cap)
{
    struct row_batch *b = calloc(1, sizeof(*b));

    if (b == NULL)
        return NULL;
    b->cap = cap ? cap : 1;
    b->rows = calloc(b->cap, sizeof(*b->rows));
    b->first_field = calloc(b->cap, sizeof(*b->first_field));
    b->row_at = calloc(b->cap, sizeof(*b->row_at));
    b->old_start = calloc(b->cap, sizeof(*b->old_start));
    if (b->rows == NULL || b->first_field == NULL || b->row_at == NULL ||
        b->old_start == NULL) {
        row_batch_free(b);
        return NULL;
    }
    return b;
}

static enum ns_err grow_fields(struct row_batch *b, size_t need)
{
    size_t cap = b->fields_cap ? b->fields_cap : 1024;
    struct csv_field *f;

    while (cap < need)
        cap *= 2;
    f = realloc(b->fields, cap * sizeof(*f));
    if (f == NULL)
        return NS_ERR_NOMEM;
    b->fields = f;
    b->fields_cap = cap;
    return NS_OK;
}

/* csv.h keeps a row's fields back to back, each followed by its NUL:
 * one copy takes the whole row, another its fields as the reader gave
 * them; row_batch_seal() moves their pointers into the block later, on
 * whichever thread uses the batch. */
enum ns_err row_batch_add(struct row_batch *b, const struct csv_row *row)
{
    const char *start = row->nfields ? row->fields[0].ptr : "";
    const struct csv_field *last = row->nfields ?
                                   &row->fields[row->nfields - 1] : NULL;
    size_t len = last ? (size_t)(last->ptr + last->len + 1 - start) : 0;
    enum ns_err rc;

    if (b->nfields + row->nfields > b->fields_cap &&
        (rc = grow_fields(b, b->nfields + row->nfields)) != NS_OK)
        return rc;
    b->row_at[b->n] = b->bytes.len;
    b->old_start[b->n] = (uintptr_t)start;
    if (len > 0 && (rc = ns_buf_append(&b->bytes, start, len)) != NS_OK)
        return rc;
    b->first_field[b->n] = b->nfields;
    memcpy(b->fields + b->nfields, row->fields,
           row->nfields * sizeof(*row->fields));
    b->nfields += row->nfields;
    b->rows[b->n] = *row;
    b->rows[b->n].fields = NULL;
    b->n++;
    return NS_OK;
}

bool row_batch_full(const struct row_batch *b)
{
    return b->n == b->cap || b->bytes.len >= BLOCK_LIMIT;
}

void row_batch_seal(struct row_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct csv_field *f = b->fields + b->first_field[i];
        uintptr_t to = (uintptr_t)(b->bytes.data + b->row_at[i]);

        b->rows[i].fields = f;
        for (size_t k = 0; k < b->rows[i].nfields; k++)
            f[k].ptr = (const char *)(to + ((uintptr_t)f[k].ptr -
                                            b->old_start[i]));
    }
}

void row_batch_clear(struct row_batch *b)
{
    b->n = 0;
    b->nfields = 0;
    ns_buf_reset(&b->bytes);
}

void row_batch_free(struct row_batch *b)
{
    if (b == NULL)
        return;
    ns_buf_free(&b->bytes);
    free(b->fields);
    free(b->first_field);
    free(b->row_at);
    free(b->old_start);
    free(b->rows);
    free(b);
}
