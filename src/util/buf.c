#include "util/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* m * 10^k * 2^e rounded to an integer, ties to even (as printf rounds
 * the exact binary value). The callers keep m * 10^k below 2^64 and e
 * between -63 and 6. */
static uint64_t scale_round(uint64_t m, int k, int e)
{
    uint64_t n = m, q, rem, half;

    for (int i = 0; i < k; i++)
        n *= 10;
    if (e >= 0)
        return n << e;
    q = n >> -e;
    rem = n & ((UINT64_C(1) << -e) - 1);
    half = UINT64_C(1) << (-e - 1);
    return q + (rem > half || (rem == half && (q & 1)));
}

/* For 1e-4 <= v < 1e9: q, the 9 significant digits of v rounded, and
 * k, the decimals they stand for (v ~ q / 10^k). False outside. */
static bool g9_digits(float v, uint64_t *q, int *k)
{
    uint32_t bits;
    uint64_t m;
    int e;

    if (!(v >= 1e-4f && v < 1e9f))
        return false;
    memcpy(&bits, &v, sizeof(bits));
    m = (bits & 0x7fffffu) | 0x800000u;
    e = (int)((bits >> 23) & 0xffu) - 150;
    *k = 8 - (int)floor(log10((double)v));
    if (*k < 0 || *k > 12)
        return false;
    for (;;) {
        *q = scale_round(m, *k, e);
        if (*q >= 1000000000u && *k > 0)
            (*k)--;
        else if (*q < 100000000u && *k < 12)
            (*k)++;
        else
            break;
    }
    return *q >= 100000000u && *q < 1000000000u;
}

char *ns_put_float_g9(char *p, float v)
{
    char d[9];
    uint64_t q;
    int k, n = 9;

    if (!g9_digits(fabsf(v), &q, &k))
        return p + snprintf(p, 32, "%.9g", (double)v);
    if (v < 0)
        *p++ = '-';
    for (int i = 8; i >= 0; i--, q /= 10)
        d[i] = (char)('0' + q % 10);
    /* %g drops the trailing zeros of the decimals, and a bare point. */
    while (k > 0 && d[n - 1] == '0') {
        n--;
        k--;
    }
    if (k == 0) {
        memcpy(p, d, (size_t)n);
        return p + n;
    }
    if (n <= k) {
        *p++ = '0';
        *p++ = '.';
        memset(p, '0', (size_t)(k - n));
        p += k - n;
        memcpy(p, d, (size_t)n);
        return p + n;
    }
    memcpy(p, d, (size_t)(n - k));
    p += n - k;
    *p++ = '.';
    memcpy(p, d + n - k, (size_t)k);
    return p + k;
}
