#include "data/table.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"
#include "util/buf.h"
#include "util/hmap.h"

/* Every string of the table lives once in one arena; an id is an index
 * into off[], and id 0 is the empty string that stands for "none".
 *
 * Strings that repeat (patients, categories) are found again through an
 * open-addressing set of ids. It is kept here rather than in util/hmap
 * because a slot holds only the id and its hash (8 bytes) and the text is
 * the arena's: no allocation per distinct string and one probe sequence
 * per lookup, which is most of the cost of loading a million rows. */
struct slot {
    uint32_t id;            /* 0: empty */
    uint32_t hash;
};

struct pool {
    struct slot *slots;     /* [nslots], a power of two, at most half full */
    size_t nslots;
    size_t nused;
    struct ns_buf text;     /* NUL-terminated strings back to back */
    uint32_t *off;          /* [count]: offset of each string in text */
    size_t count;
    size_t cap;
};

struct table_priv {
    size_t cap;             /* rows the column arrays can hold */
    struct pool pool;
};

static enum ns_err pool_init(struct pool *p)
{
    p->nslots = 1024;
    p->slots = calloc(p->nslots, sizeof(*p->slots));
    p->cap = 1024;
    p->off = malloc(p->cap * sizeof(*p->off));
    if (p->slots == NULL || p->off == NULL)
        return NS_ERR_NOMEM;
    p->off[0] = 0;
    p->count = 1;
    return ns_buf_append(&p->text, "", 1);
}

static void pool_free(struct pool *p)
{
    free(p->slots);
    ns_buf_free(&p->text);
    free(p->off);
}

static uint32_t text_hash(const char *s, size_t len)
{
    uint64_t h = ns_hash64(s, len);

    return (uint32_t)(h ^ (h >> 32));
}

/* The slot holding s, or the empty slot where it would go. */
static struct slot *pool_slot(const struct pool *p, const char *s,
                              uint32_t h)
{
    size_t mask = p->nslots - 1;

    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct slot *sl = &p->slots[i];

        if (sl->id == 0)
            return sl;
        if (sl->hash == h &&
            strcmp(p->text.data + p->off[sl->id], s) == 0)
            return sl;
    }
}

static enum ns_err pool_grow_set(struct pool *p)
{
    size_t n = p->nslots * 2;
    struct slot *fresh = calloc(n, sizeof(*fresh));

    if (fresh == NULL)
        return NS_ERR_NOMEM;
    for (size_t i = 0; i < p->nslots; i++) {
        struct slot sl = p->slots[i];
        size_t j = sl.hash & (n - 1);

        if (sl.id == 0)
            continue;
        while (fresh[j].id != 0)
            j = (j + 1) & (n - 1);
        fresh[j] = sl;
    }
    free(p->slots);
    p->slots = fresh;
    p->nslots = n;
    return NS_OK;
}

/* Stores s without looking for an earlier copy: for values that never
 * repeat, such as appointment ids. */
static enum ns_err pool_add(struct pool *p, const char *s, size_t len,
                            uint32_t *id)
{
    size_t at = p->text.len;

    if (p->count == p->cap) {
        uint32_t *off = realloc(p->off, 2 * p->cap * sizeof(*off));

        if (off == NULL)
            return NS_ERR_NOMEM;
        p->off = off;
        p->cap *= 2;
    }
    if (at > UINT32_MAX - len - 1 || p->count >= UINT32_MAX)
        return NS_ERR_TOO_LARGE;
    if (ns_buf_append(&p->text, s, len) != NS_OK ||
        ns_buf_append(&p->text, "", 1) != NS_OK)
        return NS_ERR_NOMEM;
    p->off[p->count] = (uint32_t)at;
    *id = (uint32_t)p->count++;
    return NS_OK;
}

static enum ns_err pool_intern(struct pool *p, const char *s, uint32_t *id)
{
    size_t len = s ? strlen(s) : 0;
    uint32_t h;
    struct slot *sl;
    enum ns_err rc;

    *id = 0;
    if (len == 0)
        return NS_OK;
    if (2 * (p->nused + 1) > p->nslots && (rc = pool_grow_set(p)) != NS_OK)
        return rc;
    h = text_hash(s, len);
    sl = pool_slot(p, s, h);
    if (sl->id == 0) {
        if ((rc = pool_add(p, s, len, &sl->id)) != NS_OK)
            return rc;
        sl->hash = h;
        p->nused++;
    }
    *id = sl->id;
    return NS_OK;
}

