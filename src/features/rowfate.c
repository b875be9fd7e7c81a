#include "features/rowfate.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/spill.h"
#include "util/timeutil.h"

/* Rows per range of pass 2 (its slots take about 7 MiB), and the memory
 * each set of buckets may give its buffers. */
#define RANGE_ROWS 65536u
#define BUFFER_BUDGET (8u << 20)
#define BUCKET_BYTES (2u << 20)

/* Threads that resolve buckets at once. */
#define RESOLVERS 2

/* A pass 1 row in its group's bucket, followed by its ncodes codes. */
struct keyrec {
    uint64_t ka, kb;            /* group: the patient's or the row's fp */
    uint64_t fa, fb;            /* the row's fingerprint */
    int64_t booked_at;
    uint32_t row;
    int32_t appt_day;
    int8_t label;
    uint8_t reason;
    uint8_t has_patient;
    uint8_t query_only;
    uint8_t pad[4];
};

enum fate_kind { FATE_NONE, FATE_DUPLICATE, FATE_STATS };

struct faterec {
    uint32_t row;
    uint8_t kind;
    int32_t appt_day;
    int64_t booked_at;
    struct history_stats stats;
};

/* A record of a bucket by its group's first key, for the radix sort. */
struct sortkey {
    uint64_t ka;
    size_t at;
};

/* One thread of rowfate_finish(): the buckets it takes, one group at a
 * time, and the fates it writes to its own spill. */
struct resolver {
    struct rowfate *f;
    struct catcount *cc;
    struct ns_spill *fates;     /* results by range of row numbers */
    struct ns_buf keybuf;       /* the bucket being resolved */
    struct ns_buf sorted;       /* the same records in group order */
    struct sortkey *order, *tmp;
    size_t order_cap;
    struct history_group *group;
    struct history_booking *book;
    uint32_t *book_row;
    struct history_stats *stats;
    size_t cap;
    size_t dups[CLEAN_NREASONS];
    size_t first_dup;
    size_t patients;
    enum ns_err rc;
    struct ns_error err;
};

struct rowfate {
    size_t ncodes, recsize;
    size_t nbuckets;
    struct ns_spill *keys;      /* pass 1 rows by group; NULL once done */
    size_t nrows;
    bool finished;
    bool dups_ask;              /* duplicates get stats too */
    size_t dups[CLEAN_NREASONS];
    size_t first_dup;
    size_t patients;
    char *rec;                  /* the record rowfate_add() builds */

    /* During finish: the next bucket to take, and the counter that
     * duplicates are taken back from, one thread at a time. */
    atomic_size_t next_bucket;
    pthread_mutex_t cc_lock;
    struct resolver res[RESOLVERS];

    /* Pass 2: the range of rows loaded. */
    size_t range;
    uint8_t *kind;              /* [RANGE_ROWS] */
    struct faterec *slot;       /* [RANGE_ROWS] */
    struct ns_buf fatebuf;      /* one resolver's part of the range */
};

