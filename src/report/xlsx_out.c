#include "report/xlsx_out.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

struct xlsx_out {
    char *path;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *pct;
    lxw_format *band[3];        /* low, medium, high */
    size_t ncols;
    int prob_col, risk_col;
    size_t rows;
};

static const char *const band_names[3] = {"low", "medium", "high"};
/* Excel's own "good", "neutral" and "bad" cell styles. */
static const lxw_color_t band_bg[3] = {0xC6EFCE, 0xFFEB9C, 0xFFC7CE};
static const lxw_color_t band_fg[3] = {0x006100, 0x9C5700, 0x9C0006};

/* The first column named want or ending with it ("no_show_probability"
 * for "probability"), or -1. */
static int find_name(const char *const *names, size_t n, const char *want)
{
    size_t wl = strlen(want);

    for (size_t i = 0; i < n; i++) {
        size_t len = names[i] ? strlen(names[i]) : 0;

        if (len >= wl && strcmp(names[i] + len - wl, want) == 0)
            return (int)i;
    }
    return -1;
}

static enum ns_err lib_error(struct ns_error *err, const struct xlsx_out *w,
                             const char *what, lxw_error e)
{
    return ns_error_set(err, NS_ERR_LIB, "%s: %s failed: %s", w->path, what,
                        lxw_strerror(e));
}

static enum ns_err make_formats(struct xlsx_out *w, struct ns_error *err)
{
    w->bold = workbook_add_format(w->wb);
    w->pct = workbook_add_format(w->wb);
    if (w->bold == NULL || w->pct == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for "
                            "cell formats", w->path);
    format_set_bold(w->bold);
    format_set_num_format(w->pct, "0.0%");
    for (int i = 0; i < 3; i++) {
        w->band[i] = workbook_add_format(w->wb);
        if (w->band[i] == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for "
                                "cell formats", w->path);
        format_set_bg_color(w->band[i], band_bg[i]);
        format_set_font_color(w->band[i], band_fg[i]);
    }
    return NS_OK;
}

static enum ns_err write_header(struct xlsx_out *w, const char *const *names,
                                struct ns_error *err)
{
    lxw_error e;

    for (size_t j = 0; j < w->ncols; j++) {
        e = worksheet_write_string(w->ws, 0, (lxw_col_t)j,
                                   names[j] ? names[j] : "", w->bold);
        if (e != LXW_NO_ERROR)
            return lib_error(err, w, "writing the header", e);
    }
    worksheet_freeze_panes(w->ws, 1, 0);
    e = worksheet_set_column(w->ws, 0, (lxw_col_t)(w->ncols - 1), 14, NULL);
    if (e != LXW_NO_ERROR)
        return lib_error(err, w, "laying out the sheet", e);
    return NS_OK;
}

/* libxlsxwriter creates the file only when the workbook is closed; a
 * path that cannot be written should fail before any row is scored. */
static enum ns_err probe_path(const char *path, struct ns_error *err)
{
    FILE *f = fopen(path, "wb");
    int e;

    if (f == NULL) {
        e = errno;
        return ns_error_set(err, NS_ERR_IO, "%s: cannot create the "
                            "workbook: %s", path, strerror(e));
    }
    fclose(f);
    return NS_OK;
}

static void discard(struct xlsx_out *w)
{
    if (w == NULL)
        return;
    /* Closing is the only way libxlsxwriter frees a workbook; the file
     * it leaves behind is removed. */
    if (w->wb) {
        workbook_close(w->wb);
        remove(w->path);
    }
    free(w->path);
    free(w);
}

enum ns_err xlsx_out_open(const char *path, const char *const *names,
                          size_t n, const struct xlsx_out_opts *opts,
                          struct xlsx_out **out, struct ns_error *err)
{
    lxw_workbook_options lo = {.constant_memory = LXW_TRUE};
    const char *sheet = opts && opts->sheet ? opts->sheet : "predictions";
    struct xlsx_out *w = calloc(1, sizeof(*w));
    enum ns_err rc;
    lxw_error e;

