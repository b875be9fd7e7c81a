/* An in-memory, column-wise table of cleaned records, for the commands
 * that need every row at once (train, evaluate, compare, eda). Strings
 * (patient ids, categories) are interned once. */
#ifndef NS_TABLE_H
#define NS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/clean.h"
#include "data/record.h"
#include "data/schema.h"
#include "util/err.h"

struct table {
    const struct schema *schema;    /* borrowed */
    size_t nrows;
    long *line;
    int64_t *booked_at;
    int32_t *appt_day;
    int32_t *appt_time;
    int8_t *label;
    uint32_t *patient;      /* string id; 0 = none */
    uint32_t *appt_id;      /* string id; 0 = none */
    float **num;            /* [ncols]; NULL for non-numeric columns */
    uint32_t **cat;         /* [ncols]; NULL for non-categorical columns;
                               string id, 0 = missing */
    void *priv;             /* capacity and the string pool */
};

/* Caller frees with table_free(). schema is borrowed and must outlive the
 * table. */
NS_MUST_CHECK enum ns_err table_new(const struct schema *schema,
                                    struct table **out);

/* Copies r (and its strings) into a new row. Patient ids and categories
 * are interned (one copy per distinct text); appointment ids are stored
 * as they come, being unique. Column arrays grow geometrically, so
 * appending n rows costs O(n) amortised. NS_ERR_NOMEM leaves the table as
 * it was; NS_ERR_TOO_LARGE when the string pool passes 4 GiB. */
NS_MUST_CHECK enum ns_err table_append(struct table *t,
                                       const struct record *r);

/* Fills view (allocated by record_new for the same schema) with row i.
 * Strings are borrowed from the table: valid until the next table_append
 * or table_free. Numbers come back as stored (single precision). */
void table_row(const struct table *t, size_t i, struct record *view);

/* The text of an interned string id ("" for 0 and for ids out of range).
 * Borrowed: valid until the next table_append or table_free. */
const char *table_str(const struct table *t, uint32_t id);

/* Sets *id to the id of text s when the table holds it as a patient id
 * or category (appointment ids are not looked up); false otherwise. */
bool table_find(const struct table *t, const char *s, uint32_t *id);

/* Number of string ids handed out so far, counting id 0: every id in the
 * table is below it (encoders size their counters by it). */
size_t table_nstrings(const struct table *t);

void table_free(struct table *t);

struct table_load_opts {
    const char *schema_path;    /* NULL: built-in named below, or detect */
    const char *schema_name;    /* NULL: detect from the header */
    const char *rejects_path;   /* NULL: no rejects file */
    bool need_label;            /* rows without a target are dropped */
    bool dedup;                 /* drop exact duplicate rows */
    bool strict;                /* first bad row is an error */
    char sep;                   /* 0 detects */
};

/* Reads, cleans and stores a whole CSV file. *schema_out receives the
 * schema used (caller frees with schema_free, after the table, which
 * borrows it) unless schema_in is given, in which case that one is used
 * and *schema_out is set to NULL; with neither, NS_ERR_INVALID. o and
 * report may be NULL (defaults: all false; no report). The report counts
 * every data row: kept, or dropped with its reason, and each dropped row
 * goes to the rejects file when one is named.
 * Errors: structural CSV problems with the reader's "file:line:column:"
 * message; "FILE: empty file: expected a header line"; "FILE: no data
 * rows after the header"; a schema that cannot be found, parsed or bound
 * to the header; in strict mode the first dropped row, with the cleaner's
 * message (or "FILE:LINE: exact copy of an earlier row"); NS_ERR_IO when
 * the rejects file cannot be written. Caller frees *out with
 * table_free(). */
NS_MUST_CHECK enum ns_err table_load_csv(const char *path,
                                         const struct schema *schema_in,
                                         const struct table_load_opts *o,
                                         struct table **out,
                                         struct schema **schema_out,
                                         struct clean_report *report,
                                         struct ns_error *err);

#endif