static size_t clamp(size_t v, size_t lo, size_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Enough buckets that one holds about BUCKET_BYTES, counting a row per
 * 64 bytes of file (rows are longer, so buckets come out smaller). */
static size_t key_buckets(uint64_t file_bytes, size_t recsize)
{
    uint64_t want = file_bytes / 64 * recsize / BUCKET_BYTES + 1;
    size_t k = 16;

    if (file_bytes == 0)
        return 256;
    while (k < want && k < 4096)
        k *= 2;
    return k;
}

enum ns_err rowfate_new(size_t ncodes, uint64_t file_bytes,
                        struct rowfate **out, struct ns_error *err)
{
    struct rowfate *f = calloc(1, sizeof(*f));
    enum ns_err rc;

    *out = NULL;
    if (f == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    f->ncodes = ncodes;
    f->recsize = (sizeof(struct keyrec) + ncodes * sizeof(uint32_t) + 7) /
                 8 * 8;
    f->nbuckets = key_buckets(file_bytes, f->recsize);
    f->first_dup = SIZE_MAX;
    f->range = SIZE_MAX;
    f->rec = calloc(1, f->recsize);
    pthread_mutex_init(&f->cc_lock, NULL);
    if (f->rec == NULL) {
        rowfate_free(f);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    rc = ns_spill_new(f->nbuckets, f->recsize,
                      clamp(BUFFER_BUDGET / f->nbuckets, 4096, 1u << 20),
                      &f->keys, err);
    if (rc != NS_OK) {
        rowfate_free(f);
        return rc;
    }
    *out = f;
    return NS_OK;
}

static uint32_t *codes_of(const struct keyrec *k)
{
    return (uint32_t *)(void *)((char *)(uintptr_t)k +
                                sizeof(struct keyrec));
}

enum ns_err rowfate_add(struct rowfate *f, const struct rowfate_row *row,
                        struct ns_error *err)
{
    struct keyrec *k = (struct keyrec *)(void *)f->rec;
    struct clean_fp key = row->fp;
    uint32_t *codes = codes_of(k);

    if (f->nrows >= UINT32_MAX)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "more than %u rows",
                            (unsigned)UINT32_MAX - 1);
    memset(k, 0, sizeof(*k));
    if (row->patient != NULL) {
        key = clean_text_fp(row->patient, strlen(row->patient));
        k->has_patient = 1;
        k->query_only = row->query_only;
        k->booked_at = row->booked_at;
        k->appt_day = row->appt_day;
        k->label = row->label;
    }
    k->ka = key.a;
    k->kb = key.b;
    k->fa = row->fp.a;
    k->fb = row->fp.b;
    k->row = (uint32_t)f->nrows;
    k->reason = (uint8_t)row->reason;
    for (size_t i = 0; i < f->ncodes; i++)
        codes[i] = row->codes ? row->codes[i] : CATCOUNT_NONE;
    f->nrows++;
    return ns_spill_add(f->keys, key.a & (f->nbuckets - 1), k, err);
}

#define CMP(x, y) if ((x) != (y)) return (x) < (y) ? -1 : 1

/* By group, then fingerprint, then row: equal rows end up side by side,
 * the first in the file first. */
static int cmp_keyrec(const void *a, const void *b)
{
    const struct keyrec *x = a;
    const struct keyrec *y = b;

    CMP(x->has_patient, y->has_patient);
    CMP(x->ka, y->ka);
    CMP(x->kb, y->kb);
    CMP(x->fa, y->fa);
    CMP(x->fb, y->fb);
    CMP(x->row, y->row);
    return 0;
}

static bool same_group(const struct keyrec *x, const struct keyrec *y)
{
    return x->has_patient == y->has_patient && x->ka == y->ka &&
           x->kb == y->kb;
}

static bool same_row(const struct keyrec *x, const struct keyrec *y)
{
    return x->fa == y->fa && x->fb == y->fb;
}

/* Whether k (prev before it in the sorted bucket, or NULL) repeats a
 * row of the group: a row that only asks is never one, nor repeated. */
static bool repeats(const struct keyrec *prev, const struct keyrec *k)
{
    return prev != NULL && !prev->query_only && !k->query_only &&
           same_row(prev, k);
}

/* Whether k asks its group for stats without being one of its rows: it
 * was added to ask only, it has no day, or it is a repeat whose stats
 * are wanted. */
static bool asks_group(const struct rowfate *f, const struct keyrec *prev,
                       const struct keyrec *k)
{
    if (!k->has_patient)
        return false;
    if (k->query_only)
        return true;
    if (repeats(prev, k))
        return f->dups_ask;
    return k->appt_day == NS_DAY_NONE;
}

static enum ns_err put_fate(struct resolver *v, const struct faterec *r,
                            struct ns_error *err)
{
    return ns_spill_add(v->fates, r->row / RANGE_ROWS, r, err);
}

static enum ns_err mark_duplicate(struct resolver *v,
                                  const struct keyrec *k,
                                  struct ns_error *err)
{
    struct rowfate *f = v->f;
    struct faterec r;

    memset(&r, 0, sizeof(r));
    r.row = k->row;
    r.kind = FATE_DUPLICATE;
    v->dups[k->reason < CLEAN_NREASONS ? k->reason : CLEAN_OK]++;
    if (k->row < v->first_dup)
        v->first_dup = k->row;
    if (k->reason == CLEAN_OK && v->cc != NULL && f->ncodes > 0) {
        pthread_mutex_lock(&f->cc_lock);
        catcount_uncount(v->cc, codes_of(k));
        pthread_mutex_unlock(&f->cc_lock);
    }
    return f->dups_ask ? NS_OK : put_fate(v, &r, err);
}

static enum ns_err reserve_group(struct resolver *v, size_t m,
                                 struct ns_error *err)
{
    size_t cap = v->cap ? v->cap : 64;
    void *b, *r, *s;

    if (m <= v->cap)
        return NS_OK;
    while (cap < m)
        cap *= 2;
    b = realloc(v->book, cap * sizeof(*v->book));
    if (b != NULL)
        v->book = b;
    r = realloc(v->book_row, cap * sizeof(*v->book_row));
    if (r != NULL)
        v->book_row = r;
    s = realloc(v->stats, cap * sizeof(*v->stats));
    if (s != NULL)
        v->stats = s;
    if (b == NULL || r == NULL || s == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    v->cap = cap;
    return NS_OK;
}

static enum ns_err group_history(struct resolver *v, size_t m,
                                 struct ns_error *err)
{
    enum ns_err rc = history_group_stats(v->group, v->book, m, v->stats);

    if (rc == NS_ERR_INVALID)
        return ns_error_set(err, rc, "history: data row %u: booked after "
                            "its appointment day; expected rows that "
                            "passed cleaning", (unsigned)v->book_row[0] + 1);
    if (rc != NS_OK)
        return ns_error_set(err, rc, "out of memory");
    v->patients += m > 0;
    for (size_t i = 0; i < m && rc == NS_OK; i++) {
        struct faterec r;

        memset(&r, 0, sizeof(r));
        r.row = v->book_row[i];
        r.kind = FATE_STATS;
        r.booked_at = v->book[i].booked_at;
        r.appt_day = v->book[i].appt_day;
        r.stats = v->stats[i];
        rc = put_fate(v, &r, err);
    }
    return rc;
}

/* Rows of the patient without an appointment day ask the group without
 * being part of it, as they would ask an index. */
static enum ns_err group_queries(struct resolver *v, const char *recs,
                                 size_t n, struct ns_error *err)
{
    size_t recsize = v->f->recsize;
    enum ns_err rc = NS_OK;

    for (size_t i = 0; i < n && rc == NS_OK; i++) {
        const struct keyrec *k = (const void *)(recs + i * recsize);
        const struct keyrec *prev = (const void *)(recs +
                                                   (i - 1) * recsize);
        struct faterec r;

        if (!asks_group(v->f, i > 0 ? prev : NULL, k))
            continue;
        memset(&r, 0, sizeof(r));
        r.row = k->row;
        r.kind = FATE_STATS;
        r.booked_at = k->booked_at;
        r.appt_day = k->appt_day;
        history_group_query(v->group, k->booked_at, k->appt_day, &r.stats);
        rc = put_fate(v, &r, err);
    }
    return rc;
}

/* One group, sorted: duplicates out, then the history of the rest. */
static enum ns_err resolve_group(struct resolver *v, const char *recs,
                                 size_t n, struct ns_error *err)
{
    size_t recsize = v->f->recsize;
    size_t m = 0;
    bool queries = false;
    enum ns_err rc = reserve_group(v, n, err);

    for (size_t i = 0; i < n && rc == NS_OK; i++) {
        const struct keyrec *k = (const void *)(recs + i * recsize);
        const struct keyrec *prev = (const void *)(recs +
                                                   (i - 1) * recsize);

        if (asks_group(v->f, i > 0 ? prev : NULL, k))
            queries = true;
        if (repeats(i > 0 ? prev : NULL, k)) {
            rc = mark_duplicate(v, k, err);
        } else if (k->query_only || k->appt_day == NS_DAY_NONE) {
            continue;
        } else if (k->has_patient) {
            v->book[m] = (struct history_booking){k->booked_at,
                                                  k->appt_day, k->label};
            v->book_row[m++] = k->row;
        }
    }
    if (rc == NS_OK && (m > 0 || queries))
        rc = group_history(v, m, err);
    if (rc == NS_OK && queries)
        rc = group_queries(v, recs, n, err);
    return rc;
}

/* Sorts a[0..n) by ka, stably, a byte at a time from the lowest, using
 * tmp; bytes that are the same in every key (the bucket's own bits, the
 * high bytes of a small file) cost one counting pass only. */
static void radix_by_ka(struct sortkey *a, struct sortkey *tmp, size_t n)
{
    struct sortkey *in = a, *out = tmp;
    size_t count[8][256];

    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < n; i++) {
        for (int d = 0; d < 8; d++)
            count[d][(a[i].ka >> (8 * d)) & 0xff]++;
    }
    for (int d = 0; d < 8; d++) {
        size_t sum = 0;
        struct sortkey *swap;

        if (count[d][(in[0].ka >> (8 * d)) & 0xff] == n)
            continue;
        for (int v = 0; v < 256; v++) {
            size_t c = count[d][v];

            count[d][v] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            out[count[d][(in[i].ka >> (8 * d)) & 0xff]++] = in[i];
        swap = in;
        in = out;
        out = swap;
    }
    if (in != a)
        memcpy(a, in, n * sizeof(*a));
}

/* The bucket's records in the order of cmp_keyrec: by first key with a
 * radix sort, then each run of equal first keys (one patient's rows, as
 * a rule a few) with the whole comparison. */
static enum ns_err sort_bucket(struct resolver *v, const char *recs,
                               size_t n, struct ns_error *err)
{
    size_t recsize = v->f->recsize;
    char *out;

    if (n > v->order_cap) {
        free(v->order);
        free(v->tmp);
        v->order = malloc(n * sizeof(*v->order));
        v->tmp = malloc(n * sizeof(*v->tmp));
        v->order_cap = v->order && v->tmp ? n : 0;
        if (v->order_cap == 0)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    ns_buf_reset(&v->sorted);
    if (ns_buf_reserve(&v->sorted, n * recsize) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct keyrec *k = (const void *)(recs + i * recsize);

        v->order[i] = (struct sortkey){k->ka, i * recsize};
    }
    radix_by_ka(v->order, v->tmp, n);
    out = v->sorted.data;
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * recsize, recs + v->order[i].at, recsize);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && v->order[j].ka == v->order[i].ka; j++)
            continue;
        if (j - i > 1)
            qsort(out + i * recsize, j - i, recsize, cmp_keyrec);
    }
    return NS_OK;
}

static enum ns_err resolve_bucket(struct resolver *v, size_t b,
                                  struct ns_error *err)
{
    size_t recsize = v->f->recsize;
    char *recs;
    size_t n, i, j;
    enum ns_err rc;

    rc = ns_spill_load(v->f->keys, b, &v->keybuf, &n, err);
    if (rc == NS_OK && n > 0)
        rc = sort_bucket(v, v->keybuf.data, n, err);
    if (rc != NS_OK || n == 0)
        return rc;
    recs = v->sorted.data;
    for (i = 0; i < n && rc == NS_OK; i = j) {
        const struct keyrec *first = (const void *)(recs + i * recsize);

        for (j = i + 1; j < n; j++) {
            if (!same_group(first, (const void *)(recs + j * recsize)))
                break;
        }
        rc = resolve_group(v, recs + i * recsize, j - i, err);
    }
    return rc;
}

/* Takes buckets until none is left or any resolver failed. */
static void *resolve_run(void *arg)
{
    struct resolver *v = arg;
    struct rowfate *f = v->f;
    size_t b;

    while (v->rc == NS_OK &&
           (b = atomic_fetch_add(&f->next_bucket, 1)) < f->nbuckets) {
        v->rc = resolve_bucket(v, b, &v->err);
        if (v->rc != NS_OK)
            atomic_store(&f->next_bucket, f->nbuckets);
    }
    return NULL;
}

static void resolver_clear(struct resolver *v)
{
    history_group_free(v->group);
    free(v->book);
    free(v->book_row);
    free(v->stats);
    ns_buf_free(&v->keybuf);
    ns_buf_free(&v->sorted);
    free(v->order);
    free(v->tmp);
    v->order = NULL;
    v->tmp = NULL;
    v->order_cap = 0;
    v->group = NULL;
    v->book = NULL;
    v->book_row = NULL;
    v->stats = NULL;
    v->cap = 0;
}

static enum ns_err resolvers_init(struct rowfate *f, struct catcount *cc,
                                  struct ns_error *err)
{
    size_t nranges = f->nrows / RANGE_ROWS + 1;
    size_t budget = BUFFER_BUDGET / RESOLVERS / nranges;

    for (size_t t = 0; t < RESOLVERS; t++) {
        struct resolver *v = &f->res[t];
        enum ns_err rc;

        memset(v, 0, sizeof(*v));
        v->f = f;
        v->cc = cc;
        v->first_dup = SIZE_MAX;
        v->group = history_group_new();
        if (v->group == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        rc = ns_spill_new(nranges, sizeof(struct faterec),
                          clamp(budget, 4096, 2u << 20), &v->fates, err);
        if (rc != NS_OK)
            return rc;
    }
    return NS_OK;
}

/* Sums the resolvers' counts; the first failure found wins. */
static enum ns_err resolvers_merge(struct rowfate *f, struct ns_error *err)
{
    for (size_t t = 0; t < RESOLVERS; t++) {
        struct resolver *v = &f->res[t];

        if (v->rc != NS_OK) {
            *err = v->err;
            return v->rc;
        }
        for (size_t r = 0; r < CLEAN_NREASONS; r++)
            f->dups[r] += v->dups[r];
        if (v->first_dup < f->first_dup)
            f->first_dup = v->first_dup;
        f->patients += v->patients;
    }
    return NS_OK;
}

enum ns_err rowfate_finish(struct rowfate *f, struct catcount *cc,
                           struct ns_error *err)
{
    pthread_t th[RESOLVERS];
    size_t started = 1;
    enum ns_err rc;

    if (f->finished || f->keys == NULL)
        return ns_error_set(err, NS_ERR_INVALID, "rowfate: finished twice");
    atomic_store(&f->next_bucket, 0);
    rc = resolvers_init(f, cc, err);
    for (; rc == NS_OK && started < RESOLVERS; started++) {
        if (pthread_create(&th[started], NULL, resolve_run,
                           &f->res[started]) != 0)
            break;
    }
    /* With no thread to spare, this one does all the buckets. */
    if (rc == NS_OK)
        resolve_run(&f->res[0]);
    for (size_t t = 1; t < started && rc == NS_OK; t++)
        pthread_join(th[t], NULL);
    if (rc == NS_OK)
        rc = resolvers_merge(f, err);
    for (size_t t = 0; t < RESOLVERS; t++)
        resolver_clear(&f->res[t]);
    ns_spill_free(f->keys);
    f->keys = NULL;
    f->finished = rc == NS_OK;
    return rc;
}

void rowfate_dups_ask(struct rowfate *f)
{
    f->dups_ask = true;
}

bool rowfate_history_of(const struct rowfate_fate *fate,
                        const struct record *rec, struct history_stats *hs)
{
    history_stats_empty(hs);
    if (!history_applies(rec))
        return true;
    if (!fate->has_stats || fate->booked_at != rec->booked_at ||
        fate->appt_day != rec->appt_day)
        return false;
    *hs = fate->stats;
    return true;
}

size_t rowfate_duplicates(const struct rowfate *f, enum clean_reason reason)
{
    return reason < CLEAN_NREASONS ? f->dups[reason] : 0;
}

size_t rowfate_first_duplicate(const struct rowfate *f)
{
    return f->first_dup;
}

size_t rowfate_patients(const struct rowfate *f)
{
    return f->patients;
}

static enum ns_err load_range(struct rowfate *f, size_t range,
                              struct ns_error *err)
{
    enum ns_err rc = NS_OK;

    if (f->kind == NULL) {
        f->kind = malloc(RANGE_ROWS);
        f->slot = malloc(RANGE_ROWS * sizeof(*f->slot));
        if (f->kind == NULL || f->slot == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    memset(f->kind, FATE_NONE, RANGE_ROWS);
    for (size_t t = 0; t < RESOLVERS && rc == NS_OK; t++) {
        const struct faterec *r;
        size_t n;

        rc = ns_spill_load(f->res[t].fates, range, &f->fatebuf, &n, err);
        r = (const void *)f->fatebuf.data;
        for (size_t i = 0; rc == NS_OK && i < n; i++) {
            size_t at = r[i].row % RANGE_ROWS;

            f->slot[at] = r[i];
            f->kind[at] = r[i].kind;
        }
    }
    f->range = range;
    return rc;
}

enum ns_err rowfate_get(struct rowfate *f, size_t i, struct rowfate_fate *out,
                        struct ns_error *err)
{
    size_t range = i / RANGE_ROWS;
    const struct faterec *r;
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    history_stats_empty(&out->stats);
    if (!f->finished || i >= f->nrows)
        return NS_OK;
    if (f->range != SIZE_MAX && range < f->range)
        return ns_error_set(err, NS_ERR_INVALID, "rowfate: row %zu asked "
                            "after a later range", i);
    if (range != f->range && (rc = load_range(f, range, err)) != NS_OK)
        return rc;
    r = &f->slot[i % RANGE_ROWS];
    switch (f->kind[i % RANGE_ROWS]) {
    case FATE_DUPLICATE:
        out->duplicate = true;
        break;
    case FATE_STATS:
        out->has_stats = true;
        out->booked_at = r->booked_at;
        out->appt_day = r->appt_day;
        out->stats = r->stats;
        break;
    default:
        break;
    }
    return NS_OK;
}

void rowfate_free(struct rowfate *f)
{
    if (f == NULL)
        return;
    ns_spill_free(f->keys);
    for (size_t t = 0; t < RESOLVERS; t++) {
        resolver_clear(&f->res[t]);
        ns_spill_free(f->res[t].fates);
    }
    pthread_mutex_destroy(&f->cc_lock);
    free(f->kind);
    free(f->slot);
    free(f->rec);
    ns_buf_free(&f->fatebuf);
    free(f);
}
