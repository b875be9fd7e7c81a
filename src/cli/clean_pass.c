#include "cli/clean_pass.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/csv.h"
#include "data/record.h"
#include "data/rowbatch.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/stages.h"
#include "util/timeutil.h"

/* Rows per batch, batches in flight and workers: about 1.5 MiB a
 * batch (rows, records, fates, output), so some 12 MiB in all. */
#define BATCH_ROWS 1024
#define NBATCHES 8
#define NWORKERS 2

struct drop {
    size_t row;                 /* in the batch */
    enum clean_reason reason;
    size_t msg;                 /* offset of its message in msgs */
};

struct batch {
    struct row_batch *rb;
    size_t first;               /* file ordinal of row 0 */
    struct record *rec[BATCH_ROWS]; /* pass 1: one a row; pass 2: one */
    /* Pass 2 from the kept rows: n of them, row i at recs + at[i]; the
     * row being featurised's category codes, from pass 1 and coded. */
    size_t n;
    struct ns_buf recs;
    size_t at[BATCH_ROWS];
    uint32_t *codes;
    double *cat;
    /* Pass 1, per row: */
    struct clean_fp fp[BATCH_ROWS];
    uint8_t reason[BATCH_ROWS];
    /* Pass 2: */
    struct rowfate_fate fate[BATCH_ROWS];
    struct ns_buf out;          /* feature lines */
    struct drop *drops;
    size_t ndrops, drops_cap;
    struct ns_buf msgs;
    size_t kept;
    long unknown;
    /* A worker's failure, at row rc_row; NS_OK when none. */
    enum ns_err rc;
    size_t rc_row;
    struct ns_error err;
};

/* The code of every category value pass 1 met, found once for pass 2
 * from the kept rows: by_code[i][c] for the i-th categorical column,
 * column cols[i] of the schema, and pass 1's code c. */
struct precoded {
    size_t ncat;
    size_t *cols;
    double **by_code;
};

struct pass {
    struct clean_job *j;
    bool need_label;
    struct batch *bt[NBATCHES];
    size_t rows, kept;          /* pass 2's, as collected */
    struct precoded pre;
};

static void batch_free(struct batch *bt)
{
    if (bt == NULL)
        return;
    for (size_t i = 0; i < BATCH_ROWS; i++)
        record_free(bt->rec[i]);
    row_batch_free(bt->rb);
    ns_buf_free(&bt->recs);
    free(bt->codes);
    free(bt->cat);
    ns_buf_free(&bt->out);
    ns_buf_free(&bt->msgs);
    free(bt->drops);
    free(bt);
}

static struct batch *batch_new(const struct schema *s, size_t nrec)
{
    struct batch *bt = calloc(1, sizeof(*bt));

    if (bt == NULL || (bt->rb = row_batch_new(BATCH_ROWS)) == NULL) {
        free(bt);
        return NULL;
    }
    bt->codes = calloc(s->ncols + 1, sizeof(*bt->codes));
    bt->cat = calloc(s->ncols + 1, sizeof(*bt->cat));
    if (bt->codes == NULL || bt->cat == NULL) {
        batch_free(bt);
        return NULL;
    }
    for (size_t i = 0; i < nrec; i++) {
        if ((bt->rec[i] = record_new(s)) == NULL) {
            batch_free(bt);
            return NULL;
        }
    }
    return bt;
}

static void batch_reset(struct batch *bt, size_t first)
{
    row_batch_clear(bt->rb);
    bt->first = first;
    bt->n = 0;
    ns_buf_reset(&bt->recs);
    ns_buf_reset(&bt->out);
    ns_buf_reset(&bt->msgs);
    bt->ndrops = 0;
    bt->kept = 0;
    bt->unknown = 0;
    bt->rc = NS_OK;
    bt->rc_row = SIZE_MAX;
}

static void batch_fail(struct batch *bt, size_t row, enum ns_err rc,
                       const struct ns_error *e)
{
    bt->rc = rc;
    bt->rc_row = row;
    bt->err = *e;
}

