/* noshow train: fits a model bundle on a labelled CSV file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"
#include "cli/dataset.h"
#include "model/train.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow train DATA.csv -o MODEL [options]\n"
    "\n"
    "Trains a model bundle. Test rows are never used to fit or choose.\n"
    "  -o MODEL              where to write the bundle (required)\n"
    "  --schema S            schema file or built-in name (default: "
    "detect)\n"
    "  --test-from DATE      train before DATE, test from it (time "
    "split)\n"
    "  --test-size F         random stratified split (default 0.25)\n"
    "  --holdout-days N      time split: hold out the latest N days of\n"
    "                        training rows (default: the latest tenth)\n"
    "  --seed N              (default 42)\n"
    "  --imbalance M         none|weight|oversample|smote (default none)\n"
    "  --ratio R             minority/majority after rebalancing (1.0)\n"
    "  --no-history          leave out patient-history features\n"
    "  --trees N --depth D --eta E --min-child-weight W --subsample S\n"
    "  --colsample C         XGBoost parameters (300, 3, 0.1, 1, 1, 1)\n"
    "  --early-stop N        rounds without improvement (20; 0 = off)\n"
    "  --no-refit            keep the model fitted without the held-out\n"
    "                        tenth (default: fit again on all training\n"
    "                        rows with the rounds early stopping chose)\n"
    "  --search              grid search by patient-grouped k-fold CV\n"
    "  --folds K             (default 5)\n"
    "  --calibrate M         auto|none|platt|isotonic|intercept (default\n"
    "                        auto)\n"
    "  --threshold R         f1|recall:0.8|cost (default f1)\n"
    "  --cost-missed-slot X --cost-reminder Y   costs for 'cost'\n"
    "  --threads N           training threads (default: every core)\n"
    "  --rejects FILE        write dropped rows there\n"
    "  --json                print the test metrics as JSON\n";

struct args {
    const char *data, *out, *schema, *rejects;
    bool json;
    struct train_opts o;
};

static int bad_value(const char *opt, const char *v, const char *want)
{
    return cli_usage_error("train", "%s '%s': expected %s", opt, v, want);
}

static int parse_rule(struct args *a, const char *v)
{
    double r;

    if (strcmp(v, "f1") == 0) {
        a->o.rule.kind = METRICS_RULE_BEST_F1;
    } else if (strcmp(v, "cost") == 0) {
        a->o.rule.kind = METRICS_RULE_COST;
    } else if (strncmp(v, "recall:", 7) == 0 &&
               cli_parse_double(v + 7, 1e-9, 1.0, &r)) {
        a->o.rule.kind = METRICS_RULE_TARGET_RECALL;
        a->o.rule.target_recall = r;
    } else {
        return bad_value("--threshold", v, "f1, recall:R with 0 < R <= 1, "
                         "or cost");
    }
    return 0;
}

static int parse_enum(const char *opt, const char *v,
                      const char *const *names, int *out)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return bad_value(opt, v, "one of the listed words (see --help)");
}

/* Options with a number value; returns -1 when opt is not one. */
static int parse_number(struct args *a, const char *opt, const char *v)
{
    struct xgb_params *p = &a->o.xgb;
    long l;
    double d;

    if (strcmp(opt, "--trees") == 0 || strcmp(opt, "--depth") == 0 ||
        strcmp(opt, "--early-stop") == 0 || strcmp(opt, "--folds") == 0 ||
        strcmp(opt, "--threads") == 0 || strcmp(opt, "--seed") == 0 ||
        strcmp(opt, "--holdout-days") == 0) {
        if (!cli_parse_long(v, 0, 1000000000L, &l))
            return bad_value(opt, v, "a whole number >= 0");
        if (strcmp(opt, "--trees") == 0)
            p->n_trees = (int)l;
        else if (strcmp(opt, "--depth") == 0)
            p->max_depth = (int)l;
        else if (strcmp(opt, "--early-stop") == 0)
            p->early_stopping_rounds = (int)l;
        else if (strcmp(opt, "--folds") == 0)
            a->o.folds = (int)l;
        else if (strcmp(opt, "--threads") == 0)
            p->nthread = (int)l;
        else if (strcmp(opt, "--holdout-days") == 0)
            a->o.holdout_days = (int)l;
        else
            a->o.seed = (uint64_t)l;
        return 0;
    }
    if (!cli_parse_double(v, 0.0, 1e12, &d))
        return strcmp(opt, "--eta") == 0 || strcmp(opt, "--ratio") == 0 ||
                       strcmp(opt, "--subsample") == 0 ||
                       strcmp(opt, "--colsample") == 0 ||
                       strcmp(opt, "--min-child-weight") == 0 ||
                       strcmp(opt, "--test-size") == 0 ||
                       strcmp(opt, "--cost-missed-slot") == 0 ||
                       strcmp(opt, "--cost-reminder") == 0
                   ? bad_value(opt, v, "a number >= 0")
                   : -1;
    if (strcmp(opt, "--eta") == 0)
        p->eta = d;
    else if (strcmp(opt, "--ratio") == 0)
        a->o.ratio = d;
    else if (strcmp(opt, "--subsample") == 0)
        p->subsample = d;
    else if (strcmp(opt, "--colsample") == 0)
        p->colsample_bytree = d;
    else if (strcmp(opt, "--min-child-weight") == 0)
        p->min_child_weight = d;
    else if (strcmp(opt, "--test-size") == 0)
        a->o.test_size = d;
    else if (strcmp(opt, "--cost-missed-slot") == 0)
        a->o.rule.cost_missed = d;
    else if (strcmp(opt, "--cost-reminder") == 0)
        a->o.rule.cost_reminder = d;
    else
        return -1;
    return 0;
}

