/* Runs the built noshow binary for command-line tests and checks its
 * exit status and output. Include after cmocka.h. */
#ifndef NS_TEST_CLIRUN_H
#define NS_TEST_CLIRUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct result {
    int status;
    char out[8192];
};

/* Runs "noshow ARGS" (from NOSHOW_BUILD, default build/) with stderr
 * joined to stdout. */
static void run(const char *args, struct result *res)
{
    const char *build = getenv("NOSHOW_BUILD");
    char cmd[1024];
    FILE *p;
    size_t n;
    int st;

    snprintf(cmd, sizeof(cmd), "NOSHOW_LOG=error %s/noshow %s 2>&1",
             build ? build : "build", args);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(res->out, 1, sizeof(res->out) - 1, p);
    res->out[n] = '\0';
    st = pclose(p);
    res->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(const struct result *res, int status, const char *text)
{
    if (res->status != status)
        fail_msg("exit status %d, expected %d; output:\n%s", res->status,
                 status, res->out);
    if (strstr(res->out, text) == NULL)
        fail_msg("output lacks '%s':\n%s", text, res->out);
}

#endif
