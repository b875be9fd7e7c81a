#include "features/catcount.h"

#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

/* Per column: value -> index into counts, so a value costs one lookup
 * once it has been seen. */
struct column {
    struct ns_hmap *index;
    uint64_t *counts;
    char **values;              /* by index, NUL-terminated copies */
    size_t cap;
};

struct catcount {
    const struct schema *s;
    struct column *cols;        /* [ncols]; index NULL for other columns */
};

struct entry {
    const char *key;            /* borrowed from the map */
    uint64_t count;
};

enum ns_err catcount_new(const struct schema *s, struct catcount **out,
                         struct ns_error *err)
{
    struct catcount *c;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    c->s = s;
    c->cols = calloc(s->ncols > 0 ? s->ncols : 1, sizeof(*c->cols));
    if (c->cols == NULL)
        goto nomem;
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->cols[i].role != ROLE_CATEGORICAL)
            continue;
        c->cols[i].index = ns_hmap_new(64);
        if (c->cols[i].index == NULL)
            goto nomem;
    }
    *out = c;
    return NS_OK;
nomem:
    catcount_free(c);
    return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
}

static enum ns_err count_new(struct column *col, const char *v,
                             size_t len)
{
    size_t k = ns_hmap_count(col->index);

    if (k == col->cap) {
        size_t cap = col->cap ? col->cap * 2 : 16;
        uint64_t *p = realloc(col->counts, cap * sizeof(*p));
        char **vals;

        if (p == NULL)
            return NS_ERR_NOMEM;
        col->counts = p;
        vals = realloc(col->values, cap * sizeof(*vals));
        if (vals == NULL)
            return NS_ERR_NOMEM;
        col->values = vals;
        col->cap = cap;
    }
    col->values[k] = strndup(v, len);
    if (col->values[k] == NULL)
        return NS_ERR_NOMEM;
    if (ns_hmap_put(col->index, v, len, k) != NS_OK) {
        free(col->values[k]);
        return NS_ERR_NOMEM;
    }
    col->counts[k] = 1;
    return NS_OK;
}

enum ns_err catcount_add(struct catcount *c, const struct record *r,
                         struct ns_error *err)
{
    return catcount_add_coded(c, r, NULL, err);
}

enum ns_err catcount_add_coded(struct catcount *c, const struct record *r,
                               uint32_t *codes, struct ns_error *err)
{
    size_t j = 0;

    for (size_t i = 0; i < c->s->ncols; i++) {
        struct column *col = &c->cols[i];
        const char *v = r->text[i];
        size_t len;
        uint64_t k;

        if (col->index == NULL)
            continue;
        if (codes)
            codes[j++] = CATCOUNT_NONE;
        if (v == NULL)
            continue;
        len = strlen(v);
        if (ns_hmap_get(col->index, v, len, &k))
            col->counts[k]++;
        else if ((k = ns_hmap_count(col->index)) > UINT32_MAX - 1 ||
                 count_new(col, v, len) != NS_OK)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        if (codes)
            codes[j - 1] = (uint32_t)k;
    }
    return NS_OK;
}

size_t catcount_columns(const struct catcount *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->s->ncols; i++)
        n += c->cols[i].index != NULL;
    return n;
}

void catcount_uncount(struct catcount *c, const uint32_t *codes)
{
    size_t j = 0;

    for (size_t i = 0; i < c->s->ncols; i++) {
        struct column *col = &c->cols[i];
        uint32_t k;

        if (col->index == NULL)
            continue;
        k = codes[j++];
        if (k != CATCOUNT_NONE && k < ns_hmap_count(col->index) &&
            col->counts[k] > 0)
            col->counts[k]--;
    }
}

/* Falling count, then name, so codes are stable across runs. */
static int by_count_then_name(const void *a, const void *b)
{
    const struct entry *x = a;
    const struct entry *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

static json_t *column_json(const struct column *col)
{
    const struct ns_hmap *m = col->index;
    size_t n = ns_hmap_count(m);
    struct entry *e = malloc((n > 0 ? n : 1) * sizeof(*e));
    json_t *arr = json_array();
    size_t pos = 0;
    size_t k = 0;
    const char *key;
    size_t len;
    uint64_t idx;

    if (e == NULL || arr == NULL)
        goto fail;
    while (k < n && ns_hmap_next(m, &pos, &key, &len, &idx)) {
        e[k].key = key;
        e[k].count = col->counts[idx];
        k++;
    }
    qsort(e, k, sizeof(*e), by_count_then_name);
    for (size_t i = 0; i < k; i++) {
        if (json_array_append_new(arr, json_string(e[i].key)) != 0)
            goto fail;
    }
    free(e);
    return arr;
fail:
    free(e);
    json_decref(arr);
    return NULL;
}

enum ns_err catcount_fit(const struct catcount *c, struct encoders **out,
                         struct ns_error *err)
{
    json_t *root = json_object();
    enum ns_err rc;

    *out = NULL;
    if (root == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->s->ncols; i++) {
        json_t *arr;

        if (c->cols[i].index == NULL)
            continue;
        arr = column_json(&c->cols[i]);
        if (arr == NULL ||
            json_object_set_new(root, c->s->cols[i].name, arr) != 0) {
            json_decref(root);
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        }
    }
    rc = encoders_from_json(c->s, root, out, err);
    json_decref(root);
    return rc;
}

const char *catcount_value(const struct catcount *c, size_t col,
                           uint32_t code)
{
    const struct column *k = col < c->s->ncols ? &c->cols[col] : NULL;

    if (k == NULL || k->index == NULL || code >= ns_hmap_count(k->index))
        return NULL;
    return k->values[code];
}

size_t catcount_ncodes(const struct catcount *c, size_t col)
{
    const struct column *k = col < c->s->ncols ? &c->cols[col] : NULL;

    return k == NULL || k->index == NULL ? 0 : ns_hmap_count(k->index);
}

void catcount_free(struct catcount *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; c->cols && i < c->s->ncols; i++) {
        for (size_t k = 0; c->cols[i].index &&
             k < ns_hmap_count(c->cols[i].index); k++)
            free(c->cols[i].values[k]);
        ns_hmap_free(c->cols[i].index);
        free(c->cols[i].counts);
        free(c->cols[i].values);
    }
    free(c->cols);
    free(c);
}
