#include "report/eda_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hmap.h"
#include "util/timeutil.h"

/* One kept value with the outcome of its row, so that groups formed after
 * sorting (values of a small column) still know their no-show rate. */
struct val {
    double v;
    int label;
};

/* Counts of one category, indexed by the value stored in the map. */
struct cat_count {
    size_t n, labelled, positive;
};

struct col_acc {
    struct val *vals;
    size_t nvals, cap;
    struct ns_hmap *map;        /* categories and identifiers */
    struct cat_count *cats;
    size_t ncats, catcap;
    struct eda_group missing;   /* outcomes of rows missing this value */
};

/* Sums over the rows where both variables of a pair are present; values
 * are shifted by the first one seen to keep the sums small. */
struct corr_acc {
    double *shift;
    bool *shifted;
    double *x;                  /* this row's values */
    double *n, *sx, *sy, *sxx, *syy, *sxy;     /* [ncorr * ncorr] */
};

static const char *const lead_names[EDA_NLEAD_BUCKETS] = {
    "0", "1-2", "3-7", "8-14", "15-30", "31-60", ">60",
};
static const char *const weekday_names[EDA_NWEEKDAYS] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sunday",
};
static const char *const age_names[EDA_NAGE_BANDS] = {
    "0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79",
    "80-89", "90+",
};

const char *eda_lead_bucket_name(int i)
{
    return i >= 0 && i < EDA_NLEAD_BUCKETS ? lead_names[i] : "?";
}

const char *eda_weekday_name(int i)
{
    return i >= 0 && i < EDA_NWEEKDAYS ? weekday_names[i] : "?";
}

const char *eda_age_band_name(int i)
{
    return i >= 0 && i < EDA_NAGE_BANDS ? age_names[i] : "?";
}

int eda_lead_bucket(long days)
{
    static const long upper[EDA_NLEAD_BUCKETS - 1] = {0, 2, 7, 14, 30, 60};

    if (days < 0)
        return -1;
    for (int i = 0; i < EDA_NLEAD_BUCKETS - 1; i++) {
        if (days <= upper[i])
            return i;
    }
    return EDA_NLEAD_BUCKETS - 1;
}

double eda_group_rate(const struct eda_group *g)
{
    return g->labelled ? (double)g->positive / (double)g->labelled : NAN;
}

const char *eda_corr_name(const struct eda_stats *st, size_t i)
{
    if (i >= st->ncorr)
        return "?";
    if (st->corr_col[i] < 0)
        return "no-show";
    return st->cols[st->corr_col[i]].name;
}

static void group_count(struct eda_group *g, int label)
{
    g->n++;
    if (label >= 0) {
        g->labelled++;
        g->positive += label == 1;
    }
}

static enum eda_kind kind_of(enum schema_role role)
{
    switch (role) {
    case ROLE_TARGET:
        return EDA_KIND_LABEL;
    case ROLE_APPT_ID:
    case ROLE_PATIENT_ID:
        return EDA_KIND_IDENT;
    case ROLE_BOOKED_AT:
    case ROLE_APPT_DATE:
        return EDA_KIND_DATE;
    case ROLE_APPT_TIME:
        return EDA_KIND_TIME;
    case ROLE_CATEGORICAL:
        return EDA_KIND_CATEGORY;
    default:
        return EDA_KIND_NUMBER;
    }
}

static bool is_age(const struct schema_column *c)
{
    static const char *const names[] = {"age", "patient_age", "age_years"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(c->name, names[i]) == 0 ||
            strcasecmp(c->label, names[i]) == 0)
            return true;
    }
    return false;
}

static enum ns_err nomem(struct ns_error *err, const char *what)
{
    return ns_error_set(err, NS_ERR_NOMEM,
                        "eda: out of memory while %s", what);
}

static void init_column(struct eda_column *c, const char *name,
                        const char *label, enum schema_role role,
                        int schema_col)
{
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->label, sizeof(c->label), "%s", label[0] ? label : name);
    c->role = role;
    c->kind = kind_of(role);
    c->schema_col = schema_col;
    c->min = c->max = c->mean = c->sd = NAN;
    c->q1 = c->median = c->q3 = NAN;
}

/* Lists the columns the report describes and picks the correlation
 * variables among them. */
static enum ns_err plan_columns(struct eda_stats *st, struct ns_error *err)
{
    const struct schema *s = st->schema;
    size_t n = 0;

