/* Runs a noshow command function in process with its stdout and stderr
 * sent to files, for tests of the command line. */
#ifndef NS_TEST_RUN_CMD_H
#define NS_TEST_RUN_CMD_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/* Calls cmd with argv = {name, the n strings that follow}, stdout going
 * to out_path and stderr to err_path; returns its exit code, or -1 when
 * the output cannot be redirected. */
static inline int run_cmd(int (*cmd)(int, char **), const char *name,
                          const char *out_path, const char *err_path, int n,
                          ...)
{
    char *argv[24];
    char cmd_name[32];
    va_list ap;
    int saved[2], fd[2], code = -1;

    snprintf(cmd_name, sizeof(cmd_name), "%s", name);
    argv[0] = cmd_name;
    va_start(ap, n);
    for (int i = 1; i <= n && i < 23; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[n + 1] = NULL;
    fflush(stdout);
    fflush(stderr);
    saved[0] = dup(1);
    saved[1] = dup(2);
    fd[0] = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    fd[1] = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd[0] >= 0 && fd[1] >= 0 && dup2(fd[0], 1) >= 0 &&
        dup2(fd[1], 2) >= 0)
        code = cmd(n + 1, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved[0], 1);
    dup2(saved[1], 2);
    for (int k = 0; k < 2; k++) {
        close(saved[k]);
        if (fd[k] >= 0)
            close(fd[k]);
    }
    return code;
}

/* The first 64 KiB of a file as text (static buffer, valid until the
 * next call); "" when it cannot be read. */
static inline const char *run_cmd_slurp(const char *path)
{
    static char buf[65536];
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

    if (fp)
        fclose(fp);
    buf[n] = '\0';
    return buf;
}

#endif