static void pass_free(struct pass *p)
{
    for (size_t i = 0; i < NBATCHES; i++)
        batch_free(p->bt[i]);
}

/* nrec records a batch: one a row for pass 1, one for pass 2. */
static enum ns_err pass_init(struct pass *p, struct clean_job *j,
                             size_t nrec, struct ns_error *err)
{
    int t = schema_find_role(j->schema, ROLE_TARGET);

    p->j = j;
    p->need_label = t >= 0 && j->bind->field_of_col[t] >= 0;
    for (size_t i = 0; i < NBATCHES; i++) {
        if ((p->bt[i] = batch_new(j->schema, nrec)) == NULL) {
            pass_free(p);
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        }
    }
    return NS_OK;
}

/* Opens the input (or its copy) and reads its header. An empty file is
 * an error. */
static enum ns_err open_input(const struct clean_job *j,
                              struct csv_reader **rd,
                              const struct csv_row **header,
                              struct ns_error *err)
{
    struct csv_opts o = {j->a.sep, 0};
    enum ns_err rc;

    if (j->copy != NULL) {
        rewind(j->copy);
        rc = csv_reader_open_file(j->copy, j->a.path, &o, rd, err);
    } else {
        rc = csv_reader_open(j->a.path, &o, rd, err);
    }
    if (rc != NS_OK)
        return rc;
    rc = csv_reader_next(*rd, header, err);
    if (rc == NS_DONE)
        rc = ns_error_set(err, NS_ERR_PARSE, "%s:1:1: empty file; expected "
                          "a header line", j->a.path);
    return rc;
}

/* Where a pass's rows come from: the CSV, or pass 1's kept rows. */
struct source {
    struct csv_reader *rd;      /* NULL: the kept rows */
    size_t limit;               /* rows to read */
    bool fates;                 /* pass 2: each row gets its fate */
};

/* Fills batches from the reader and hands them on, until the end of the
 * input, limit rows, a stop (--strict) or a failure. In pass 2 each row
 * also gets its fate, asked in file order as rowfate wants. */
static enum ns_err read_batches(struct pass *p, const struct source *src,
                                struct ns_stages *st, struct ns_error *err)
{
    struct csv_reader *rd = src->rd;
    size_t limit = src->limit;
    bool fates = src->fates;
    const struct csv_row *row;
    size_t ordinal = 0;
    enum ns_err rc = NS_OK;
    struct batch *bt;

    while (rc == NS_OK && ordinal < limit &&
           !atomic_load(&p->j->stopped) &&
           (bt = ns_stages_next(st)) != NULL) {
        batch_reset(bt, ordinal);
        while (rc == NS_OK && !row_batch_full(bt->rb) && ordinal < limit &&
               (rc = csv_reader_next(rd, &row, err)) == NS_OK) {
            rc = row_batch_add(bt->rb, row);
            if (rc == NS_ERR_NOMEM)
                ns_error_set(err, rc, "out of memory");
            if (rc == NS_OK && fates)
                rc = rowfate_get(p->j->fate, ordinal,
                                 &bt->fate[bt->rb->n - 1], err);
            ordinal++;
        }
        /* Rows before a failure still go: one of them may be the row
         * that stops a --strict run, which comes first in the file. */
        if (bt->rb->n > 0)
            ns_stages_submit(st, bt);
    }
    return rc == NS_DONE ? NS_OK : rc;
}

/* Fills batches from pass 1's kept rows, each with its fate. */
static enum ns_err read_kept(struct pass *p, struct ns_stages *st,
                             struct ns_error *err)
{
    struct clean_job *j = p->j;
    enum ns_err rc = NS_OK;
    struct batch *bt;
    size_t ordinal;

