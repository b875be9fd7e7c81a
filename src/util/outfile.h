/* An output file that appears whole or not at all: what is written goes
 * to a temporary file beside the path, renamed over it on commit, so a
 * run that fails half-way leaves the path as it was. Standard output
 * ("-") and paths that are not regular files (/dev/null, a pipe) cannot
 * be replaced and are written in place. */
#ifndef NS_OUTFILE_H
#define NS_OUTFILE_H

#include <stdio.h>

#include "util/err.h"

struct ns_outfile {
    FILE *f;        /* write here; NULL once committed or aborted */
    char *path;     /* owned copy of the path given */
    char *tmp;      /* owned; NULL when written in place */
};

#define NS_OUTFILE_INIT {NULL, NULL, NULL}

/* Opens path ("-": standard output) for writing. The file gets the mode
 * fopen() would give it (0666 less the umask). NS_ERR_IO names the path
 * and the reason. */
NS_MUST_CHECK enum ns_err ns_outfile_open(struct ns_outfile *o,
                                          const char *path,
                                          struct ns_error *err);

/* Flushes the data to the disk and puts the file in place. On failure
 * the temporary file is removed and the path is left as it was. */
NS_MUST_CHECK enum ns_err ns_outfile_commit(struct ns_outfile *o,
                                            struct ns_error *err);

/* Drops what was written: the temporary file is removed (a file written
 * in place stays as it is). Does nothing after a commit, or on an
 * outfile never opened. */
void ns_outfile_abort(struct ns_outfile *o);

#endif