enum ns_err table_new(const struct schema *schema, struct table **out)
{
    struct table *t = calloc(1, sizeof(*t));
    struct table_priv *pv = calloc(1, sizeof(*pv));
    size_t n = schema->ncols ? schema->ncols : 1;

    *out = NULL;
    if (t == NULL || pv == NULL) {
        free(t);
        free(pv);
        return NS_ERR_NOMEM;
    }
    t->schema = schema;
    t->priv = pv;
    t->num = calloc(n, sizeof(*t->num));
    t->cat = calloc(n, sizeof(*t->cat));
    if (t->num == NULL || t->cat == NULL || pool_init(&pv->pool) != NS_OK) {
        table_free(t);
        return NS_ERR_NOMEM;
    }
    *out = t;
    return NS_OK;
}

static enum ns_err grow(void **arr, size_t elem, size_t cap)
{
    void *p = realloc(*arr, cap * elem);

    if (p == NULL)
        return NS_ERR_NOMEM;
    *arr = p;
    return NS_OK;
}

static bool numeric_role(enum schema_role r)
{
    return r == ROLE_BINARY || r == ROLE_NUMERIC;
}

/* Doubles every column array together; the capacity only moves once all
 * of them have grown, so a failure leaves a consistent table. */
static enum ns_err reserve(struct table *t)
{
    struct table_priv *pv = t->priv;
    size_t cap = pv->cap ? 2 * pv->cap : 1024;
    bool ok = true;

    ok = ok && grow((void **)&t->line, sizeof(*t->line), cap) == NS_OK;
    ok = ok && grow((void **)&t->booked_at, sizeof(int64_t), cap) == NS_OK;
    ok = ok && grow((void **)&t->appt_day, sizeof(int32_t), cap) == NS_OK;
    ok = ok && grow((void **)&t->appt_time, sizeof(int32_t), cap) == NS_OK;
    ok = ok && grow((void **)&t->label, sizeof(int8_t), cap) == NS_OK;
    ok = ok && grow((void **)&t->patient, sizeof(uint32_t), cap) == NS_OK;
    ok = ok && grow((void **)&t->appt_id, sizeof(uint32_t), cap) == NS_OK;
    for (size_t c = 0; ok && c < t->schema->ncols; c++) {
        enum schema_role role = t->schema->cols[c].role;

        if (numeric_role(role))
            ok = grow((void **)&t->num[c], sizeof(float), cap) == NS_OK;
        else if (role == ROLE_CATEGORICAL)
            ok = grow((void **)&t->cat[c], sizeof(uint32_t), cap) == NS_OK;
    }
    if (!ok)
        return NS_ERR_NOMEM;
    pv->cap = cap;
    return NS_OK;
}

enum ns_err table_append(struct table *t, const struct record *r)
{
    struct table_priv *pv = t->priv;
    size_t i = t->nrows;
    uint32_t pid, aid = 0;
    enum ns_err rc;

    assert(r->ncols == t->schema->ncols);
    if (i == pv->cap && (rc = reserve(t)) != NS_OK)
        return rc;
    if ((rc = pool_intern(&pv->pool, r->patient, &pid)) != NS_OK)
        return rc;
    if (r->appt_id && r->appt_id[0] &&
        (rc = pool_add(&pv->pool, r->appt_id, strlen(r->appt_id), &aid))
            != NS_OK)
        return rc;
    for (size_t c = 0; c < t->schema->ncols; c++) {
        if (t->num[c])
            t->num[c][i] = (float)r->num[c];
        else if (t->cat[c] &&
                 (rc = pool_intern(&pv->pool, r->text[c], &t->cat[c][i]))
                     != NS_OK)
            return rc;
    }
    t->line[i] = r->line;
    t->booked_at[i] = r->booked_at;
    t->appt_day[i] = r->appt_day;
    t->appt_time[i] = r->appt_time;
    t->label[i] = (int8_t)r->label;
    t->patient[i] = pid;
    t->appt_id[i] = aid;
    t->nrows = i + 1;
    return NS_OK;
}

