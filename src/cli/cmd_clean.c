/* noshow clean: ingest, clean and compute features in two streaming
 * passes. Pass 1 checks every row on its own, counts categories for the
 * encoders and hands each row to features/rowfate.h, which then finds
 * exact duplicates and every kept row's patient history on disk; pass 2
 * reads the file again, drops the duplicates and writes the rejected
 * rows and each kept row's feature vector. Memory does not grow with
 * the file. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/record.h"
#include "data/schema.h"
#include "features/catcount.h"
#include "features/encode.h"
#include "features/history.h"
#include "features/rowfate.h"
#include "features/pipeline.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow clean DATA.csv [--schema NAME|FILE] [--sep ,|;]\n"
    "                    [--rejects R.csv] [--features OUT.csv] [--strict]\n"
    "                    [--json]\n"
    "\n"
    "Reads an appointment file, checks every row against its schema and\n"
    "prints the clean report: rows read, kept, and dropped per reason.\n"
    "With --features it also writes each kept row's feature vector (the\n"
    "same features training uses, patient history included). The file is\n"
    "read twice (standard input or a pipe is first copied to an unnamed\n"
    "temporary file) and memory stays flat whatever its size: duplicates\n"
    "and patient history are worked out in an unnamed temporary file in\n"
    "$TMPDIR (else /tmp) of about 190 bytes a row.\n"
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

struct clean_args {
    const char *path;
    const char *schema;
    const char *rejects;
    const char *features;
    char sep;
    bool strict;
    bool json;
};

struct run {
    struct clean_args a;
    struct schema *schema;
    struct schema_binding *bind;
    struct record *rec;
    struct rowfate *fate;
    uint32_t *codes;    /* a kept row's category codes */
    struct clean_rejects *rj;
    struct catcount *cc;
    struct encoders *enc;
    struct pipeline *pipe;
    struct clean_report rep;
    long unknown_cats;
    bool stopped;       /* --strict: pass 1 met a bad row */
    FILE *copy;         /* a pipe's or standard input's copy, or NULL */
    FILE *feat;
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

static enum ns_err pick_schema(struct run *r, const struct csv_row *header,
                               struct ns_error *err)
{
    enum ns_err rc;

    if (r->a.schema == NULL)
        rc = schema_detect(header, &r->schema, err);
    else
        rc = schema_from_spec(r->a.schema, &r->schema, err);
    if (rc == NS_OK)
        rc = schema_bind(r->schema, header, r->a.path, &r->bind, err);
    return rc;
}

/* Opens the input (or its copy) and reads its header. An empty file is
 * an error. */
static enum ns_err open_input(const struct run *r, struct csv_reader **rd,
                              const struct csv_row **header,
                              struct ns_error *err)
{
    struct csv_opts o = {r->a.sep, 0};
    enum ns_err rc;

    if (r->copy != NULL) {
        rewind(r->copy);
        rc = csv_reader_open_file(r->copy, r->a.path, &o, rd, err);
    } else {
        rc = csv_reader_open(r->a.path, &o, rd, err);
    }
    if (rc != NS_OK)
        return rc;
    rc = csv_reader_next(*rd, header, err);
    if (rc == NS_DONE)
        rc = ns_error_set(err, NS_ERR_PARSE, "%s:1:1: empty file; expected "
                          "a header line", r->a.path);
    return rc;
}

/* Whether pass 2 may be needed: for features, rejected rows, or the
 * message of the row that stops a strict run. */
static bool may_read_twice(const struct clean_args *a)
{
    return a->features != NULL || a->rejects != NULL || a->strict;
}

/* A pipe or standard input cannot be read twice: pass 1 reads a copy in
 * an unnamed temporary file instead, which pass 2 reads again. */
static enum ns_err copy_input(struct run *r, struct ns_error *err)
{
    FILE *in = strcmp(r->a.path, "-") == 0 ? stdin : fopen(r->a.path, "rb");
    char *buf = malloc(1u << 16);
    size_t n;
    int e = 0;

    r->copy = tmpfile();
    if (in == NULL || buf == NULL || r->copy == NULL)
        e = errno ? errno : ENOMEM;
    while (e == 0 && (n = fread(buf, 1, 1u << 16, in)) > 0) {
        if (fwrite(buf, 1, n, r->copy) != n)
            e = errno ? errno : EIO;
    }
    if (e == 0 && (ferror(in) || fflush(r->copy) != 0))
        e = errno ? errno : EIO;
    if (in != NULL && in != stdin)
        fclose(in);
    free(buf);
    if (e != 0)
        return ns_error_set(err, NS_ERR_IO, "%s: cannot copy to a "
                            "temporary file: %s", r->a.path, strerror(e));
    return NS_OK;
}

