/* noshow predict: streams a CSV file through a model bundle, keeping
 * every input column and adding probability, predicted label, risk band
 * and an error column, in flat memory: the patients' history is worked
 * out on disk before scoring (features/rowfate.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/clean.h"
#include "data/csv.h"
#include "features/history.h"
#include "features/rowfate.h"
#include "model/bundle.h"
#include "report/xlsx_out.h"
#include "util/buf.h"
#include "util/outfile.h"
#include "util/stages.h"

/* Rows scored together: large enough for the all-core path to pay off,
 * small enough to keep memory flat (a few MiB). */
#define PREDICT_BATCH 4096

/* Scorer threads, each running libxgboost on one core over its own
 * batches: unlike one call on every core, neither waits for the other
 * at the end of a batch while the reader holds a core. */
#define PREDICT_SCORERS 2

/* Batches in flight (about 1 MiB each): one per stage, and spares so
 * that a stage running late for a moment does not stall the others. */
#define PREDICT_BATCHES 6

static const char usage[] =
    "usage: noshow predict MODEL DATA.csv [--history PAST.csv]\n"
    "                      [--no-file-history] -o OUT.csv|OUT.xlsx|-\n"
    "\n"
    "Scores every row of DATA.csv. The output keeps every input column\n"
    "and adds no_show_probability, no_show_predicted (1/0), risk_band\n"
    "(low/medium/high) and error (why a row could not be scored; such\n"
    "rows are kept without a probability and counted on stderr).\n"
    "Patient history comes from PAST.csv and a first pass over DATA.csv\n"
    "(only outcomes dated before each booking day count; a repeated row\n"
    "counts once). Memory stays flat whatever the files' size: between\n"
    "the passes the history is worked out in unnamed temporary files in\n"
    "$TMPDIR (else /tmp) of about 190 bytes a row.\n"
    "An .xlsx output has a bold frozen header, numbers as numbers, the\n"
    "probability as a percentage and the risk band coloured. Either\n"
    "output is written whole or not at all: it goes to a temporary file\n"
    "beside OUT, renamed over it when every row is written.\n"
    "\n"
    "options:\n"
    "  --history PAST.csv  earlier appointments of the same schema, with\n"
    "                      outcomes, as history (default: none)\n"
    "  --no-file-history   DATA.csv's own rows are not history for each\n"
    "                      other, only PAST.csv is (default: they are)\n"
    "  -o OUT              output: .csv, .xlsx, or - for CSV on standard\n"
    "                      output (required)\n";

struct batch {
    size_t n;
    struct ns_buf text;         /* input columns as output text */
    size_t first[PREDICT_BATCH];    /* offset of each row in text */
    size_t nf[PREDICT_BATCH];       /* its length */
    long line[PREDICT_BATCH];
    char *error[PREDICT_BATCH];     /* NULL when scored */
    size_t nok;
    float *X;                       /* PREDICT_BATCH x nfeatures */
    struct bundle_score s[PREDICT_BATCH];
    enum ns_err rc;                 /* the scorer's failure, or NS_OK */
    struct ns_error err;
};

struct predict {
    const struct bundle *b;
    const char *data;
    FILE *out;
    char sep;
    struct rowfate *fate;       /* the history of DATA's rows, or NULL */
    size_t fate_first;          /* fate's row number of DATA's first row */
    size_t ordinal;             /* DATA's rows read so far */
    struct ns_buf obuf;         /* one batch of output (the writer's) */
    size_t scored, failed;      /* the writer's, read after it ends */
    /* Three stages pass batches along (util/stages.h): this thread
     * reads and featurises, the scorers run libxgboost, the writer
     * formats and writes in input order, then gives the batch back. So
     * reading, scoring and writing of consecutive batches overlap. */
    struct batch *bt[PREDICT_BATCHES];
};

/* Marks DATA's fingerprints apart from PAST.csv's: a row of DATA that
 * repeats one of PAST.csv still counts (each file drops only its own
 * repeats). */
#define DATA_TAG 0x9e3779b97f4a7c15ULL

/* Adds the rows of path to pr->fate: every row of DATA (is_data), so
 * that row numbers follow its rows, and of PAST.csv the rows with a
 * place in history. query_only: DATA's rows ask the history without
 * being part of it (--no-file-history). *added counts the rows added. */
