/* Splits, folds and the seeded generator; see split.h. */
#include "model/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void split_rng_seed(struct split_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t split_rng_next(struct split_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double split_rng_uniform(struct split_rng *r)
{
    return (double)(split_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t split_rng_below(struct split_rng *r, uint64_t n)
{
    /* Reject the top sliver that would favour small values. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;

    do {
        v = split_rng_next(r);
    } while (v >= limit);
    return v % n;
}

void split_shuffle(size_t *idx, size_t n, struct split_rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)split_rng_below(r, i);
        size_t t = idx[i - 1];

        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

void split_indices_free(struct split_indices *s)
{
    if (!s)
        return;
    free(s->train);
    free(s->test);
    memset(s, 0, sizeof(*s));
}

/* Fills out from a per-row flag (1 = test), both sides in row order. */
static enum ns_err from_flags(const unsigned char *is_test, size_t n,
                              struct split_indices *out,
                              struct ns_error *err)
{
    size_t nt = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        nt += is_test[i];
    out->train = malloc((n - nt ? n - nt : 1) * sizeof(size_t));
    out->test = malloc((nt ? nt : 1) * sizeof(size_t));
    if (!out->train || !out->test) {
        split_indices_free(out);
        return ns_error_set(err, NS_ERR_NOMEM, "no memory to split %zu "
                            "rows", n);
    }
    for (size_t i = 0; i < n; i++) {
        if (is_test[i])
            out->test[out->n_test++] = i;
        else
            out->train[out->n_train++] = i;
    }
    return NS_OK;
}

/* Sends round(fraction * count) random rows of one class to test. */
static void mark_class(const float *y, size_t n, int positive,
                       double fraction, size_t *scratch,
                       unsigned char *is_test, struct split_rng *r)
{
    size_t m = 0, take;

    for (size_t i = 0; i < n; i++)
        if ((y[i] > 0.5f) == positive)
            scratch[m++] = i;
    split_shuffle(scratch, m, r);
    take = (size_t)llround(fraction * (double)m);
    for (size_t i = 0; i < take; i++)
        is_test[scratch[i]] = 1;
}

enum ns_err split_stratified(const float *y, size_t n, double test_fraction,
                             uint64_t seed, struct split_indices *out,
                             struct ns_error *err)
{
    unsigned char *is_test = NULL;
    size_t *scratch = NULL;
    struct split_rng r;
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (!(test_fraction > 0 && test_fraction < 1) || n == 0)
        return ns_error_field(err, NS_ERR_INVALID, "test_fraction",
                              "test fraction %g of %zu rows: expected a "
                              "fraction strictly between 0 and 1 and at "
                              "least one row", test_fraction, n);
    is_test = calloc(n, 1);
    scratch = malloc(n * sizeof(*scratch));
    if (!is_test || !scratch) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory to split %zu rows",
                          n);
        goto out;
    }
    split_rng_seed(&r, seed);
    mark_class(y, n, 1, test_fraction, scratch, is_test, &r);
    mark_class(y, n, 0, test_fraction, scratch, is_test, &r);
    rc = from_flags(is_test, n, out, err);

out:
    free(is_test);
    free(scratch);
    return rc;
}

enum ns_err split_by_time(const int32_t *day, size_t n, int32_t cut_day,
                          struct split_indices *out, struct ns_error *err)
{
    unsigned char *is_test;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    is_test = malloc(n ? n : 1);
    if (!is_test)
        return ns_error_set(err, NS_ERR_NOMEM, "no memory to split %zu "
                            "rows", n);
    for (size_t i = 0; i < n; i++) {
        is_test[i] = day[i] >= cut_day;
        lo = day[i] < lo ? day[i] : lo;
        hi = day[i] > hi ? day[i] : hi;
    }
    if (n == 0 || lo >= cut_day || hi < cut_day) {
        free(is_test);
        return ns_error_field(err, NS_ERR_INVALID, "cut_day", "cut day %d "
                              "leaves one side empty: %zu rows span days "
                              "%d to %d, expected a cut after the first "
                              "and at or before the last", (int)cut_day, n,
                              n ? (int)lo : 0, n ? (int)hi : 0);
    }
    rc = from_flags(is_test, n, out, err);
    free(is_test);
    return rc;
}

enum ns_err split_fold_indices(const int *fold, size_t n, int f,
                               struct split_indices *out,
                               struct ns_error *err)
{
    unsigned char *is_test = malloc(n ? n : 1);
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (!is_test)
        return ns_error_set(err, NS_ERR_NOMEM, "no memory to split %zu "
                            "rows", n);
    for (size_t i = 0; i < n; i++)
        is_test[i] = fold[i] == f;
    rc = from_flags(is_test, n, out, err);
    free(is_test);
    return rc;
}

struct member {
    uint32_t group;
    size_t row;
};

struct group_info {
    size_t first;       /* offset into the sorted members */
    size_t size;
    size_t pos;
    uint64_t key;       /* seeded tie-breaker */
};

static int by_group_then_row(const void *a, const void *b)
{
    const struct member *x = a, *y = b;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int by_size_desc_then_key(const void *a, const void *b)
{
    const struct group_info *x = a, *y = b;

    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

/* Groups of the sorted members; returns how many were written. */
static size_t collect_groups(const struct member *m, size_t n,
                             const float *y, struct group_info *g,
                             struct split_rng *r)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (i == 0 || m[i].group != m[i - 1].group) {
            g[k].first = i;
            g[k].size = 0;
            g[k].pos = 0;
            g[k].key = split_rng_next(r);
            k++;
        }
        g[k - 1].size++;
        g[k - 1].pos += y[m[i].row] > 0.5f;
    }
    return k;
}

/* The fold this group fills least, measured per class against an equal
 * share; ties go to the fold with fewer rows, then the lower number. */
static int least_filled(const size_t *pos, const size_t *neg, int k,
                        const struct group_info *g, double share_pos,
                        double share_neg)
{
    int best = 0;
    double best_cost = INFINITY;

    for (int f = 0; f < k; f++) {
        double cp = (double)(pos[f] + g->pos) / share_pos;
        double cn = (double)(neg[f] + g->size - g->pos) / share_neg;
        double cost = cp > cn ? cp : cn;

        if (cost < best_cost ||
            (cost == best_cost && pos[f] + neg[f] < pos[best] + neg[best])) {
            best = f;
            best_cost = cost;
        }
    }
    return best;
}

static void assign_folds(const struct member *m, const struct group_info *g,
                         size_t ng, size_t n_pos, size_t n, int k, int *fold,
                         size_t *pos, size_t *neg)
{
    double share_pos = n_pos ? (double)n_pos / k : 1.0;
    double share_neg = n - n_pos ? (double)(n - n_pos) / k : 1.0;

    for (size_t i = 0; i < ng; i++) {
        int f = least_filled(pos, neg, k, &g[i], share_pos, share_neg);

        pos[f] += g[i].pos;
        neg[f] += g[i].size - g[i].pos;
        for (size_t j = 0; j < g[i].size; j++)
            fold[m[g[i].first + j].row] = f;
    }
}

enum ns_err split_kfold_grouped(const float *y, const uint32_t *group,
                                size_t n, int k, uint64_t seed, int *fold,
                                struct ns_error *err)
{
    struct member *m = NULL;
    struct group_info *g = NULL;
    size_t *pos = NULL, *neg = NULL, ng, n_pos = 0;
    struct split_rng r;
    enum ns_err rc = NS_OK;

    if (k < 2)
        return ns_error_field(err, NS_ERR_INVALID, "folds", "%d folds: "
                              "expected at least 2", k);
    m = malloc((n ? n : 1) * sizeof(*m));
    g = malloc((n ? n : 1) * sizeof(*g));
    pos = calloc((size_t)k, sizeof(*pos));
    neg = calloc((size_t)k, sizeof(*neg));
    if (!m || !g || !pos || !neg) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for %d folds of "
                          "%zu rows", k, n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        m[i].group = group[i];
        m[i].row = i;
        n_pos += y[i] > 0.5f;
    }
    qsort(m, n, sizeof(*m), by_group_then_row);
    split_rng_seed(&r, seed);
    ng = collect_groups(m, n, y, g, &r);
    if (ng < (size_t)k) {
        rc = ns_error_field(err, NS_ERR_INVALID, "folds", "%d folds but "
                            "only %zu groups: expected at least one group "
                            "per fold", k, ng);
        goto out;
    }
    qsort(g, ng, sizeof(*g), by_size_desc_then_key);
    assign_folds(m, g, ng, n_pos, n, k, fold, pos, neg);

out:
    free(m);
    free(g);
    free(pos);
    free(neg);
    return rc;
}
