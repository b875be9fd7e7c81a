/* noshow eda: the exploratory data report of one CSV file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/table.h"
#include "report/eda_html.h"
#include "report/eda_stats.h"
#include "util/log.h"
#include "util/timeutil.h"

struct eda_args {
    const char *data;
    const char *out;
    const char *schema;
    const char *rejects;
    char sep;
};

/* The first rejected rows, copied out of the rejects file. */
struct sample {
    size_t nfields, nrows;
    char **header;      /* [nfields] */
    char **cells;       /* [EDA_REJECT_SAMPLE * nfields] */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: noshow eda DATA.csv -o REPORT.html [options]\n\n"
            "Writes a self-contained HTML report of the data: column "
            "summaries,\nhistograms, no-show rates by category, lead time, "
            "weekday and age,\ncorrelations, class balance, duplicates and "
            "rejected rows. The file\nopens offline.\n\n"
            "options:\n"
            "  -o, --output FILE    the report (required)\n"
            "  --schema NAME|FILE   a built-in schema or a schema file "
            "(default:\n"
            "                       detected from the header)\n"
            "  --rejects FILE       also keep the rejected rows in FILE\n"
            "  --sep C              field separator, ',' or ';' "
            "(default: detected)\n"
            "  -h, --help           this help\n");
}

/* Returns -1 when the run may go on, else the exit code. */
static int parse_args(int argc, char **argv, struct eda_args *a)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"schema", required_argument, NULL, 's'},
        {"rejects", required_argument, NULL, 'r'},
        {"sep", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            a->out = optarg;
            break;
        case 's':
            a->schema = optarg;
            break;
        case 'r':
            a->rejects = optarg;
            break;
        case 'S':
            if (strcmp(optarg, ",") != 0 && strcmp(optarg, ";") != 0)
                return cli_usage_error("eda", "--sep '%s': expected ',' "
                                       "or ';'", optarg);
            a->sep = optarg[0];
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("eda", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("eda", "expected one DATA.csv, got %d "
                               "arguments", argc - optind);
    if (a->out == NULL)
        return cli_usage_error("eda", "missing -o REPORT.html");
    a->data = argv[optind];
    return -1;
}

static void sample_free(struct sample *s)
{
    for (size_t i = 0; s->header && i < s->nfields; i++)
        free(s->header[i]);
    for (size_t i = 0; s->cells && i < s->nfields * s->nrows; i++)
        free(s->cells[i]);
    free(s->header);
    free(s->cells);
}

static enum ns_err copy_row(char **dst, const struct csv_row *row,
                            size_t n)
{
    for (size_t j = 0; j < n; j++) {
        dst[j] = strdup(j < row->nfields ? row->fields[j].ptr : "");
        if (dst[j] == NULL)
            return NS_ERR_NOMEM;
    }
    return NS_OK;
}

/* Reads the header and the first EDA_REJECT_SAMPLE rows of the rejects
 * file written while loading. */
static enum ns_err load_sample(const char *path, struct sample *s,
                               struct ns_error *err)
{
    struct csv_reader *r = NULL;
    const struct csv_row *row;
    enum ns_err rc;

    rc = csv_reader_open(path, NULL, &r, err);
    if (rc != NS_OK)
        return rc;
    rc = csv_reader_next(r, &row, err);
    if (rc == NS_DONE) {
        rc = NS_OK;
        goto out;
    }
    if (rc != NS_OK)
        goto out;
    s->nfields = row->nfields;
    s->header = calloc(s->nfields, sizeof(*s->header));
    s->cells = calloc(s->nfields * EDA_REJECT_SAMPLE, sizeof(*s->cells));
    rc = NS_ERR_NOMEM;
    if (s->header == NULL || s->cells == NULL ||
        copy_row(s->header, row, s->nfields) != NS_OK)
        goto out;
    while (s->nrows < EDA_REJECT_SAMPLE &&
           (rc = csv_reader_next(r, &row, err)) == NS_OK) {
        s->nrows++;
        if (copy_row(s->cells + (s->nrows - 1) * s->nfields, row,
                     s->nfields) != NS_OK) {
            rc = NS_ERR_NOMEM;
            goto out;
        }
    }
    rc = rc == NS_DONE ? NS_OK : rc;
out:
    if (rc == NS_ERR_NOMEM)
        ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory reading "
                     "rejected rows", path);
    csv_reader_close(r);
    return rc;
}

