/* Reference histograms at training time, bin counters while serving,
 * PSI between them. */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/drift.h"

#define NBINS_MAX (DRIFT_MAX_BINS + DRIFT_MAX_VALUES + 2)
#define PSI_FLOOR 1e-4

enum { KIND_NUMERIC = 0, KIND_CATEGORICAL };

struct feat {
    char name[64];
    int col;
    int kind;
    size_t nedges;
    double edges[DRIFT_MAX_BINS];
    size_t nvalues;
    char *values[DRIFT_MAX_VALUES];
    size_t nbins;               /* edges + 1 or values + 1, + missing */
    double ref[NBINS_MAX];
    atomic_long cnt[NBINS_MAX];
};

struct drift {
    struct feat *f;
    size_t n;
    atomic_long rows;
};

static enum ns_err nomem(struct ns_error *err)
{
    return ns_error_set(err, NS_ERR_NOMEM, "drift: out of memory");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* ---- reference ----------------------------------------------------- */

static size_t numeric_bin(const double *edges, size_t nedges, double v)
{
    size_t i = 0;

    while (i < nedges && v > edges[i])
        i++;
    return i;
}

static json_t *p_array(const double *cnt, size_t nbins, size_t total)
{
    json_t *p = json_array();

    for (size_t i = 0; p && i < nbins; i++) {
        if (json_array_append_new(p, json_real(total ? cnt[i] / (double)
                                                   total : 0))) {
            json_decref(p);
            return NULL;
        }
    }
    return p;
}

static json_t *numeric_ref(const struct table *t, int c, const size_t *rows,
                           size_t n, double *v)
{
    double edges[DRIFT_MAX_BINS], cnt[NBINS_MAX] = {0};
    size_t m = 0, ne = 0;
    json_t *je = json_array();

    for (size_t i = 0; i < n; i++) {
        float x = t->num[c][rows ? rows[i] : i];

        if (!isnan(x))
            v[m++] = x;
    }
    qsort(v, m, sizeof(double), cmp_double);
    for (size_t k = 1; m && k < DRIFT_MAX_BINS; k++) {
        double q = v[(m - 1) * k / DRIFT_MAX_BINS];

        if (ne == 0 || q > edges[ne - 1])
            edges[ne++] = q;
    }
    for (size_t i = 0; i < n; i++) {
        float x = t->num[c][rows ? rows[i] : i];

        cnt[isnan(x) ? ne + 1 : numeric_bin(edges, ne, x)] += 1;
    }
    for (size_t i = 0; je && i < ne; i++)
        json_array_append_new(je, json_real(edges[i]));
    return json_pack("{s:s, s:s, s:o, s:o}", "name",
                     t->schema->cols[c].name, "kind", "numeric", "edges",
                     je, "p", p_array(cnt, ne + 2, n));
}

struct top {
    uint32_t id;
    size_t n;
};

static int cmp_top(const void *a, const void *b)
{
    const struct top *x = a;
    const struct top *y = b;

    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The most frequent values by name, then "other", then missing. */
static json_t *categorical_ref(const struct table *t, int c,
                               const size_t *rows, size_t n)
{
    size_t ns = table_nstrings(t);
    struct top *tops = calloc(ns ? ns : 1, sizeof(*tops));
    double cnt[NBINS_MAX] = {0};
    size_t nv = 0, missing = 0;
    json_t *vals = json_array();
    json_t *j = NULL;

    if (tops == NULL || vals == NULL)
        goto out;
    for (size_t i = 0; i < ns; i++)
        tops[i].id = (uint32_t)i;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = t->cat[c][rows ? rows[i] : i];

        if (id == 0 || id >= ns)
            missing++;
        else
            tops[id].n++;
    }
    qsort(tops, ns, sizeof(*tops), cmp_top);
    while (nv < ns && nv < DRIFT_MAX_VALUES && tops[nv].n > 0) {
        json_array_append_new(vals, json_string(table_str(t, tops[nv].id)));
        cnt[nv] = (double)tops[nv].n;
        nv++;
    }
    for (size_t i = nv; i < ns; i++)
        cnt[nv] += (double)tops[i].n;
    cnt[nv + 1] = (double)missing;
    j = json_pack("{s:s, s:s, s:O, s:o}", "name", t->schema->cols[c].name,
                  "kind", "categorical", "values", vals, "p",
                  p_array(cnt, nv + 2, n));
out:
    json_decref(vals);
    free(tops);
    return j;
}

enum ns_err drift_reference(const struct table *t, const size_t *rows,
                            size_t n, json_t **out, struct ns_error *err)
{
    const struct schema *s = t->schema;
    json_t *feats = json_array();
    double *v = NULL;
    enum ns_err rc = NS_OK;

    *out = NULL;
    if (rows == NULL)
        n = t->nrows;
    v = malloc((n ? n : 1) * sizeof(double));
    for (size_t c = 0; feats && v && c < s->ncols; c++) {
        enum schema_role r = s->cols[c].role;
        json_t *f = NULL;

        if ((r == ROLE_NUMERIC || r == ROLE_BINARY) && t->num[c])
            f = numeric_ref(t, (int)c, rows, n, v);
        else if (r == ROLE_CATEGORICAL && t->cat[c])
            f = categorical_ref(t, (int)c, rows, n);
        else
            continue;
        if (f == NULL || json_array_append_new(feats, f)) {
            rc = nomem(err);
            break;
        }
    }
    if (rc == NS_OK && (feats == NULL || v == NULL))
        rc = nomem(err);
    if (rc == NS_OK)
        *out = json_pack("{s:i, s:o}", "version", 1, "features", feats);
    else
        json_decref(feats);
    free(v);
    if (rc == NS_OK && *out == NULL)
        rc = nomem(err);
    return rc;
}

/* ---- counters ------------------------------------------------------ */

static enum ns_err parse_feat(const json_t *j, const struct schema *s,
                              struct feat *f, struct ns_error *err)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *kind = json_string_value(json_object_get(j, "kind"));
    const json_t *p = json_object_get(j, "p");
    const json_t *list;
    size_t nlist;