    while (rc == NS_OK && (bt = ns_stages_next(st)) != NULL) {
        batch_reset(bt, 0);
        while (rc == NS_OK && bt->n < BATCH_ROWS &&
               (rc = recstream_next(j->rows, &bt->recs, &bt->at[bt->n],
                                    &ordinal, err)) == NS_OK) {
            rc = rowfate_get(j->fate, ordinal, &bt->fate[bt->n], err);
            bt->n++;
        }
        if (bt->n > 0)
            ns_stages_submit(st, bt);
    }
    return rc == NS_DONE ? NS_OK : rc;
}

/* Runs one pass over batches of nrec records (pass_init()), fed from
 * src, with work on the workers and collect on the collector. p starts
 * zeroed, or with what work needs (pre); it ends with the pass's
 * counts. */
static enum ns_err run_pass(struct pass *p, struct clean_job *j,
                            size_t nrec, const struct source *src,
                            void (*work)(void *, size_t, void *),
                            enum ns_err (*collect)(void *, void *,
                                                   struct ns_error *),
                            struct ns_error *err)
{
    struct ns_stages_ops ops = {p, work, collect};
    struct ns_stages *st;
    struct ns_error ferr = {0};
    enum ns_err rc, frc;

    rc = pass_init(p, j, nrec, err);
    if (rc != NS_OK)
        return rc;
    rc = ns_stages_start(&ops, NWORKERS, (void **)p->bt, NBATCHES, &st,
                         err);
    if (rc != NS_OK) {
        pass_free(p);
        return rc;
    }
    rc = src->rd ? read_batches(p, src, st, err) : read_kept(p, st, err);
    frc = ns_stages_finish(st, &ferr);
    pass_free(p);
    /* The collector's failure comes first in the file: the reader only
     * stops after it, or fails on a later row. */
    if (frc != NS_OK) {
        *err = ferr;
        return frc;
    }
    return rc;
}

/* Pass 1, on a worker: each row's fingerprint and own checks. */
static void check_work(void *ctx, size_t k, void *item)
{
    struct pass *p = ctx;
    struct batch *bt = item;
    struct ns_error e;
    enum clean_reason reason;

    (void)k;
    row_batch_seal(bt->rb);
    for (size_t i = 0; i < bt->rb->n; i++) {
        const struct csv_row *row = &bt->rb->rows[i];
        enum ns_err rc;

        bt->fp[i] = clean_row_fp(row);
        reason = CLEAN_OK;
        rc = clean_csv_row(p->j->schema, p->j->bind, p->j->a.path, row,
                           p->need_label, bt->rec[i], &reason, &e);
        if (rc != NS_OK && rc != NS_ERR_INVALID) {
            batch_fail(bt, i, rc, &e);
            return;
        }
        bt->reason[i] = (uint8_t)(rc == NS_OK ? CLEAN_OK : reason);
    }
}

/* Pass 1, in file order: a row's categories if it is kept, and its
 * place for rowfate. Whether it repeats an earlier row is known only
 * after the whole file, so it is counted here by its own checks and
 * moved to "duplicate" by count_duplicates(). */
static enum ns_err count_row(struct clean_job *j, struct batch *bt,
                             size_t i, uint32_t *codes,
                             struct ns_error *err)
{
    const struct record *rec = bt->rec[i];
    struct rowfate_row fr;
    enum ns_err rc;

    memset(&fr, 0, sizeof(fr));
    fr.fp = bt->fp[i];
    fr.reason = (enum clean_reason)bt->reason[i];
    if (fr.reason == CLEAN_OK) {
        rc = catcount_add_coded(j->cc, rec, codes, err);
        if (rc != NS_OK)
            return rc;
        fr.codes = codes;
        if (j->rows != NULL &&
            (rc = recstream_put(j->rows, bt->first + i, rec, codes,
                                err)) != NS_OK)
            return rc;
        if (history_applies(rec)) {
            fr.patient = rec->patient;
            fr.booked_at = rec->booked_at;
            fr.appt_day = rec->appt_day;
            fr.label = (int8_t)rec->label;
        }
    } else if (j->a.strict) {
        atomic_store(&j->stopped, true);
    }
    clean_report_add(&j->rep, fr.reason);
    return rowfate_add(j->fate, &fr, err);
}

