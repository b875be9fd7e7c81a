/* Random oversampling and SMOTE; see resample.h. */
#include "model/resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/split.h"

struct classes {
    int minority;       /* label of the smaller class (1 on a tie) */
    size_t n_min;
    size_t n_maj;
    size_t extra;       /* rows to add */
};

static enum ns_err plan(const float *y, size_t n, double ratio,
                        struct classes *c, struct ns_error *err)
{
    size_t pos = 0, target;

    if (!(ratio > 0 && ratio <= 1))
        return ns_error_field(err, NS_ERR_INVALID, "ratio", "resampling "
                              "ratio %g: expected above 0 and at most 1",
                              ratio);
    for (size_t i = 0; i < n; i++)
        pos += y[i] > 0.5f;
    if (pos == 0 || pos == n)
        return ns_error_set(err, NS_ERR_INVALID, "resampling needs both "
                            "classes: %zu rows, %zu positive", n, pos);
    c->minority = pos <= n - pos;
    c->n_min = c->minority ? pos : n - pos;
    c->n_maj = n - c->n_min;
    target = (size_t)llround(ratio * (double)c->n_maj);
    c->extra = target > c->n_min ? target - c->n_min : 0;
    return NS_OK;
}

/* Indices of the minority rows into a new array. */
static size_t *minority_rows(const float *y, size_t n,
                             const struct classes *c)
{
    size_t *rows = malloc(c->n_min * sizeof(*rows));
    size_t m = 0;

    if (!rows)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((y[i] > 0.5f) == c->minority)
            rows[m++] = i;
    return rows;
}

enum ns_err resample_oversample(const float *y, size_t n, double ratio,
                                uint64_t seed, size_t **idx, size_t *n_out,
                                struct ns_error *err)
{
    struct classes c;
    struct split_rng r;
    size_t *rows = NULL, *out = NULL;
    enum ns_err rc;

    *idx = NULL;
    *n_out = 0;
    if ((rc = plan(y, n, ratio, &c, err)) != NS_OK)
        return rc;
    rows = minority_rows(y, n, &c);
    out = malloc((n + c.extra) * sizeof(*out));
    if (!rows || !out) {
        free(rows);
        free(out);
        return ns_error_set(err, NS_ERR_NOMEM, "no memory to oversample "
                            "%zu rows", n);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = i;
    split_rng_seed(&r, seed);
    for (size_t j = 0; j < c.extra; j++)
        out[n + j] = rows[split_rng_below(&r, c.n_min)];
    free(rows);
    *idx = out;
    *n_out = n + c.extra;
    return NS_OK;
}

enum ns_err resample_take(const float *X, const float *y, size_t ncols,
                          const size_t *idx, size_t m, float **X_out,
                          float **y_out, struct ns_error *err)
{
    float *xo = malloc((m ? m : 1) * ncols * sizeof(*xo));
    float *yo = malloc((m ? m : 1) * sizeof(*yo));

    if (!xo || !yo) {
        free(xo);
        free(yo);
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for %zu rows of "
                            "%zu features", m, ncols);
    }
    for (size_t i = 0; i < m; i++) {
        memcpy(xo + i * ncols, X + idx[i] * ncols, ncols * sizeof(*xo));
        yo[i] = y[idx[i]];
    }
    *X_out = xo;
    *y_out = yo;
    return NS_OK;
}

/* Minority rows in standardised form and their neighbour lists, which
 * are found the first time a row is drawn. */
struct smote {
    size_t ncols;
    size_t m;           /* minority rows */
    size_t *rows;       /* row number of each minority row */
    double *z;          /* m x ncols standardised, missing = 0 */
    size_t *cand;       /* neighbour candidates (minority positions) */
    size_t n_cand;
    int k;              /* neighbours kept per row */
    size_t *nn;         /* m x k minority positions */
    unsigned char *done;
};

static void smote_free(struct smote *s)
{
    free(s->rows);
    free(s->z);
    free(s->cand);
    free(s->nn);
    free(s->done);
}

/* Mean and standard deviation of each column over all rows, ignoring
 * missing values; a constant column gets a deviation of 1. */
static void standardise(const float *X, size_t n, struct smote *s)
{
    for (size_t j = 0; j < s->ncols; j++) {
        double sum = 0, sq = 0, mean, sd;
        size_t cnt = 0;

        for (size_t i = 0; i < n; i++) {
            double v = X[i * s->ncols + j];

            if (!isnan(v)) {
                sum += v;
                sq += v * v;
                cnt++;
            }
        }
        mean = cnt ? sum / (double)cnt : 0;
        sd = cnt ? sqrt(fmax(sq / (double)cnt - mean * mean, 0)) : 0;
        sd = sd > 1e-12 ? sd : 1.0;
        for (size_t a = 0; a < s->m; a++) {
            double v = X[s->rows[a] * s->ncols + j];

            s->z[a * s->ncols + j] = isnan(v) ? 0.0 : (v - mean) / sd;
        }
    }
}

/* LIMITATION: with more than RESAMPLE_SMOTE_MAX_CANDIDATES minority rows,
 * neighbours are searched among a seeded random subset of that size, not
 * among all minority rows. The neighbours found are then near, not
 * nearest, so synthetic rows spread a little wider than exact SMOTE's.
 * This keeps the search at O(rows drawn x subset x features) on a large
 * training set; exact neighbours would need a spatial index such as a
 * k-d tree or a ball tree. */
