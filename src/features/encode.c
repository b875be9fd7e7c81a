#include "features/encode.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

struct col_enc {
    char name[SCHEMA_NAME_MAX];     /* schema column name, for JSON */
    char **cats;                    /* [n] owned copies, code order */
    size_t n;
    struct ns_hmap *codes;          /* text -> code; NULL: not encoded */
};

struct encoders {
    size_t ncols;
    struct col_enc *cols;           /* [ncols], by schema column */
};

static enum ns_err encoders_alloc(const struct schema *s,
                                  struct encoders **out)
{
    struct encoders *e = calloc(1, sizeof(*e));

    *out = NULL;
    if (e == NULL)
        return NS_ERR_NOMEM;
    e->ncols = s->ncols;
    e->cols = calloc(s->ncols ? s->ncols : 1, sizeof(*e->cols));
    if (e->cols == NULL) {
        free(e);
        return NS_ERR_NOMEM;
    }
    for (size_t c = 0; c < s->ncols; c++)
        memcpy(e->cols[c].name, s->cols[c].name, SCHEMA_NAME_MAX);
    *out = e;
    return NS_OK;
}

/* Appends text as the next code of ce; a repeated text is refused so
 * that a code always names one category. */
static enum ns_err add_category(struct col_enc *ce, const char *text,
                                size_t cap)
{
    size_t len = strlen(text);
    char *copy;

    if (ns_hmap_get(ce->codes, text, len, NULL))
        return NS_ERR_CONFLICT;
    if (ce->n >= cap)
        return NS_ERR_INVALID;
    copy = malloc(len + 1);
    if (copy == NULL)
        return NS_ERR_NOMEM;
    memcpy(copy, text, len + 1);
    ce->cats[ce->n++] = copy;
    return ns_hmap_put(ce->codes, text, len, ce->n - 1);
}

static enum ns_err col_enc_init(struct col_enc *ce, size_t cap)
{
    ce->cats = calloc(cap ? cap : 1, sizeof(*ce->cats));
    ce->codes = ns_hmap_new(cap);
    if (ce->cats == NULL || ce->codes == NULL)
        return NS_ERR_NOMEM;
    return NS_OK;
}

struct seen {
    uint32_t id;
    uint32_t count;
    const char *text;   /* borrowed from the table */
};

/* Falling frequency, then byte order of the text: a stable numbering
 * that does not depend on the order of the rows. */