static enum ns_err count_collect(void *ctx, void *item, struct ns_error *err)
{
    struct pass *p = ctx;
    struct batch *bt = item;
    uint32_t codes[64];
    uint32_t *c = codes;
    size_t nc = catcount_columns(p->j->cc);
    enum ns_err rc = NS_OK;

    if (nc > 64 && (c = malloc(nc * sizeof(*c))) == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < bt->rb->n && rc == NS_OK; i++) {
        if (atomic_load(&p->j->stopped))
            break;
        if (i == bt->rc_row) {
            *err = bt->err;
            rc = bt->rc;
            break;
        }
        rc = count_row(p->j, bt, i, c, err);
    }
    if (c != codes)
        free(c);
    return rc;
}

/* LIMITATION: flat memory costs temporary disk in $TMPDIR: about 190
 * bytes a row for duplicates and history (rowfate) and, with --features,
 * about 140 more for a doctolib row's clean values (recstream), so 15
 * million rows need about 5 GB free. A full disk stops the run with an
 * error and leaves the outputs as they were; less disk would need the
 * records compressed, or pass 2 reading the CSV again. */
static enum ns_err setup(struct clean_job *j, const struct csv_reader *rd,
                         const struct csv_row *header, struct ns_error *err)
{
    struct stat st;
    uint64_t size = 0;
    enum ns_err rc;

    if (j->a.schema == NULL)
        rc = schema_detect(header, &j->schema, err);
    else
        rc = schema_from_spec(j->a.schema, &j->schema, err);
    if (rc == NS_OK)
        rc = schema_bind(j->schema, header, j->a.path, &j->bind, err);
    if (rc == NS_OK)
        rc = catcount_new(j->schema, &j->cc, err);
    if (rc != NS_OK)
        return rc;
    if (j->copy != NULL ? fstat(fileno(j->copy), &st) == 0
                        : stat(j->a.path, &st) == 0)
        size = (uint64_t)st.st_size;
    rc = rowfate_new(catcount_columns(j->cc), size, &j->fate, err);
    if (rc == NS_OK && j->keep_rows)
        rc = recstream_new(j->schema, &j->rows, err);
    if (rc == NS_OK && j->a.rejects != NULL)
        rc = clean_rejects_open(j->a.rejects, header, csv_reader_sep(rd),
                                &j->rj, err);
    return rc;
}

/* Moves the rows found to repeat earlier ones from the reason their
 * own checks gave them to "duplicate", as one pass in file order would
 * have counted them. */
static void count_duplicates(struct clean_job *j)
{
    for (int k = CLEAN_OK; k < CLEAN_NREASONS; k++) {
        size_t d = rowfate_duplicates(j->fate, (enum clean_reason)k);

        if (k == CLEAN_OK)
            j->rep.rows_kept -= d;
        else
            j->rep.dropped[k] -= d;
        j->rep.dropped[CLEAN_DUPLICATE] += d;
    }
}

enum ns_err clean_pass_one(struct clean_job *j, struct ns_error *err)
{
    struct csv_reader *rd = NULL;
    const struct csv_row *header;
    struct pass p = {0};
    enum ns_err rc;
    int64_t t0 = ns_mono_ns(), t1;