    st->cols = calloc(s->ncols + 1, sizeof(*st->cols));
    st->corr_col = calloc(EDA_MAX_CORR_VARS, sizeof(*st->corr_col));
    if (st->cols == NULL || st->corr_col == NULL)
        return nomem(err, "planning columns");
    st->age_col = -1;
    for (size_t i = 0; i < s->ncols; i++) {
        const struct schema_column *sc = &s->cols[i];

        if (sc->role == ROLE_IGNORE)
            continue;
        init_column(&st->cols[n], sc->name, sc->label, sc->role, (int)i);
        if (st->age_col < 0 && sc->role == ROLE_NUMERIC && is_age(sc))
            st->age_col = (int)n;
        n++;
    }
    init_column(&st->cols[n], "lead days", "days from booking to "
                "appointment", ROLE_NUMERIC, -1);
    st->lead_col = (int)n;
    st->ncols = n + 1;

    /* LIMITATION: the correlation matrix holds at most EDA_MAX_CORR_VARS
     * variables (numeric and binary columns in schema order, then lead
     * days and the label). Columns beyond that are left out of the
     * heatmap, though they keep their summary and histogram. A wider
     * matrix needs a larger cap and a heatmap that scrolls. */
    for (size_t i = 0; i < st->ncols; i++) {
        if (st->cols[i].kind == EDA_KIND_NUMBER &&
            st->ncorr < EDA_MAX_CORR_VARS - 1)
            st->corr_col[st->ncorr++] = (int)i;
    }
    st->corr_col[st->ncorr++] = -1;
    return NS_OK;
}

static enum ns_err new_corr_acc(struct eda_stats *st, struct ns_error *err)
{
    struct corr_acc *ca = calloc(1, sizeof(*ca));
    size_t k = st->ncorr;
    size_t kk = k * k;

    st->acc = ca;
    if (ca == NULL)
        return nomem(err, "preparing correlations");
    ca->shift = calloc(k, sizeof(double));
    ca->shifted = calloc(k, sizeof(bool));
    ca->x = calloc(k, sizeof(double));
    ca->n = calloc(kk, sizeof(double));
    ca->sx = calloc(kk, sizeof(double));
    ca->sy = calloc(kk, sizeof(double));
    ca->sxx = calloc(kk, sizeof(double));
    ca->syy = calloc(kk, sizeof(double));
    ca->sxy = calloc(kk, sizeof(double));
    if (!ca->shift || !ca->shifted || !ca->x || !ca->n || !ca->sx ||
        !ca->sy || !ca->sxx || !ca->syy || !ca->sxy)
        return nomem(err, "preparing correlations");
    return NS_OK;
}

enum ns_err eda_stats_new(const struct schema *s, struct eda_stats **out,
                          struct ns_error *err)
{
    struct eda_stats *st = calloc(1, sizeof(*st));
    enum ns_err rc;

    *out = NULL;
    if (st == NULL)
        return nomem(err, "starting");
    st->schema = s;
    rc = plan_columns(st, err);
    if (rc == NS_OK)
        rc = new_corr_acc(st, err);
    for (size_t i = 0; rc == NS_OK && i < st->ncols; i++) {
        struct eda_column *c = &st->cols[i];
        struct col_acc *a = calloc(1, sizeof(*a));

        c->acc = a;
        if (a == NULL) {
            rc = nomem(err, "starting");
            break;
        }
        if (c->kind == EDA_KIND_CATEGORY || c->kind == EDA_KIND_IDENT) {
            a->map = ns_hmap_new(64);
            if (a->map == NULL)
                rc = nomem(err, "starting");
        }
    }
    if (rc != NS_OK) {
        eda_stats_free(st);
        return rc;
    }
    *out = st;
    return NS_OK;
}

/* LIMITATION: exact quartiles need every value, so each numeric, binary,
 * date and time column keeps 16 bytes per row until eda_stats_finish
 * (about 15 MB for the 84,000-row Vitória file). A file of tens of
 * millions of rows may run out of memory and fail with NS_ERR_NOMEM. A
 * fix is a streaming quantile sketch (t-digest or KLL) with a fixed size,
 * at the cost of approximate quartiles. */
static enum ns_err push_val(struct col_acc *a, double v, int label)
{
    if (a->nvals == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        struct val *p = realloc(a->vals, cap * sizeof(*p));

        if (p == NULL)
            return NS_ERR_NOMEM;
        a->vals = p;
        a->cap = cap;
    }
    a->vals[a->nvals].v = v;
    a->vals[a->nvals].label = label;
    a->nvals++;
    return NS_OK;
}

