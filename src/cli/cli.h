/* Command-line front end: one function per subcommand, a table of them,
 * and the few helpers every command shares. Exit codes: 0 success, 1 the
 * work failed (bad data, I/O, a library), 2 the command line was wrong. */
#ifndef NS_CLI_H
#define NS_CLI_H

#include "util/err.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

struct cli_command {
    const char *name;
    const char *summary;            /* one line for "noshow help" */
    int (*run)(int argc, char **argv);  /* argv[0] is the command name */
};

/* NULL-terminated by a zero entry; defined in main.c. */
extern const struct cli_command cli_commands[];

/* Prints "noshow: <message>" to stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const struct ns_error *err);

/* Prints "noshow CMD: <message>" and a hint to use --help; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) NS_PRINTF(2, 3);

/* Strict number parsing for option values; false when the whole text is
 * not a number in [min, max]. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_double(const char *s, double min, double max, double *out);

/* The database a command works on: *db as given by --db, else (when
 * NULL) the environment's NOSHOW_DB. Returns 0, or CLI_EXIT_USAGE with
 * a message naming cmd when neither names one. */
int cli_database(const char *cmd, const char **db);

/* True when stderr is a terminal (progress output is shown then only). */
int cli_interactive(void);

/* Subcommands, one file each in src/cli/ (registered in main.c). */
int cmd_schema(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_retrain(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_eda(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_actions(int argc, char **argv);
int cmd_overbook(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_clean(int argc, char **argv);


#endif
