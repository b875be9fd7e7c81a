#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"
#include "report/xlsx_out.h"

struct convert {
    struct csv_reader *rd;
    struct xlsx_out *w;
    size_t ncols;
    bool *is_num;       /* [ncols] */
    const char **cells; /* [ncols] */
    double *nums;       /* [ncols] */
};

static bool listed(const char *name, const char *const *names)
{
    for (size_t i = 0; names && names[i]; i++) {
        if (strcmp(name, names[i]) == 0)
            return true;
    }
    return false;
}

static double number_or_nan(const struct csv_field *f)
{
    char *end;
    double v;

    if (f->len == 0)
        return NAN;
    errno = 0;
    v = strtod(f->ptr, &end);
    if (errno != 0 || end != f->ptr + f->len || !isfinite(v))
        return NAN;
    return v;
}

static enum ns_err start(struct convert *c, const char *xlsx_path,
                         const char *const *numeric, struct ns_error *err)
{
    const struct csv_row *h;
    enum ns_err rc = csv_reader_next(c->rd, &h, err);

    if (rc == NS_DONE)
        return ns_error_set(err, NS_ERR_PARSE, "%s: empty file",
                            csv_reader_name(c->rd));
    if (rc != NS_OK)
        return rc;
    c->ncols = h->nfields;
    c->is_num = calloc(c->ncols, sizeof(*c->is_num));
    c->cells = calloc(c->ncols, sizeof(*c->cells));
    c->nums = calloc(c->ncols, sizeof(*c->nums));
    if (c->is_num == NULL || c->cells == NULL || c->nums == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "xlsx: out of memory");
    for (size_t j = 0; j < c->ncols; j++) {
        c->cells[j] = h->fields[j].ptr;
        c->is_num[j] = listed(h->fields[j].ptr, numeric);
    }
    return xlsx_out_open(xlsx_path, c->cells, c->ncols, NULL, &c->w, err);
}

static enum ns_err copy_rows(struct convert *c, struct ns_error *err)
{
    const struct csv_row *row;
    enum ns_err rc;

    while ((rc = csv_reader_next(c->rd, &row, err)) == NS_OK) {
        if (row->nfields != c->ncols)
            return ns_error_set(err, NS_ERR_PARSE, "%s:%ld: %zu fields; "
                                "expected %zu as in the header",
                                csv_reader_name(c->rd), row->line,
                                row->nfields, c->ncols);
        for (size_t j = 0; j < c->ncols; j++) {
            c->cells[j] = row->fields[j].ptr;
            c->nums[j] = c->is_num[j] ? number_or_nan(&row->fields[j])
                                      : NAN;
        }
        rc = xlsx_out_row(c->w, c->cells, c->nums, err);
        if (rc != NS_OK)
            return rc;
    }
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err xlsx_out_from_csv(const char *csv_path, const char *xlsx_path,
                              const char *const *numeric,
                              struct ns_error *err)
{
    struct convert c = {0};
    enum ns_err rc = csv_reader_open(csv_path, NULL, &c.rd, err);

    if (rc == NS_OK)
        rc = start(&c, xlsx_path, numeric, err);
    if (rc == NS_OK)
        rc = copy_rows(&c, err);

    /* Close even after a failure so the writer's memory is released; its
     * error only matters when everything before it went well. */
    if (c.w != NULL) {
        enum ns_err crc = xlsx_out_close(c.w, rc == NS_OK ? err : NULL);

        if (rc == NS_OK)
            rc = crc;
    }
    csv_reader_close(c.rd);
    free(c.is_num);
    free(c.cells);
    free(c.nums);
    return rc;
}