    *out = NULL;
    if (w == NULL || (w->path = strdup(path)) == NULL) {
        free(w);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    }
    if (n == 0 || n > LXW_COL_MAX) {
        rc = ns_error_set(err, NS_ERR_INVALID, "%s: %zu columns; expected "
                          "1 to %d", path, n, (int)LXW_COL_MAX);
        goto fail;
    }
    w->ncols = n;
    w->prob_col = opts ? opts->prob_col : find_name(names, n, "probability");
    w->risk_col = opts ? opts->risk_col : find_name(names, n, "risk_band");
    rc = probe_path(path, err);
    if (rc != NS_OK)
        goto fail;
    w->wb = workbook_new_opt(path, &lo);
    if (w->wb == NULL) {
        rc = ns_error_set(err, NS_ERR_LIB, "%s: cannot start the workbook "
                          "(temporary file or memory)", path);
        goto fail;
    }
    e = workbook_validate_sheet_name(w->wb, sheet);
    if (e != LXW_NO_ERROR) {
        rc = ns_error_set(err, NS_ERR_INVALID, "%s: sheet name '%s' "
                          "refused: %s", path, sheet, lxw_strerror(e));
        goto fail;
    }
    w->ws = workbook_add_worksheet(w->wb, sheet);
    if (w->ws == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for the "
                          "sheet", path);
        goto fail;
    }
    rc = make_formats(w, err);
    if (rc == NS_OK)
        rc = write_header(w, names, err);
    if (rc != NS_OK)
        goto fail;
    *out = w;
    return NS_OK;
fail:
    discard(w);
    return rc;
}

enum ns_err xlsx_out_row(struct xlsx_out *w, const char *const *cells,
                         const double *nums, struct ns_error *err)
{
    lxw_row_t row = (lxw_row_t)(w->rows + 1);
    lxw_error e = LXW_NO_ERROR;

    if (w->rows >= XLSX_OUT_MAX_ROWS)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "%s: row %zu does not "
                            "fit; a sheet holds at most %u data rows "
                            "(write CSV instead)", w->path, w->rows + 1,
                            XLSX_OUT_MAX_ROWS);
    for (size_t j = 0; j < w->ncols && e == LXW_NO_ERROR; j++) {
        lxw_col_t c = (lxw_col_t)j;

        if (nums && !isnan(nums[j]))
            e = worksheet_write_number(w->ws, row, c, nums[j],
                                       (int)j == w->prob_col ? w->pct
                                                             : NULL);
        else if (cells && cells[j] && cells[j][0])
            e = worksheet_write_string(w->ws, row, c, cells[j], NULL);
    }
    if (e != LXW_NO_ERROR)
        return ns_error_set(err, NS_ERR_LIB, "%s: writing row %zu failed: "
                            "%s", w->path, w->rows + 1, lxw_strerror(e));
    w->rows++;
    return NS_OK;
}

size_t xlsx_out_rows(const struct xlsx_out *w)
{
    return w->rows;
}

/* One conditional format per band over the data rows of the risk column:
 * Excel recolours the cells if a user edits a band. */
static enum ns_err add_band_colours(struct xlsx_out *w, struct ns_error *err)
{
    lxw_col_t c = (lxw_col_t)w->risk_col;
    char quoted[16];

    if (w->risk_col < 0 || (size_t)w->risk_col >= w->ncols || w->rows == 0)
        return NS_OK;
    for (int i = 0; i < 3; i++) {
        lxw_conditional_format cf = {0};
        lxw_error e;

        snprintf(quoted, sizeof(quoted), "\"%s\"", band_names[i]);
        cf.type = LXW_CONDITIONAL_TYPE_CELL;
        cf.criteria = LXW_CONDITIONAL_CRITERIA_EQUAL_TO;
        cf.value_string = quoted;
        cf.format = w->band[i];
        e = worksheet_conditional_format_range(w->ws, 1, c,
                                               (lxw_row_t)w->rows, c, &cf);
        if (e != LXW_NO_ERROR)
            return lib_error(err, w, "colouring the risk bands", e);
    }
    return NS_OK;
}

enum ns_err xlsx_out_close(struct xlsx_out *w, struct ns_error *err)
{
    enum ns_err rc;
    lxw_error e;

    if (w == NULL)
        return NS_OK;
    rc = add_band_colours(w, err);
    e = workbook_close(w->wb);
    w->wb = NULL;
    if (e != LXW_NO_ERROR && rc == NS_OK)
        rc = lib_error(err, w, "writing the workbook", e);
    free(w->path);
    free(w);
    return rc;
}
