#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vfill(struct ns_error *err, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

enum ns_err ns_error_set(struct ns_error *err, enum ns_err code,
                         const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->field[0] = '\0';
    va_start(ap, fmt);
    vfill(err, fmt, ap);
    va_end(ap);
    return code;
}

enum ns_err ns_error_field(struct ns_error *err, enum ns_err code,
                           const char *field, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vfill(err, fmt, ap);
    va_end(ap);
    return code;
}

void ns_error_prefix(struct ns_error *err, const char *fmt, ...)
{
    char head[512];
    char old[sizeof(err->msg)];
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old);
}

void ns_error_clear(struct ns_error *err)
{
    if (err == NULL)
        return;
    err->code = NS_OK;
    err->field[0] = '\0';
    err->msg[0] = '\0';
}

const char *ns_err_str(enum ns_err code)
{
    switch (code) {
    case NS_OK: return "ok";
    case NS_DONE: return "done";
    case NS_ERR_NOMEM: return "out of memory";
    case NS_ERR_IO: return "i/o error";
    case NS_ERR_PARSE: return "parse error";
    case NS_ERR_INVALID: return "invalid value";
    case NS_ERR_NOT_FOUND: return "not found";
    case NS_ERR_CONFLICT: return "conflict";
    case NS_ERR_UNSUPPORTED: return "unsupported";
    case NS_ERR_LIB: return "library error";
    case NS_ERR_UNAVAILABLE: return "unavailable";
    case NS_ERR_AUTH: return "unauthenticated";
    case NS_ERR_FORBIDDEN: return "forbidden";
    case NS_ERR_TOO_LARGE: return "too large";
    }
    return "unknown error";
}