/* Counts a string value; *seen tells whether it was there before. */
static enum ns_err count_string(struct col_acc *a, const char *s,
                                int label, bool *seen)
{
    size_t len = strlen(s);
    uint64_t idx;

    *seen = ns_hmap_get(a->map, s, len, &idx);
    if (!*seen) {
        if (a->ncats == a->catcap) {
            size_t cap = a->catcap ? a->catcap * 2 : 64;
            struct cat_count *p = realloc(a->cats, cap * sizeof(*p));

            if (p == NULL)
                return NS_ERR_NOMEM;
            a->cats = p;
            a->catcap = cap;
        }
        idx = a->ncats;
        memset(&a->cats[idx], 0, sizeof(a->cats[idx]));
        if (ns_hmap_put(a->map, s, len, idx) != NS_OK)
            return NS_ERR_NOMEM;
        a->ncats++;
    }
    a->cats[idx].n++;
    if (label >= 0) {
        a->cats[idx].labelled++;
        a->cats[idx].positive += label == 1;
    }
    return NS_OK;
}

static long lead_days(const struct record *r)
{
    return (long)r->appt_day - (long)ns_day_of(r->booked_at);
}

/* The value of column c in r as a number (NaN when missing), or, for
 * categories and identifiers, as a string (NULL when missing). */
static double value_of(const struct eda_column *c, const struct record *r,
                       const char **text)
{
    *text = NULL;
    if (c->schema_col < 0) {
        if (r->booked_at == NS_TIME_NONE || r->appt_day == NS_DAY_NONE)
            return NAN;
        return (double)lead_days(r);
    }
    switch (c->role) {
    case ROLE_TARGET:
        return r->label >= 0 ? r->label : NAN;
    case ROLE_APPT_ID:
        *text = r->appt_id && r->appt_id[0] ? r->appt_id : NULL;
        return NAN;
    case ROLE_PATIENT_ID:
        *text = r->patient && r->patient[0] ? r->patient : NULL;
        return NAN;
    case ROLE_BOOKED_AT:
        return r->booked_at == NS_TIME_NONE ? NAN
                                            : ns_day_of(r->booked_at);
    case ROLE_APPT_DATE:
        return r->appt_day == NS_DAY_NONE ? NAN : r->appt_day;
    case ROLE_APPT_TIME:
        return r->appt_time < 0 ? NAN : r->appt_time;
    case ROLE_CATEGORICAL:
        *text = r->text[c->schema_col];
        return NAN;
    default:
        return r->num[c->schema_col];
    }
}

static enum ns_err add_column(struct eda_stats *st, struct eda_column *c,
                              const struct record *r)
{
    struct col_acc *a = c->acc;
    const char *text;
    double v = value_of(c, r, &text);
    bool seen;

    if (c->kind == EDA_KIND_CATEGORY || c->kind == EDA_KIND_IDENT) {
        if (text == NULL) {
            c->missing++;
            group_count(&a->missing, r->label);
            return NS_OK;
        }
        c->present++;
        if (count_string(a, text, r->label, &seen) != NS_OK)
            return NS_ERR_NOMEM;
        if (seen && c->role == ROLE_APPT_ID)
            st->repeat_appt_ids++;
        return NS_OK;
    }
    if (isnan(v)) {
        c->missing++;
        group_count(&a->missing, r->label);
        return NS_OK;
    }
    c->present++;
    if (c->kind == EDA_KIND_LABEL)
        return NS_OK;
    return push_val(a, v, r->label);
}

static void add_corr(struct eda_stats *st, const struct record *r)
{
    struct corr_acc *ca = st->acc;
    size_t k = st->ncorr;
    const char *text;

    for (size_t i = 0; i < k; i++) {
        double v = st->corr_col[i] < 0
                       ? (r->label >= 0 ? r->label : NAN)
                       : value_of(&st->cols[st->corr_col[i]], r, &text);

        if (!isnan(v) && !ca->shifted[i]) {
            ca->shift[i] = v;
            ca->shifted[i] = true;
        }
        ca->x[i] = v - ca->shift[i];
    }
    for (size_t i = 0; i < k; i++) {
        if (isnan(ca->x[i]))
            continue;
        for (size_t j = i + 1; j < k; j++) {
            size_t p = i * k + j;

            if (isnan(ca->x[j]))
                continue;
            ca->n[p] += 1;
            ca->sx[p] += ca->x[i];
            ca->sy[p] += ca->x[j];
            ca->sxx[p] += ca->x[i] * ca->x[i];
            ca->syy[p] += ca->x[j] * ca->x[j];
            ca->sxy[p] += ca->x[i] * ca->x[j];
        }
    }
}