    rc = open_input(j, &rd, &header, err);
    if (rc == NS_OK)
        rc = setup(j, rd, header, err);
    if (rc == NS_OK) {
        struct source src = {rd, SIZE_MAX, false};

        rc = run_pass(&p, j, BATCH_ROWS, &src, check_work, count_collect,
                      err);
    }
    csv_reader_close(rd);
    if (rc != NS_OK)
        return rc;
    if (j->rep.rows_read == 0)
        return ns_error_set(err, NS_ERR_PARSE, "%s:2: no rows after the "
                            "header", j->a.path);
    t1 = ns_mono_ns();
    rc = rowfate_finish(j->fate, j->cc, err);
    if (rc == NS_OK)
        count_duplicates(j);
    ns_log_debug("clean", "pass=1 rows=%zu read_ms=%.1f resolve_ms=%.1f",
                 j->rep.rows_read, (double)(t1 - t0) / 1e6,
                 (double)(ns_mono_ns() - t1) / 1e6);
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

/* One feature line: appointment id, label, then the features. */
static enum ns_err put_features(struct ns_buf *out, const struct record *rec,
                                const float *vec, size_t n)
{
    const char *id = rec->appt_id ? rec->appt_id : "";
    char *p;

    if (csv_put_field(out, ',', id, strlen(id)) != NS_OK ||
        ns_buf_reserve(out, n * 20 + 8) != NS_OK)
        return NS_ERR_NOMEM;
    p = out->data + out->len;
    *p++ = ',';
    if (rec->label >= 0)
        *p++ = (char)('0' + rec->label);
    for (size_t i = 0; i < n; i++) {
        *p++ = ',';
        p = put_float(p, vec[i]);
    }
    *p++ = '\n';
    *p = '\0';
    out->len = (size_t)(p - out->data);
    return NS_OK;
}

/* A kept row's features, its history from pass 1's rowfate; cat: its
 * category codes found already (precoded), or NULL. */
static enum ns_err feature_row(const struct clean_job *j, struct batch *bt,
                               const struct record *rec, const double *cat,
                               const struct rowfate_fate *fate,
                               struct ns_error *err)
{
    float vec[PIPELINE_MAX_FEATURES];
    struct history_stats hs;
    int unknown = 0;

    if (!rowfate_history_of(fate, rec, &hs))
        return ns_error_set(err, NS_ERR_INVALID, "%s:%ld: %s changed "
                            "between the two passes", j->a.path, rec->line,
                            j->a.path);
    if (cat != NULL)
        pipeline_row_coded(j->pipe, rec, cat, &hs, vec, &unknown);
    else
        pipeline_row_stats(j->pipe, rec, &hs, vec, &unknown);
    bt->unknown += unknown;
    if (put_features(&bt->out, rec, vec, pipeline_nfeatures(j->pipe)) !=
        NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    return NS_OK;
}

static enum ns_err add_drop(struct batch *bt, size_t row,
                            enum clean_reason reason, const char *msg)
{
    if (bt->ndrops == bt->drops_cap) {
        size_t cap = bt->drops_cap ? 2 * bt->drops_cap : 16;
        struct drop *d = realloc(bt->drops, cap * sizeof(*d));

        if (d == NULL)
            return NS_ERR_NOMEM;
        bt->drops = d;
        bt->drops_cap = cap;
    }
    bt->drops[bt->ndrops] = (struct drop){row, reason, bt->msgs.len};
    if (ns_buf_append(&bt->msgs, msg, strlen(msg) + 1) != NS_OK)
        return NS_ERR_NOMEM;
    bt->ndrops++;
    return NS_OK;
}

/* Pass 2 for one row: a duplicate or a bad row is noted for the
 * collector; a kept one gets its features. */
static enum ns_err second_row(const struct pass *p, struct batch *bt,
                              size_t i, struct ns_error *e)
{
    const struct clean_job *j = p->j;
    const struct csv_row *row = &bt->rb->rows[i];
    enum clean_reason reason = CLEAN_OK;
    enum ns_err rc;

    if (bt->fate[i].duplicate) {
        ns_error_set(e, NS_ERR_INVALID, "%s:%ld: exact duplicate of an "
                     "earlier row", j->a.path, row->line);
        reason = CLEAN_DUPLICATE;
        rc = NS_ERR_INVALID;
    } else {
        rc = clean_csv_row(j->schema, j->bind, j->a.path, row,
                           p->need_label, bt->rec[0], &reason, e);
    }
    if (rc == NS_ERR_INVALID)
        return add_drop(bt, i, reason, e->msg) == NS_OK ?
               NS_OK : ns_error_set(e, NS_ERR_NOMEM, "out of memory");
    if (rc != NS_OK)
        return rc;
    bt->kept++;
    return j->feat ? feature_row(j, bt, bt->rec[0], NULL, &bt->fate[i], e)
                   : NS_OK;
}

static void feature_work(void *ctx, size_t k, void *item)
{
    struct batch *bt = item;
    struct ns_error e;

    (void)k;
    row_batch_seal(bt->rb);
    for (size_t i = 0; i < bt->rb->n; i++) {
        enum ns_err rc = second_row(ctx, bt, i, &e);

        if (rc != NS_OK) {
            batch_fail(bt, i, rc, &e);
            return;
        }
    }
}

static enum ns_err io_error(const char *path, struct ns_error *err)
{
    int e = errno;

