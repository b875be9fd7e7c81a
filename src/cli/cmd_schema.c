/* noshow schema: lists and shows the built-in schemas, and checks a CSV
 * file against one (which column plays which role, and how many rows
 * the cleaning keeps). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/record.h"
#include "data/schema.h"

static const char usage[] =
    "usage: noshow schema list\n"
    "       noshow schema show NAME\n"
    "       noshow schema check FILE.csv [--schema FILE|NAME] [--sep C]\n"
    "                                    [--rejects OUT.csv]\n"
    "\n"
    "list   the built-in schemas\n"
    "show   prints a built-in schema's text (a starting point for your own)\n"
    "check  reads FILE's header, picks the schema (detected from the\n"
    "       header unless --schema names a built-in or a schema file),\n"
    "       prints which column plays which role, then cleans every row\n"
    "       and prints how many are kept and why the others are dropped.\n"
    "       --sep is ',' or ';' (detected from the header otherwise).\n"
    "       --rejects writes the dropped rows with their line, reason\n"
    "       and a detail to OUT.csv.\n";

static int do_list(void)
{
    const char *const *names = schema_builtin_names();
    struct ns_error err = {0};

    for (size_t i = 0; names[i]; i++) {
        struct schema *s = NULL;

        if (schema_builtin(names[i], &s, &err) != NS_OK)
            return cli_fail(&err);
        printf("%-16s %zu columns\n", s->name, s->ncols);
        schema_free(s);
    }
    return CLI_EXIT_OK;
}

static int do_show(const char *name)
{
    struct ns_error err = {0};
    struct schema *s = NULL;

    if (schema_builtin(name, &s, &err) != NS_OK)
        return cli_fail(&err);
    fputs(s->text, stdout);
    schema_free(s);
    return CLI_EXIT_OK;
}

static void print_roles(const struct schema *s,
                        const struct schema_binding *b,
                        const struct csv_row *h)
{
    printf("schema %s\n%-40s %-17s %s\n", s->name, "column", "role",
           "field");
    for (size_t i = 0; i < s->ncols; i++) {
        int f = b->field_of_col[i];

        if (f >= 0)
            printf("%-40s %-17s %d\n", s->cols[i].name,
                   schema_role_name(s->cols[i].role), f + 1);
        else
            printf("%-40s %-17s absent\n", s->cols[i].name,
                   schema_role_name(s->cols[i].role));
    }
    for (size_t f = 0; f < h->nfields; f++) {
        bool used = false;

        for (size_t i = 0; i < s->ncols && !used; i++)
            used = b->field_of_col[i] == (int)f;
        if (!used)
            printf("%-40.*s %-17s %zu\n", (int)h->fields[f].len,
                   h->fields[f].ptr, "(not in schema)", f + 1);
    }
}

/* Cleans every row after the header; counts go to rep, dropped rows to
 * rj when given. */
static enum ns_err clean_all(struct csv_reader *rd, const struct schema *s,
                             const struct schema_binding *b,
                             struct clean_rejects *rj,
                             struct clean_report *rep, struct ns_error *err)
{
    struct record *r = record_new(s);
    struct clean_dedup *d = clean_dedup_new();
    const struct csv_row *row;
    enum ns_err rc = NS_ERR_NOMEM;
    struct ns_error rowerr = {0};

    if (r == NULL || d == NULL) {
        ns_error_set(err, rc, "%s: out of memory", csv_reader_name(rd));
        goto out;
    }
    while ((rc = csv_reader_next(rd, &row, err)) == NS_OK) {
        enum clean_reason why = CLEAN_OK;
        bool dup = false;

        if (clean_dedup_check(d, row, &dup) != NS_OK) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (dup)
            why = CLEAN_DUPLICATE;
        else if (clean_csv_row(s, b, csv_reader_name(rd), row, true, r,
                               &why, &rowerr) != NS_OK && why == CLEAN_OK)
            why = CLEAN_BAD_VALUE;
        clean_report_add(rep, why);
        if (rj && why != CLEAN_OK &&
            clean_rejects_write(rj, row, why, dup ? "exact copy of an "
                                "earlier row" : rowerr.msg) != NS_OK) {
            rc = ns_error_set(err, NS_ERR_IO, "writing rejected rows "
                              "failed");
            goto out;
        }
    }
    if (rc == NS_DONE)
        rc = NS_OK;
out:
    record_free(r);
    clean_dedup_free(d);
    return rc;
}

