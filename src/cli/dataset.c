#include "cli/dataset.h"

#include "cli/cli_model.h"
#include "model/explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum ns_err cli_dataset_load(const char *path, const char *spec,
                             const struct schema *schema, bool need_label,
                             struct cli_dataset *d, struct ns_error *err)
{
    struct table_load_opts o = {0};
    struct schema *detected = NULL;
    enum ns_err rc;

    memset(d, 0, sizeof(*d));
    if (schema == NULL && spec != NULL) {
        if ((rc = schema_from_spec(spec, &d->own_schema, err)) != NS_OK)
            return rc;
        schema = d->own_schema;
    }
    o.need_label = need_label;
    /* Duplicates are dropped where rows are learned from or scored as a
     * set; an explanation names a file row, which must stay there. */
    o.dedup = need_label;
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
                                 const char *past, struct ns_error *err)
{
    size_t n = d->t->nrows;
    enum ns_err rc = NS_OK;

    d->pipe = p;
    if (p == NULL && (rc = own_pipeline(d, fit, nfit, err)) != NS_OK)
        return rc;
    rc = cli_build_history(d->pipe, d->schema, past, d->t, &d->hist, err);
    if (rc != NS_OK)
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

enum ns_err cli_bundle_importance(struct bundle *b, const struct table *t,
                                  struct ns_error *err)
{
    const struct pipeline *p = bundle_pipeline(b);
    size_t n = t->nrows < CLI_IMPORTANCE_ROWS ? t->nrows
                                              : CLI_IMPORTANCE_ROWS;
    size_t *rows = malloc(n * sizeof(*rows) + 1);
    float *X = malloc(n * pipeline_nfeatures(p) * sizeof(float) + 1);
    struct history_index *h = NULL;
    struct explain_importance imp = {0};
    struct explain_ctx c;
    json_t *j = NULL;
    enum ns_err rc = NS_OK;

    if (rows == NULL || X == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = i * t->nrows / n;
    explain_ctx_of_bundle(b, &c);
    if (pipeline_uses_history(p))
        rc = history_index_from_table(t, &h, err);
    if (rc == NS_OK)
        rc = pipeline_table(p, t, rows, n, h, X, NULL, err);
    if (rc == NS_OK)
        rc = explain_importance_of(&c, X, n, &imp, err);
    if (rc == NS_OK && (j = explain_importance_json(&imp)) == NULL)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (rc == NS_OK)
        bundle_set_importance(b, j);
out:
    explain_importance_free(&imp);
    history_index_free(h);
    free(rows);
    free(X);
    return rc;
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