    return ns_error_set(err, NS_ERR_IO, "%s: write failed: %s", path,
                        strerror(e));
}

/* A dropped row goes to --rejects; with --strict it stops the run. */
static enum ns_err drop_row(struct clean_job *j, const struct batch *bt,
                            const struct drop *d, struct ns_error *err)
{
    const char *msg = bt->msgs.data + d->msg;

    if (j->rj != NULL && clean_rejects_write(j->rj, &bt->rb->rows[d->row],
                                             d->reason, msg) != NS_OK) {
        int e = errno;

        return ns_error_set(err, NS_ERR_IO, "%s: cannot write rejected "
                            "rows: %s", j->a.rejects, strerror(e));
    }
    if (j->a.strict) {
        ns_error_set(err, NS_ERR_INVALID, "%s", msg);
        return NS_ERR_INVALID;
    }
    return NS_OK;
}

/* Pass 2, in file order: the dropped rows (up to a worker's failure,
 * which comes after them in the file), then the feature lines. */
static enum ns_err write_collect(void *ctx, void *item, struct ns_error *err)
{
    struct pass *p = ctx;
    struct clean_job *j = p->j;
    struct batch *bt = item;
    enum ns_err rc = NS_OK;

    for (size_t i = 0; i < bt->ndrops && rc == NS_OK; i++)
        rc = drop_row(j, bt, &bt->drops[i], err);
    if (rc == NS_OK && bt->rc != NS_OK) {
        *err = bt->err;
        rc = bt->rc;
    }
    if (rc != NS_OK)
        return rc;
    if (j->feat && bt->out.len > 0 &&
        fwrite(bt->out.data, 1, bt->out.len, j->feat) != bt->out.len)
        return io_error(j->a.features, err);
    j->unknown_cats += bt->unknown;
    p->rows += bt->rb->n;
    p->kept += bt->kept;
    return NS_OK;
}

/* Pass 2 from the kept rows, on a worker: duplicates are skipped, the
 * others decoded and featurised. */
static void kept_work(void *ctx, size_t k, void *item)
{
    struct pass *p = ctx;
    const struct clean_job *j = p->j;
    struct batch *bt = item;
    struct ns_error e;

    (void)k;
    for (size_t i = 0; i < bt->n; i++) {
        enum ns_err rc;

        if (bt->fate[i].duplicate)
            continue;
        recstream_decode(j->rows, bt->recs.data + bt->at[i], j->cc,
                         bt->rec[0], bt->codes);
        for (size_t c = 0; c < p->pre.ncat; c++) {
            uint32_t code = bt->codes[c];

            bt->cat[p->pre.cols[c]] = code == CATCOUNT_NONE ? NAN :
                                      p->pre.by_code[c][code];
        }
        bt->kept++;
        rc = feature_row(j, bt, bt->rec[0], bt->cat, &bt->fate[i], &e);
        if (rc != NS_OK) {
            batch_fail(bt, i, rc, &e);
            return;
        }
    }
}

/* The kept rows serve when there is nothing to reject and no row stops
 * a --strict run: dropped rows need their text from the file. */
static bool from_kept_rows(const struct clean_job *j)
{
    return j->rows != NULL && j->rj == NULL &&
           !(j->a.strict && j->rep.rows_kept < j->rep.rows_read);
}

static void precoded_free(struct precoded *pc)
{
    for (size_t i = 0; pc->by_code != NULL && i < pc->ncat; i++)
        free(pc->by_code[i]);
    free(pc->by_code);
    free(pc->cols);
    memset(pc, 0, sizeof(*pc));
}

static enum ns_err precode(const struct clean_job *j, struct precoded *pc,
                           struct ns_error *err)
{
    const struct encoders *enc = pipeline_encoders(j->pipe);
    const struct schema *s = j->schema;

