#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ns_err ns_buf_reserve(struct ns_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 64;
    char *p;

    if (need <= b->cap)
        return NS_OK;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2)
            return NS_ERR_NOMEM;
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (p == NULL)
        return NS_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return NS_OK;
}

enum ns_err ns_buf_append(struct ns_buf *b, const void *p, size_t n)
{
    if (ns_buf_reserve(b, n) != NS_OK)
        return NS_ERR_NOMEM;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return NS_OK;
}

enum ns_err ns_buf_puts(struct ns_buf *b, const char *s)
{
    return ns_buf_append(b, s, strlen(s));
}

enum ns_err ns_buf_printf(struct ns_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NS_ERR_INVALID;
    if (ns_buf_reserve(b, (size_t)n) != NS_OK)
        return NS_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return NS_OK;
}

void ns_buf_reset(struct ns_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *ns_buf_steal(struct ns_buf *b)
{
    char *p = b->data;

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void ns_buf_free(struct ns_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

char *ns_put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

char *ns_put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return ns_put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return ns_put_u64(p, (uint64_t)v);
}
