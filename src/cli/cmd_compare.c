/* noshow compare: fits the simpler model families and tuned XGBoost on
 * one split of one file, with the same features, and ranks them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dataset.h"
#include "model/baselines.h"
#include "model/split.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow compare DATA.csv [--schema S] [--test-from DATE | "
    "--test-size F]\n"
    "                      [--seed N] [--json]\n\n"
    "Fits logistic regression, naive Bayes, random forest, gradient "
    "boosting\nand tuned XGBoost on the same training rows and features, "
    "then ranks\nthem on the same test rows by ROC AUC (best first).\n\n"
    "  --schema S       a built-in schema name or a schema file (default: "
    "detected)\n"
    "  --test-from DATE appointments on or after DATE (YYYY-MM-DD) are "
    "the test rows\n"
    "  --test-size F    a stratified random share F of rows for testing "
    "(default 0.25)\n"
    "  --seed N         seed of the split and the models (default 42)\n"
    "  --json           print JSON instead of a table\n";

struct opts {
    const char *data;
    const char *schema;
    const char *test_from;
    double test_size;
    long seed;
    bool json;
};

static int parse(int argc, char **argv, struct opts *o)
{
    bool size_given = false;

    *o = (struct opts){.test_size = 0.25, .seed = 42};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--schema") == 0 && v) {
            o->schema = argv[++i];
        } else if (strcmp(a, "--test-from") == 0 && v) {
            o->test_from = argv[++i];
        } else if (strcmp(a, "--test-size") == 0 && v) {
            size_given = true;
            if (!cli_parse_double(argv[++i], 0.01, 0.99, &o->test_size))
                return cli_usage_error("compare", "--test-size '%s': "
                                       "expected a share from 0.01 to "
                                       "0.99", v);
        } else if (strcmp(a, "--seed") == 0 && v) {
            if (!cli_parse_long(argv[++i], 0, 1L << 62, &o->seed))
                return cli_usage_error("compare", "--seed '%s': expected a"
                                       " whole number >= 0", v);
        } else if (a[0] == '-' || o->data) {
            return cli_usage_error("compare", "unexpected argument '%s'",
                                   a);
        } else {
            o->data = a;
        }
    }
    if (o->data == NULL)
        return cli_usage_error("compare", "missing DATA.csv");
    if (o->test_from && size_given)
        return cli_usage_error("compare", "--test-from and --test-size "
                               "both given: expected one split");
    return 0;
}

static enum ns_err make_split(const struct opts *o,
                              const struct cli_dataset *d,
                              struct split_indices *s, struct ns_error *err)
{
    int32_t cut, lo = INT32_MAX, hi = INT32_MIN;
    char first[11], last[11];

    if (o->test_from == NULL)
        return split_stratified(d->y, d->t->nrows, o->test_size,
                                (uint64_t)o->seed, s, err);
    if (ns_parse_date(o->test_from, strlen(o->test_from), &cut) != NS_OK)
        return ns_error_field(err, NS_ERR_INVALID, "--test-from",
                              "--test-from '%s': expected a date "
                              "YYYY-MM-DD", o->test_from);
    for (size_t i = 0; i < d->t->nrows; i++) {
        lo = d->t->appt_day[i] < lo ? d->t->appt_day[i] : lo;
        hi = d->t->appt_day[i] > hi ? d->t->appt_day[i] : hi;
    }
    if (cut <= lo || cut > hi) {
        ns_format_date(lo, first);
        ns_format_date(hi, last);
        return ns_error_field(err, NS_ERR_INVALID, "--test-from",
                              "--test-from %s leaves no %s rows: the "
                              "appointments of %s run from %s to %s, "
                              "expected a date after the first and no "
                              "later than the last", o->test_from,
                              cut <= lo ? "training" : "test", o->data,
                              first, last);
    }
    return split_by_time(d->t->appt_day, d->t->nrows, cut, s, err);
}

/* Copies the rows idx of d into the caller's X (n x nf) and y. */
static void take(const struct cli_dataset *d, const size_t *idx, size_t n,
                 float *X, float *y, uint32_t *group)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(X + i * d->nf, d->X + idx[i] * d->nf, d->nf * sizeof(float));
        y[i] = d->y[idx[i]];
        group[i] = d->t->patient[idx[i]];
    }
}

struct sides {
    float *X[2], *y[2];
    uint32_t *group[2];
    bool *cat;
};

