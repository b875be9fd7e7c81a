/* Streaming CSV reader on libcsv (RFC 4180: quoted fields, embedded
 * separators and line breaks, CRLF, a UTF-8 byte-order mark) and a small
 * writer. Memory stays bounded by the longest record, whatever the file
 * size. The separator is ',' or ';', detected from the first line unless
 * given. Every field is checked to be valid UTF-8. */
#ifndef NS_CSV_H
#define NS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/err.h"

/* Records longer than this are refused: a safeguard against a missing
 * closing quote swallowing the rest of a file, or a 2 GB line. */
#define CSV_DEFAULT_MAX_RECORD (1u << 20)

struct csv_field {
    const char *ptr;    /* NUL-terminated at ptr[len] */
    size_t len;
};

struct csv_row {
    long line;          /* 1-based physical line where the record starts */
    size_t nfields;
    /* Back to back in one buffer, each followed by its NUL: field i + 1
     * starts at fields[i].ptr + fields[i].len + 1. */
    const struct csv_field *fields;
    /* true when no field holds a quote, CR, LF or the separator, so the
     * row can be written back unquoted; false when unknown. */
    bool plain;
};

struct csv_opts {
    char sep;           /* ',' or ';'; 0 detects from the first line */
    size_t max_record;  /* bytes; 0 means CSV_DEFAULT_MAX_RECORD */
};

struct csv_reader;

/* Opens path ("-" reads standard input). The reader keeps the name for
 * messages. Caller frees with csv_reader_close(). */
NS_MUST_CHECK enum ns_err csv_reader_open(const char *path,
                                          const struct csv_opts *opts,
                                          struct csv_reader **out,
                                          struct ns_error *err);

/* Reads f from where it stands, naming it name in messages. f is
 * borrowed: the caller closes it after csv_reader_close(). */
NS_MUST_CHECK enum ns_err csv_reader_open_file(FILE *f, const char *name,
                                               const struct csv_opts *opts,
                                               struct csv_reader **out,
                                               struct ns_error *err);

/* Reads from memory (an upload, a test). data is borrowed: it must stay
 * valid until the reader is closed. name is copied, for messages. */
NS_MUST_CHECK enum ns_err csv_reader_open_mem(const char *data, size_t len,
                                              const char *name,
                                              const struct csv_opts *opts,
                                              struct csv_reader **out,
                                              struct ns_error *err);

/* Returns the next record (the header is the first one), NS_DONE at the
 * end, or an error whose message starts with "name:line:column:". The row
 * and its fields are borrowed: valid until the next call or close. Blank
 * lines are skipped. */
NS_MUST_CHECK enum ns_err csv_reader_next(struct csv_reader *r,
                                          const struct csv_row **row,
                                          struct ns_error *err);

char csv_reader_sep(const struct csv_reader *r);
const char *csv_reader_name(const struct csv_reader *r);
void csv_reader_close(struct csv_reader *r);

/* Appends one field to b, quoted when it holds the separator, a quote
 * or a line break (quotes doubled inside); NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err csv_put_field(struct ns_buf *b, char sep,
                                        const char *s, size_t len);

/* Writes one record, quoting fields that need it, ending with "\n".
 * Returns NS_ERR_IO when the stream fails. */
NS_MUST_CHECK enum ns_err csv_write_row(FILE *f, char sep,
                                        const struct csv_field *fields,
                                        size_t n);

/* Writes one field (quoted when needed) with no separator or newline. */
NS_MUST_CHECK enum ns_err csv_write_field(FILE *f, char sep, const char *s,
                                          size_t len);

#endif