static enum ns_err add_file(struct predict *pr, const char *path,
                            bool is_data, bool query_only, size_t *added,
                            struct ns_error *err)
{
    const struct schema *s = bundle_schema(pr->b);
    struct csv_reader *rd = NULL;
    struct schema_binding *bind = NULL;
    struct record *r = record_new(s);
    const struct csv_row *row;
    enum ns_err rc;

    *added = 0;
    if (r == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = csv_reader_open(path, NULL, &rd, err);
    if (rc == NS_OK)
        rc = csv_reader_next(rd, &row, err);
    if (rc == NS_OK)
        rc = schema_bind(s, row, path, &bind, err);
    while (rc == NS_OK && (rc = csv_reader_next(rd, &row, err)) == NS_OK) {
        struct rowfate_row fr = {clean_row_fp(row), CLEAN_BAD_VALUE, NULL,
                                 0, 0, 0, NULL, false};
        enum clean_reason why;

        fr.fp.b ^= is_data ? DATA_TAG : 0;
        if (clean_csv_row(s, bind, path, row, false, r, &why, NULL) ==
            NS_OK && history_applies(r)) {
            fr = (struct rowfate_row){fr.fp, CLEAN_OK, r->patient,
                                      r->booked_at, r->appt_day,
                                      (int8_t)r->label, NULL, query_only};
        } else if (!is_data) {
            continue;
        }
        rc = rowfate_add(pr->fate, &fr, err);
        *added += rc == NS_OK;
    }
    if (rc == NS_DONE)
        rc = NS_OK;
    record_free(r);
    schema_binding_free(bind);
    csv_reader_close(rd);
    return rc;
}

/* Every column a model feature reads must be in the file. */
static enum ns_err check_columns(const struct bundle *b,
                                 const struct schema_binding *bind,
                                 const char *path, struct ns_error *err)
{
    const struct pipeline *p = bundle_pipeline(b);
    const struct schema *s = bundle_schema(b);

    for (size_t i = 0; i < pipeline_nfeatures(p); i++) {
        int col = pipeline_feature(p, i)->col;

        if (col >= 0 && bind->field_of_col[col] < 0)
            return ns_error_field(err, NS_ERR_INVALID, s->cols[col].name,
                                  "%s: column '%s' is missing, but the "
                                  "model's feature '%s' needs it", path,
                                  s->cols[col].name,
                                  pipeline_feature(p, i)->name);
    }
    return NS_OK;
}

/* Keeps the row's input columns as output text, each followed by the
 * separator, ready to be written with the added columns. This runs for
 * every row of the file: a row that needs no quotes (nearly all) is
 * copied whole, its fields' NULs becoming separators (csv.h keeps the
 * fields back to back); others go field by field. */
static enum ns_err keep_row(struct batch *bt, char sep,
                            const struct csv_row *row)
{
    const char special[] = {sep, '"', '\r', '\n', '\0'};
    size_t k = bt->n, total = row->nfields;
    struct ns_buf *t = &bt->text;
    enum ns_err rc = NS_OK;

    bt->first[k] = t->len;
    bt->line[k] = row->line;
    for (size_t i = 0; i < row->nfields; i++)
        total += row->fields[i].len;
    if (ns_buf_reserve(t, total) != NS_OK)
        return NS_ERR_NOMEM;
    if (row->plain && row->nfields > 0) {
        const char *base = row->fields[0].ptr;

        memcpy(t->data + t->len, base, total);
        for (size_t i = 0; i < row->nfields; i++) {
            const struct csv_field *f = &row->fields[i];

            t->data[t->len + (size_t)(f->ptr - base) + f->len] = sep;
        }
        t->len += total;
        t->data[t->len] = '\0';
        bt->nf[k] = total;
        return NS_OK;
    }
    for (size_t i = 0; i < row->nfields && rc == NS_OK; i++) {
        const struct csv_field *f = &row->fields[i];

        /* Fields end with a NUL and hold none (the reader checks). */
        if (strcspn(f->ptr, special) == f->len &&
            ns_buf_reserve(t, f->len + 1) == NS_OK) {
            memcpy(t->data + t->len, f->ptr, f->len);
            t->len += f->len;
            t->data[t->len++] = sep;
            t->data[t->len] = '\0';
            continue;
        }
        rc = csv_put_field(t, sep, f->ptr, f->len);
        if (rc == NS_OK)
            rc = ns_buf_append(t, &sep, 1);
    }
    bt->nf[k] = t->len - bt->first[k];
    return rc;
}

/* The history of the row just read (the pr->ordinal-th of DATA) as
 * worked out before scoring; empty without a source. A row that differs
 * from the one seen then means DATA changed under us. */
static enum ns_err row_history(struct predict *pr, const struct record *r,
                               struct history_stats *hs,
                               struct ns_error *err)
{
    struct rowfate_fate fate;
    enum ns_err rc;

