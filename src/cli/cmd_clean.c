/* noshow clean: ingest, clean and compute features in two streaming
 * passes. Pass 1 checks every row on its own, counts categories for the
 * encoders and hands each row to features/rowfate.h, which then finds
 * exact duplicates and every kept row's patient history on disk; pass 2
 * reads the file again, drops the duplicates and writes the rejected
 * rows and each kept row's feature vector. Memory does not grow with
 * the file. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/clean_pass.h"
#include "cli/cli.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/schema.h"
#include "features/catcount.h"
#include "features/encode.h"
#include "features/pipeline.h"
#include "features/rowfate.h"
#include "util/log.h"
#include "util/outfile.h"
#include "util/timeutil.h"
#include "util/tmpfile.h"

static const char usage[] =
    "usage: noshow clean DATA.csv [--schema NAME|FILE] [--sep ,|;]\n"
    "                    [--rejects R.csv] [--features OUT.csv] [--strict]\n"
    "                    [--json]\n"
    "\n"
    "Reads an appointment file, checks every row against its schema and\n"
    "prints the clean report: rows read, kept, and dropped per reason.\n"
    "With --features it also writes each kept row's feature vector (the\n"
    "same features training uses, patient history included).\n"
    "\n"
    "Memory stays flat whatever the file's size: duplicates and patient\n"
    "history are worked out in unnamed temporary files in $TMPDIR (else\n"
    "/tmp) of about 190 bytes a row, and --features keeps the clean rows'\n"
    "values there too (about 140 bytes a doctolib row) to compute features\n"
    "from. With --rejects or --strict the file is read a second time\n"
    "instead (standard input or a pipe is then first copied to a\n"
    "temporary file). A run that fails leaves the --features and\n"
    "--rejects paths as they were: both are written to a temporary file\n"
    "beside them and renamed over them at the end.\n"
    "\n"
    "options:\n"
    "  --schema NAME|FILE  built-in schema (kaggle-noshow, doctolib) or a\n"
    "                      schema file (docs/schema.md); default: detected\n"
    "                      from the header\n"
    "  --sep ,|;           field separator (default: detected from the\n"
    "                      header line)\n"
    "  --rejects R.csv     write the dropped rows with line, reason and\n"
    "                      detail columns\n"
    "  --features OUT.csv  write appointment_id, label and the features of\n"
    "                      each kept row ('-' for standard output)\n"
    "  --strict            stop at the first bad row instead of dropping it\n"
    "  --json              print the report as one JSON object\n"
    "\n"
    "bad input (exit 1 means the run stopped; 'dropped' rows are counted\n"
    "under their reason and written to --rejects):\n"
    "  empty file            stops: 'empty file; expected a header line'\n"
    "  header only           stops: 'no rows after the header'\n"
    "  wrong separator       stops: a one-field header holding the other\n"
    "                        separator says so and suggests --sep; any\n"
    "                        other unknown header lists the columns found\n"
    "  unterminated quote    stops at file:line:column of the opening quote\n"
    "  too many/few fields   dropped: field_count\n"
    "  date in another form  dropped: bad_value (the message says the\n"
    "                        expected form)\n"
    "  non-numeric age       dropped: bad_value; out of range: out_of_range\n"
    "  booked after the day  dropped: negative_lead\n"
    "  exact duplicate row   dropped: duplicate\n"
    "  line over 1 MiB       stops at file:line (the safeguard of the reader\n"
    "                        against a 2 GB line)\n"
    "  invalid UTF-8         stops at file:line:column of the bad byte\n"
    "With --strict, a row that would be dropped stops the run instead.\n"
    "\n"
    "exit: 0 done, 1 the input or output failed, 2 bad command line\n";

/* The job of the passes, and what only the command holds. */
struct run {
    struct clean_job j;
    struct encoders *enc;
    struct ns_outfile featout;  /* j.feat is its file */
    char *featbuf;
};

/* Whether path can be opened and read a second time. */
static bool rereadable(const char *path)
{
    struct stat st;

    if (strcmp(path, "-") == 0)
        return false;
    return stat(path, &st) != 0 || S_ISREG(st.st_mode);
}

static int parse_args(int argc, char **argv, struct clean_args *a,
                      int *help)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            *help = 1;
            return CLI_EXIT_OK;
        }
        if (strcmp(o, "--strict") == 0) {
            a->strict = true;
            continue;
        }
        if (strcmp(o, "--json") == 0) {
            a->json = true;
            continue;
        }
        if (o[0] != '-' || strcmp(o, "-") == 0) {
            if (a->path != NULL)
                return cli_usage_error("clean", "more than one input file "
                                       "('%s' and '%s')", a->path, o);
            a->path = o;
            continue;
        }
        if (v == NULL)
            return cli_usage_error("clean", "option '%s' needs a value", o);
        i++;
        if (strcmp(o, "--schema") == 0) {
            a->schema = v;
        } else if (strcmp(o, "--rejects") == 0) {
            a->rejects = v;
        } else if (strcmp(o, "--features") == 0) {
            a->features = v;
        } else if (strcmp(o, "--sep") == 0) {
            if ((v[0] != ',' && v[0] != ';') || v[1] != '\0')
                return cli_usage_error("clean", "--sep: '%s' is not a "
                                       "separator; expected ',' or ';'", v);
            a->sep = v[0];
        } else {
            return cli_usage_error("clean", "unknown option '%s'", o);
        }
    }
    if (a->path == NULL)
        return cli_usage_error("clean", "missing the input file DATA.csv");
    return CLI_EXIT_OK;
}

