/* Unnamed temporary files in $TMPDIR (else /tmp), so that nothing is
 * left behind by a crash or a kill, and the user chooses the disk that
 * holds them. */
#ifndef NS_TMPFILE_H
#define NS_TMPFILE_H

#include <stdio.h>

#include "util/err.h"

/* A file descriptor open for reading and writing, or -1 with err set
 * (NS_ERR_IO, naming the directory). Caller closes it. */
int ns_tmp_fd(struct ns_error *err);

/* The same as a stream ("w+"), or NULL with err set. Caller fcloses. */
FILE *ns_tmp_file(struct ns_error *err);

#endif