    history_stats_empty(hs);
    if (pr->fate == NULL || !history_applies(r))
        return NS_OK;
    rc = rowfate_get(pr->fate, pr->fate_first + pr->ordinal, &fate, err);
    if (rc == NS_OK && !rowfate_history_of(&fate, r, hs))
        rc = ns_error_set(err, NS_ERR_INVALID, "%s:%ld: the file changed "
                          "while it was read", pr->data, r->line);
    return rc;
}

/* Cleans and featurises one row into the batch; a bad row keeps its
 * error text instead. Fails only when the run cannot go on. */
static enum ns_err add_row(struct predict *pr, struct batch *bt,
                           const struct schema_binding *bind,
                           const struct csv_row *row, struct record *r,
                           struct ns_error *err)
{
    const struct bundle *b = pr->b;
    size_t nf = pipeline_nfeatures(bundle_pipeline(b));
    struct history_stats hs;
    struct ns_error e = {0};
    enum clean_reason why;
    enum ns_err rc;

    if (keep_row(bt, pr->sep, row) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    bt->error[bt->n] = NULL;
    rc = clean_csv_row(bundle_schema(b), bind, pr->data, row, false, r,
                       &why, &e);
    if (rc == NS_OK) {
        rc = row_history(pr, r, &hs, err);
        if (rc != NS_OK)
            return rc;
        pipeline_row_stats(bundle_pipeline(b), r, &hs, bt->X + bt->nok * nf,
                           NULL);
        bt->nok++;
    } else {
        bt->error[bt->n] = strdup(e.msg[0] ? e.msg : ns_err_str(rc));
        if (bt->error[bt->n] == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    bt->n++;
    pr->ordinal++;
    return NS_OK;
}

/* Writes p as "%.6f" would, without printf's cost on every row. p is
 * in [0, 1], so p * 1e6 is off its exact value by far less than 1e-6;
 * when its fraction lies that close to one half, the rounding could go
 * either way, and snprintf decides. Returns the length written. */
static int put_prob(char *dst, size_t cap, double p)
{
    double x = p * 1e6, whole = floor(x), frac = x - whole;
    long k;
    int n;

    if (!(p >= 0.0 && p <= 1.0) || fabs(frac - 0.5) < 1e-6) {
        n = snprintf(dst, cap, "%.6f", p);
        return n < 0 ? 0 : n >= (int)cap ? (int)cap - 1 : n;
    }
    k = (long)whole + (frac > 0.5);
    dst[0] = (char)('0' + k / 1000000);
    dst[1] = '.';
    for (int i = 7; i >= 2; i--) {
        dst[i] = (char)('0' + k % 10);
        k /= 10;
    }
    return 8;
}

static enum ns_err put_row(struct predict *pr, const struct batch *bt,
                           size_t k, const struct bundle_score *s)
{
    char tail[64];
    const char *e = bt->error[k];
    int n = 0;
    enum ns_err rc = ns_buf_append(&pr->obuf, bt->text.data + bt->first[k],
                                   bt->nf[k]);

    if (s) {
        const char *band = bundle_band_name(s->band);
        size_t blen = strlen(band);

        n = put_prob(tail, sizeof(tail) - blen - 4, s->probability);
        tail[n++] = pr->sep;
        tail[n++] = s->label ? '1' : '0';
        tail[n++] = pr->sep;
        memcpy(tail + n, band, blen);
        n += (int)blen;
        tail[n++] = pr->sep;
    } else {
        n = snprintf(tail, sizeof(tail), "%c%c%c", pr->sep, pr->sep,
                     pr->sep);
    }
    if (rc == NS_OK)
        rc = ns_buf_append(&pr->obuf, tail, (size_t)n);
    if (rc == NS_OK && e)
        rc = csv_put_field(&pr->obuf, pr->sep, e, strlen(e));
    return rc == NS_OK ? ns_buf_append(&pr->obuf, "\n", 1) : rc;
}

/* Formats a scored batch and writes it; counts its rows. */
static enum ns_err write_batch(struct predict *pr, const struct batch *bt,
                               struct ns_error *err)
{
    size_t j = 0;
    enum ns_err rc = NS_OK;

    ns_buf_reset(&pr->obuf);
    for (size_t k = 0; k < bt->n && rc == NS_OK; k++) {
        rc = put_row(pr, bt, k, bt->error[k] ? NULL : &bt->s[j]);
        if (bt->error[k])
            pr->failed++;
        else
            j++;
        if (rc != NS_OK)
            rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    if (rc == NS_OK && pr->obuf.len > 0 &&
        fwrite(pr->obuf.data, 1, pr->obuf.len, pr->out) != pr->obuf.len)
        rc = ns_error_set(err, NS_ERR_IO, "cannot write the output");
    pr->scored += j;
    return rc;
}

static void batch_clear(struct batch *bt)
{
    for (size_t k = 0; k < bt->n; k++) {
        free(bt->error[k]);
        bt->error[k] = NULL;
    }
    bt->n = 0;
    bt->nok = 0;
    bt->rc = NS_OK;
    ns_buf_reset(&bt->text);
}

static enum ns_err write_header(struct predict *pr, const struct csv_row *h)
{
    static const char *const extra[] = {"no_show_probability",
                                        "no_show_predicted", "risk_band",
                                        "error"};
    enum ns_err rc = NS_OK;

    for (size_t i = 0; i < h->nfields && rc == NS_OK; i++) {
        rc = csv_write_field(pr->out, pr->sep, h->fields[i].ptr,
                             h->fields[i].len);
        if (rc == NS_OK && fputc(pr->sep, pr->out) == EOF)
            rc = NS_ERR_IO;
    }
    for (size_t i = 0; i < 4 && rc == NS_OK; i++) {
        rc = csv_write_field(pr->out, pr->sep, extra[i], strlen(extra[i]));
        if (rc == NS_OK && fputc(i < 3 ? pr->sep : '\n', pr->out) == EOF)
            rc = NS_ERR_IO;
    }
    return rc;
}

/* On scorer thread k: libxgboost on one core over the batch.
 *
 * LIMITATION: batch scoring stays below 10x the Python reference's rate
 * at 1 million rows: half of the CPU time is libxgboost's prediction
 * (called here), the same library and trees the reference calls, and
 * the two cores cannot also read, clean and write a million rows
 * within a tenth of the reference's time (docs/KNOWN_LIMITATIONS.md). */
static void score_work(void *ctx, size_t k, void *item)
{
    const struct predict *pr = ctx;
    struct batch *bt = item;

    (void)k;
    bt->rc = bundle_score_matrix_threads(pr->b, bt->X, bt->nok, 1, bt->s,
                                         &bt->err);
}

/* On the writer thread, batch by batch in input order. */
static enum ns_err write_collect(void *ctx, void *item,
                                 struct ns_error *err)
{
    const struct batch *bt = item;

    if (bt->rc != NS_OK) {
        *err = bt->err;
        return bt->rc;
    }
    return write_batch(ctx, bt, err);
}

/* Fills batches and hands them to the scorers; stops at the end of the
 * input, at its own failure or at the scorer's or writer's. A batch cut
 * short by a failure of the input is not scored. */
static enum ns_err read_rows(struct predict *pr, struct csv_reader *rd,
                             const struct schema_binding *bind,
                             struct ns_stages *st, struct ns_error *err)
{
    struct record *r = record_new(bundle_schema(pr->b));
    const struct csv_row *row;
    struct batch *bt;
    enum ns_err rc = NS_OK;

    if (r == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    while (rc == NS_OK && (bt = ns_stages_next(st)) != NULL) {
        batch_clear(bt);
        while (rc == NS_OK && bt->n < PREDICT_BATCH &&
               (rc = csv_reader_next(rd, &row, err)) == NS_OK)
            rc = add_row(pr, bt, bind, row, r, err);
        if ((rc == NS_OK || rc == NS_DONE) && bt->n > 0)
            ns_stages_submit(st, bt);
    }
    record_free(r);
    return rc == NS_DONE ? NS_OK : rc;
}


/* Runs the scorers and the writer beside read_rows(); their failure,
 * if any, is the one reported. */
static enum ns_err run_stages(struct predict *pr, struct csv_reader *rd,
                              const struct schema_binding *bind,
                              struct ns_error *err)
{
    struct ns_stages_ops ops = {pr, score_work, write_collect};
    struct ns_stages *st;
    struct ns_error ferr = {0};
    enum ns_err rc, frc;

    rc = ns_stages_start(&ops, PREDICT_SCORERS, (void **)pr->bt,
                         PREDICT_BATCHES, &st, err);
    if (rc != NS_OK)
        return rc;
    rc = read_rows(pr, rd, bind, st, err);
    frc = ns_stages_finish(st, &ferr);
    if (frc != NS_OK) {
        *err = ferr;
        return frc;
    }
    return rc;
}

static enum ns_err stream(struct predict *pr, struct ns_error *err)
{
    const struct schema *s = bundle_schema(pr->b);
    struct csv_reader *rd = NULL;
    struct schema_binding *bind = NULL;
    const struct csv_row *row;
    enum ns_err rc = csv_reader_open(pr->data, NULL, &rd, err);

    if (rc == NS_OK)
        rc = csv_reader_next(rd, &row, err);
    if (rc == NS_OK)
        rc = schema_bind(s, row, pr->data, &bind, err);
    if (rc == NS_OK)
        rc = check_columns(pr->b, bind, pr->data, err);
    if (rc == NS_OK) {
        pr->sep = csv_reader_sep(rd);
        if (write_header(pr, row) != NS_OK)
            rc = ns_error_set(err, NS_ERR_IO, "cannot write the output");
    }
    if (rc == NS_OK)
        rc = run_stages(pr, rd, bind, err);
    schema_binding_free(bind);
    csv_reader_close(rd);
    return rc;
}

static uint64_t file_bytes(const char *path)
{
    struct stat st;

    return path != NULL && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Works out the history of every row of DATA from PAST.csv and, with
 * file_history, DATA's own earlier rows; pass 2 then asks it row by
 * row. A repeated row gets its first copy's history. */
static enum ns_err build_history(struct predict *pr, const char *past,
                                 bool file_history, struct ns_error *err)
{
    const struct schema *s = bundle_schema(pr->b);
    size_t rows = 0;
    enum ns_err rc;

    if (!pipeline_uses_history(bundle_pipeline(pr->b)) ||
        schema_find_role(s, ROLE_PATIENT_ID) < 0 ||
        (!file_history && past == NULL))
        return NS_OK;
    rc = rowfate_new(0, file_bytes(past) + file_bytes(pr->data), &pr->fate,
                     err);
    if (rc != NS_OK)
        return rc;
    rowfate_dups_ask(pr->fate);
    if (past)
        rc = add_file(pr, past, false, false, &pr->fate_first, err);
    if (rc == NS_OK)
        rc = add_file(pr, pr->data, true, !file_history, &rows, err);
    if (rc == NS_OK)
        rc = rowfate_finish(pr->fate, NULL, err);
    return rc;
}

static struct batch *batch_new(const struct bundle *b)
{
    struct batch *bt = calloc(1, sizeof(*bt));

    if (bt == NULL)
        return NULL;
    bt->X = malloc(PREDICT_BATCH * pipeline_nfeatures(bundle_pipeline(b)) *
                   sizeof(float));
    if (bt->X == NULL) {
        free(bt);
        return NULL;
    }
    return bt;
}

static void batch_free(struct batch *bt)
{
    if (bt == NULL)
        return;
    free(bt->X);
    ns_buf_free(&bt->text);
    for (size_t k = 0; k < bt->n; k++)
        free(bt->error[k]);
    free(bt);
}

static void batches_free(struct predict *pr)
{
    for (size_t i = 0; i < PREDICT_BATCHES; i++)
        batch_free(pr->bt[i]);
}

static enum ns_err batches_new(struct predict *pr)
{
    for (size_t i = 0; i < PREDICT_BATCHES; i++) {
        pr->bt[i] = batch_new(pr->b);
        if (pr->bt[i] == NULL)
            return NS_ERR_NOMEM;
    }
    return NS_OK;
}

/* Scores pr->data with the bundle b (borrowed) into the CSV file out. */
static enum ns_err score(struct predict *pr, const struct bundle *b,
                         const char *past, bool file_history,
                         const char *out, struct ns_error *err)
{
    struct ns_outfile of = NS_OUTFILE_INIT;
    enum ns_err rc = NS_OK;

    pr->b = b;
    if (batches_new(pr) != NS_OK)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (rc == NS_OK)
        rc = build_history(pr, past, file_history, err);
    if (rc == NS_OK && (rc = ns_outfile_open(&of, out, err)) == NS_OK)
        pr->out = of.f;
    if (rc == NS_OK)
        rc = stream(pr, err);
    /* A failed run leaves no partial predictions at out. */
    if (rc == NS_OK)
        rc = ns_outfile_commit(&of, err);
    ns_outfile_abort(&of);
    pr->out = NULL;
    batches_free(pr);
    ns_buf_free(&pr->obuf);
    rowfate_free(pr->fate);
    return rc;
}

static enum ns_err run(struct predict *pr, const char *model,
                       const char *past, bool file_history,
                       const char *out, struct ns_error *err)
{
    struct bundle *b = NULL;
    enum ns_err rc = bundle_load(model, &b, err);

    if (rc == NS_OK)
        rc = score(pr, b, past, file_history, out, err);
    bundle_free(b);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Columns written as numbers in a workbook: the schema's numeric and
 * yes/no inputs and the probability and label added by predict. Returns
 * a NULL-terminated array of borrowed names; caller frees the array. */
static const char **numeric_names(const struct bundle *b)
{
    const struct schema *s = bundle_schema(b);
    const char **names = calloc(s->ncols + 3, sizeof(*names));
    size_t n = 0;

    if (names == NULL)
        return NULL;
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->cols[i].role == ROLE_NUMERIC ||
            s->cols[i].role == ROLE_BINARY)
            names[n++] = s->cols[i].name;
    }
    names[n++] = "no_show_probability";
    names[n++] = "no_show_predicted";
    return names;
}

/* Scores into a temporary CSV, converts it into a temporary workbook and
 * renames that over out, so a failure leaves no partial spreadsheet. */
static enum ns_err run_xlsx(struct predict *pr, const char *model,
                            const char *past, bool file_history,
                            const char *out, struct ns_error *err)
{
    char tmp_csv[4096], tmp_xlsx[4096];
    struct bundle *b = NULL;
    const char **numeric = NULL;
    enum ns_err rc;

    snprintf(tmp_csv, sizeof(tmp_csv), "%s.%ld.tmp.csv", out,
             (long)getpid());
    snprintf(tmp_xlsx, sizeof(tmp_xlsx), "%s.%ld.tmp.xlsx", out,
             (long)getpid());
    rc = bundle_load(model, &b, err);
    if (rc == NS_OK && (numeric = numeric_names(b)) == NULL)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (rc == NS_OK)
        rc = score(pr, b, past, file_history, tmp_csv, err);
    if (rc == NS_OK)
        rc = xlsx_out_from_csv(tmp_csv, tmp_xlsx, numeric, err);
    if (rc == NS_OK && rename(tmp_xlsx, out) != 0)
        rc = ns_error_set(err, NS_ERR_IO, "%s: cannot write: %s", out,
                          strerror(errno));
    unlink(tmp_csv);
    unlink(tmp_xlsx);
    free(numeric);
    bundle_free(b);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    const char *model = NULL, *past = NULL, *out = NULL;
    struct predict pr = {0};
    struct ns_error err = {0};
    bool file_history = true;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--no-file-history") == 0) {
            file_history = false;
        } else if (strcmp(argv[i], "--history") == 0 && i + 1 < argc) {
            past = argv[++i];
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("predict", "unknown option '%s' (or its "
                                   "value is missing)", argv[i]);
        } else if (model == NULL) {
            model = argv[i];
        } else if (pr.data == NULL) {
            pr.data = argv[i];
        } else {
            return cli_usage_error("predict", "unexpected argument '%s'",
                                   argv[i]);
        }
    }
    if (pr.data == NULL || out == NULL)
        return cli_usage_error("predict", "needs MODEL, DATA.csv and -o "
                               "OUT.csv (or -o - for standard output)");
    if (ends_with(out, ".xlsx")) {
        if (run_xlsx(&pr, model, past, file_history, out, &err) != NS_OK)
            return cli_fail(&err);
    } else if (run(&pr, model, past, file_history, out, &err) != NS_OK) {
        return cli_fail(&err);
    }
    fprintf(stderr, "noshow: scored %zu rows of %s", pr.scored, pr.data);
    if (pr.failed)
        fprintf(stderr, "; %zu rows could not be scored (see the error "
                "column)", pr.failed);
    fputc('\n', stderr);
    return CLI_EXIT_OK;
}