static void add_groups(struct eda_stats *st, const struct record *r)
{
    if (r->appt_day != NS_DAY_NONE)
        group_count(&st->weekday[ns_weekday(r->appt_day)], r->label);
    if (r->appt_day == NS_DAY_NONE || r->booked_at == NS_TIME_NONE) {
        st->lead_unknown++;
    } else {
        int b = eda_lead_bucket(lead_days(r));

        if (b < 0)
            st->lead_negative++;
        else
            group_count(&st->lead[b], r->label);
    }
    if (st->age_col >= 0) {
        double age = r->num[st->cols[st->age_col].schema_col];

        if (!isnan(age) && age >= 0) {
            int band = age >= 90 ? 9 : (int)(age / 10);

            group_count(&st->age[band], r->label);
        }
    }
}

enum ns_err eda_stats_add(struct eda_stats *st, const struct record *r,
                          struct ns_error *err)
{
    if (st->finished)
        return ns_error_set(err, NS_ERR_INVALID,
                            "eda: record added after the statistics "
                            "were finished; expected every add first");
    st->rows++;
    if (r->label >= 0) {
        st->labelled++;
        st->positive += r->label == 1;
    }
    for (size_t i = 0; i < st->ncols; i++) {
        if (add_column(st, &st->cols[i], r) != NS_OK)
            return nomem(err, "counting values");
    }
    add_groups(st, r);
    add_corr(st, r);
    return NS_OK;
}

static int cmp_val(const void *a, const void *b)
{
    double x = ((const struct val *)a)->v;
    double y = ((const struct val *)b)->v;

    return (x > y) - (x < y);
}

/* Quantile by linear interpolation between order statistics (the usual
 * "type 7" definition, as in R and NumPy). */
static double quantile(const struct val *v, size_t n, double p)
{
    double pos = p * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo;

    if (lo + 1 >= n)
        return v[n - 1].v;
    return v[lo].v + frac * (v[lo + 1].v - v[lo].v);
}

static void summarise(struct eda_column *c, const struct val *v, size_t n)
{
    double sum = 0, ss = 0;

    c->distinct = 0;
    for (size_t i = 0; i < n; i++) {
        sum += v[i].v;
        if (i == 0 || v[i].v != v[i - 1].v)
            c->distinct++;
    }
    c->mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i].v - c->mean) * (v[i].v - c->mean);
    c->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    c->min = v[0].v;
    c->max = v[n - 1].v;
    c->q1 = quantile(v, n, 0.25);
    c->median = quantile(v, n, 0.5);
    c->q3 = quantile(v, n, 0.75);
}

static bool all_integer(const struct val *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].v != floor(v[i].v))
            return false;
    }
    return true;
}

/* Where the bars stop when the top 1% of values reaches far beyond the
 * rest (as lead times do): past it, one bar holds the whole tail, so the
 * bulk is not squeezed into a few bars. NaN when there is no such tail. */
static double tail_start(const struct eda_column *c, const struct val *v,
                         size_t n, bool integer)
{
    double p99;

    /* Few values, or an integer range that fits one bar per value. */
    if (n < 100 || (integer && c->max - c->min < EDA_MAX_BINS))
        return NAN;
    p99 = quantile(v, n, 0.99);
    if (c->max <= p99 + 0.5 * (p99 - c->min))
        return NAN;
    return p99;
}

/* A bar width of 1, 2, 2.5 or 5 times a power of ten, at least raw, so
 * that bar edges read as round numbers. */
static double nice_width(double raw)
{
    static const double steps[] = {1, 2, 2.5, 5, 10};
    double mag;

    if (!(raw > 0))
        return 1;
    mag = pow(10, floor(log10(raw)));
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (raw <= steps[i] * mag * (1 + 1e-9))
            return steps[i] * mag;
    }
    return 10 * mag;
}

/* Equal-width bars; integer columns get integer-aligned bars, one per
 * value when the range is small; a long tail gets one last bar. */
