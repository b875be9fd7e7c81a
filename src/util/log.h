/* One-line structured logging to stderr:
 *   2016-05-02T10:15:03.120Z WARN store: insert failed try=2
 * Messages carry key=value context; never patient data or secrets. The
 * macros test the level before any argument is formatted. */
#ifndef NS_LOG_H
#define NS_LOG_H

#include "util/err.h"

enum ns_log_level {
    NS_LOG_ERROR = 0,
    NS_LOG_WARN,
    NS_LOG_INFO,
    NS_LOG_DEBUG
};

extern enum ns_log_level ns_log_threshold;

/* Parses "error", "warn", "info" or "debug"; returns -1 when unknown. */
int ns_log_parse_level(const char *name);

void ns_log_write(enum ns_log_level level, const char *component,
                  const char *fmt, ...) NS_PRINTF(3, 4);

#define NS_LOG_AT(lvl, comp, ...)                                          \
    do {                                                                   \
        if ((lvl) <= ns_log_threshold)                                     \
            ns_log_write((lvl), (comp), __VA_ARGS__);                      \
    } while (0)

#define ns_log_error(comp, ...) NS_LOG_AT(NS_LOG_ERROR, comp, __VA_ARGS__)
#define ns_log_warn(comp, ...) NS_LOG_AT(NS_LOG_WARN, comp, __VA_ARGS__)
#define ns_log_info(comp, ...) NS_LOG_AT(NS_LOG_INFO, comp, __VA_ARGS__)
#define ns_log_debug(comp, ...) NS_LOG_AT(NS_LOG_DEBUG, comp, __VA_ARGS__)

#endif
