/* noshow clean: ingest, clean and compute features in two streaming
 * passes. Pass 1 validates every row, builds the patient-history index
 * and counts categories for the encoders; pass 2 reads the file again
 * and writes each kept row's feature vector. Memory grows with the
 * number of rows (the history index), not with the rows' text. */
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
    "streamed twice; its text is never held, but the history index\n"
    "takes about 65 bytes a row.\n"
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
    "                      each kept row ('-' for standard output); DATA\n"
    "                      must then be a regular file (read twice)\n"
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
    struct clean_dedup *dedup;
    struct clean_rejects *rj;
    struct history_index *hist;
    struct catcount *cc;
    struct encoders *enc;
    struct pipeline *pipe;
    struct clean_report rep;
    long unknown_cats;
    int patient_field;  /* the patient's field in a row, or -1 */
    size_t hist_row;    /* pass 2: number of the next indexed row */
    uint8_t *kept;      /* one bit per data row: kept in pass 1 */
    size_t kept_cap;    /* bytes */
    FILE *feat;
    char *featbuf;
};

/* LIMITATION: with --features the input is read twice (history first,
 * then features), so it must be a regular file; standard input or a pipe
 * is refused with a usage error. Without --features one pass suffices and
 * any input works. Accepting pipes needs pass 1 to spill the rows to a
 * temporary file. */
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
    if (a->features != NULL && !rereadable(a->path))
        return cli_usage_error("clean", "--features reads '%s' twice; "
                               "expected a regular file, not a pipe or "
                               "standard input", a->path);
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

/* Opens the input and reads its header. An empty file is an error. */
static enum ns_err open_input(const struct run *r, struct csv_reader **rd,
                              const struct csv_row **header,
                              struct ns_error *err)
{
    struct csv_opts o = {r->a.sep, 0};
    enum ns_err rc;

    rc = csv_reader_open(r->a.path, &o, rd, err);
    if (rc != NS_OK)
        return rc;
    rc = csv_reader_next(*rd, header, err);
    if (rc == NS_DONE)
        rc = ns_error_set(err, NS_ERR_PARSE, "%s:1:1: empty file; expected "
                          "a header line", r->a.path);
    return rc;
}

/* Decides whether a row is kept: NS_OK kept (r->rec filled),
 * NS_ERR_INVALID dropped (reason and err set); anything else stops. A
 * duplicate is reported as such whatever its values; its values are
 * checked first only so that its slot of the duplicate table, and its
 * patient's entry of the history map, load in the meantime. */
static enum ns_err check_row(struct run *r, const struct csv_row *row,
                             bool need_label, enum clean_reason *reason,
                             struct ns_error *err)
{
    struct clean_fp fp = clean_dedup_hash(r->dedup, row);
    bool dup = false;
    enum ns_err rc, checked;

    if (r->patient_field >= 0 && (size_t)r->patient_field < row->nfields)
        history_index_prefetch(r->hist,
                               row->fields[r->patient_field].ptr,
                               row->fields[r->patient_field].len);
    *reason = CLEAN_OK;
    checked = clean_csv_row(r->schema, r->bind, r->a.path, row, need_label,
                            r->rec, reason, err);
    rc = clean_dedup_add(r->dedup, fp, &dup);
    if (rc != NS_OK)
        return ns_error_set(err, rc, "out of memory");
    if (dup) {
        *reason = CLEAN_DUPLICATE;
        return ns_error_set(err, NS_ERR_INVALID, "%s:%ld: exact duplicate "
                            "of an earlier row", r->a.path, row->line);
    }
    return checked;
}

static bool label_present(const struct run *r)
{
    int t = schema_find_role(r->schema, ROLE_TARGET);

    return t >= 0 && r->bind->field_of_col[t] >= 0;
}

