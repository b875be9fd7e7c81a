/* Per-version, per-week performance from the labelled bookings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/monitor.h"
#include "model/metrics.h"
#include "util/timeutil.h"

#define MONITOR_MAX_VERSIONS 256

struct row {
    int version;                /* index into versions */
    int32_t week;               /* its Monday */
    double p;
    float y;
};

struct collect {
    char *versions[MONITOR_MAX_VERSIONS];
    int nversions;
    struct row *rows;
    size_t n, cap;
};

static int version_index(struct collect *c, const char *v)
{
    for (int i = 0; i < c->nversions; i++) {
        if (strcmp(c->versions[i], v) == 0)
            return i;
    }
    if (c->nversions == MONITOR_MAX_VERSIONS)
        return -1;
    c->versions[c->nversions] = strdup(v);
    return c->versions[c->nversions] ? c->nversions++ : -2;
}

static enum ns_err add(void *ctx, const struct store_train_row *r,
                       struct ns_error *err)
{
    struct collect *c = ctx;
    int v;

    if (r->label < 0 || isnan(r->risk) || r->model_version == NULL)
        return NS_OK;
    v = version_index(c, r->model_version);
    /* LIMITATION: at most MONITOR_MAX_VERSIONS model versions are
     * reported; bookings scored by further versions are left out of the
     * monitoring until older bookings are archived. */
    if (v == -1)
        return NS_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        struct row *g = realloc(c->rows, cap * sizeof(*g));

        if (g == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "monitor: out of "
                                "memory");
        c->rows = g;
        c->cap = cap;
    }
    if (v < 0)
        return ns_error_set(err, NS_ERR_NOMEM, "monitor: out of memory");
    c->rows[c->n].version = v;
    c->rows[c->n].week = r->appt_day - ns_weekday(r->appt_day);
    c->rows[c->n].p = r->risk;
    c->rows[c->n].y = (float)r->label;
    c->n++;
    return NS_OK;
}

static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a;
    const struct row *y = b;

    if (x->version != y->version)
        return x->version - y->version;
    return (x->week > y->week) - (x->week < y->week);
}

/* The numbers of rows[0..n). */
static json_t *group_json(const struct row *rows, size_t n, double *p,
                          float *y)
{
    double auc = NAN, obs = 0, pred = 0;

    for (size_t i = 0; i < n; i++) {
        p[i] = rows[i].p;
        y[i] = rows[i].y;
        obs += y[i];
        pred += p[i];
    }
    if (metrics_roc_auc(p, y, n, &auc, NULL) != NS_OK)
        auc = NAN;
    return json_pack("{s:I, s:o, s:f, s:f, s:f}", "rows", (json_int_t)n,
                     "roc_auc", isnan(auc) ? json_null() : json_real(auc),
                     "brier", metrics_brier(p, y, n), "observed_rate",
                     obs / (double)n, "predicted_rate", pred / (double)n);
}

/* One version's object with its weeks; rows sorted by week. */
static json_t *version_json(const char *name, const struct row *rows,
                            size_t n, double *p, float *y)
{
    json_t *v = group_json(rows, n, p, y);
    json_t *weeks = json_array();
    size_t i = 0;

    if (v == NULL || weeks == NULL
        || json_object_set_new(v, "model_version", json_string(name))) {
        json_decref(v);
        json_decref(weeks);
        return NULL;
    }
    while (i < n) {
        size_t k = i;
        char day[11];
        json_t *w;

        while (k < n && rows[k].week == rows[i].week)
            k++;
        ns_format_date(rows[i].week, day);
        w = group_json(rows + i, k - i, p, y);
        if (w == NULL || json_object_set_new(w, "week", json_string(day))
            || json_array_append_new(weeks, w)) {
            json_decref(v);
            json_decref(weeks);
            return NULL;
        }
        i = k;
    }
    json_object_set_new(v, "weeks", weeks);
    return v;
}

static json_t *report(struct collect *c)
{
    double *p = malloc((c->n + 1) * sizeof(double));
    float *y = malloc((c->n + 1) * sizeof(float));
    json_t *versions = json_array();
    size_t i = 0;

    if (p == NULL || y == NULL || versions == NULL)
        goto fail;
    if (c->n > 0)
        qsort(c->rows, c->n, sizeof(*c->rows), cmp_row);
    while (i < c->n) {
        size_t k = i;
        json_t *v;

        while (k < c->n && c->rows[k].version == c->rows[i].version)
            k++;
        v = version_json(c->versions[c->rows[i].version], c->rows + i,
                         k - i, p, y);
        if (v == NULL || json_array_append_new(versions, v))
            goto fail;
        i = k;
    }
    free(p);
    free(y);
    return json_pack("{s:o}", "versions", versions);
fail:
    free(p);
    free(y);
    json_decref(versions);
    return NULL;
}

enum ns_err monitor_performance(struct store *s, json_t **out,
                                struct ns_error *err)
{
    struct collect c = {0};
    enum ns_err rc;

    *out = NULL;
    /* LIMITATION: every labelled booking is read on each call, which
     * costs one pass over the appointments table. At millions of rows
     * the report should be computed incrementally (per week, as outcomes
     * arrive) and kept in the store. */
    rc = store_train_rows(s, 1, add, &c, err);
    if (rc == NS_OK) {
        *out = report(&c);
        if (*out == NULL)
            rc = ns_error_set(err, NS_ERR_NOMEM, "monitor: out of memory");
    }
    for (int i = 0; i < c.nversions; i++)
        free(c.versions[i]);
    free(c.rows);
    return rc;
}
