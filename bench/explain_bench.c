/* Explanations per second, in process, beside the Python reference's
 * Booster.predict(pred_contribs=True) on the same model and rows.
 *
 *   explain_bench REF_MODEL.json REF_X.f32 REF_CONTRIB.f32 NCOLS
 *                 [BUNDLE DATA.csv]
 *
 * REF_X.f32 holds the reference's feature rows (float32, row-major,
 * NCOLS a row) and REF_CONTRIB.f32 its contributions for them, both
 * written by bench/explain.sh. Part one loads the reference's model into
 * our XGBoost wrapper, checks our contributions against the reference's
 * and times exact TreeSHAP for one row (2,000 calls, one thread) and for
 * every row at once. Part two, with a noshow bundle and its data file,
 * times the whole explanation: contributions, grouping by input and the
 * plain-word reasons (explain_row), and from a raw record to JSON
 * (explain_record). Prints one "key=value" line per measurement. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/dataset.h"
#include "model/bundle.h"
#include "model/explain.h"
#include "model/xgb.h"

#define SINGLE_CALLS 2000
#define BATCH_REPS 5

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median, min and 90th percentile of t[0..n) (sorted in place). */
static void summary(const char *what, size_t rows, double *t, size_t n)
{
    qsort(t, n, sizeof(*t), cmp_double);
    printf("C %s rows=%zu reps=%zu median_ms=%.4f min_ms=%.4f "
           "p90_ms=%.4f\n", what, rows, n, t[n / 2] * 1e3, t[0] * 1e3,
           t[n * 9 / 10] * 1e3);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static int fail(const char *what, const struct ns_error *err)
{
    fprintf(stderr, "explain_bench: %s: %s\n", what,
            err ? err->msg : "cannot read");
    return 1;
}

/* Largest |ours - reference| over every contribution. */
static double max_diff(const double *ours, const float *ref, size_t n)
{
    double worst = 0;

    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(ours[i] - (double)ref[i]));
    return worst;
}

static int reference_part(const char *model_path, const float *X,
                          const float *ref, size_t n, size_t m)
{
    struct xgb_model *model = NULL;
    struct ns_error err;
    double *c = malloc(n * (m + 1) * sizeof(double));
    double t[SINGLE_CALLS], t0;
    size_t len = 0;
    char *text = slurp(model_path, &len);

    if (text == NULL || c == NULL)
        return fail(model_path, NULL);
    if (xgb_load_json(text, len, &model, &err) != NS_OK)
        return fail(model_path, &err);
    free(text);
    if (xgb_predict_contribs(model, X, n, m, 0, c, &err) != NS_OK)
        return fail("contributions", &err);
    printf("C check rows=%zu max_abs_diff_vs_python=%.3g\n", n,
           max_diff(c, ref, n * (m + 1)));

    /* One row on one thread, as a request is served. */
    for (size_t k = 0; k < SINGLE_CALLS; k++) {
        t0 = now();
        if (xgb_predict_contribs(model, X + (k % n) * m, 1, m, 1, c, &err))
            return fail("one row", &err);
        t[k] = now() - t0;
    }
    summary("contribs threads=1", 1, t, SINGLE_CALLS);
    for (int nthread = 0; nthread <= 1; nthread++) {
        for (size_t k = 0; k < BATCH_REPS; k++) {
            t0 = now();
            if (xgb_predict_contribs(model, X, n, m, nthread, c, &err))
                return fail("batch", &err);
            t[k] = now() - t0;
        }
        summary(nthread ? "contribs threads=1" : "contribs threads=all", n,
                t, BATCH_REPS);
    }
    xgb_free(model);
    free(c);
    return 0;
}

/* explain_record from a raw record (features, score, reasons, JSON)
 * on rows of d, one at a time. */
static int time_records(const struct bundle *b, const struct cli_dataset *d)
{
    struct record *view = record_new(d->schema);
    struct history_source src;
    struct ns_error err;
    double t[SINGLE_CALLS], t0;
    json_t *j;

    if (view == NULL)
        return fail("record", NULL);
    if (d->hist)
        src = history_index_source(d->hist);
    for (size_t k = 0; k < SINGLE_CALLS; k++) {
        table_row(d->t, k % d->t->nrows, view);
        t0 = now();
        if (explain_record(b, view, d->hist ? &src : NULL, 5, &j, &err))
            return fail("explain_record", &err);
        json_decref(j);
        t[k] = now() - t0;
    }
    summary("explain_record_json threads=1", 1, t, SINGLE_CALLS);
    record_free(view);
    return 0;
}

/* explain_row (contributions, groups, reasons) and explain_record (raw
 * record to JSON) with a noshow bundle on the first rows of a file. */
static int bundle_part(const char *bundle_path, const char *data)
{
    struct bundle *b = NULL;
    struct cli_dataset d = {0};
    struct explain_ctx c;
    struct explain_result r;
    struct ns_error err;
    double t[SINGLE_CALLS], t0;
    size_t n;

    if (bundle_load(bundle_path, &b, &err) != NS_OK ||
        cli_dataset_load(data, NULL, bundle_schema(b), false, &d, &err) ||
        cli_dataset_features(&d, bundle_pipeline(b), NULL, 0, NULL, &err))
        return fail(data, &err);
    explain_ctx_of_bundle(b, &c);
    n = d.t->nrows;
    printf("C bundle trees=%d features=%zu rows=%zu\n",
           xgb_num_trees(c.model), d.nf, n);
    for (size_t k = 0; k < SINGLE_CALLS; k++) {
        t0 = now();
        if (explain_row(&c, d.X + (k % n) * d.nf, &r, &err) != NS_OK)
            return fail("explain_row", &err);
        explain_result_free(&r);
        t[k] = now() - t0;
    }
    summary("explain_row threads=1", 1, t, SINGLE_CALLS);

    if (time_records(b, &d) != 0)
        return 1;

    for (size_t k = 0; k < BATCH_REPS; k++) {
        struct explain_result *all = malloc(n * sizeof(*all));

        t0 = now();
        if (all == NULL || explain_matrix(&c, d.X, n, all, &err) != NS_OK)
            return fail("explain_matrix", &err);
        t[k] = now() - t0;
        for (size_t i = 0; i < n; i++)
            explain_result_free(&all[i]);
        free(all);
    }
    summary("explain_matrix threads=all", n, t, BATCH_REPS);
    cli_dataset_free(&d);
    bundle_free(b);
    return 0;
}

int main(int argc, char **argv)
{
    size_t xl = 0, cl = 0, m;
    char *end;
    float *X, *ref;
    int rc;

    if (argc != 5 && argc != 7) {
        fprintf(stderr, "usage: explain_bench REF_MODEL.json REF_X.f32 "
                "REF_CONTRIB.f32 NCOLS [BUNDLE DATA.csv]\n");
        return 2;
    }
    m = strtoul(argv[4], &end, 10);
    X = (float *)slurp(argv[2], &xl);
    ref = (float *)slurp(argv[3], &cl);
    if (*end != '\0' || m == 0 || X == NULL || ref == NULL ||
        xl % (m * sizeof(float)) != 0 ||
        cl != xl / m * (m + 1))
        return fail("reference rows and contributions", NULL);
    rc = reference_part(argv[1], X, ref, xl / (m * sizeof(float)), m);
    if (rc == 0 && argc == 7)
        rc = bundle_part(argv[5], argv[6]);
    free(X);
    free(ref);
    return rc;
}
