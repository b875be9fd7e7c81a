/* A CSV file scored by a model bundle, for the decision commands
 * (policy, actions, overbook, backtest): the cleaned table, each row's
 * calibrated no-show probability, and the rows of one day (optionally
 * one value of a grouping column such as a specialty). */
#ifndef NS_CLI_SCORED_H
#define NS_CLI_SCORED_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "data/table.h"
#include "model/bundle.h"
#include "util/err.h"

struct cli_scored {
    struct bundle *b;           /* owned */
    struct table *t;            /* owned; rows with or without outcome */
    double *p;                  /* [t->nrows]: calibrated probability */
    size_t labelled;            /* rows whose outcome is known */
};

/* Loads the bundle at model, the rows of data (outcome not required)
 * and scores them, history from past (may be NULL) and data itself.
 * Free s with cli_scored_free() whatever the result. */
NS_MUST_CHECK enum ns_err cli_scored_load(const char *model,
                                          const char *data,
                                          const char *past,
                                          struct cli_scored *s,
                                          struct ns_error *err);

/* The schema column named col (case-insensitive) holding categories, or
 * NS_ERR_INVALID naming it and listing why (absent, not categorical). */
NS_MUST_CHECK enum ns_err cli_scored_column(const struct cli_scored *s,
                                            const char *col, int *out,
                                            struct ns_error *err);

/* Indexes of the rows on day (and, when col >= 0, whose category in
 * column col is value). *rows: caller frees with free(); *n may be 0. */
NS_MUST_CHECK enum ns_err cli_scored_day(const struct cli_scored *s,
                                         int32_t day, int col,
                                         const char *value, size_t **rows,
                                         size_t *n, struct ns_error *err);

/* A stable 64-bit key of row i: a hash of its appointment id, or of its
 * file line when the file has none. */
uint64_t cli_scored_key(const struct cli_scored *s, size_t i);

/* Prints j indented to stdout and drops the reference; returns
 * CLI_EXIT_OK, or CLI_EXIT_FAIL with a message when j is NULL (a JSON
 * answer that could not be built: out of memory). Takes ownership of
 * j. */
int cli_emit_json(json_t *j);

void cli_scored_free(struct cli_scored *s);

#endif
