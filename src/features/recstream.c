#include "features/recstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/tmpfile.h"

#define STREAM_BUF (1u << 20)

/* A row: this head, then a float per numeric column, a code per
 * categorical column, the id with its NUL, padding to 8 bytes. */
struct head {
    uint32_t size;              /* of the whole row, head included */
    uint32_t ordinal;
    int64_t booked_at;
    int64_t line;
    int32_t appt_day;
    int32_t appt_time;
    int8_t label;
    uint8_t has_patient;
    uint16_t id_len;
    uint8_t pad[4];
};

struct recstream {
    const struct schema *s;
    size_t *num_cols, nnum;     /* BINARY and NUMERIC columns */
    size_t *cat_cols, ncat;     /* CATEGORICAL columns, in code order */
    FILE *f;
    char *fbuf;
    struct ns_buf row;          /* the row being written */
};

static enum ns_err list_columns(struct recstream *w)
{
    const struct schema *s = w->s;

    w->num_cols = calloc(s->ncols + 1, sizeof(*w->num_cols));
    w->cat_cols = calloc(s->ncols + 1, sizeof(*w->cat_cols));
    if (w->num_cols == NULL || w->cat_cols == NULL)
        return NS_ERR_NOMEM;
    for (size_t i = 0; i < s->ncols; i++) {
        enum schema_role r = s->cols[i].role;

        if (r == ROLE_BINARY || r == ROLE_NUMERIC)
            w->num_cols[w->nnum++] = i;
        else if (r == ROLE_CATEGORICAL)
            w->cat_cols[w->ncat++] = i;
    }
    return NS_OK;
}

static enum ns_err io_fail(const char *what, struct ns_error *err)
{
    int e = errno ? errno : EIO;

    return ns_error_set(err, NS_ERR_IO, "temporary file of clean rows: "
                        "%s failed: %s", what, strerror(e));
}

enum ns_err recstream_new(const struct schema *s, struct recstream **out,
                          struct ns_error *err)
{
    struct recstream *w = calloc(1, sizeof(*w));

    *out = NULL;
    if (w == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    w->s = s;
    if (list_columns(w) != NS_OK ||
        (w->fbuf = malloc(STREAM_BUF)) == NULL) {
        recstream_free(w);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    w->f = ns_tmp_file(err);
    if (w->f == NULL) {
        recstream_free(w);
        return NS_ERR_IO;
    }
    setvbuf(w->f, w->fbuf, _IOFBF, STREAM_BUF);
    *out = w;
    return NS_OK;
}

static size_t body_size(const struct recstream *w, size_t id_len)
{
    size_t n = sizeof(struct head) + w->nnum * sizeof(float) +
               w->ncat * sizeof(uint32_t) + id_len + 1;

    return (n + 7) / 8 * 8;
}

enum ns_err recstream_put(struct recstream *w, size_t ordinal,
                          const struct record *rec, const uint32_t *codes,
                          struct ns_error *err)
{
    const char *id = rec->appt_id ? rec->appt_id : "";
    size_t id_len = strlen(id);
    size_t size = body_size(w, id_len);
    struct head h;
    char *p;

    if (id_len > UINT16_MAX || ordinal > UINT32_MAX)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "line %ld: appointment "
                            "id of %zu bytes or row %zu; expected at most "
                            "%u bytes and %u rows", rec->line, id_len,
                            ordinal, (unsigned)UINT16_MAX,
                            (unsigned)UINT32_MAX);
    memset(&h, 0, sizeof(h));
    h = (struct head){(uint32_t)size, (uint32_t)ordinal, rec->booked_at,
                      rec->line, rec->appt_day, rec->appt_time,
                      (int8_t)rec->label,
                      rec->patient != NULL && rec->patient[0] != '\0',
                      (uint16_t)id_len, {0}};
    ns_buf_reset(&w->row);
    if (ns_buf_reserve(&w->row, size) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    p = w->row.data;
    memset(p, 0, size);
    memcpy(p, &h, sizeof(h));
    p += sizeof(h);
    for (size_t i = 0; i < w->nnum; i++, p += sizeof(float)) {
        float v = (float)rec->num[w->num_cols[i]];

        memcpy(p, &v, sizeof(v));
    }
    memcpy(p, codes, w->ncat * sizeof(uint32_t));
    p += w->ncat * sizeof(uint32_t);
    memcpy(p, id, id_len);
    if (fwrite(w->row.data, 1, size, w->f) != size)
        return io_fail("writing", err);
    return NS_OK;
}

enum ns_err recstream_rewind(struct recstream *w, struct ns_error *err)
{
    errno = 0;
    if (fflush(w->f) != 0 || fseek(w->f, 0, SEEK_SET) != 0)
        return io_fail("rewinding", err);
    return NS_OK;
}

enum ns_err recstream_next(struct recstream *w, struct ns_buf *b,
                           size_t *at, size_t *ordinal,
                           struct ns_error *err)
{
    struct head h;
    size_t got;

    errno = 0;
    got = fread(&h, 1, sizeof(h), w->f);
    if (got == 0 && feof(w->f))
        return NS_DONE;
    if (got != sizeof(h) || h.size < sizeof(h))
        return io_fail("reading", err);
    *at = b->len;
    *ordinal = h.ordinal;
    if (ns_buf_reserve(b, h.size) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    memcpy(b->data + b->len, &h, sizeof(h));
    if (fread(b->data + b->len + sizeof(h), 1, h.size - sizeof(h), w->f) !=
        h.size - sizeof(h))
        return io_fail("reading", err);
    b->len += h.size;
    b->data[b->len] = '\0';
    return NS_OK;
}

void recstream_decode(const struct recstream *w, const char *bytes,
                      const struct catcount *cc, struct record *rec,
                      uint32_t *codes)
{
    struct head h;
    const char *p = bytes + sizeof(h);

    memcpy(&h, bytes, sizeof(h));
    record_reset(rec);
    rec->line = (long)h.line;
    rec->booked_at = h.booked_at;
    rec->appt_day = h.appt_day;
    rec->appt_time = h.appt_time;
    rec->label = h.label;
    /* Only whether there is a patient matters to features. */
    rec->patient = h.has_patient ? "*" : "";
    for (size_t i = 0; i < w->nnum; i++, p += sizeof(float)) {
        float v;

        memcpy(&v, p, sizeof(v));
        rec->num[w->num_cols[i]] = v;
    }
    for (size_t i = 0; i < w->ncat; i++, p += sizeof(uint32_t)) {
        uint32_t code;

        memcpy(&code, p, sizeof(code));
        rec->text[w->cat_cols[i]] = catcount_value(cc, w->cat_cols[i],
                                                   code);
        if (codes != NULL)
            codes[i] = code;
    }
    rec->appt_id = p;
}

void recstream_free(struct recstream *w)
{
    if (w == NULL)
        return;
    if (w->f != NULL)
        fclose(w->f);
    free(w->fbuf);
    free(w->num_cols);
    free(w->cat_cols);
    ns_buf_free(&w->row);
    free(w);
}