static enum ns_err histogram(struct eda_column *c, const struct val *v,
                             size_t n)
{
    bool integer = all_integer(v, n);
    double start = tail_start(c, v, n, integer);
    double hi = isnan(start) ? c->max : start;
    double cut, base, width;
    size_t nb, tail;

    if (integer) {
        base = c->min;
        width = ceil((hi - c->min + 1) / EDA_MAX_BINS);
        nb = (size_t)ceil((hi - c->min + 1) / width);
    } else {
        width = nice_width((hi - c->min) / 30);
        base = floor(c->min / width) * width;
        nb = (size_t)floor((hi - base) / width) + 1;
    }
    /* The tail starts at a bar edge, and only when values lie past it. */
    cut = base + (double)nb * width;
    tail = !isnan(start) && c->max >= cut;
    c->integer_bins = integer;
    c->tail_bin = tail;
    c->edges = calloc(nb + tail + 1, sizeof(*c->edges));
    c->counts = calloc(nb + tail, sizeof(*c->counts));
    if (c->edges == NULL || c->counts == NULL)
        return NS_ERR_NOMEM;
    c->nbins = nb + tail;
    for (size_t i = 0; i <= nb; i++)
        c->edges[i] = base + (double)i * width;
    if (tail)
        c->edges[nb + 1] = c->max + (integer ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        double b = floor((v[i].v - base) / width);
        size_t k = b < 0 ? 0 : (size_t)b;

        if (tail && v[i].v >= cut)
            k = nb;
        c->counts[k < nb + tail ? k : nb + tail - 1]++;
    }
    return NS_OK;
}

static enum ns_err set_group(struct eda_group *g, const char *name,
                             size_t n, size_t labelled, size_t positive)
{
    g->name = strdup(name);
    g->n = n;
    g->labelled = labelled;
    g->positive = positive;
    return g->name ? NS_OK : NS_ERR_NOMEM;
}

/* One group per value of a binary or small integer column, then one for
 * the rows missing it. */
static enum ns_err value_groups(struct eda_column *c, const struct val *v,
                                size_t n, const struct eda_group *missing)
{
    size_t k = 0;

    c->groups = calloc(c->distinct + 1, sizeof(*c->groups));
    if (c->groups == NULL)
        return NS_ERR_NOMEM;
    for (size_t i = 0; i < n; k++) {
        struct eda_group *g = &c->groups[k];
        char name[32];
        size_t j = i;

        snprintf(name, sizeof(name), "%g", v[i].v);
        if (set_group(g, name, 0, 0, 0) != NS_OK)
            return NS_ERR_NOMEM;
        c->ngroups++;
        for (; j < n && v[j].v == v[i].v; j++)
            group_count(g, v[j].label);
        i = j;
    }
    if (missing->n == 0)
        return NS_OK;
    c->ngroups++;
    return set_group(&c->groups[k], "(missing)", missing->n,
                     missing->labelled, missing->positive);
}

static enum ns_err finish_numbers(struct eda_column *c)
{
    struct col_acc *a = c->acc;
    enum ns_err rc = NS_OK;

    if (a->nvals == 0)
        return NS_OK;
    qsort(a->vals, a->nvals, sizeof(*a->vals), cmp_val);
    summarise(c, a->vals, a->nvals);
    if (c->kind != EDA_KIND_NUMBER)
        return NS_OK;
    rc = histogram(c, a->vals, a->nvals);
    if (rc == NS_OK && c->schema_col >= 0 &&
        (c->role == ROLE_BINARY ||
         (c->distinct <= EDA_SMALL_DISTINCT &&
          all_integer(a->vals, a->nvals))))
        rc = value_groups(c, a->vals, a->nvals, &a->missing);
    return rc;
}

struct cat_entry {
    const char *name;
    const struct cat_count *count;
};

