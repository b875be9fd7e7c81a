#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cli_fail(const struct ns_error *err)
{
    fprintf(stderr, "noshow: %s\n",
            err && err->msg[0] ? err->msg : "failed");
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "noshow %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'noshow %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min ||
        v > max)
        return 0;
    *out = v;
    return 1;
}

int cli_database(const char *cmd, const char **db)
{
    if (*db == NULL)
        *db = getenv("NOSHOW_DB");
    if (*db == NULL || **db == '\0')
        return cli_usage_error(cmd, "--db is required (or NOSHOW_DB)");
    return 0;
}

int cli_interactive(void)
{
    return isatty(STDERR_FILENO);
}
