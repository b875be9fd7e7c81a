/* noshow explain: the reasons behind one row's prediction, or the global
 * importance of each input over a whole file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"
#include "cli/dataset.h"
#include "model/bundle.h"
#include "model/explain.h"

static const char usage[] =
    "usage: noshow explain MODEL DATA.csv [--row N] [--top K] "
    "[--history PAST.csv]\n"
    "                      [--interactions] [--json]\n\n"
    "With --row N: the prediction for data row N of DATA.csv (1 = the "
    "first row\nafter the header) and its top K reasons (default 5), "
    "each with its size in\nlog-odds: base + contributions = the model's "
    "margin.\n"
    "Without --row: the global importance of each input over the file "
    "(mean |SHAP|)\nand the direction of its effect.\n\n"
    "  --history PAST.csv  earlier appointments with outcomes, for the "
    "patient-history\n                      features (DATA.csv itself "
    "is always used)\n"
    "  --interactions      without --row: also the strongest feature "
    "pairs by SHAP\n                      interaction values, over the "
    "first 2,000 rows\n"
    "  --json              print JSON\n";

/* Interaction values cost about one contribution pass per feature. */
#define INTERACTION_ROWS 2000
#define INTERACTION_PAIRS 10

struct opts {
    const char *model, *data, *past;
    long row;       /* 0: global importance */
    long top;
    bool json;
    bool interactions;
};

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.top = 5};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--interactions") == 0) {
            o->interactions = true;
        } else if (strcmp(a, "--history") == 0 && v) {
            o->past = argv[++i];
        } else if (strcmp(a, "--row") == 0 && v) {
            if (!cli_parse_long(argv[++i], 1, 1L << 40, &o->row))
                return cli_usage_error("explain", "--row '%s': expected a "
                                       "data row number from 1", v);
        } else if (strcmp(a, "--top") == 0 && v) {
            if (!cli_parse_long(argv[++i], 1, PIPELINE_MAX_FEATURES,
                                &o->top))
                return cli_usage_error("explain", "--top '%s': expected "
                                       "1 to %d", v, PIPELINE_MAX_FEATURES);
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("explain", "unknown option '%s' (or its "
                                   "value is missing)", a);
        } else if (o->model == NULL) {
            o->model = a;
        } else if (o->data == NULL) {
            o->data = a;
        } else {
            return cli_usage_error("explain", "unexpected argument '%s'",
                                   a);
        }
    }
    if (o->data == NULL)
        return cli_usage_error("explain", "needs MODEL and DATA.csv");
    return 0;
}

/* The table row holding data row n of the file (line n + 1), or an error
 * naming the file's row count or why the row is not there. */
static enum ns_err find_row(const struct opts *o,
                            const struct cli_dataset *d, size_t *out,
                            struct ns_error *err)
{
    long line = o->row + 1;

    if ((size_t)o->row > d->report.rows_read)
        return ns_error_field(err, NS_ERR_INVALID, "--row", "%s: row %ld "
                              "is out of range: the file has %zu data "
                              "rows (1 to %zu)", o->data, o->row,
                              d->report.rows_read, d->report.rows_read);
    for (size_t i = 0; i < d->t->nrows; i++) {
        if (d->t->line[i] == line) {
            *out = i;
            return NS_OK;
        }
    }
    return ns_error_field(err, NS_ERR_INVALID, "--row", "%s:%ld: row %ld "
                          "was dropped while reading (a bad value or a "
                          "line break inside a field; 'noshow schema check "
                          "%s --rejects FILE' shows why)", o->data, line,
                          o->row, o->data);
}

static void print_reasons(const struct opts *o, const json_t *j)
{
    const json_t *r;
    size_t k;

    printf("%s row %ld: probability %.4f, %s risk%s\n", o->data, o->row,
           json_real_value(json_object_get(j, "probability")),
           json_string_value(json_object_get(j, "band")),
           json_is_true(json_object_get(j, "flagged")) ? ", flagged" : "");
    printf("margin %+.4f = base %+.4f + contributions (log-odds)\n",
           json_real_value(json_object_get(j, "margin")),
           json_real_value(json_object_get(j, "base")));
    json_array_foreach(json_object_get(j, "reasons"), k, r)
        printf("  %zu. %s\n", k + 1,
               json_string_value(json_object_get(r, "text")));
}

static enum ns_err explain_one(const struct opts *o, const struct bundle *b,
                               struct cli_dataset *d, struct ns_error *err)
{
    struct record *view = record_new(d->schema);
    struct history_source src;
    json_t *j = NULL;
    size_t i = 0;
    enum ns_err rc;

    if (view == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = find_row(o, d, &i, err);
    if (rc == NS_OK)
        rc = cli_build_history(bundle_pipeline(b), d->schema, o->past, d->t,
                               &d->hist, err);
    if (rc == NS_OK) {
        table_row(d->t, i, view);
        if (d->hist)
            src = history_index_source(d->hist);
        rc = explain_record(b, view, d->hist ? &src : NULL, (size_t)o->top,
                            &j, err);
    }
    if (rc == NS_OK && o->json) {
        json_object_set_new(j, "row", json_integer(o->row));
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        putchar('\n');
    } else if (rc == NS_OK) {
        print_reasons(o, j);
    }
    json_decref(j);
    record_free(view);
    return rc;
}

static enum ns_err explain_all(const struct opts *o, const struct bundle *b,
                               struct cli_dataset *d, struct ns_error *err)
{
    struct explain_ctx c;
    struct explain_importance imp = {0};
    json_t *j;
    enum ns_err rc;

    explain_ctx_of_bundle(b, &c);
    rc = cli_dataset_features(d, bundle_pipeline(b), NULL, 0, o->past, err);
    if (rc == NS_OK)
        rc = explain_importance_of(&c, d->X, d->t->nrows, &imp, err);
    if (rc == NS_OK && o->interactions)
        rc = explain_interactions(&c, d->X, d->t->nrows < INTERACTION_ROWS
                                                ? d->t->nrows
                                                : INTERACTION_ROWS,
                                  INTERACTION_PAIRS, &imp, err);
    if (rc == NS_OK && o->json) {
        j = explain_importance_json(&imp);
        if (j == NULL) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        } else {
            json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
            putchar('\n');
        }
        json_decref(j);
    } else if (rc == NS_OK) {
        printf("%s on %s\n", bundle_version(b), o->data);
        explain_importance_print(&imp, stdout);
    }
    explain_importance_free(&imp);
    return rc;
}

int cmd_explain(int argc, char **argv)
{
    struct opts o;
    struct bundle *b = NULL;
    struct cli_dataset d = {0};
    struct ns_error err = {0};
    enum ns_err rc;
    int code = parse(argc, argv, &o);

    if (code != 0)
        return code < 0 ? CLI_EXIT_OK : code;
    rc = bundle_load(o.model, &b, &err);
    if (rc == NS_OK)
        rc = cli_dataset_load(o.data, NULL, bundle_schema(b), false, &d,
                              &err);
    if (rc == NS_OK)
        rc = o.row > 0 ? explain_one(&o, b, &d, &err)
                       : explain_all(&o, b, &d, &err);
    code = rc == NS_OK ? CLI_EXIT_OK : cli_fail(&err);
    cli_dataset_free(&d);
    bundle_free(b);
    return code;
}
