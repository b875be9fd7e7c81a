#include "util/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"

static enum ns_err io_fail(const char *path, const char *what, int e,
                           struct ns_error *err)
{
    return ns_error_set(err, NS_ERR_IO, "%s: %s: %s", path, what,
                        strerror(e));
}

/* Whether path can be replaced: it is a regular file, or not there. */
static int replaceable(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return errno == ENOENT;
    return S_ISREG(st.st_mode);
}

static void release(struct ns_outfile *o)
{
    free(o->path);
    free(o->tmp);
    o->path = NULL;
    o->tmp = NULL;
    o->f = NULL;
}

static enum ns_err open_tmp(struct ns_outfile *o, struct ns_error *err)
{
    struct ns_buf name = NS_BUF_INIT;
    mode_t mask;
    int fd;

    if (ns_buf_printf(&name, "%s.tmp-XXXXXX", o->path) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    fd = mkstemp(name.data);
    if (fd < 0) {
        int e = errno;

        ns_buf_free(&name);
        return io_fail(o->path, "cannot create", e, err);
    }
    o->tmp = ns_buf_steal(&name);
    /* mkstemp() gives 0600; the file gets what fopen() would give. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || (o->f = fdopen(fd, "w")) == NULL) {
        int e = errno;

        close(fd);
        unlink(o->tmp);
        return io_fail(o->path, "cannot create", e, err);
    }
    return NS_OK;
}

enum ns_err ns_outfile_open(struct ns_outfile *o, const char *path,
                            struct ns_error *err)
{
    enum ns_err rc = NS_OK;

    memset(o, 0, sizeof(*o));
    o->path = strdup(path);
    if (o->path == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (strcmp(path, "-") == 0)
        o->f = stdout;
    else if (replaceable(path))
        rc = open_tmp(o, err);
    else if ((o->f = fopen(path, "w")) == NULL)
        rc = io_fail(path, "cannot create", errno, err);
    if (rc != NS_OK)
        release(o);
    return rc;
}

enum ns_err ns_outfile_commit(struct ns_outfile *o, struct ns_error *err)
{
    int e = 0;

    if (o->f == NULL)
        return NS_OK;
    errno = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        e = errno ? errno : EIO;
    if (e == 0 && o->tmp != NULL && fdatasync(fileno(o->f)) != 0)
        e = errno;
    if (o->f != stdout && fclose(o->f) != 0 && e == 0)
        e = errno;
    o->f = NULL;
    if (e == 0 && o->tmp != NULL && rename(o->tmp, o->path) != 0)
        e = errno;
    if (e != 0 && o->tmp != NULL)
        unlink(o->tmp);
    if (e != 0)
        (void)io_fail(o->path, "write failed", e, err);
    release(o);
    return e != 0 ? NS_ERR_IO : NS_OK;
}

void ns_outfile_abort(struct ns_outfile *o)
{
    if (o->f == stdout)
        fflush(stdout);
    else if (o->f != NULL)
        fclose(o->f);
    if (o->tmp != NULL)
        unlink(o->tmp);
    release(o);
}