static int parse_valued(struct args *a, const char *opt, const char *v)
{
    static const char *const imb[] = {"none", "weight", "oversample",
                                      "smote", NULL};
    static const char *const cal[] = {"auto", "none", "platt", "isotonic",
                                      "intercept", NULL};
    int k = 0;
    int rc;

    if (strcmp(opt, "-o") == 0) {
        a->out = v;
    } else if (strcmp(opt, "--schema") == 0) {
        a->schema = v;
    } else if (strcmp(opt, "--rejects") == 0) {
        a->rejects = v;
    } else if (strcmp(opt, "--test-from") == 0) {
        if (ns_parse_date(v, strlen(v), &a->o.test_from) != NS_OK)
            return bad_value(opt, v, "a date YYYY-MM-DD");
    } else if (strcmp(opt, "--imbalance") == 0) {
        rc = parse_enum(opt, v, imb, &k);
        a->o.imbalance = (enum train_imbalance)k;
        return rc;
    } else if (strcmp(opt, "--calibrate") == 0) {
        rc = parse_enum(opt, v, cal, &k);
        a->o.calibrate = (enum train_calibrate)k;
        return rc;
    } else if (strcmp(opt, "--threshold") == 0) {
        return parse_rule(a, v);
    } else {
        rc = parse_number(a, opt, v);
        return rc < 0 ? cli_usage_error("train", "unknown option '%s'", opt)
                      : rc;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    train_opts_default(&a->o);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int rc;

        if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--no-history") == 0) {
            a->o.history = false;
        } else if (strcmp(s, "--no-refit") == 0) {
            a->o.refit = false;
        } else if (strcmp(s, "--search") == 0) {
            a->o.search = true;
        } else if (s[0] == '-' && s[1] != '\0') {
            if (i + 1 >= argc)
                return cli_usage_error("train", "option '%s' needs a "
                                       "value", s);
            rc = parse_valued(a, s, argv[++i]);
            if (rc)
                return rc;
        } else if (a->data == NULL) {
            a->data = s;
        } else {
            return cli_usage_error("train", "unexpected argument '%s'", s);
        }
    }
    if (a->data == NULL || a->out == NULL)
        return cli_usage_error("train", "needs DATA.csv and -o MODEL");
    if (a->o.rule.kind == METRICS_RULE_COST &&
        !(a->o.rule.cost_missed > 0 && a->o.rule.cost_reminder > 0))
        return cli_usage_error("train", "--threshold cost needs "
                               "--cost-missed-slot and --cost-reminder, "
                               "both > 0");
    return 0;
}