static bool label_present(const struct run *r)
{
    int t = schema_find_role(r->schema, ROLE_TARGET);

    return t >= 0 && r->bind->field_of_col[t] >= 0;
}

/* Pass 2 writes a dropped row to --rejects; with --strict it is the
 * row that stops the run. */
static enum ns_err drop_row(struct run *r, const struct csv_row *row,
                            enum clean_reason reason, struct ns_error *err)
{
    if (r->rj != NULL &&
        clean_rejects_write(r->rj, row, reason, err->msg) != NS_OK) {
        int e = errno;

        return ns_error_set(err, NS_ERR_IO, "%s: cannot write rejected "
                            "rows: %s", r->a.rejects, strerror(e));
    }
    if (r->a.strict)
        return NS_ERR_INVALID;
    return NS_OK;
}

/* A kept row with a patient and a booking instant gets history stats
 * (as in pipeline_row); the others get none. */
static bool has_history(const struct record *rec)
{
    return rec->patient != NULL && rec->patient[0] != '\0' &&
           rec->booked_at != NS_TIME_NONE;
}

/* Pass 1 for one row: its own checks, its categories if kept, and its
 * place for rowfate. Whether it repeats an earlier row is known only
 * after the whole file, so every row is counted here by its own checks
 * and the duplicates are moved over in count_duplicates(). */
static enum ns_err scan_row(struct run *r, const struct csv_row *row,
                            bool need_label, struct ns_error *err)
{
    const struct record *rec = r->rec;
    struct rowfate_row fr;
    enum clean_reason reason = CLEAN_OK;
    enum ns_err rc;

    memset(&fr, 0, sizeof(fr));
    fr.fp = clean_row_fp(row);
    rc = clean_csv_row(r->schema, r->bind, r->a.path, row, need_label,
                       r->rec, &reason, err);
    if (rc == NS_ERR_INVALID) {
        fr.reason = reason;
        r->stopped = r->a.strict;
    } else if (rc != NS_OK) {
        return rc;
    } else if ((rc = catcount_add_coded(r->cc, rec, r->codes, err)) !=
               NS_OK) {
        return rc;
    } else {
        fr.codes = r->codes;
        if (has_history(rec)) {
            fr.patient = rec->patient;
            fr.booked_at = rec->booked_at;
            fr.appt_day = rec->appt_day;
            fr.label = (int8_t)rec->label;
        }
    }
    clean_report_add(&r->rep, fr.reason);
    return rowfate_add(r->fate, &fr, err);
}

