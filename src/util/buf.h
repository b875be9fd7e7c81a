/* Growable byte buffer, always NUL-terminated after a successful append. */
#ifndef NS_BUF_H
#define NS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ns_buf {
    char *data;     /* owned; NULL until the first append */
    size_t len;
    size_t cap;
};

#define NS_BUF_INIT {NULL, 0, 0}

NS_MUST_CHECK enum ns_err ns_buf_append(struct ns_buf *b, const void *p,
                                        size_t n);
NS_MUST_CHECK enum ns_err ns_buf_puts(struct ns_buf *b, const char *s);
NS_MUST_CHECK enum ns_err ns_buf_printf(struct ns_buf *b, const char *fmt,
                                        ...) NS_PRINTF(2, 3);
NS_MUST_CHECK enum ns_err ns_buf_reserve(struct ns_buf *b, size_t extra);

/* Keeps the allocation, forgets the content. */
void ns_buf_reset(struct ns_buf *b);

/* Hands the data to the caller, who frees it with free(); b is emptied. */
char *ns_buf_steal(struct ns_buf *b);

void ns_buf_free(struct ns_buf *b);

/* Writes v in decimal at p (at most 20 bytes, 21 with a minus sign; no
 * NUL) and returns the byte after it. For writers of millions of rows,
 * where snprintf's format parsing costs more than the digits. */
char *ns_put_u64(char *p, uint64_t v);
char *ns_put_i64(char *p, int64_t v);

/* Writes v at p exactly as snprintf(p, 32, "%.9g", v) does (at most 16
 * bytes; no NUL) and returns the byte after it. %.9g is the shortest
 * fixed precision that reads back as the same float. Values from 1e-4
 * to below 1e9 in magnitude are formatted here with integer
 * arithmetic, several times faster than printf; others go to
 * snprintf. */
char *ns_put_float_g9(char *p, float v);

#endif
