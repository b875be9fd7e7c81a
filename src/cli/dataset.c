#include "cli/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static enum ns_err pick_schema(const char *spec, struct schema **out,
                               struct ns_error *err)
{
    for (const char *const *n = schema_builtin_names(); *n; n++) {
        if (strcmp(*n, spec) == 0)
            return schema_builtin(spec, out, err);
    }
    return schema_load_file(spec, out, err);
}

enum ns_err cli_dataset_load(const char *path, const char *spec,
                             const struct schema *schema, bool need_label,
                             struct cli_dataset *d, struct ns_error *err)
{
    struct table_load_opts o = {0};
    struct schema *detected = NULL;
    enum ns_err rc;

    memset(d, 0, sizeof(*d));
    if (schema == NULL && spec != NULL) {
        if ((rc = pick_schema(spec, &d->own_schema, err)) != NS_OK)
            return rc;
        schema = d->own_schema;
    }
    o.need_label = need_label;
    o.dedup = true;
    rc = table_load_csv(path, schema, &o, &d->t, &detected, &d->report,
                        err);
    if (detected)
        d->own_schema = detected;
    if (rc != NS_OK)
        return rc;
    d->schema = schema ? schema : d->own_schema;
    if (d->t->nrows == 0)
        return ns_error_set(err, NS_ERR_INVALID, "%s: no usable data rows "
                            "(%zu read, %zu kept): expected at least one",
                            path, d->report.rows_read,
                            d->report.rows_kept);
    d->y = malloc(d->t->nrows * sizeof(float));
    if (d->y == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory for the "
                            "labels of %zu rows", d->t->nrows);
    for (size_t i = 0; i < d->t->nrows; i++)
        d->y[i] = d->t->label[i] < 0 ? NAN : (float)d->t->label[i];
    return NS_OK;
}

static enum ns_err own_pipeline(struct cli_dataset *d, const size_t *fit,
                                size_t nfit, struct ns_error *err)
{
    static const struct pipeline_opts o = {true, true};
    enum ns_err rc = encoders_fit(d->t, fit, nfit, &d->own_enc, err);

    if (rc == NS_OK)
        rc = pipeline_new(d->schema, d->own_enc, &o, &d->own_pipe, err);
    d->pipe = d->own_pipe;
    return rc;
}

enum ns_err cli_dataset_features(struct cli_dataset *d,
                                 const struct pipeline *p,
                                 const size_t *fit, size_t nfit,
                                 struct ns_error *err)
{
    size_t n = d->t->nrows;
    enum ns_err rc = NS_OK;

    d->pipe = p;
    if (p == NULL && (rc = own_pipeline(d, fit, nfit, err)) != NS_OK)
        return rc;
    if (pipeline_uses_history(d->pipe) &&
        (rc = history_index_from_table(d->t, &d->hist, err)) != NS_OK)
        return rc;
    d->nf = pipeline_nfeatures(d->pipe);
    d->X = malloc(n * d->nf * sizeof(float) + 1);
    if (d->X == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory for the "
                            "features of %zu rows", n);
    return pipeline_table(d->pipe, d->t, NULL, n, d->hist, d->X, NULL,
                          err);
}

bool cli_dataset_categorical(const struct cli_dataset *d, size_t k)
{
    const struct feature *f = pipeline_feature(d->pipe, k);

    if (f->kind == FEAT_CATEGORY || f->kind == FEAT_SAME_DAY)
        return true;
    return f->kind == FEAT_NUMERIC &&
           d->schema->cols[f->col].role == ROLE_BINARY;
}

void cli_dataset_free(struct cli_dataset *d)
{
    if (d == NULL)
        return;
    free(d->X);
    free(d->y);
    history_index_free(d->hist);
    pipeline_free(d->own_pipe);
    encoders_free(d->own_enc);
    table_free(d->t);
    schema_free(d->own_schema);
    memset(d, 0, sizeof(*d));
}