static uint64_t input_bytes(const struct run *r)
{
    struct stat st;

    if (r->copy != NULL)
        return fstat(fileno(r->copy), &st) == 0 ? (uint64_t)st.st_size : 0;
    return stat(r->a.path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static enum ns_err setup_pass_one(struct run *r, const struct csv_reader *rd,
                                  const struct csv_row *header,
                                  struct ns_error *err)
{
    enum ns_err rc;

    rc = pick_schema(r, header, err);
    if (rc != NS_OK)
        return rc;
    r->rec = record_new(r->schema);
    if (r->rec == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = catcount_new(r->schema, &r->cc, err);
    if (rc != NS_OK)
        return rc;
    r->codes = calloc(catcount_columns(r->cc) + 1, sizeof(*r->codes));
    if (r->codes == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = rowfate_new(catcount_columns(r->cc), input_bytes(r), &r->fate,
                     err);
    if (rc == NS_OK && r->a.rejects != NULL)
        rc = clean_rejects_open(r->a.rejects, header, csv_reader_sep(rd),
                                &r->rj, err);
    return rc;
}

/* Moves the rows found to repeat earlier ones from the reason their
 * own checks gave them to "duplicate", as one pass in file order would
 * have counted them. */
static void count_duplicates(struct run *r)
{
    for (int k = CLEAN_OK; k < CLEAN_NREASONS; k++) {
        size_t d = rowfate_duplicates(r->fate, (enum clean_reason)k);

        if (k == CLEAN_OK)
            r->rep.rows_kept -= d;
        else
            r->rep.dropped[k] -= d;
        r->rep.dropped[CLEAN_DUPLICATE] += d;
    }
}

/* Pass 1: check every row on its own, count categories, then let
 * rowfate find duplicates and history. With --strict it stops at the
 * first bad row: no later row can stop the run earlier. */
static enum ns_err pass_one(struct run *r, struct ns_error *err)
{
    struct csv_reader *rd = NULL;
    const struct csv_row *header;
    const struct csv_row *row;
    bool need_label;
    enum ns_err rc;

    rc = open_input(r, &rd, &header, err);
    if (rc == NS_OK)
        rc = setup_pass_one(r, rd, header, err);
    if (rc != NS_OK)
        goto out;
    need_label = label_present(r);
    while (!r->stopped && (rc = csv_reader_next(rd, &row, err)) == NS_OK) {
        rc = scan_row(r, row, need_label, err);
        if (rc != NS_OK)
            goto out;
    }
    if (rc != NS_DONE && rc != NS_OK)
        goto out;
    rc = NS_OK;
    if (r->rep.rows_read == 0)
        rc = ns_error_set(err, NS_ERR_PARSE, "%s:2: no rows after the "
                          "header", r->a.path);
    else
        rc = rowfate_finish(r->fate, r->cc, err);
    if (rc == NS_OK)
        count_duplicates(r);
out:
    csv_reader_close(rd);
    return rc;
}

/* Writes the n digits of an integer as a decimal with k of them after
 * the point: ("5", 2) -> "0.05", ("443", 1) -> "44.3". */
static char *put_scaled(char *p, const char *digits, size_t n, size_t k)
{
    if (k == 0) {
        memcpy(p, digits, n);
        return p + n;
    }
    if (n <= k) {
        *p++ = '0';
        *p++ = '.';
        for (size_t i = n; i < k; i++)
            *p++ = '0';
        memcpy(p, digits, n);
        return p + n;
    }
    memcpy(p, digits, n - k);
    p += n - k;
    *p++ = '.';
    memcpy(p, digits + n - k, k);
    return p + k;
}

/* The shortest decimal with at most 3 decimals that reads back as the
 * same float, else %.9g (always exact for a float). Missing is empty. */
static char *put_float(char *p, float v)
{
    static const double scale[4] = {1, 10, 100, 1000};
    double d = v;

    if (isnan(v))
        return p;
    /* Most features are whole numbers: the k = 0 case below without
     * its division (a float below 1e12 is whole exactly when its
     * truncation is itself). */
    if (fabs(d) < 1e12 && (double)(uint64_t)fabs(d) == fabs(d)) {
        if (d < 0)
            *p++ = '-';
        return ns_put_u64(p, (uint64_t)fabs(d));
    }
    for (size_t k = 1; k < 4 && fabs(d) < 1e12; k++) {
        double m = nearbyint(fabs(d) * scale[k]);
        char digits[24];

        if ((float)(m / scale[k]) != fabsf(v))
            continue;
        if (d < 0)
            *p++ = '-';
        return put_scaled(p, digits,
                          (size_t)(ns_put_u64(digits, (uint64_t)m) - digits),
                          k);
    }
    return ns_put_float_g9(p, v);
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
    size_t n = pipeline_nfeatures(r->pipe);
    enum ns_err rc = NS_OK;

    if (strcmp(r->a.features, "-") == 0) {
        r->feat = stdout;
    } else {
        r->feat = fopen(r->a.features, "w");
        if (r->feat == NULL) {
            int e = errno;

            return ns_error_set(err, NS_ERR_IO, "%s: cannot create: %s",
                                r->a.features, strerror(e));
        }
    }
    r->featbuf = malloc(FEAT_BUF);
    if (r->featbuf == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    setvbuf(r->feat, r->featbuf, _IOFBF, FEAT_BUF);
    if (fputs("appointment_id,label", r->feat) == EOF)
        return io_error(r->a.features, err);
    for (size_t i = 0; i < n && rc == NS_OK; i++) {
        const char *name = pipeline_feature(r->pipe, i)->name;

        if (fputc(',', r->feat) == EOF)
            return io_error(r->a.features, err);
        rc = csv_write_field(r->feat, ',', name, strlen(name));
    }
    if (rc != NS_OK || fputc('\n', r->feat) == EOF)
        return io_error(r->a.features, err);
    return NS_OK;
}

static enum ns_err write_features(struct run *r, const float *vec,
                                  struct ns_error *err)
{
    char line[PIPELINE_MAX_FEATURES * 20 + 8];
    char *p = line;
    size_t n = pipeline_nfeatures(r->pipe);
    const char *id = r->rec->appt_id ? r->rec->appt_id : "";

    if (csv_write_field(r->feat, ',', id, strlen(id)) != NS_OK)
        return io_error(r->a.features, err);
    *p++ = ',';
    if (r->rec->label >= 0)
        *p++ = (char)('0' + r->rec->label);
    for (size_t i = 0; i < n; i++) {
        *p++ = ',';
        p = put_float(p, vec[i]);
    }
    *p++ = '\n';
    if (fwrite(line, 1, (size_t)(p - line), r->feat) != (size_t)(p - line))
        return io_error(r->a.features, err);
    return NS_OK;
}

static enum ns_err build_pipeline(struct run *r, struct ns_error *err)
{
    struct pipeline_opts po = {true, true};
    enum ns_err rc;

    rc = catcount_fit(r->cc, &r->enc, err);
    if (rc == NS_OK)
        rc = pipeline_new(r->schema, r->enc, &po, &r->pipe, err);
    return rc;
}

/* Writes one kept row's features, its history from pass 1's rowfate;
 * the instant and day kept there show that the row is the same. */
static enum ns_err feature_row(struct run *r, const struct rowfate_fate *fate,
                               struct ns_error *err)
{
    const struct record *rec = r->rec;
    float vec[PIPELINE_MAX_FEATURES];
    struct history_stats hs;
    int unknown = 0;

    history_stats_empty(&hs);
    if (has_history(rec)) {
        if (!fate->has_stats || fate->booked_at != rec->booked_at ||
            fate->appt_day != rec->appt_day)
            return ns_error_set(err, NS_ERR_INVALID, "%s:%ld: %s changed "
                                "between the two passes", r->a.path,
                                rec->line, r->a.path);
        hs = fate->stats;
    }
    pipeline_row_stats(r->pipe, rec, &hs, vec, &unknown);
    r->unknown_cats += unknown;
    return write_features(r, vec, err);
}

/* Pass 2 for one row: a duplicate or a bad row is dropped (written to
 * --rejects, or stops a --strict run); a kept one gets its features. */
static enum ns_err second_row(struct run *r, const struct csv_row *row,
                              size_t ordinal, bool need_label, size_t *kept,
                              struct ns_error *err)
{
    struct rowfate_fate fate;
    enum clean_reason reason;
    enum ns_err rc;

    rc = rowfate_get(r->fate, ordinal, &fate, err);
    if (rc != NS_OK)
        return rc;
    if (fate.duplicate) {
        ns_error_set(err, NS_ERR_INVALID, "%s:%ld: exact duplicate of an "
                     "earlier row", r->a.path, row->line);
        return drop_row(r, row, CLEAN_DUPLICATE, err);
    }
    rc = clean_csv_row(r->schema, r->bind, r->a.path, row, need_label,
                       r->rec, &reason, err);
    if (rc == NS_ERR_INVALID)
        return drop_row(r, row, reason, err);
    if (rc != NS_OK)
        return rc;
    (*kept)++;
    return r->feat ? feature_row(r, &fate, err) : NS_OK;
}

/* Pass 2: reads the file again, in step with pass 1's row numbers. A
 * file that changed in between shows in the count of kept rows. */
static enum ns_err pass_two(struct run *r, struct ns_error *err)
{
    struct csv_reader *rd = NULL;
    const struct csv_row *row;
    bool need_label = label_present(r);
    size_t ordinal = 0, kept = 0;
    enum ns_err rc;

    rc = open_input(r, &rd, &row, err);
    while (rc == NS_OK && ordinal < r->rep.rows_read &&
           (rc = csv_reader_next(rd, &row, err)) == NS_OK)
        rc = second_row(r, row, ordinal++, need_label, &kept, err);
    if (rc == NS_DONE)
        rc = NS_OK;
    if (rc == NS_OK && (ordinal != r->rep.rows_read ||
                        kept != r->rep.rows_kept))
        rc = ns_error_set(err, NS_ERR_INVALID, "%s changed between the "
                          "two passes: %zu rows kept of %zu, then %zu of "
                          "%zu", r->a.path, r->rep.rows_kept,
                          r->rep.rows_read, kept, ordinal);
    csv_reader_close(rd);
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
                                json_integer((json_int_t)r->rep.dropped[k])))
            goto fail;
    }
    if (json_object_set_new(o, "file", json_string(r->a.path)) ||
        json_object_set_new(o, "schema", json_string(r->schema->name)) ||
        json_object_set_new(o, "rows_read",
                            json_integer((json_int_t)r->rep.rows_read)) ||
        json_object_set_new(o, "rows_kept",
                            json_integer((json_int_t)r->rep.rows_kept)) ||
        json_object_set_new(o, "dropped", dropped) ||
        json_object_set_new(o, "patients",
                            json_integer((json_int_t)
                                         rowfate_patients(r->fate))) ||
        json_object_set_new(o, "features",
                            json_integer(r->pipe ? (json_int_t)
                                         pipeline_nfeatures(r->pipe) : 0)) ||
        json_object_set_new(o, "unknown_categories",
                            json_integer(r->unknown_cats)) ||
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
    FILE *f = r->a.features && strcmp(r->a.features, "-") == 0 ? stderr
                                                               : stdout;

    if (r->a.json)
        return print_json(r, f, seconds);
    fprintf(f, "%s: schema %s\n", r->a.path, r->schema->name);
    clean_report_print(&r->rep, f);
    fprintf(f, "patients: %zu\n", rowfate_patients(r->fate));
    if (r->pipe != NULL)
        fprintf(f, "features: %zu per row written to %s; unknown "
                "categories: %ld\n", pipeline_nfeatures(r->pipe),
                r->a.features, r->unknown_cats);
    fprintf(f, "seconds: %.3f (%.0f rows/s)\n", seconds,
            seconds > 0 ? (double)r->rep.rows_read / seconds : 0.0);
    return CLI_EXIT_OK;
}

static enum ns_err close_outputs(struct run *r, struct ns_error *err)
{
    enum ns_err rc = NS_OK;

    if (r->feat != NULL) {
        if (r->feat == stdout ? fflush(stdout) != 0 : fclose(r->feat) != 0)
            rc = io_error(r->a.features, err);
        if (r->feat == stdout)
            setvbuf(stdout, NULL, _IOLBF, 0);
        r->feat = NULL;
    }
    if (clean_rejects_close(r->rj) != NS_OK && rc == NS_OK)
        rc = ns_error_set(err, NS_ERR_IO, "%s: write failed",
                          r->a.rejects);
    r->rj = NULL;
    return rc;
}

static void run_free(struct run *r)
{
    struct ns_error ignored;

    if (close_outputs(r, &ignored) != NS_OK)
        ns_log_warn("clean", "closing outputs failed after an error");
    free(r->featbuf);
    free(r->codes);
    if (r->copy != NULL)
        fclose(r->copy);
    pipeline_free(r->pipe);
    encoders_free(r->enc);
    catcount_free(r->cc);
    rowfate_free(r->fate);
    record_free(r->rec);
    schema_binding_free(r->bind);
    schema_free(r->schema);
}

int cmd_clean(int argc, char **argv)
{
    struct run r;
    struct ns_error err = {0};
    int help = 0;
    int rc;
    int64_t t0 = ns_mono_ns();

    memset(&r, 0, sizeof(r));
    rc = parse_args(argc, argv, &r.a, &help);
    if (rc != CLI_EXIT_OK || help) {
        if (help)
            fputs(usage, stdout);
        return rc;
    }
    if (!rereadable(r.a.path) && may_read_twice(&r.a) &&
        copy_input(&r, &err) != NS_OK)
        goto fail;
    if (pass_one(&r, &err) != NS_OK)
        goto fail;
    if (r.a.features != NULL && !(r.a.strict && r.rep.rows_kept <
                                  r.rep.rows_read) &&
        (build_pipeline(&r, &err) != NS_OK || open_features(&r, &err)))
        goto fail;
    if ((r.a.features != NULL || r.a.rejects != NULL ||
         (r.a.strict && r.rep.rows_kept < r.rep.rows_read)) &&
        pass_two(&r, &err) != NS_OK)
        goto fail;
    if (close_outputs(&r, &err) != NS_OK)
        goto fail;
    rc = print_report(&r, (double)(ns_mono_ns() - t0) / 1e9);
    run_free(&r);
    return rc;
fail:
    rc = cli_fail(&err);
    run_free(&r);
    return rc;
}