static void pick_candidates(struct smote *s, struct split_rng *r)
{
    for (size_t a = 0; a < s->m; a++)
        s->cand[a] = a;
    if (s->m > RESAMPLE_SMOTE_MAX_CANDIDATES) {
        split_shuffle(s->cand, s->m, r);
        s->n_cand = RESAMPLE_SMOTE_MAX_CANDIDATES;
    } else {
        s->n_cand = s->m;
    }
}

static double dist2(const struct smote *s, size_t a, size_t b)
{
    const double *p = s->z + a * s->ncols, *q = s->z + b * s->ncols;
    double d = 0;

    for (size_t j = 0; j < s->ncols; j++)
        d += (p[j] - q[j]) * (p[j] - q[j]);
    return d;
}

/* Finds row a's k nearest candidates by insertion into a sorted list. */
static void find_neighbours(struct smote *s, size_t a, double *best)
{
    size_t *nn = s->nn + a * (size_t)s->k;
    int have = 0;

    for (size_t c = 0; c < s->n_cand; c++) {
        size_t b = s->cand[c];
        double d;
        int at;

        if (b == a)
            continue;
        d = dist2(s, a, b);
        if (have == s->k && d >= best[have - 1])
            continue;
        at = have < s->k ? have++ : have - 1;
        while (at > 0 && best[at - 1] > d) {
            best[at] = best[at - 1];
            nn[at] = nn[at - 1];
            at--;
        }
        best[at] = d;
        nn[at] = b;
    }
    s->done[a] = 1;
}

/* LIMITATION: every feature is interpolated as a number, including
 * label-encoded categories (neighbourhood index) and 0/1 flags, so a
 * synthetic row can hold an in-between code such as 0.4 for a flag or a
 * neighbourhood index that lies between two unrelated neighbourhoods.
 * Trees split such values consistently but they describe no real
 * patient. Handling categories properly needs per-feature kinds and the
 * SMOTE-NC rule (take the most frequent category among the neighbours). */
static void synth_row(const float *X, const struct smote *s, size_t a,
                      size_t b, double gap, float *out)
{
    const float *p = X + s->rows[a] * s->ncols;
    const float *q = X + s->rows[b] * s->ncols;

    for (size_t j = 0; j < s->ncols; j++)
        out[j] = (isnan(p[j]) || isnan(q[j]))
                     ? p[j]
                     : (float)(p[j] + gap * ((double)q[j] - p[j]));
}

static enum ns_err smote_init(const float *X, const float *y, size_t n,
                              const struct classes *c, int k,
                              struct split_rng *r, struct smote *s)
{
    s->m = c->n_min;
    s->rows = minority_rows(y, n, c);
    s->z = malloc(s->m * s->ncols * sizeof(*s->z));
    s->cand = malloc(s->m * sizeof(*s->cand));
    s->done = calloc(s->m, 1);
    if (!s->rows || !s->z || !s->cand || !s->done)
        return NS_ERR_NOMEM;
    pick_candidates(s, r);
    s->k = (size_t)k < s->n_cand - 1 ? k : (int)(s->n_cand - 1);
    s->nn = malloc(s->m * (size_t)s->k * sizeof(*s->nn));
    if (!s->nn)
        return NS_ERR_NOMEM;
    standardise(X, n, s);
    return NS_OK;
}

enum ns_err resample_smote(const float *X, const float *y, size_t n,
                           size_t ncols, double ratio, int k, uint64_t seed,
                           float **X_out, float **y_out, size_t *n_out,
                           struct ns_error *err)
{
    struct smote s = {0};
    struct classes c;
    struct split_rng r;
    double *best = NULL;
    float *xo = NULL, *yo = NULL;
    enum ns_err rc;

    *X_out = NULL;
    *y_out = NULL;
    *n_out = 0;
    if ((rc = plan(y, n, ratio, &c, err)) != NS_OK)
        return rc;
    if (k < 1 || c.n_min < 2)
        return ns_error_field(err, NS_ERR_INVALID, "k", "SMOTE with k=%d "
                              "over %zu minority rows: expected k >= 1 and"
                              " at least 2 minority rows", k, c.n_min);
    split_rng_seed(&r, seed);
    s.ncols = ncols;
    rc = smote_init(X, y, n, &c, k, &r, &s);
    best = malloc((size_t)k * sizeof(*best));
    xo = malloc((n + c.extra) * ncols * sizeof(*xo));
    yo = malloc((n + c.extra) * sizeof(*yo));
    if (rc != NS_OK || !best || !xo || !yo) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for SMOTE over %zu"
                          " rows of %zu features", n, ncols);
        goto out;
    }
    memcpy(xo, X, n * ncols * sizeof(*xo));
    memcpy(yo, y, n * sizeof(*yo));
    for (size_t j = 0; j < c.extra; j++) {
        size_t a = (size_t)split_rng_below(&r, s.m);
        size_t b;

        if (!s.done[a])
            find_neighbours(&s, a, best);
        b = s.nn[a * (size_t)s.k + split_rng_below(&r, (uint64_t)s.k)];
        synth_row(X, &s, a, b, split_rng_uniform(&r),
                  xo + (n + j) * ncols);
        yo[n + j] = (float)c.minority;
    }
    *X_out = xo;
    *y_out = yo;
    *n_out = n + c.extra;
    xo = NULL;
    yo = NULL;

out:
    free(best);
    free(xo);
    free(yo);
    smote_free(&s);
    return rc;
}
