#include "cli/cli_scored.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

static enum ns_err score(struct cli_scored *s, struct history_index *h,
                         struct ns_error *err)
{
    const struct table *t = s->t;
    size_t n = t->nrows ? t->nrows : 1;
    size_t nf = pipeline_nfeatures(bundle_pipeline(s->b));
    float *X = malloc(n * nf * sizeof(float));
    struct bundle_score *sc = malloc(n * sizeof(*sc));
    enum ns_err rc = NS_OK;

    s->p = malloc(n * sizeof(double));
    if (X == NULL || sc == NULL || s->p == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = pipeline_table(bundle_pipeline(s->b), t, NULL, 0, h, X, NULL, err);
    if (rc == NS_OK)
        rc = bundle_score_matrix(s->b, X, t->nrows, sc, err);
    for (size_t i = 0; rc == NS_OK && i < t->nrows; i++) {
        s->p[i] = sc[i].probability;
        s->labelled += t->label[i] >= 0;
    }
out:
    free(X);
    free(sc);
    return rc;
}

enum ns_err cli_scored_load(const char *model, const char *data,
                            const char *past, struct cli_scored *s,
                            struct ns_error *err)
{
    struct history_index *h = NULL;
    enum ns_err rc;

    memset(s, 0, sizeof(*s));
    rc = bundle_load(model, &s->b, err);
    if (rc == NS_OK)
        rc = cli_load_labelled(data, NULL, bundle_schema(s->b), NULL, false,
                               &s->t, NULL, err);
    if (rc == NS_OK)
        rc = cli_build_history(bundle_pipeline(s->b), bundle_schema(s->b),
                               past, s->t, &h, err);
    if (rc == NS_OK)
        rc = score(s, h, err);
    history_index_free(h);
    return rc;
}

enum ns_err cli_scored_column(const struct cli_scored *s, const char *col,
                              int *out, struct ns_error *err)
{
    const struct schema *sc = bundle_schema(s->b);

    for (size_t i = 0; i < sc->ncols; i++) {
        if (strcasecmp(sc->cols[i].name, col) != 0)
            continue;
        if (s->t->cat[i] == NULL)
            return ns_error_field(err, NS_ERR_INVALID, col, "column '%s' "
                                  "is %s, not categorical; expected a "
                                  "column of names such as a specialty",
                                  col, schema_role_name(sc->cols[i].role));
        *out = (int)i;
        return NS_OK;
    }
    return ns_error_field(err, NS_ERR_INVALID, col, "the model's schema "
                          "'%s' has no column '%s'; name a categorical "
                          "column (for instance Neighbourhood)", sc->name,
                          col);
}

enum ns_err cli_scored_day(const struct cli_scored *s, int32_t day, int col,
                           const char *value, size_t **rows, size_t *n,
                           struct ns_error *err)
{
    const struct table *t = s->t;
    uint32_t want = 0;
    bool known = col < 0 || table_find(t, value, &want);

    *n = 0;
    *rows = malloc((t->nrows ? t->nrows : 1) * sizeof(**rows));
    if (*rows == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; known && i < t->nrows; i++) {
        if (t->appt_day[i] != day || (col >= 0 && t->cat[col][i] != want))
            continue;
        (*rows)[(*n)++] = i;
    }
    return NS_OK;
}

/* FNV-1a, 64 bits: stable across runs and machines. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t cli_scored_key(const struct cli_scored *s, size_t i)
{
    char line[32];

    if (s->t->appt_id[i] != 0)
        return fnv1a(table_str(s->t, s->t->appt_id[i]));
    snprintf(line, sizeof(line), "line:%ld", s->t->line[i]);
    return fnv1a(line);
}

int cli_emit_json(json_t *j)
{
    if (j == NULL) {
        fprintf(stderr, "noshow: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    cli_print_json(j);
    json_decref(j);
    return CLI_EXIT_OK;
}

void cli_scored_free(struct cli_scored *s)
{
    if (s == NULL)
        return;
    free(s->p);
    table_free(s->t);
    bundle_free(s->b);
    memset(s, 0, sizeof(*s));
}