static void sides_free(struct sides *s)
{
    for (int k = 0; k < 2; k++) {
        free(s->X[k]);
        free(s->y[k]);
        free(s->group[k]);
    }
    free(s->cat);
}

/* Training and test matrices in the form the families take. */
static enum ns_err make_sides(const struct cli_dataset *d,
                              const struct split_indices *s,
                              struct sides *sd, struct baseline_data *tr,
                              struct baseline_data *te,
                              struct ns_error *err)
{
    const size_t *idx[2] = {s->train, s->test};
    size_t n[2] = {s->n_train, s->n_test};

    for (int k = 0; k < 2; k++) {
        sd->X[k] = malloc(n[k] * d->nf * sizeof(float) + 1);
        sd->y[k] = malloc(n[k] * sizeof(float) + 1);
        sd->group[k] = malloc(n[k] * sizeof(uint32_t) + 1);
        if (!sd->X[k] || !sd->y[k] || !sd->group[k])
            return ns_error_set(err, NS_ERR_NOMEM, "compare: out of "
                                "memory for %zu rows", n[k]);
        take(d, idx[k], n[k], sd->X[k], sd->y[k], sd->group[k]);
    }
    sd->cat = calloc(d->nf + 1, sizeof(bool));
    if (sd->cat == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "compare: out of memory");
    for (size_t k = 0; k < d->nf; k++)
        sd->cat[k] = cli_dataset_categorical(d, k);
    *tr = (struct baseline_data){sd->X[0], n[0], d->nf, sd->y[0],
                                 sd->group[0], sd->cat};
    *te = (struct baseline_data){sd->X[1], n[1], d->nf, sd->y[1], NULL,
                                 sd->cat};
    return NS_OK;
}

static int report(const struct opts *o, const struct cli_dataset *d,
                  const struct split_indices *s,
                  const struct baseline_result *r, size_t n)
{
    json_t *j;

    if (!o->json) {
        printf("%s: %zu rows, %zu features; %zu training, %zu test (%s)\n\n",
               o->data, d->t->nrows, d->nf, s->n_train, s->n_test,
               o->test_from ? "by appointment date" : "stratified random");
        baselines_print(r, n, stdout);
        return CLI_EXIT_OK;
    }
    j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:o}", "data", o->data,
                  "rows", (json_int_t)d->t->nrows, "features",
                  (json_int_t)d->nf, "train_rows", (json_int_t)s->n_train,
                  "test_rows", (json_int_t)s->n_test, "split",
                  o->test_from ? "time" : "stratified", "models",
                  baselines_json(r, n));
    if (j == NULL)
        return cli_fail(&(struct ns_error){.msg = "out of memory"});
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    putchar('\n');
    json_decref(j);
    return CLI_EXIT_OK;
}

static enum ns_err run_all(const struct opts *o,
                           const struct baseline_data *tr,
                           const struct baseline_data *te,
                           struct baseline_result *r, struct ns_error *err)
{
    enum ns_err rc = NS_OK;

    for (int k = 0; rc == NS_OK && k < BASELINE_COUNT; k++) {
        rc = baselines_run((enum baseline_kind)k, tr, te,
                           (uint64_t)o->seed, &r[k], err);
        if (rc == NS_OK)
            ns_log_info("compare", "fitted model=\"%s\" auc=%.4f "
                        "seconds=%.2f", r[k].name, r[k].auc,
                        r[k].fit_seconds);
    }
    baselines_sort(r, BASELINE_COUNT);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    struct opts o;
    struct cli_dataset d = {0};
    struct split_indices s = {0};
    struct sides sd = {0};
    struct baseline_data tr, te;
    struct baseline_result r[BASELINE_COUNT];
    struct ns_error err = {0};
    enum ns_err rc;
    int code = parse(argc, argv, &o);

    if (code != 0)
        return code < 0 ? CLI_EXIT_OK : code;
    if ((rc = cli_dataset_load(o.data, o.schema, NULL, true, &d, &err)) ||
        (rc = make_split(&o, &d, &s, &err)) ||
        (rc = cli_dataset_features(&d, NULL, s.train, s.n_train, NULL,
                                   &err)) ||
        (rc = make_sides(&d, &s, &sd, &tr, &te, &err)) ||
        (rc = run_all(&o, &tr, &te, r, &err)))
        code = cli_fail(&err);
    else
        code = report(&o, &d, &s, r, BASELINE_COUNT);
    sides_free(&sd);
    split_indices_free(&s);
    cli_dataset_free(&d);
    return code;
}