/* Whether pass 2 may read the file again: for rejected rows, or the
 * message of the row that stops a strict run. Features alone come from
 * the clean rows pass 1 keeps. */
static bool may_read_twice(const struct clean_args *a)
{
    return a->rejects != NULL || a->strict;
}

/* A pipe or standard input cannot be read twice: pass 1 reads a copy in
 * an unnamed temporary file instead, which pass 2 reads again. */
static enum ns_err copy_input(struct run *r, struct ns_error *err)
{
    FILE *in = strcmp(r->j.a.path, "-") == 0 ? stdin : fopen(r->j.a.path, "rb");
    char *buf = malloc(1u << 16);
    size_t n;
    int e = 0;

    if (in == NULL || buf == NULL)
        e = errno ? errno : ENOMEM;
    if (e == 0 && (r->j.copy = ns_tmp_file(err)) == NULL) {
        if (in != stdin)
            fclose(in);
        free(buf);
        return NS_ERR_IO;
    }
    while (e == 0 && (n = fread(buf, 1, 1u << 16, in)) > 0) {
        if (fwrite(buf, 1, n, r->j.copy) != n)
            e = errno ? errno : EIO;
    }
    if (e == 0 && (ferror(in) || fflush(r->j.copy) != 0))
        e = errno ? errno : EIO;
    if (in != NULL && in != stdin)
        fclose(in);
    free(buf);
    if (e != 0)
        return ns_error_set(err, NS_ERR_IO, "%s: cannot copy to a "
                            "temporary file: %s", r->j.a.path, strerror(e));
    return NS_OK;
}

#define FEAT_BUF (1u << 20)

static enum ns_err io_error(const char *path, struct ns_error *err)
{
    int e = errno;

    return ns_error_set(err, NS_ERR_IO, "%s: write failed: %s", path,
                        strerror(e));
}

static enum ns_err open_features(struct run *r, struct ns_error *err)
{
    size_t n = pipeline_nfeatures(r->j.pipe);
    enum ns_err rc = NS_OK;

    rc = ns_outfile_open(&r->featout, r->j.a.features, err);
    if (rc != NS_OK)
        return rc;
    r->j.feat = r->featout.f;
    r->featbuf = malloc(FEAT_BUF);
    if (r->featbuf == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    setvbuf(r->j.feat, r->featbuf, _IOFBF, FEAT_BUF);
    if (fputs("appointment_id,label", r->j.feat) == EOF)
        return io_error(r->j.a.features, err);
    for (size_t i = 0; i < n && rc == NS_OK; i++) {
        const char *name = pipeline_feature(r->j.pipe, i)->name;

        if (fputc(',', r->j.feat) == EOF)
            return io_error(r->j.a.features, err);
        rc = csv_write_field(r->j.feat, ',', name, strlen(name));
    }
    if (rc != NS_OK || fputc('\n', r->j.feat) == EOF)
        return io_error(r->j.a.features, err);
    return NS_OK;
}

static enum ns_err build_pipeline(struct run *r, struct ns_error *err)
{
    struct pipeline_opts po = {true, true};
    enum ns_err rc;