    if (name == NULL || kind == NULL || !json_is_array(p))
        return ns_error_set(err, NS_ERR_PARSE, "drift reference: a "
                            "feature lacks 'name', 'kind' or 'p'");
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->col = schema_find_name(s, name);
    f->kind = strcmp(kind, "categorical") == 0 ? KIND_CATEGORICAL
                                               : KIND_NUMERIC;
    list = json_object_get(j, f->kind == KIND_NUMERIC ? "edges" : "values");
    nlist = json_array_size(list);
    if (nlist > (f->kind == KIND_NUMERIC ? DRIFT_MAX_BINS
                                         : DRIFT_MAX_VALUES)
        || json_array_size(p) != nlist + 2)
        return ns_error_set(err, NS_ERR_PARSE, "drift reference: feature "
                            "'%s' has %zu bins for %zu cut points or "
                            "values; expected 2 more", name,
                            json_array_size(p), nlist);
    f->nbins = nlist + 2;
    for (size_t i = 0; i < nlist; i++) {
        const json_t *e = json_array_get(list, i);

        if (f->kind == KIND_NUMERIC) {
            f->edges[i] = json_number_value(e);
        } else {
            f->values[i] = strdup(json_string_value(e) ? json_string_value(e)
                                                        : "");
            if (f->values[i] == NULL)
                return nomem(err);
            f->nvalues = i + 1;
        }
    }
    f->nedges = f->kind == KIND_NUMERIC ? nlist : 0;
    for (size_t i = 0; i < f->nbins; i++) {
        f->ref[i] = json_number_value(json_array_get(p, i));
        atomic_init(&f->cnt[i], 0);
    }
    return NS_OK;
}

enum ns_err drift_new(const json_t *ref, const struct schema *s,
                      struct drift **out, struct ns_error *err)
{
    const json_t *feats = json_object_get(ref, "features");
    struct drift *d = calloc(1, sizeof(*d));
    enum ns_err rc = NS_OK;

