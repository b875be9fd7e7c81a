/* Batch predictions as an Excel workbook, streamed row by row through
 * libxlsxwriter in constant-memory mode (memory stays flat whatever the
 * row count): a bold header row frozen above the data, numbers written
 * as numbers, the probability as a percentage, and the risk-band column
 * coloured by a conditional format (low green, medium amber, high red). */
#ifndef NS_XLSX_OUT_H
#define NS_XLSX_OUT_H

#include <stddef.h>

#include "util/err.h"

/* Data rows a sheet can hold: Excel's 1,048,576 rows minus the header. */
#define XLSX_OUT_MAX_ROWS 1048575u

struct xlsx_out_opts {
    int prob_col;           /* shown as a percentage; -1: none */
    int risk_col;           /* coloured by band; -1: none */
    const char *sheet;      /* sheet name; NULL: "predictions" */
};

struct xlsx_out;

/* Starts a workbook at path with one header row of n names (copied).
 * opts NULL finds the columns by the end of their names: "probability"
 * (e.g. "no_show_probability") and "risk_band".
 * The file is written by xlsx_out_close. Caller frees with
 * xlsx_out_close(). */
NS_MUST_CHECK enum ns_err xlsx_out_open(const char *path,
                                        const char *const *names, size_t n,
                                        const struct xlsx_out_opts *opts,
                                        struct xlsx_out **out,
                                        struct ns_error *err);

/* Appends one row of n cells. Cell j is the number nums[j] when nums is
 * given and nums[j] is not NaN, else the text cells[j] (blank when NULL or
 * empty). Both arrays are borrowed for the call; either may be NULL.
 * NS_ERR_TOO_LARGE past XLSX_OUT_MAX_ROWS rows; NS_ERR_LIB with
 * libxlsxwriter's text when a write fails. */
NS_MUST_CHECK enum ns_err xlsx_out_row(struct xlsx_out *w,
                                       const char *const *cells,
                                       const double *nums,
                                       struct ns_error *err);

/* Rows written so far, the header excluded. */
size_t xlsx_out_rows(const struct xlsx_out *w);

/* Adds the risk colours, writes the file and frees w (also on failure).
 * NS_ERR_LIB with libxlsxwriter's text when the file cannot be written.
 * Accepts NULL. */
NS_MUST_CHECK enum ns_err xlsx_out_close(struct xlsx_out *w,
                                         struct ns_error *err);

/* Converts a CSV file whose first row is the header into a workbook at
 * xlsx_path, streaming (memory stays flat). Cells of the columns named in
 * numeric (NULL-terminated; may be NULL) become numbers when their whole
 * text is one; every other cell stays text, so identifiers keep their
 * digits. Errors name the CSV position or libxlsxwriter's text. */
NS_MUST_CHECK enum ns_err xlsx_out_from_csv(const char *csv_path,
                                            const char *xlsx_path,
                                            const char *const *numeric,
                                            struct ns_error *err);

#endif
