/* noshow evaluate: the test metrics of a bundle on any labelled file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"
#include "model/bundle.h"
#include "model/fairness.h"

#define MAX_AUDIT 16

static const char usage[] =
    "usage: noshow evaluate MODEL DATA.csv [--history PAST.csv] "
    "[--audit COL]... [--json]\n"
    "\n"
    "Scores every labelled row of DATA.csv and prints the metrics at the\n"
    "model's threshold. Patient history comes from PAST.csv (earlier\n"
    "appointments with outcomes) and DATA.csv itself; each row only sees\n"
    "outcomes dated before its booking day.\n"
    "The fairness audit compares groups by gender and age band, and by\n"
    "each column named with --audit (e.g. Neighbourhood, Scholarship).\n";

static enum ns_err score_table(const struct bundle *b, const struct table *t,
                               struct history_index *h,
                               struct metrics_report *m,
                               const char *const *audit, size_t naudit,
                               struct fairness_report *fair,
                               struct ns_error *err)
{
    size_t nf = pipeline_nfeatures(bundle_pipeline(b));
    float *X = malloc((t->nrows ? t->nrows : 1) * nf * sizeof(float));
    float *y = malloc((t->nrows ? t->nrows : 1) * sizeof(float));
    double *p = malloc((t->nrows ? t->nrows : 1) * sizeof(double));
    struct bundle_score *s = malloc((t->nrows ? t->nrows : 1) *
                                    sizeof(*s));
    enum ns_err rc = NS_OK;

    if (X == NULL || y == NULL || p == NULL || s == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = pipeline_table(bundle_pipeline(b), t, NULL, 0, h, X, NULL, err);
    if (rc == NS_OK)
        rc = bundle_score_matrix(b, X, t->nrows, s, err);
    if (rc != NS_OK)
        goto out;
    for (size_t i = 0; i < t->nrows; i++) {
        p[i] = s[i].probability;
        y[i] = t->label[i] > 0 ? 1.0f : 0.0f;
    }
    rc = metrics_compute(p, y, t->nrows, bundle_threshold(b), m, err);
    if (rc == NS_OK)
        rc = fairness_audit(t, p, bundle_threshold(b), audit, naudit, fair,
                            err);
out:
    free(X);
    free(y);
    free(p);
    free(s);
    return rc;
}

static int print(const struct bundle *b, const char *data,
                 const struct metrics_report *m,
                 const struct fairness_report *fair, bool json)
{
    struct ns_error err = {0};
    json_t *o;

    if (!json) {
        printf("model %s on %s:\n", bundle_version(b), data);
        cli_print_metrics(stdout, m);
        printf("\n");
        fairness_print(fair, stdout);
        return CLI_EXIT_OK;
    }
    o = json_pack("{s:s, s:s, s:o*}", "model", bundle_version(b), "data",
                  data, "fairness", fairness_json(fair));
    if (o == NULL || cli_metrics_into(o, m, &err) != NS_OK) {
        json_decref(o);
        return cli_fail(&err);
    }
    cli_print_json(o);
    json_decref(o);
    return CLI_EXIT_OK;
}

int cmd_evaluate(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *past = NULL;
    bool json = false;
    struct ns_error err = {0};
    struct bundle *b = NULL;
    struct table *t = NULL;
    struct history_index *h = NULL;
    struct metrics_report m = {0};
    struct fairness_report fair = {0};
    const char *audit[MAX_AUDIT];
    size_t naudit = 0;
    int code;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--history") == 0 && i + 1 < argc) {
            past = argv[++i];
        } else if (strcmp(argv[i], "--audit") == 0 && i + 1 < argc) {
            if (naudit == MAX_AUDIT)
                return cli_usage_error("evaluate", "more than %d --audit "
                                       "columns", MAX_AUDIT);
            audit[naudit++] = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("evaluate", "unknown option '%s' (or "
                                   "its value is missing)", argv[i]);
        } else if (model == NULL) {
            model = argv[i];
        } else if (data == NULL) {
            data = argv[i];
        } else {
            return cli_usage_error("evaluate", "unexpected argument '%s'",
                                   argv[i]);
        }
    }
    if (data == NULL)
        return cli_usage_error("evaluate", "needs MODEL and DATA.csv");
    if (bundle_load(model, &b, &err) != NS_OK ||
        cli_load_labelled(data, NULL, bundle_schema(b), NULL, true, &t,
                          NULL, &err) != NS_OK ||
        cli_build_history(bundle_pipeline(b), bundle_schema(b), past, t,
                          &h, &err) != NS_OK ||
        score_table(b, t, h, &m, audit, naudit, &fair, &err) != NS_OK)
        code = cli_fail(&err);
    else
        code = print(b, data, &m, &fair, json);
    fairness_report_free(&fair);
    metrics_report_free(&m);
    history_index_free(h);
    table_free(t);
    bundle_free(b);
    return code;
}