void table_row(const struct table *t, size_t i, struct record *view)
{
    assert(i < t->nrows && view->ncols == t->schema->ncols);
    view->line = t->line[i];
    view->appt_id = table_str(t, t->appt_id[i]);
    view->patient = table_str(t, t->patient[i]);
    view->booked_at = t->booked_at[i];
    view->appt_day = t->appt_day[i];
    view->appt_time = t->appt_time[i];
    view->label = t->label[i];
    for (size_t c = 0; c < view->ncols; c++) {
        view->num[c] = t->num[c] ? (double)t->num[c][i] : NAN;
        view->text[c] = t->cat[c] && t->cat[c][i]
                            ? table_str(t, t->cat[c][i])
                            : NULL;
    }
}

const char *table_str(const struct table *t, uint32_t id)
{
    const struct pool *p = &((const struct table_priv *)t->priv)->pool;

    if (id >= p->count)
        return "";
    return p->text.data + p->off[id];
}

bool table_find(const struct table *t, const char *s, uint32_t *id)
{
    const struct pool *p = &((const struct table_priv *)t->priv)->pool;
    size_t len = s ? strlen(s) : 0;
    const struct slot *sl;

    if (len == 0)
        return false;
    sl = pool_slot(p, s, text_hash(s, len));
    if (sl->id == 0)
        return false;
    *id = sl->id;
    return true;
}

size_t table_nstrings(const struct table *t)
{
    return ((const struct table_priv *)t->priv)->pool.count;
}

void table_free(struct table *t)
{
    struct table_priv *pv;

    if (t == NULL)
        return;
    pv = t->priv;
    for (size_t c = 0; t->num && t->cat && c < t->schema->ncols; c++) {
        free(t->num[c]);
        free(t->cat[c]);
    }
    free(t->num);
    free(t->cat);
    free(t->line);
    free(t->booked_at);
    free(t->appt_day);
    free(t->appt_time);
    free(t->label);
    free(t->patient);
    free(t->appt_id);
    if (pv)
        pool_free(&pv->pool);
    free(pv);
    free(t);
}

/* The schema a file is read with: the caller's, a file, a built-in one
 * by name, or the built-in one the header fits. */
static enum ns_err pick_schema(const struct csv_row *header,
                               const struct table_load_opts *o,
                               struct schema **own, struct ns_error *err)
{
    if (o->schema_path)
        return schema_load_file(o->schema_path, own, err);
    if (o->schema_name)
        return schema_builtin(o->schema_name, own, err);
    return schema_detect(header, own, err);
}

struct load {
    const char *file;               /* the reader's name, for messages */
    const struct table_load_opts *o;
    const struct schema *s;
    struct schema_binding *b;
    struct clean_dedup *dedup;
    struct clean_rejects *rejects;
    struct record *r;
    struct table *t;
    struct clean_report *report;
};

/* Cleans one data row. NS_OK with *reason set (CLEAN_OK or why it is
 * dropped, with the detail in rowerr); another code only when the run
 * itself fails. */
static enum ns_err clean_row(struct load *ld, const struct csv_row *row,
                             enum clean_reason *reason,
                             struct ns_error *rowerr)
{
    bool dup = false;
    enum ns_err rc;

    *reason = CLEAN_OK;
    if (ld->dedup) {
        if (clean_dedup_check(ld->dedup, row, &dup) != NS_OK)
            return ns_error_set(rowerr, NS_ERR_NOMEM, "%s:%ld: out of "
                                "memory while checking for duplicate "
                                "rows", ld->file, row->line);
        if (dup) {
            *reason = CLEAN_DUPLICATE;
            ns_error_set(rowerr, NS_ERR_INVALID, "%s:%ld: exact copy of "
                         "an earlier row", ld->file, row->line);
            return NS_OK;
        }
    }
    rc = clean_csv_row(ld->s, ld->b, ld->file, row, ld->o->need_label,
                       ld->r, reason, rowerr);
    if (rc == NS_ERR_INVALID)
        return NS_OK;
    *reason = CLEAN_OK;
    return rc;
}

/* Counts, writes and (strict mode) refuses one dropped row. */
static enum ns_err drop_row(struct load *ld, const struct csv_row *row,
                            enum clean_reason reason,
                            const struct ns_error *rowerr,
                            struct ns_error *err)
{
    if (ld->rejects &&
        clean_rejects_write(ld->rejects, row, reason, rowerr->msg) != NS_OK)
        return ns_error_set(err, NS_ERR_IO, "%s: cannot write the "
                            "rejected row of line %ld", ld->o->rejects_path,
                            row->line);
    /* Strict mode: the row's own message already says where and why. */
    if (ld->o->strict) {
        if (err)
            *err = *rowerr;
        return NS_ERR_INVALID;
    }
    return NS_OK;
}