static enum ns_err compute(const struct table *t, struct eda_stats **out,
                           struct ns_error *err)
{
    struct record *view = record_new(t->schema);
    enum ns_err rc;

    *out = NULL;
    if (view == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "eda: out of memory");
    rc = eda_stats_new(t->schema, out, err);
    for (size_t i = 0; rc == NS_OK && i < t->nrows; i++) {
        table_row(t, i, view);
        rc = eda_stats_add(*out, view, err);
    }
    if (rc == NS_OK)
        rc = eda_stats_finish(*out, err);
    record_free(view);
    return rc;
}

/* Where the rejected rows go: the user's file, or a temporary one that
 * only feeds the report (path[0] is then set, for removal). */
static enum ns_err rejects_path(const struct eda_args *a, char *tmp,
                                size_t size, const char **path,
                                struct ns_error *err)
{
    const char *dir = getenv("TMPDIR");
    int fd;

    if (a->rejects) {
        *path = a->rejects;
        return NS_OK;
    }
    snprintf(tmp, size, "%s/noshow-rejects-XXXXXX.csv",
             dir && dir[0] ? dir : "/tmp");
    fd = mkstemps(tmp, 4);
    if (fd < 0) {
        int e = errno;

        tmp[0] = '\0';
        return ns_error_set(err, NS_ERR_IO, "eda: cannot create a "
                            "temporary file for rejected rows: %s",
                            strerror(e));
    }
    close(fd);
    *path = tmp;
    return NS_OK;
}

static void fill_source(struct eda_source *src, const struct eda_args *a,
                        const struct table *t, const struct clean_report *rep,
                        struct eda_reason *reasons, const struct sample *s,
                        char when[static 21])
{
    size_t n = 0;

    for (int r = CLEAN_OK + 1; r < CLEAN_NREASONS; r++) {
        reasons[n].key = clean_reason_key((enum clean_reason)r);
        reasons[n++].count = rep->dropped[r];
    }
    ns_format_datetime(ns_now_ms() / 1000, when);
    src->file = a->data;
    src->schema_name = t->schema->name;
    src->rows_read = rep->rows_read;
    src->rows_kept = rep->rows_kept;
    src->nreasons = n;
    src->reasons = reasons;
    src->dedup = true;
    src->nfields = s->nfields;
    src->reject_header = (const char *const *)s->header;
    src->nrejects = s->nrows;
    src->reject_cells = (const char *const *)s->cells;
    src->generated_at = when;
}

int cmd_eda(int argc, char **argv)
{
    struct eda_args a = {0};
    struct table_load_opts lo = {.dedup = true};
    struct clean_report rep = {0};
    struct eda_reason reasons[CLEAN_NREASONS];
    struct sample smp = {0};
    struct eda_source src = {0};
    struct table *t = NULL;
    struct schema *schema = NULL;
    struct eda_stats *st = NULL;
    struct ns_error err = {0};
    char tmp[512] = "", when[21];
    int64_t t0 = ns_mono_ns();
    int code = parse_args(argc, argv, &a);

    if (code >= 0)
        return code;
    code = CLI_EXIT_FAIL;
    if (a.schema && access(a.schema, R_OK) == 0)
        lo.schema_path = a.schema;
    else
        lo.schema_name = a.schema;
    lo.sep = a.sep;
    if (rejects_path(&a, tmp, sizeof(tmp), &lo.rejects_path, &err) != NS_OK)
        goto out;
    if (table_load_csv(a.data, NULL, &lo, &t, &schema, &rep, &err) != NS_OK ||
        compute(t, &st, &err) != NS_OK ||
        load_sample(lo.rejects_path, &smp, &err) != NS_OK)
        goto out;
    fill_source(&src, &a, t, &rep, reasons, &smp, when);
    if (eda_html_write_file(a.out, st, &src, &err) != NS_OK)
        goto out;
    ns_log_info("eda", "report written rows=%zu kept=%zu ms=%lld",
                rep.rows_read, rep.rows_kept,
                (long long)((ns_mono_ns() - t0) / 1000000));
    code = CLI_EXIT_OK;
out:
    if (code != CLI_EXIT_OK)
        cli_fail(&err);
    if (tmp[0])
        unlink(tmp);
    sample_free(&smp);
    eda_stats_free(st);
    table_free(t);
    schema_free(schema);
    return code;
}