static void progress(void *ctx, int done, int total)
{
    (void)ctx;
    fprintf(stderr, "\rsearch: %d/%d parameter sets", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static void print_text(const struct args *a, const struct train_result *r)
{
    const struct xgb_params *p = &r->chosen;

    printf("model %s -> %s\n", bundle_version(r->bundle), a->out);
    printf("rows: train %zu (%zu held out to choose rounds, calibration "
           "and threshold; final fit on %zu), test %zu; training no-show "
           "rate %.4f\n", r->n_train, r->n_valid, r->n_fit, r->n_test,
           r->train_rate);
    printf("params: trees %d, depth %d, eta %g, min_child_weight %g, "
           "subsample %g, colsample %g\n", r->trees, p->max_depth, p->eta,
           p->min_child_weight, p->subsample, p->colsample_bytree);
    if (a->o.search)
        printf("search: best cross-validated log loss %.5f\n",
               r->cv_logloss);
    printf("calibration: %s\n", r->calib_note);
    printf("threshold: %.4f (rule %s); high risk from %.4f\n",
           bundle_threshold(r->bundle), bundle_threshold_rule(r->bundle),
           bundle_high_from(r->bundle));
    printf("test metrics:\n");
    cli_print_metrics(stdout, &r->test);
    printf("  before calibration: Brier %.5f, log loss %.5f, mean "
           "predicted %.4f\n", r->uncal_brier, r->uncal_log_loss,
           r->uncal_mean);
    printf("  always the training rate: Brier %.5f, log loss %.5f\n",
           r->base_brier, r->base_log_loss);
}

static int report(const struct args *a, const struct train_result *r)
{
    json_t *o;
    struct ns_error err = {0};

    if (!a->json) {
        print_text(a, r);
        return CLI_EXIT_OK;
    }
    o = json_pack("{s:s, s:s, s:O}", "model", a->out, "version",
                  bundle_version(r->bundle), "saved",
                  bundle_metrics(r->bundle));
    if (o == NULL || cli_metrics_into(o, &r->test, &err) != NS_OK) {
        json_decref(o);
        return cli_fail(&err);
    }
    cli_print_json(o);
    json_decref(o);
    return CLI_EXIT_OK;
}

int cmd_train(int argc, char **argv)
{
    struct args a = {0};
    struct ns_error err = {0};
    struct table *t = NULL;
    struct schema *s = NULL;
    struct train_result res = {0};
    char sha[65] = "";
    int code = CLI_EXIT_FAIL;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    code = parse_args(argc, argv, &a);
    if (code)
        return code;
    code = CLI_EXIT_FAIL;
    if (cli_interactive())
        a.o.progress = progress;
    a.o.data_sha256 = sha;
    if (train_file_sha256(a.data, sha, &err) != NS_OK ||
        cli_load_labelled(a.data, a.schema, NULL, a.rejects, true, &t, &s,
                          &err) != NS_OK ||
        train_run(t, &a.o, &res, &err) != NS_OK ||
        cli_bundle_importance(res.bundle, t, &err) != NS_OK ||
        bundle_save(res.bundle, a.out, &err) != NS_OK) {
        code = cli_fail(&err);
        goto out;
    }
    if (res.warnings[0])
        fprintf(stderr, "noshow: warning: these features take one value "
                "over the training rows and cannot help: %s\n",
                res.warnings);
    code = report(&a, &res);
out:
    train_result_free(&res);
    table_free(t);
    schema_free(s);
    return code;
}
