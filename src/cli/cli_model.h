/* What the model commands (train, evaluate, predict) share: loading a
 * labelled file into a table with a clear word on dropped rows, and
 * printing a metrics report as a table or JSON. */
#ifndef NS_CLI_MODEL_H
#define NS_CLI_MODEL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "data/schema.h"
#include "data/table.h"
#include "features/history.h"
#include "features/pipeline.h"
#include "model/metrics.h"
#include "util/err.h"

/* Loads path with the schema given (a file path or a built-in name;
 * NULL detects from the header) or with schema_in when not NULL. Rows
 * whose label is spelled neither way are dropped and counted on stderr;
 * a file where every row is dropped so is an error. *schema_out (NULL
 * when schema_in was given) and *out are the caller's, freed with
 * schema_free() and table_free(). */
NS_MUST_CHECK enum ns_err cli_load_labelled(const char *path,
                                            const char *schema_arg,
                                            const struct schema *schema_in,
                                            const char *rejects,
                                            bool need_label,
                                            struct table **out,
                                            struct schema **schema_out,
                                            struct ns_error *err);

/* The history index of the rows of t: t alone (asked by string id), or
 * the labelled rows of the file past (read with schema s) plus t's. Left
 * NULL when p uses no history. Caller frees *out with
 * history_index_free(). */
NS_MUST_CHECK enum ns_err cli_build_history(const struct pipeline *p,
                                            const struct schema *s,
                                            const char *past,
                                            const struct table *t,
                                            struct history_index **out,
                                            struct ns_error *err);

/* Prints the report as a readable table to f. */
void cli_print_metrics(FILE *f, const struct metrics_report *m);

/* Adds the keys of metrics_to_json() to obj. Errors: NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err cli_metrics_into(json_t *obj,
                                           const struct metrics_report *m,
                                           struct ns_error *err);

/* Prints obj indented to stdout, with a final newline. */
void cli_print_json(const json_t *obj);

#endif