    *out = NULL;
    if (d == NULL)
        return nomem(err);
    atomic_init(&d->rows, 0);
    d->f = calloc(json_array_size(feats) + 1, sizeof(*d->f));
    if (d->f == NULL) {
        drift_free(d);
        return nomem(err);
    }
    for (size_t i = 0; i < json_array_size(feats); i++) {
        rc = parse_feat(json_array_get(feats, i), s, &d->f[d->n], err);
        if (rc != NS_OK)
            break;
        if (d->f[d->n].col >= 0) {
            d->n++;
            continue;
        }
        /* A column the schema no longer has: the slot is reused. */
        for (size_t k = 0; k < d->f[d->n].nvalues; k++)
            free(d->f[d->n].values[k]);
        memset(&d->f[d->n], 0, sizeof(d->f[d->n]));
    }
    if (rc != NS_OK) {
        d->n++;
        drift_free(d);
        return rc;
    }
    *out = d;
    return NS_OK;
}

static size_t bin_of(const struct feat *f, const struct record *r)
{
    if (f->kind == KIND_NUMERIC) {
        double v = r->num[f->col];

        return isnan(v) ? f->nbins - 1 : numeric_bin(f->edges, f->nedges,
                                                     v);
    }
    if (r->text[f->col] == NULL)
        return f->nbins - 1;
    for (size_t i = 0; i < f->nvalues; i++) {
        if (strcmp(f->values[i], r->text[f->col]) == 0)
            return i;
    }
    return f->nvalues;
}

void drift_add(struct drift *d, const struct record *r)
{
    for (size_t i = 0; i < d->n; i++)
        atomic_fetch_add(&d->f[i].cnt[bin_of(&d->f[i], r)], 1);
    atomic_fetch_add(&d->rows, 1);
}

size_t drift_rows(const struct drift *d)
{
    return (size_t)atomic_load(&((struct drift *)d)->rows);
}

static double psi_of(const struct feat *f)
{
    double total = 0, psi = 0;
    long c[NBINS_MAX];

    for (size_t i = 0; i < f->nbins; i++) {
        c[i] = atomic_load(&((struct feat *)f)->cnt[i]);
        total += (double)c[i];
    }
    if (total < DRIFT_MIN_ROWS)
        return NAN;
    for (size_t i = 0; i < f->nbins; i++) {
        double a = fmax((double)c[i] / total, PSI_FLOOR);
        double e = fmax(f->ref[i], PSI_FLOOR);

        psi += (a - e) * log(a / e);
    }
    return psi;
}

bool drift_feature_psi(const struct drift *d, size_t i, const char **name,
                       double *psi)
{
    if (d == NULL || i >= d->n)
        return false;
    *name = d->f[i].name;
    *psi = psi_of(&d->f[i]);
    return true;
}

json_t *drift_report(const struct drift *d)
{
    json_t *feats = json_array();
    const char *name;
    double psi;

    for (size_t i = 0; feats && drift_feature_psi(d, i, &name, &psi); i++) {
        json_t *f = json_pack("{s:s, s:o, s:b}", "name", name, "psi",
                              isnan(psi) ? json_null() : json_real(psi),
                              "warning", !isnan(psi)
                                             && psi > DRIFT_PSI_WARN);

        if (f == NULL || json_array_append_new(feats, f)) {
            json_decref(feats);
            return NULL;
        }
    }
    return json_pack("{s:I, s:f, s:i, s:o}", "rows",
                     (json_int_t)(d ? drift_rows(d) : 0), "warn_above",
                     DRIFT_PSI_WARN, "min_rows", DRIFT_MIN_ROWS, "features",
                     feats);
}

void drift_free(struct drift *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; d->f && i < d->n; i++) {
        for (size_t k = 0; k < d->f[i].nvalues; k++)
            free(d->f[i].values[k]);
    }
    free(d->f);
    free(d);
}