    memset(pc, 0, sizeof(*pc));
    pc->cols = calloc(s->ncols + 1, sizeof(*pc->cols));
    pc->by_code = calloc(s->ncols + 1, sizeof(*pc->by_code));
    if (pc->cols == NULL || pc->by_code == NULL)
        goto nomem;
    for (size_t col = 0; col < s->ncols; col++) {
        size_t n = catcount_ncodes(j->cc, col);
        double *codes;

        if (s->cols[col].role != ROLE_CATEGORICAL)
            continue;
        codes = calloc(n + 1, sizeof(*codes));
        if (codes == NULL)
            goto nomem;
        for (size_t c = 0; c < n; c++)
            codes[c] = enc == NULL ? NAN :
                       encoders_code(enc, (int)col,
                                     catcount_value(j->cc, col,
                                                    (uint32_t)c), NULL);
        pc->cols[pc->ncat] = col;
        pc->by_code[pc->ncat++] = codes;
    }
    return NS_OK;
nomem:
    precoded_free(pc);
    return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
}

static enum ns_err pass_two_kept(struct clean_job *j, struct ns_error *err)
{
    struct source src = {NULL, SIZE_MAX, true};
    struct pass p = {0};
    enum ns_err rc;

    rc = recstream_rewind(j->rows, err);
    if (rc == NS_OK)
        rc = precode(j, &p.pre, err);
    if (rc == NS_OK)
        rc = run_pass(&p, j, 1, &src, kept_work, write_collect, err);
    precoded_free(&p.pre);
    if (rc == NS_OK && p.kept != j->rep.rows_kept)
        rc = ns_error_set(err, NS_ERR_INVALID, "clean rows: %zu kept in "
                          "pass 1, %zu read back", j->rep.rows_kept,
                          p.kept);
    return rc;
}

enum ns_err clean_pass_two(struct clean_job *j, struct ns_error *err)
{
    struct csv_reader *rd = NULL;
    const struct csv_row *header;
    struct pass p = {0};
    enum ns_err rc;

    if (from_kept_rows(j)) {
        int64_t t0 = ns_mono_ns();

        rc = pass_two_kept(j, err);
        ns_log_debug("clean", "pass=2 from=kept_rows ms=%.1f",
                     (double)(ns_mono_ns() - t0) / 1e6);
        return rc;
    }
    /* Pass 1's stop is its own: this pass reads the rows it counted. */
    atomic_store(&j->stopped, false);
    rc = open_input(j, &rd, &header, err);
    if (rc == NS_OK) {
        struct source src = {rd, j->rep.rows_read, true};

        rc = run_pass(&p, j, 1, &src, feature_work, write_collect, err);
    }
    csv_reader_close(rd);
    if (rc == NS_OK && (p.rows != j->rep.rows_read ||
                        p.kept != j->rep.rows_kept))
        rc = ns_error_set(err, NS_ERR_INVALID, "%s changed between the "
                          "two passes: %zu rows kept of %zu, then %zu of "
                          "%zu", j->a.path, j->rep.rows_kept,
                          j->rep.rows_read, p.kept, p.rows);
    return rc;
}
