/* The two passes of noshow clean (cli/cmd_clean.c), each spread over
 * the cores: this thread reads the CSV into batches of rows, two
 * workers check them (and, in pass 2, compute and format their
 * features), and a collector takes the batches back in file order for
 * what must stay in order: the counts and rowfate in pass 1, the
 * rejected rows and the output in pass 2 (util/stages.h). */
#ifndef NS_CLEAN_PASS_H
#define NS_CLEAN_PASS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "data/clean.h"
#include "data/schema.h"
#include "features/catcount.h"
#include "features/encode.h"
#include "features/pipeline.h"
#include "features/recstream.h"
#include "features/rowfate.h"
#include "util/err.h"

struct clean_args {
    const char *path;
    const char *schema;
    const char *rejects;
    const char *features;
    char sep;
    bool strict;
    bool json;
};

/* One run of noshow clean; everything in it is owned by the command. */
struct clean_job {
    struct clean_args a;
    FILE *copy;                 /* a pipe's or standard input's copy, or
                                   NULL: read the path */
    struct schema *schema;      /* pass 1 sets the schema, binding and */
    struct schema_binding *bind;    /* counter from the header */
    struct catcount *cc;
    struct rowfate *fate;
    bool keep_rows;             /* pass 1 keeps the clean rows in rows, */
    struct recstream *rows;     /* for pass 2's features */
    struct clean_report rep;    /* pass 1's counts, duplicates moved */
    struct clean_rejects *rj;   /* pass 2 writes dropped rows here */
    struct pipeline *pipe;      /* pass 2's features, with feat open */
    FILE *feat;
    long unknown_cats;          /* pass 2's unknown categories */
    atomic_bool stopped;        /* --strict: pass 1 met a bad row */
};

/* Pass 1: reads the header, picks the schema, checks every row, counts
 * categories, then finds duplicates and history (rowfate_finish()).
 * With --strict it stops reading at the first bad row. With keep_rows
 * the kept rows go to rows as well. */
NS_MUST_CHECK enum ns_err clean_pass_one(struct clean_job *j,
                                         struct ns_error *err);

/* Pass 2: reads the rows of pass 1 again; writes each dropped row to
 * j->rj (if open) and each kept row's features to j->feat (if open).
 * With --strict the first dropped row is the error returned. A file
 * that changed between the passes is an error. When pass 1 kept the
 * clean rows and nothing was dropped or is to be rejected, it reads
 * those instead of the file. */
NS_MUST_CHECK enum ns_err clean_pass_two(struct clean_job *j,
                                         struct ns_error *err);

#endif