    rc = catcount_fit(r->j.cc, &r->enc, err);
    if (rc == NS_OK)
        rc = pipeline_new(r->j.schema, r->enc, &po, &r->j.pipe, err);
    return rc;
}

static int print_json(const struct run *r, FILE *f, double seconds)
{
    json_t *o = json_object();
    json_t *dropped = json_object();
    int rc = CLI_EXIT_OK;

    if (o == NULL || dropped == NULL)
        goto fail;
    for (int k = CLEAN_OK + 1; k < CLEAN_NREASONS; k++) {
        if (json_object_set_new(dropped, clean_reason_key(k),
                                json_integer((json_int_t)r->j.rep.dropped[k])))
            goto fail;
    }
    if (json_object_set_new(o, "file", json_string(r->j.a.path)) ||
        json_object_set_new(o, "schema", json_string(r->j.schema->name)) ||
        json_object_set_new(o, "rows_read",
                            json_integer((json_int_t)r->j.rep.rows_read)) ||
        json_object_set_new(o, "rows_kept",
                            json_integer((json_int_t)r->j.rep.rows_kept)) ||
        json_object_set_new(o, "dropped", dropped) ||
        json_object_set_new(o, "patients",
                            json_integer((json_int_t)
                                         rowfate_patients(r->j.fate))) ||
        json_object_set_new(o, "features",
                            json_integer(r->j.pipe ? (json_int_t)
                                         pipeline_nfeatures(r->j.pipe) : 0)) ||
        json_object_set_new(o, "unknown_categories",
                            json_integer(r->j.unknown_cats)) ||
        json_object_set_new(o, "seconds", json_real(seconds)))
        goto fail_set;
    if (json_dumpf(o, f, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0 ||
        fputc('\n', f) == EOF)
        rc = CLI_EXIT_FAIL;
    json_decref(o);
    return rc;
fail:
    json_decref(dropped);
fail_set:
    json_decref(o);
    fprintf(stderr, "noshow: out of memory\n");
    return CLI_EXIT_FAIL;
}

/* The report goes to standard output, or to standard error when the
 * features take standard output. */
static int print_report(const struct run *r, double seconds)
{
    FILE *f = r->j.a.features && strcmp(r->j.a.features, "-") == 0 ? stderr
                                                               : stdout;

    if (r->j.a.json)
        return print_json(r, f, seconds);
    fprintf(f, "%s: schema %s\n", r->j.a.path, r->j.schema->name);
    clean_report_print(&r->j.rep, f);
    fprintf(f, "patients: %zu\n", rowfate_patients(r->j.fate));
    if (r->j.pipe != NULL)
        fprintf(f, "features: %zu per row written to %s; unknown "
                "categories: %ld\n", pipeline_nfeatures(r->j.pipe),
                r->j.a.features, r->j.unknown_cats);
    fprintf(f, "seconds: %.3f (%.0f rows/s)\n", seconds,
            seconds > 0 ? (double)r->j.rep.rows_read / seconds : 0.0);
    return CLI_EXIT_OK;
}

/* keep: puts the outputs in place (a run that succeeded); else drops
 * them, leaving the paths as they were. The rejected rows go first: a
 * features file is only put in place when they reached theirs. */
static enum ns_err close_outputs(struct run *r, bool keep,
                                 struct ns_error *err)
{
    bool to_stdout = r->j.feat == stdout;
    enum ns_err rc = NS_OK;

    if (clean_rejects_close(r->j.rj, keep) != NS_OK)
        rc = ns_error_set(err, NS_ERR_IO, "%s: write failed",
                          r->j.a.rejects);
    r->j.rj = NULL;
    if (keep && rc == NS_OK)
        rc = ns_outfile_commit(&r->featout, err);
    else
        ns_outfile_abort(&r->featout);
    if (to_stdout)
        setvbuf(stdout, NULL, _IOLBF, 0);
    r->j.feat = NULL;
    return rc;
}

static void run_free(struct run *r)
{
    struct ns_error ignored;

    (void)close_outputs(r, false, &ignored);
    free(r->featbuf);
    if (r->j.copy != NULL)
        fclose(r->j.copy);
    pipeline_free(r->j.pipe);
    encoders_free(r->enc);
    catcount_free(r->j.cc);
    rowfate_free(r->j.fate);
    recstream_free(r->j.rows);
    schema_binding_free(r->j.bind);
    schema_free(r->j.schema);
}

int cmd_clean(int argc, char **argv)
{
    struct run r;
    struct ns_error err = {0};
    int help = 0;
    int rc;
    int64_t t0 = ns_mono_ns();

    memset(&r, 0, sizeof(r));
    atomic_init(&r.j.stopped, false);
    rc = parse_args(argc, argv, &r.j.a, &help);
    if (rc != CLI_EXIT_OK || help) {
        if (help)
            fputs(usage, stdout);
        return rc;
    }
    if (!rereadable(r.j.a.path) && may_read_twice(&r.j.a) &&
        copy_input(&r, &err) != NS_OK)
        goto fail;
    /* Features without rejected rows can come from pass 1's clean rows,
     * which is cheaper than reading the file again. */
    r.j.keep_rows = r.j.a.features != NULL && r.j.a.rejects == NULL;
    if (clean_pass_one(&r.j, &err) != NS_OK)
        goto fail;
    if (r.j.a.features != NULL && !(r.j.a.strict && r.j.rep.rows_kept <
                                  r.j.rep.rows_read) &&
        (build_pipeline(&r, &err) != NS_OK || open_features(&r, &err)))
        goto fail;
    if ((r.j.a.features != NULL || r.j.a.rejects != NULL ||
         (r.j.a.strict && r.j.rep.rows_kept < r.j.rep.rows_read)) &&
        clean_pass_two(&r.j, &err) != NS_OK)
        goto fail;
    if (close_outputs(&r, true, &err) != NS_OK)
        goto fail;
    rc = print_report(&r, (double)(ns_mono_ns() - t0) / 1e9);
    run_free(&r);
    return rc;
fail:
    rc = cli_fail(&err);
    run_free(&r);
    return rc;
}