static enum ns_err read_rows(struct csv_reader *rd, struct load *ld,
                             struct ns_error *err)
{
    const struct csv_row *row;
    struct ns_error rowerr;
    enum clean_reason reason;
    enum ns_err rc;

    while ((rc = csv_reader_next(rd, &row, err)) == NS_OK) {
        ns_error_clear(&rowerr);
        if ((rc = clean_row(ld, row, &reason, &rowerr)) != NS_OK) {
            if (err)
                *err = rowerr;
            return rc;
        }
        clean_report_add(ld->report, reason);
        if (reason != CLEAN_OK) {
            if ((rc = drop_row(ld, row, reason, &rowerr, err)) != NS_OK)
                return rc;
            continue;
        }
        ld->r->line = row->line;
        if ((rc = table_append(ld->t, ld->r)) != NS_OK)
            return ns_error_set(err, rc, "%s:%ld: cannot store the row: "
                                "%s", ld->file, row->line, ns_err_str(rc));
    }
    return rc == NS_DONE ? NS_OK : rc;
}

/* Opens the file, reads its header and sets up everything the rows
 * need: schema, binding, rejects file, duplicate filter, table. */
static enum ns_err start_load(struct csv_reader *rd,
                              const struct schema *schema_in,
                              struct load *ld, struct schema **own,
                              struct ns_error *err)
{
    const struct csv_row *header;
    enum ns_err rc;

    rc = csv_reader_next(rd, &header, err);
    if (rc == NS_DONE)
        return ns_error_set(err, NS_ERR_PARSE, "%s: empty file: expected "
                            "a header line", ld->file);
    if (rc != NS_OK)
        return rc;
    if (schema_in == NULL && (rc = pick_schema(header, ld->o, own, err)))
        return rc;
    ld->s = schema_in ? schema_in : *own;
    if ((rc = schema_bind(ld->s, header, ld->file, &ld->b, err)) != NS_OK)
        return rc;
    if (ld->o->rejects_path &&
        (rc = clean_rejects_open(ld->o->rejects_path, header,
                                 csv_reader_sep(rd), &ld->rejects, err)))
        return rc;
    if (ld->o->dedup && (ld->dedup = clean_dedup_new()) == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory",
                            ld->file);
    ld->r = record_new(ld->s);
    if (ld->r == NULL || table_new(ld->s, &ld->t) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory",
                            ld->file);
    return NS_OK;
}

enum ns_err table_load_csv(const char *path, const struct schema *schema_in,
                           const struct table_load_opts *o,
                           struct table **out, struct schema **schema_out,
                           struct clean_report *report,
                           struct ns_error *err)
{
    static const struct table_load_opts defaults;
    struct csv_opts co = {0, 0};
    struct csv_reader *rd = NULL;
    struct schema *own = NULL;
    struct clean_report scratch;
    struct load ld = {0};
    enum ns_err rc, rc2;

    *out = NULL;
    if (schema_out)
        *schema_out = NULL;
    if (schema_in == NULL && schema_out == NULL)
        return ns_error_set(err, NS_ERR_INVALID, "%s: no schema given and "
                            "nowhere to return the one chosen", path);
    ld.o = o ? o : &defaults;
    ld.report = report ? report : &scratch;
    memset(ld.report, 0, sizeof(*ld.report));
    co.sep = ld.o->sep;
    if ((rc = csv_reader_open(path, &co, &rd, err)) != NS_OK)
        goto out;
    ld.file = csv_reader_name(rd);
    rc = start_load(rd, schema_in, &ld, &own, err);
    if (rc == NS_OK)
        rc = read_rows(rd, &ld, err);
    if (rc == NS_OK && ld.report->rows_read == 0)
        rc = ns_error_set(err, NS_ERR_PARSE, "%s: no data rows after the "
                          "header", ld.file);
out:
    rc2 = clean_rejects_close(ld.rejects, rc == NS_OK);
    if (rc == NS_OK && rc2 != NS_OK)
        rc = ns_error_set(err, rc2, "%s: the rejected rows did not reach "
                          "the file", ld.o->rejects_path);
    clean_dedup_free(ld.dedup);
    schema_binding_free(ld.b);
    record_free(ld.r);
    csv_reader_close(rd);
    if (rc != NS_OK) {
        table_free(ld.t);
        schema_free(own);
        return rc;
    }
    *out = ld.t;
    if (schema_out)
        *schema_out = own;
    return NS_OK;
}