static enum ns_err drop_row(struct run *r, const struct csv_row *row,
                            enum clean_reason reason, struct ns_error *err)
{
    clean_report_add(&r->rep, reason);
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

/* Pass 2 skips the rows pass 1 dropped by this bit, so it neither hashes
 * rows for duplicates again nor re-checks rows it will not use. */
static enum ns_err mark_kept(struct run *r, size_t ordinal,
                             struct ns_error *err)
{
    if (ordinal / 8 >= r->kept_cap) {
        size_t cap = r->kept_cap ? r->kept_cap * 2 : 4096;
        uint8_t *p = realloc(r->kept, cap);

        if (p == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        memset(p + r->kept_cap, 0, cap - r->kept_cap);
        r->kept = p;
        r->kept_cap = cap;
    }
    r->kept[ordinal / 8] |= (uint8_t)(1u << (ordinal % 8));
    return NS_OK;
}

static bool was_kept(const struct run *r, size_t ordinal)
{
    return ordinal / 8 < r->kept_cap &&
           (r->kept[ordinal / 8] >> (ordinal % 8) & 1u);
}

/* Rows without a patient or either date have no place in the history
 * (as in pipeline_history_index). */
static bool indexable(const struct record *rec)
{
    return rec->patient != NULL && rec->patient[0] != '\0' &&
           rec->booked_at != NS_TIME_NONE && rec->appt_day != NS_DAY_NONE;
}

static enum ns_err index_row(struct run *r, struct ns_error *err)
{
    const struct record *rec = r->rec;
    enum ns_err rc;

    if (!indexable(rec))
        return NS_OK;
    rc = history_index_add(r->hist, rec->patient, rec->booked_at,
                           rec->appt_day, rec->label);
    if (rc != NS_OK)
        return ns_error_set(err, rc, "%s:%ld: cannot add the row to the "
                            "patient-history index: %s", r->a.path,
                            rec->line, ns_err_str(rc));
    return NS_OK;
}

static enum ns_err keep_row(struct run *r, struct ns_error *err)
{
    enum ns_err rc;

    rc = mark_kept(r, r->rep.rows_read, err);
    if (rc != NS_OK)
        return rc;
    clean_report_add(&r->rep, CLEAN_OK);
    rc = index_row(r, err);
    if (rc != NS_OK)
        return rc;
    return catcount_add(r->cc, r->rec, err);
}

static enum ns_err setup_pass_one(struct run *r, const struct csv_reader *rd,
                                  const struct csv_row *header,
                                  struct ns_error *err)
{
    enum ns_err rc;
    int pcol;

    rc = pick_schema(r, header, err);
    if (rc != NS_OK)
        return rc;
    pcol = schema_find_role(r->schema, ROLE_PATIENT_ID);
    r->patient_field = pcol >= 0 ? r->bind->field_of_col[pcol] : -1;
    r->rec = record_new(r->schema);
    r->dedup = clean_dedup_new();
    r->hist = history_index_new();
    if (r->rec == NULL || r->dedup == NULL || r->hist == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = catcount_new(r->schema, &r->cc, err);
    if (rc == NS_OK && r->a.rejects != NULL)
        rc = clean_rejects_open(r->a.rejects, header, csv_reader_sep(rd),
                                &r->rj, err);
    return rc;
}

/* Pass 1: validate every row, index history, count categories.
 * LIMITATION: memory is not independent of the file: the history index
 * keeps 20 bytes per kept row (52 once sorted), duplicate detection a
 * table of 16-byte slots at most three quarters full (freed before the
 * index sorts) and the kept-row bitmap one bit per row: about 65 bytes
 * a row measured on generated files (5 million rows peak at 363 MiB),
 * so 15 million rows need about 1 GB. The rows' text is never kept.
 * Flat memory needs an external sort of (patient, time) keys in place
 * of the in-memory index, and on-disk duplicate detection. */
static enum ns_err pass_one(struct run *r, struct ns_error *err)
{
    struct csv_reader *rd = NULL;
    const struct csv_row *header;
    const struct csv_row *row;
    enum clean_reason reason;
    bool need_label;
    enum ns_err rc;

