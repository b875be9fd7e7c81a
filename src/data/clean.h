/* Cleaning: raw text values -> typed record, with a reason for every row
 * that is dropped, a report of the counts, duplicate detection and a
 * writer for the rejected rows.
 *
 * Policy: a value that cannot be parsed or is out of range drops the row
 * (counted, optionally written to a rejects file); only structural
 * problems of the file itself (see csv.h) stop a run. */
#ifndef NS_CLEAN_H
#define NS_CLEAN_H

#include <stdbool.h>
#include <stdio.h>

#include "data/csv.h"
#include "data/record.h"
#include "data/schema.h"
#include "util/err.h"

enum clean_reason {
    CLEAN_OK = 0,
    CLEAN_DUPLICATE,        /* exact copy of an earlier row */
    CLEAN_FIELD_COUNT,      /* more or fewer fields than the header */
    CLEAN_MISSING,          /* empty value where the schema says drop */
    CLEAN_BAD_VALUE,        /* not a number, not a date, bad spelling */
    CLEAN_OUT_OF_RANGE,     /* outside the schema's min..max */
    CLEAN_NEGATIVE_LEAD,    /* booked after the appointment day */
    CLEAN_BAD_LABEL,        /* target spelled neither way */
    CLEAN_NREASONS
};

struct clean_report {
    size_t rows_read;
    size_t rows_kept;
    size_t dropped[CLEAN_NREASONS];
};

/* Short stable key, e.g. "out_of_range" (used in JSON and rejects). */
const char *clean_reason_key(enum clean_reason r);

/* Converts one value per schema column (ptr NULL when the column is not in
 * the input) into r. Strings in r borrow from vals (and, for imputed
 * categories, from s): valid while both are. need_label makes an
 * absent or empty target a CLEAN_MISSING drop. On a bad row: returns
 * NS_ERR_INVALID, sets *reason, err->field to the column name and a
 * message "column 'Age': value 'abc' is not a number; expected an integer
 * from 0 to 115". */
NS_MUST_CHECK enum ns_err clean_values(const struct schema *s,
                                       const struct csv_field *vals,
                                       bool need_label, struct record *r,
                                       enum clean_reason *reason,
                                       struct ns_error *err);

/* The CSV form: checks the field count against the header, then calls
 * clean_values. The message is prefixed "file:line:column: ". */
NS_MUST_CHECK enum ns_err clean_csv_row(const struct schema *s,
                                        const struct schema_binding *b,
                                        const char *file,
                                        const struct csv_row *row,
                                        bool need_label, struct record *r,
                                        enum clean_reason *reason,
                                        struct ns_error *err);

void clean_report_add(struct clean_report *rep, enum clean_reason reason);

/* Prints "kept N of M rows; dropped: duplicate=.. missing=.." to f. */
void clean_report_print(const struct clean_report *rep, FILE *f);

/* Exact-duplicate detection over whole rows (128-bit hashes of the field
 * bytes; memory grows by 16 bytes per distinct row). */
struct clean_dedup;
struct clean_dedup *clean_dedup_new(void);
/* Sets *dup when an identical row was seen before; records it otherwise. */
NS_MUST_CHECK enum ns_err clean_dedup_check(struct clean_dedup *d,
                                            const struct csv_row *row,
                                            bool *dup);

void clean_dedup_free(struct clean_dedup *d);

/* A row's fingerprint, as the table keeps it. */
struct clean_fp {
    uint64_t a, b;  /* never (0, 0), which marks an empty slot */
};

/* The fingerprint clean_dedup_check() keeps for the row, without a table:
 * equal rows, equal fingerprints (and different rows almost surely
 * not), for callers that find duplicates on disk. */
struct clean_fp clean_row_fp(const struct csv_row *row);

/* A 128-bit fingerprint of the bytes p[0..len), with other seeds than
 * a row's: a key for grouping by a text (a patient id) on disk. */
struct clean_fp clean_text_fp(const char *p, size_t len);

/* A CSV of rejected rows: the original fields plus "reject_line",
 * "reject_reason" and "reject_detail" columns. */
struct clean_rejects;
NS_MUST_CHECK enum ns_err clean_rejects_open(const char *path,
                                             const struct csv_row *header,
                                             char sep,
                                             struct clean_rejects **out,
                                             struct ns_error *err);
NS_MUST_CHECK enum ns_err clean_rejects_write(struct clean_rejects *rj,
                                              const struct csv_row *row,
                                              enum clean_reason reason,
                                              const char *detail);
/* With keep, flushes the rows to the disk and puts the file in place
 * (until then they wait in a temporary file beside it: util/outfile.h);
 * NS_ERR_IO when they did not reach it. Without, drops them and leaves
 * the path as it was: for a run that failed. Accepts NULL. */
enum ns_err clean_rejects_close(struct clean_rejects *rj, bool keep);

#endif