static int cmp_cat(const void *a, const void *b)
{
    const struct cat_entry *x = a;
    const struct cat_entry *y = b;

    if (x->count->n != y->count->n)
        return x->count->n < y->count->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The most frequent categories, then "(other)" and "(missing)". */
static enum ns_err finish_categories(struct eda_column *c)
{
    struct col_acc *a = c->acc;
    struct cat_entry *e = calloc(a->ncats + 1, sizeof(*e));
    struct eda_group other = {0};
    size_t pos = 0, len, k = 0, top;
    const char *key;
    uint64_t idx;
    enum ns_err rc = NS_ERR_NOMEM;

    if (e == NULL)
        return NS_ERR_NOMEM;
    while (ns_hmap_next(a->map, &pos, &key, &len, &idx))
        e[k++] = (struct cat_entry){key, &a->cats[idx]};
    qsort(e, k, sizeof(*e), cmp_cat);
    c->distinct = k;
    top = k < EDA_TOP_CATEGORIES ? k : EDA_TOP_CATEGORIES;
    c->groups = calloc(top + 2, sizeof(*c->groups));
    if (c->groups == NULL)
        goto out;
    for (size_t i = 0; i < k; i++) {
        const struct cat_count *n = e[i].count;

        if (i >= top) {
            other.n += n->n;
            other.labelled += n->labelled;
            other.positive += n->positive;
            c->other_categories++;
            continue;
        }
        if (set_group(&c->groups[c->ngroups++], e[i].name, n->n,
                      n->labelled, n->positive) != NS_OK)
            goto out;
    }
    if (other.n && set_group(&c->groups[c->ngroups++], "(other)", other.n,
                             other.labelled, other.positive) != NS_OK)
        goto out;
    if (a->missing.n &&
        set_group(&c->groups[c->ngroups++], "(missing)", a->missing.n,
                  a->missing.labelled, a->missing.positive) != NS_OK)
        goto out;
    rc = NS_OK;
out:
    free(e);
    return rc;
}

static void finish_corr(struct eda_stats *st)
{
    struct corr_acc *ca = st->acc;
    size_t k = st->ncorr;

    for (size_t i = 0; i < k; i++) {
        st->corr[i * k + i] = 1;
        for (size_t j = i + 1; j < k; j++) {
            size_t p = i * k + j;
            double n = ca->n[p];
            double cov = ca->sxy[p] - ca->sx[p] * ca->sy[p] / n;
            double vx = ca->sxx[p] - ca->sx[p] * ca->sx[p] / n;
            double vy = ca->syy[p] - ca->sy[p] * ca->sy[p] / n;
            double r = NAN;

            if (n >= 2 && vx > 0 && vy > 0)
                r = cov / sqrt(vx * vy);
            if (r > 1)
                r = 1;
            if (r < -1)
                r = -1;
            st->corr[i * k + j] = st->corr[j * k + i] = r;
        }
    }
}

static void free_col_acc(struct eda_column *c)
{
    struct col_acc *a = c->acc;

    if (a == NULL)
        return;
    free(a->vals);
    ns_hmap_free(a->map);
    free(a->cats);
    free(a);
    c->acc = NULL;
}

static void free_corr_acc(struct eda_stats *st)
{
    struct corr_acc *ca = st->acc;

    if (ca == NULL)
        return;
    free(ca->shift);
    free(ca->shifted);
    free(ca->x);
    free(ca->n);
    free(ca->sx);
    free(ca->sy);
    free(ca->sxx);
    free(ca->syy);
    free(ca->sxy);
    free(ca);
    st->acc = NULL;
}

static enum ns_err finish_column(struct eda_stats *st, struct eda_column *c)
{
    struct col_acc *a = c->acc;

    switch (c->kind) {
    case EDA_KIND_CATEGORY:
        return finish_categories(c);
    case EDA_KIND_IDENT:
        c->distinct = ns_hmap_count(a->map);
        if (c->role == ROLE_PATIENT_ID)
            st->patients = c->distinct;
        return NS_OK;
    case EDA_KIND_LABEL:
        c->distinct = (st->positive > 0) + (st->labelled > st->positive);
        return NS_OK;
    default:
        return finish_numbers(c);
    }
}

enum ns_err eda_stats_finish(struct eda_stats *st, struct ns_error *err)
{
    if (st->finished)
        return ns_error_set(err, NS_ERR_INVALID,
                            "eda: statistics finished twice; expected "
                            "one call after the last record");
    st->finished = true;
    for (size_t i = 0; i < st->ncols; i++) {
        if (finish_column(st, &st->cols[i]) != NS_OK)
            return nomem(err, "summarising columns");
        free_col_acc(&st->cols[i]);
    }
    st->corr = calloc(st->ncorr * st->ncorr + 1, sizeof(*st->corr));
    if (st->corr == NULL)
        return nomem(err, "computing correlations");
    finish_corr(st);
    free_corr_acc(st);
    st->schema = NULL;
    return NS_OK;
}

void eda_stats_free(struct eda_stats *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->ncols; i++) {
        struct eda_column *c = &st->cols[i];

        free_col_acc(c);
        free(c->edges);
        free(c->counts);
        for (size_t g = 0; g < c->ngroups; g++)
            free(c->groups[g].name);
        free(c->groups);
    }
    free(st->cols);
    free(st->corr_col);
    free(st->corr);
    free_corr_acc(st);
    free(st);
}
