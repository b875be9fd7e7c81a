/* noshow retrain: one champion/challenger round on the outcomes recorded
 * in the database (plus an optional historical CSV file). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "learn/retrain.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow retrain --db URL [--also DATA.csv] [--model FILE]\n"
    "                      [--holdout-days 7] [--tolerance-auc 0.005]\n"
    "                      [--tolerance-brier 0.002] [--threads N]\n"
    "                      [--seed N] [--json]\n\n"
    "Builds the training set from the bookings whose outcome was\n"
    "recorded (and the rows of --also, same schema), trains a challenger\n"
    "on the rows before the last --holdout-days labelled days, measures\n"
    "it and the production model (the champion) on those days, and\n"
    "promotes it only when its ROC AUC is at most --tolerance-auc lower\n"
    "and its Brier score at most --tolerance-brier higher. The challenger\n"
    "is stored in the registry either way ('noshow models list').\n"
    "--model registers FILE as the champion when no version is in\n"
    "production yet. --db defaults to NOSHOW_DB. Exit 0 whether or not\n"
    "the challenger was promoted; the decision is printed.\n";

struct retrain_cli {
    const char *db;
    bool json;
    struct retrain_opts ro;
};

static int number(const char *name, const char *v, double min, double max,
                  double *out)
{
    if (cli_parse_double(v, min, max, out))
        return 0;
    return cli_usage_error("retrain", "%s '%s' is not a number from %g to "
                           "%g", name, v, min, max);
}

static int whole(const char *name, const char *v, long min, long max,
                 long *out)
{
    if (cli_parse_long(v, min, max, out))
        return 0;
    return cli_usage_error("retrain", "%s '%s' is not a whole number from "
                           "%ld to %ld", name, v, min, max);
}

static int option(int c, struct retrain_cli *o)
{
    long v = 0;
    int rc = 0;

    switch (c) {
    case 'd':
        o->db = optarg;
        break;
    case 'a':
        o->ro.also_csv = optarg;
        break;
    case 'm':
        o->ro.champion_file = optarg;
        break;
    case 'H':
        rc = whole("--holdout-days", optarg, 1, 3650, &v);
        o->ro.holdout_days = (int)v;
        break;
    case 'A':
        rc = number("--tolerance-auc", optarg, 0, 1, &o->ro.tol_auc);
        break;
    case 'B':
        rc = number("--tolerance-brier", optarg, 0, 1, &o->ro.tol_brier);
        break;
    case 't':
        rc = whole("--threads", optarg, 0, 256, &v);
        o->ro.nthread = (int)v;
        break;
    case 's':
        rc = whole("--seed", optarg, 0, 4294967295L, &v);
        o->ro.seed = (uint64_t)v;
        break;
    case 'S':
        o->ro.shuffle_labels = true;
        break;
    case 'j':
        o->json = true;
        break;
    default:
        rc = cli_usage_error("retrain", "unknown option");
    }
    return rc;
}

static int parse(int argc, char **argv, struct retrain_cli *o)
{
    /* --shuffle-labels is left out of the usage text: it exists to drill
     * the refusal of a worse challenger. */
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"also", required_argument, NULL, 'a'},
        {"model", required_argument, NULL, 'm'},
        {"holdout-days", required_argument, NULL, 'H'},
        {"tolerance-auc", required_argument, NULL, 'A'},
        {"tolerance-brier", required_argument, NULL, 'B'},
        {"threads", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'},
        {"shuffle-labels", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc;

        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        rc = option(c, o);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("retrain", "unexpected argument '%s'",
                               argv[optind]);
    return cli_database("retrain", &o->db);
}

static void print_text(const struct retrain_result *r)
{
    char from[11], to[11];

    ns_format_date(r->window_from, from);
    ns_format_date(r->window_to, to);
    printf("rows: %zu from the database (%zu skipped), %zu from --also; "
           "%zu labelled before %s\n", r->n_db_rows, r->n_skipped,
           r->n_csv_rows, r->n_train, from);
    printf("window %s..%s: %zu rows, observed no-show rate %.4f\n", from,
           to, r->n_window, r->observed_rate);
    printf("champion   %-28s ROC AUC %.4f  Brier %.4f  predicted %.4f\n",
           r->champion.version, r->champion.auc, r->champion.brier,
           r->champion.predicted_rate);
    printf("challenger %-28s ROC AUC %.4f  Brier %.4f  predicted %.4f\n",
           r->challenger.version, r->challenger.auc, r->challenger.brier,
           r->challenger.predicted_rate);
    printf("%s\n", r->decision);
}

int cmd_retrain(int argc, char **argv)
{
    struct retrain_cli o = {0};
    struct retrain_result res;
    struct store *s = NULL;
    struct ns_error err;
    int rc;

    retrain_opts_default(&o.ro);
    rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    ns_error_clear(&err);
    if (store_open(o.db, &s, &err) != NS_OK)
        return cli_fail(&err);
    if (retrain_run(s, &o.ro, &res, &err) != NS_OK) {
        store_close(s);
        return cli_fail(&err);
    }
    store_close(s);
    if (o.json) {
        json_t *j = retrain_result_json(&res, &o.ro);

        if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
            json_decref(j);
            ns_error_set(&err, NS_ERR_IO, "retrain: cannot write the "
                         "JSON result to stdout");
            return cli_fail(&err);
        }
        json_decref(j);
        putchar('\n');
    } else {
        print_text(&res);
    }
    return CLI_EXIT_OK;
}