static int do_check(const char *path, const char *spec, char sep,
                    const char *rejects)
{
    struct csv_opts opts = {sep, 0};
    struct csv_reader *rd = NULL;
    struct schema *s = NULL;
    struct schema_binding *b = NULL;
    struct clean_rejects *rj = NULL;
    struct clean_report rep = {0};
    struct ns_error err = {0};
    const struct csv_row *h;
    enum ns_err rc;
    int code = CLI_EXIT_FAIL;

    rc = csv_reader_open(path, &opts, &rd, &err);
    if (rc == NS_OK)
        rc = csv_reader_next(rd, &h, &err);
    if (rc == NS_DONE) {
        fprintf(stderr, "noshow: %s: empty file; expected a header line\n",
                path);
        goto out;
    }
    if (rc == NS_OK && spec)
        rc = schema_from_spec(spec, &s, &err);
    else if (rc == NS_OK && (rc = schema_detect(h, &s, &err)) != NS_OK)
        ns_error_prefix(&err, "%s", path);
    if (rc == NS_OK)
        rc = schema_bind(s, h, path, &b, &err);
    if (rc == NS_OK && rejects)
        rc = clean_rejects_open(rejects, h, csv_reader_sep(rd), &rj, &err);
    if (rc != NS_OK) {
        cli_fail(&err);
        goto out;
    }
    print_roles(s, b, h);
    rc = clean_all(rd, s, b, rj, &rep, &err);
    if (rc == NS_OK && clean_rejects_close(rj, true) != NS_OK)
        rc = ns_error_set(&err, NS_ERR_IO, "%s: write failed", rejects);
    rj = NULL;
    if (rc != NS_OK) {
        cli_fail(&err);
        goto out;
    }
    clean_report_print(&rep, stdout);
    code = CLI_EXIT_OK;
out:
    (void)clean_rejects_close(rj, false);
    schema_binding_free(b);
    schema_free(s);
    csv_reader_close(rd);
    return code;
}

static int check_args(int argc, char **argv)
{
    const char *path = NULL, *spec = NULL, *rejects = NULL;
    char sep = 0;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc) {
            spec = argv[++i];
        } else if (strcmp(argv[i], "--rejects") == 0 && i + 1 < argc) {
            rejects = argv[++i];
        } else if (strcmp(argv[i], "--sep") == 0 && i + 1 < argc) {
            if (strcmp(argv[i + 1], ",") != 0 &&
                strcmp(argv[i + 1], ";") != 0)
                return cli_usage_error("schema", "--sep '%s': expected "
                                       "',' or ';'", argv[i + 1]);
            sep = argv[++i][0];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("schema", "unknown option '%s' (or its "
                                   "value is missing)", argv[i]);
        } else if (path == NULL) {
            path = argv[i];
        } else {
            return cli_usage_error("schema", "unexpected argument '%s'",
                                   argv[i]);
        }
    }
    if (path == NULL)
        return cli_usage_error("schema", "check needs a CSV file");
    return do_check(path, spec, sep, rejects);
}

int cmd_schema(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return do_list();
    if (strcmp(argv[1], "show") == 0 && argc == 3)
        return do_show(argv[2]);
    if (strcmp(argv[1], "check") == 0)
        return check_args(argc, argv);
    return cli_usage_error("schema", "unknown or incomplete subcommand "
                           "'%s'; expected list, show NAME or check FILE",
                           argv[1]);
}
