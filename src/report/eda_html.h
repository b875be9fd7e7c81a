/* The exploratory data report as one self-contained HTML file: tables,
 * a colour-scaled correlation table and charts drawn by Chart.js, whose
 * code is embedded in the binary and inlined into the page, so the file
 * opens offline and loads nothing from the network. Every string taken
 * from the data is escaped. */
#ifndef NS_EDA_HTML_H
#define NS_EDA_HTML_H

#include <stdio.h>

#include "report/eda_stats.h"
#include "util/err.h"

/* How many rejected rows the report shows at most. */
#define EDA_REJECT_SAMPLE 20

/* Rows dropped for one reason while cleaning. */
struct eda_reason {
    const char *key;            /* borrowed, e.g. "out_of_range" */
    size_t count;
};

/* Where the rows came from and what cleaning did to them. Every pointer
 * is borrowed for the duration of the write. */
struct eda_source {
    const char *file;           /* input name, shown in the title */
    const char *schema_name;
    size_t rows_read;           /* data rows in the file */
    size_t rows_kept;
    size_t nreasons;
    const struct eda_reason *reasons;
    bool dedup;                 /* exact duplicates were dropped */
    /* The first rejected rows: nfields header names, then nrows rows of
     * nfields cells each, row-major. nrows may be 0. */
    size_t nfields;
    const char *const *reject_header;
    size_t nrejects;
    const char *const *reject_cells;
    const char *generated_at;   /* e.g. "2026-12-03T19:00:00Z" */
};

/* Writes the report for finished statistics st to f. NS_ERR_IO (with
 * strerror) when writing fails; NS_ERR_INVALID when st is not finished. */
NS_MUST_CHECK enum ns_err eda_html_write(FILE *f, const struct eda_stats *st,
                                         const struct eda_source *src,
                                         struct ns_error *err);

/* Same, into a new file at path (replaced if it exists). */
NS_MUST_CHECK enum ns_err eda_html_write_file(const char *path,
                                              const struct eda_stats *st,
                                              const struct eda_source *src,
                                              struct ns_error *err);

/* Writes s with &, <, >, " and ' escaped for HTML text and attributes. */
void eda_html_escape(FILE *f, const char *s);

#endif