static int by_frequency(const void *a, const void *b)
{
    const struct seen *x = a;
    const struct seen *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

static enum ns_err fit_column(const struct table *t, int col,
                              const size_t *rows, size_t nrows,
                              uint32_t *counts, struct col_enc *ce)
{
    size_t nstr = table_nstrings(t);
    const uint32_t *ids = t->cat[col];
    struct seen *seen = NULL;
    size_t nseen = 0;
    enum ns_err rc = NS_ERR_NOMEM;

    memset(counts, 0, nstr * sizeof(*counts));
    for (size_t i = 0; i < nrows; i++)
        counts[ids[rows ? rows[i] : i]]++;
    for (size_t id = 1; id < nstr; id++)
        nseen += counts[id] > 0;
    seen = malloc((nseen ? nseen : 1) * sizeof(*seen));
    if (seen == NULL)
        goto out;
    nseen = 0;
    for (size_t id = 1; id < nstr; id++) {
        if (counts[id] > 0)
            seen[nseen++] = (struct seen){(uint32_t)id, counts[id],
                                          table_str(t, (uint32_t)id)};
    }
    qsort(seen, nseen, sizeof(*seen), by_frequency);
    if ((rc = col_enc_init(ce, nseen)) != NS_OK)
        goto out;
    for (size_t k = 0; k < nseen; k++) {
        if ((rc = add_category(ce, seen[k].text, nseen)) != NS_OK)
            goto out;
    }
out:
    free(seen);
    return rc;
}

enum ns_err encoders_fit(const struct table *t, const size_t *rows,
                         size_t nrows, struct encoders **out,
                         struct ns_error *err)
{
    const struct schema *s = t->schema;
    struct encoders *e = NULL;
    uint32_t *counts = NULL;
    enum ns_err rc;

    *out = NULL;
    if (rows == NULL)
        nrows = t->nrows;
    rc = encoders_alloc(s, &e);
    if (rc == NS_OK) {
        counts = malloc(table_nstrings(t) * sizeof(*counts));
        rc = counts ? NS_OK : NS_ERR_NOMEM;
    }
    for (size_t c = 0; rc == NS_OK && c < s->ncols; c++) {
        if (s->cols[c].role == ROLE_CATEGORICAL)
            rc = fit_column(t, (int)c, rows, nrows, counts, &e->cols[c]);
    }
    free(counts);
    if (rc != NS_OK) {
        encoders_free(e);
        return ns_error_set(err, rc, "encoders: out of memory while "
                            "counting the categories of %zu rows", nrows);
    }
    *out = e;
    return NS_OK;
}

double encoders_code(const struct encoders *e, int col, const char *value,
                     int *unknown)
{
    const struct col_enc *ce;
    uint64_t code;

    if (unknown)
        *unknown = 0;
    if (col < 0 || (size_t)col >= e->ncols || value == NULL ||
        value[0] == '\0')
        return NAN;
    ce = &e->cols[col];
    if (ce->codes == NULL)
        return NAN;
    if (ns_hmap_get(ce->codes, value, strlen(value), &code))
        return (double)code;
    if (unknown)
        *unknown = 1;
    return (double)ce->n;
}

size_t encoders_count(const struct encoders *e, int col)
{
    if (col < 0 || (size_t)col >= e->ncols)
        return 0;
    return e->cols[col].n;
}

const char *encoders_category(const struct encoders *e, int col, size_t k)
{
    if (col < 0 || (size_t)col >= e->ncols || k >= e->cols[col].n)
        return NULL;
    return e->cols[col].cats[k];
}

json_t *encoders_to_json(const struct encoders *e)
{
    json_t *obj = json_object();

    if (obj == NULL)
        return NULL;
    for (size_t c = 0; c < e->ncols; c++) {
        const struct col_enc *ce = &e->cols[c];
        json_t *arr;

        if (ce->codes == NULL)
            continue;
        arr = json_array();
        if (arr == NULL || json_object_set_new(obj, ce->name, arr) != 0)
            goto fail;
        for (size_t k = 0; k < ce->n; k++) {
            if (json_array_append_new(arr, json_string(ce->cats[k])) != 0)
                goto fail;
        }
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

static enum ns_err column_from_json(struct col_enc *ce, const json_t *arr,
                                    struct ns_error *err)
{
    size_t n = json_array_size(arr);
    enum ns_err rc;

    if (!json_is_array(arr))
        return ns_error_field(err, NS_ERR_PARSE, ce->name,
                              "encoders: field '%s' must be an array of "
                              "category strings", ce->name);
    if ((rc = col_enc_init(ce, n)) != NS_OK)
        return ns_error_set(err, rc, "encoders: out of memory");
    for (size_t k = 0; k < n; k++) {
        const char *text = json_string_value(json_array_get(arr, k));

        if (text == NULL || text[0] == '\0')
            return ns_error_field(err, NS_ERR_PARSE, ce->name,
                                  "encoders: field '%s' item %zu is not a "
                                  "non-empty string", ce->name, k);
        rc = add_category(ce, text, n);
        if (rc == NS_ERR_CONFLICT)
            return ns_error_field(err, NS_ERR_INVALID, ce->name,
                                  "encoders: field '%s' lists category "
                                  "'%s' twice; expected each once",
                                  ce->name, text);
        if (rc != NS_OK)
            return ns_error_set(err, rc, "encoders: out of memory");
    }
    return NS_OK;
}

static bool is_categorical(const struct schema *s, const char *name)
{
    int c = schema_find_name(s, name);

    return c >= 0 && s->cols[c].role == ROLE_CATEGORICAL;
}

/* Every key must be a categorical column of s. */
static enum ns_err check_keys(const struct schema *s, const json_t *j,
                              struct ns_error *err)
{
    const char *key;
    json_t *val;

    json_object_foreach((json_t *)j, key, val) {
        if (!is_categorical(s, key))
            return ns_error_field(err, NS_ERR_INVALID, key,
                                  "encoders: bundle has categories for "
                                  "'%s', which schema '%s' has not as a "
                                  "categorical column", key, s->name);
    }
    return NS_OK;
}

enum ns_err encoders_from_json(const struct schema *s, const json_t *j,
                               struct encoders **out, struct ns_error *err)
{
    struct encoders *e = NULL;
    enum ns_err rc;

    *out = NULL;
    if (!json_is_object(j))
        return ns_error_set(err, NS_ERR_PARSE, "encoders: expected a JSON "
                            "object of column name -> category list");
    if ((rc = check_keys(s, j, err)) != NS_OK)
        return rc;
    if (encoders_alloc(s, &e) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "encoders: out of memory");
    for (size_t c = 0; c < s->ncols; c++) {
        const json_t *arr;

        if (s->cols[c].role != ROLE_CATEGORICAL)
            continue;
        arr = json_object_get(j, s->cols[c].name);
        if (arr == NULL) {
            rc = ns_error_field(err, NS_ERR_INVALID, s->cols[c].name,
                                "encoders: bundle has no categories for "
                                "column '%s'; expected a list",
                                s->cols[c].name);
            goto out;
        }
        if ((rc = column_from_json(&e->cols[c], arr, err)) != NS_OK)
            goto out;
    }
    *out = e;
    return NS_OK;
out:
    encoders_free(e);
    return rc;
}

void encoders_free(struct encoders *e)
{
    if (e == NULL)
        return;
    for (size_t c = 0; c < e->ncols; c++) {
        struct col_enc *ce = &e->cols[c];

        for (size_t k = 0; ce->cats && k < ce->n; k++)
            free(ce->cats[k]);
        free(ce->cats);
        ns_hmap_free(ce->codes);
    }
    free(e->cols);
    free(e);
}
