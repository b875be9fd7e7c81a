#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/tmpfile.h"

/* A bucket's older records sit in the file as whole buffers ("chunks"),
 * the newest ones in its buffer. */
struct bucket {
    char *buf;
    size_t used;            /* records in buf */
    size_t count;           /* records since the last load */
    uint64_t *chunks;       /* file offsets of full buffers, oldest first */
    size_t nchunks, cap;
};

struct ns_spill {
    size_t nbuckets, recsize;
    size_t bufrecs;         /* records per buffer (and per chunk) */
    struct bucket *b;
    int fd;                 /* -1 until the first buffer fills */
    uint64_t end;           /* bytes written to fd */
};

enum ns_err ns_spill_new(size_t nbuckets, size_t recsize, size_t bufbytes,
                         struct ns_spill **out, struct ns_error *err)
{
    struct ns_spill *s;

    *out = NULL;
    if (nbuckets == 0 || recsize == 0)
        return ns_error_set(err, NS_ERR_INVALID, "spill: %zu buckets of "
                            "%zu-byte records; expected at least 1 of "
                            "each", nbuckets, recsize);
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->b = calloc(nbuckets, sizeof(*s->b))) == NULL) {
        free(s);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    s->nbuckets = nbuckets;
    s->recsize = recsize;
    s->bufrecs = bufbytes / recsize ? bufbytes / recsize : 1;
    s->fd = -1;
    *out = s;
    return NS_OK;
}

static enum ns_err open_file(struct ns_spill *s, struct ns_error *err)
{
    s->fd = ns_tmp_fd(err);
    return s->fd >= 0 ? NS_OK : NS_ERR_IO;
}

static enum ns_err write_all(struct ns_spill *s, const char *p, size_t len,
                             struct ns_error *err)
{
    uint64_t at = s->end;

    while (len > 0) {
        ssize_t w = pwrite(s->fd, p, len, (off_t)at);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;

            return ns_error_set(err, NS_ERR_IO, "temporary file: write "
                                "failed: %s", strerror(e));
        }
        p += w;
        at += (uint64_t)w;
        len -= (size_t)w;
    }
    return NS_OK;
}

/* Moves a full buffer to the file and remembers where it went. */
static enum ns_err flush(struct ns_spill *s, struct bucket *b,
                         struct ns_error *err)
{
    size_t len = b->used * s->recsize;
    enum ns_err rc;

    if (s->fd < 0 && (rc = open_file(s, err)) != NS_OK)
        return rc;
    if (b->nchunks == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        uint64_t *c = realloc(b->chunks, cap * sizeof(*c));

        if (c == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        b->chunks = c;
        b->cap = cap;
    }
    rc = write_all(s, b->buf, len, err);
    if (rc != NS_OK)
        return rc;
    b->chunks[b->nchunks++] = s->end;
    s->end += len;
    b->used = 0;
    return NS_OK;
}

enum ns_err ns_spill_add(struct ns_spill *s, size_t bucket, const void *rec,
                         struct ns_error *err)
{
    struct bucket *b = &s->b[bucket];
    enum ns_err rc;

    if (b->buf == NULL && (b->buf = malloc(s->bufrecs * s->recsize)) == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (b->used == s->bufrecs && (rc = flush(s, b, err)) != NS_OK)
        return rc;
    memcpy(b->buf + b->used * s->recsize, rec, s->recsize);
    b->used++;
    b->count++;
    return NS_OK;
}

size_t ns_spill_count(const struct ns_spill *s, size_t bucket)
{
    return s->b[bucket].count;
}

static enum ns_err read_all(const struct ns_spill *s, char *p, size_t len,
                            uint64_t at, struct ns_error *err)
{
    while (len > 0) {
        ssize_t r = pread(s->fd, p, len, (off_t)at);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;

            return ns_error_set(err, NS_ERR_IO, "temporary file: read "
                                "failed: %s", strerror(e));
        }
        p += r;
        at += (uint64_t)r;
        len -= (size_t)r;
    }
    return NS_OK;
}

enum ns_err ns_spill_load(struct ns_spill *s, size_t bucket,
                          struct ns_buf *to, size_t *n, struct ns_error *err)
{
    struct bucket *b = &s->b[bucket];
    size_t chunk = s->bufrecs * s->recsize;
    enum ns_err rc = NS_OK;

    *n = 0;
    ns_buf_reset(to);
    if (ns_buf_reserve(to, b->count * s->recsize) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory for %zu "
                            "spilled records", b->count);
    for (size_t i = 0; rc == NS_OK && i < b->nchunks; i++)
        rc = read_all(s, to->data + i * chunk, chunk, b->chunks[i], err);
    if (rc != NS_OK)
        return rc;
    if (b->used > 0)
        memcpy(to->data + b->nchunks * chunk, b->buf, b->used * s->recsize);
    to->len = b->count * s->recsize;
    *n = b->count;
    b->count = 0;
    b->used = 0;
    b->nchunks = 0;
    return NS_OK;
}

uint64_t ns_spill_disk_bytes(const struct ns_spill *s)
{
    return s->end;
}

void ns_spill_free(struct ns_spill *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        free(s->b[i].buf);
        free(s->b[i].chunks);
    }
    if (s->fd >= 0)
        close(s->fd);
    free(s->b);
    free(s);
}
