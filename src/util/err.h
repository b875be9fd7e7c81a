/* Error codes and the error detail record every fallible function fills.
 * A function that can fail returns enum ns_err (NS_OK is 0) and, on
 * failure, writes a human-readable message into the struct ns_error the
 * caller passed in (which may be NULL when the caller does not care). */
#ifndef NS_ERR_H
#define NS_ERR_H

#include <stddef.h>

#define NS_MUST_CHECK __attribute__((warn_unused_result))
#define NS_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum ns_err {
    NS_OK = 0,
    NS_DONE,            /* end of a stream: not a failure */
    NS_ERR_NOMEM,
    NS_ERR_IO,          /* file or socket: errno text in the message */
    NS_ERR_PARSE,       /* malformed input: location in the message */
    NS_ERR_INVALID,     /* well-formed but unacceptable value */
    NS_ERR_NOT_FOUND,
    NS_ERR_CONFLICT,
    NS_ERR_UNSUPPORTED, /* e.g. a newer bundle format */
    NS_ERR_LIB,         /* a library call failed: its text in the message */
    NS_ERR_UNAVAILABLE, /* database down or busy: retry later */
    NS_ERR_AUTH,        /* no or unknown credentials */
    NS_ERR_FORBIDDEN,   /* known credentials, insufficient role */
    NS_ERR_TOO_LARGE
};

struct ns_error {
    enum ns_err code;
    char field[128];    /* JSON field or column name; "" when none */
    char msg[1024];     /* full sentence, location first when known */
};

/* Fills err (when not NULL) and returns code, so callers can write
 * "return ns_error_set(err, NS_ERR_PARSE, ...)". */
enum ns_err ns_error_set(struct ns_error *err, enum ns_err code,
                         const char *fmt, ...) NS_PRINTF(3, 4);

/* Like ns_error_set, and also records the offending field name. */
enum ns_err ns_error_field(struct ns_error *err, enum ns_err code,
                           const char *field, const char *fmt, ...)
    NS_PRINTF(4, 5);

/* Prepends "prefix: " to an already filled message. */
void ns_error_prefix(struct ns_error *err, const char *fmt, ...)
    NS_PRINTF(2, 3);

void ns_error_clear(struct ns_error *err);

/* Static name of a code, e.g. "parse error". */
const char *ns_err_str(enum ns_err code);

#endif
