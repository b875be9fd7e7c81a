/* noshow: predicts missed medical appointments, explains each prediction
 * and helps clinics act on it. This file only dispatches subcommands. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/log.h"

static int cmd_help(int argc, char **argv);

const struct cli_command cli_commands[] = {
    {"help", "list the commands, or show one command's help", cmd_help},
    {"keys", "add, revoke or list API keys of the service", cmd_keys},
    {"serve", "run the prediction service (REST API)", cmd_serve},
    {"schema", "list, show or check the column schemas of a CSV file",
     cmd_schema},
    {"train", "train a model bundle on a labelled CSV file", cmd_train},
    {"evaluate", "measure a model bundle on a labelled CSV file",
     cmd_evaluate},
    {"predict", "score a CSV file with a model bundle (CSV out)",
     cmd_predict},
    {"explain", "reasons behind one prediction, or global importance",
     cmd_explain},
    {"compare", "rank simpler model families against tuned XGBoost",
     cmd_compare},
    {"retrain", "train a challenger on recorded outcomes; promote if "
     "not worse", cmd_retrain},
    {"models", "list, show, promote or roll back registered models",
     cmd_models},
    {"export", "write the event trace since a date (JSON lines or CSV)",
     cmd_export},
    {"eda", "write an HTML report exploring a data file", cmd_eda},
    {"policy", "reminder threshold and yield from stated costs",
     cmd_policy},
    {"actions", "whom to remind on a day, cut at a capacity", cmd_actions},
    {"overbook", "extra bookings a session can take at a chosen risk",
     cmd_overbook},
    {"backtest", "replay reminder lists and overbooking on past days",
     cmd_backtest},
    {"generate", "write synthetic appointments with a known model",
     cmd_generate},
    {"clean", "check a data file, report the drops, write its features",
     cmd_clean},
    {NULL, NULL, NULL},
};

static const struct cli_command *find(const char *name)
{
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static void list_commands(FILE *f)
{
    fprintf(f, "usage: noshow <command> [options]\n\n"
               "Predicts which medical appointments will be missed, "
               "explains why,\nand helps clinics act on it.\n\n"
               "commands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\n'noshow <command> --help' shows a command's options.\n"
               "Environment: NOSHOW_LOG=error|warn|info|debug "
               "(default info).\n");
}

static int cmd_help(int argc, char **argv)
{
    const struct cli_command *c;
    static char help_flag[] = "--help";
    char *sub[] = {NULL, help_flag, NULL};

    if (argc < 2) {
        list_commands(stdout);
        return CLI_EXIT_OK;
    }
    c = find(argv[1]);
    if (c == NULL || c->run == cmd_help) {
        if (c == NULL)
            return cli_usage_error("help", "unknown command '%s'", argv[1]);
        list_commands(stdout);
        return CLI_EXIT_OK;
    }
    sub[0] = argv[1];
    return c->run(2, sub);
}

/* libgomp reads OMP_WAIT_POLICY once, when the library loads, and its
 * default spin-waiting costs milliseconds per parallel region on small
 * virtual machines (a one-row prediction pays 16-24 ms, training runs up
 * to ten times slower). Setting it from main() is too late, so the
 * process starts itself again with the passive policy unless the user
 * chose one. */
/* Commands that never reach libxgboost, and so never run an OpenMP
 * region, skip the restart: it costs as much as loading every library
 * again (about 6 ms, a tenth of cleaning the Vitoria file). */
static bool needs_openmp(const char *cmd)
{
    static const char *const never[] = {"help", "--help", "-h", "clean",
                                        "generate", "schema", "keys",
                                        "eda"};

    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
        if (strcmp(cmd, never[i]) == 0)
            return false;
    }
    return true;
}

static void ensure_passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") != NULL)
        return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* Exec failed (no /proc): carry on with spinning threads. */
}

int main(int argc, char **argv)
{
    const struct cli_command *c;
    const char *level = getenv("NOSHOW_LOG");

    if (argc >= 2 && needs_openmp(argv[1]))
        ensure_passive_openmp(argv);

    if (level && ns_log_parse_level(level) >= 0)
        ns_log_threshold = (enum ns_log_level)ns_log_parse_level(level);
    if (argc < 2) {
        list_commands(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_help(1, argv);
    c = find(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "noshow: unknown command '%s'\n\n", argv[1]);
        list_commands(stderr);
        return CLI_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