    rc = open_input(r, &rd, &header, err);
    if (rc == NS_OK)
        rc = setup_pass_one(r, rd, header, err);
    if (rc != NS_OK)
        goto out;
    need_label = label_present(r);
    while ((rc = csv_reader_next(rd, &row, err)) == NS_OK) {
        rc = check_row(r, row, need_label, &reason, err);
        if (rc == NS_ERR_INVALID)
            rc = drop_row(r, row, reason, err);
        else if (rc == NS_OK)
            rc = keep_row(r, err);
        if (rc != NS_OK)
            goto out;
    }
    if (rc != NS_DONE)
        goto out;
    rc = NS_OK;
    /* Pass 2 skips dropped rows by the kept bitmap, so the fingerprints
     * (16 to 32 bytes a row) go before the index takes its sorted
     * room: the two never peak together. */
    clean_dedup_free(r->dedup);
    r->dedup = NULL;
    if (r->rep.rows_read == 0)
        rc = ns_error_set(err, NS_ERR_PARSE, "%s:2: no rows after the "
                          "header", r->a.path);
    else if (history_index_finish(r->hist) != NS_OK)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory for the "
                          "patient-history index");
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

/* A row pass 1 indexed is asked for by its number there, which spares
 * hashing its patient again; any other row (no patient or no date)
 * goes through the source, as in pipeline_row. */
static enum ns_err row_features(struct run *r,
                                const struct history_source *src,
                                float *vec, int *unknown,
                                struct ns_error *err)
{
    const struct record *rec = r->rec;
    struct history_stats hs;

    if (!pipeline_uses_history(r->pipe) || !indexable(rec))
        return pipeline_row(r->pipe, rec, src, vec, unknown, err);
    if (!history_index_row_is(r->hist, r->hist_row, rec->booked_at,
                              rec->appt_day))
        return ns_error_set(err, NS_ERR_INVALID, "%s:%ld: %s changed "
                            "between the two passes", r->a.path,
                            rec->line, r->a.path);
    history_index_row_stats(r->hist, r->hist_row++, &hs);
    pipeline_row_stats(r->pipe, rec, &hs, vec, unknown);
    return NS_OK;
}

/* Writes one kept row's features; the row passed pass 1's checks, so
 * cleaning it again cannot fail unless the file changed in between. */
static enum ns_err feature_row(struct run *r, const struct csv_row *row,
                               bool need_label,
                               const struct history_source *src,
                               struct ns_error *err)
{
    float vec[PIPELINE_MAX_FEATURES];
    enum clean_reason reason;
    int unknown = 0;
    enum ns_err rc;

    rc = clean_csv_row(r->schema, r->bind, r->a.path, row, need_label,
                       r->rec, &reason, err);
    if (rc == NS_ERR_INVALID)
        ns_error_prefix(err, "%s changed between the two passes",
                        r->a.path);
    if (rc == NS_OK)
        rc = row_features(r, src, vec, &unknown, err);
    if (rc == NS_OK)
        rc = write_features(r, vec, err);
    r->unknown_cats += unknown;
    return rc;
}

/* Pass 2: reads the file again and gives each row kept in pass 1 its
 * feature vector, with history from pass 1's index.
 * LIMITATION: ingest (both passes) runs at 6.4 to 6.9x the rate of
 * pandas doing the same work, not 10x: this pass parses and checks
 * every row a second time (with the CSV reading, about 45% of the
 * CPU time of both passes). Keeping the parsed values from pass 1
 * (memory per row) or splitting this pass over threads are the next
 * steps (docs/KNOWN_LIMITATIONS.md). */
static enum ns_err pass_two(struct run *r, struct ns_error *err)
{
    struct csv_reader *rd = NULL;
    const struct csv_row *row;
    struct history_source src = history_index_source(r->hist);
    bool need_label = label_present(r);
    size_t ordinal = 0;
    enum ns_err rc;

    rc = open_input(r, &rd, &row, err);
    while (rc == NS_OK && (rc = csv_reader_next(rd, &row, err)) == NS_OK) {
        if (was_kept(r, ordinal++))
            rc = feature_row(r, row, need_label, &src, err);
    }
    if (rc == NS_DONE)
        rc = NS_OK;
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
                                         history_index_patients(r->hist))) ||
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
    fprintf(f, "patients: %zu\n", history_index_patients(r->hist));
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
    free(r->kept);
    pipeline_free(r->pipe);
    encoders_free(r->enc);
    catcount_free(r->cc);
    history_index_free(r->hist);
    clean_dedup_free(r->dedup);
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
    if (pass_one(&r, &err) != NS_OK)
        goto fail;
    if (r.a.features != NULL &&
        (build_pipeline(&r, &err) != NS_OK || open_features(&r, &err) ||
         pass_two(&r, &err) != NS_OK))
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
