#include "util/tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ns_tmp_fd(struct ns_error *err)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd, e;

    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    /* File systems without O_TMPFILE: a named file, unlinked at once. */
    if (fd < 0) {
        snprintf(path, sizeof(path), "%s/noshow-tmp-XXXXXX", dir);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0)
            unlink(path);
    }
    if (fd >= 0)
        return fd;
    e = errno;
    ns_error_set(err, NS_ERR_IO, "%s: cannot create a temporary file: %s",
                 dir, strerror(e));
    return -1;
}

FILE *ns_tmp_file(struct ns_error *err)
{
    int fd = ns_tmp_fd(err);
    FILE *f;

    if (fd < 0)
        return NULL;
    f = fdopen(fd, "w+");
    if (f == NULL) {
        int e = errno;

        close(fd);
        ns_error_set(err, NS_ERR_IO, "temporary file: %s", strerror(e));
    }
    return f;
}
