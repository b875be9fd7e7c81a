#include "features/history.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "data/table.h"
#include "util/hmap.h"
#include "util/timeutil.h"

#define THIRTY_DAYS (30 * 86400LL)

struct dated {
    int32_t day;
    int8_t label;
};

/* A booking instant with the day it was made for. */
struct booking {
    int64_t at;
    int32_t day;
};

/* Position i of a patient's group holds the i-th earliest booking instant
 * and, independently, the i-th earliest appointment day with running
 * counts over the days so far. Both orders share one record so that a
 * query touches one or two cache lines, not six arrays. */
struct entry {
    int64_t booked;
    int32_t booked_for;     /* appointment day of that i-th booking */
    int32_t day;
    int32_t last_known;     /* latest known day among days 0..i, or
                               NS_DAY_NONE */
    uint32_t known;         /* outcomes known among days 0..i */
    uint32_t missed;        /* no-shows among days 0..i */
};

/* Rows are kept as added; history_index_finish() groups them by patient
 * key (key k owns positions start[k] .. start[k+1]-1 of the arrays
 * below) and sorts each group twice: by booking instant and by day. A
 * key is a number from ids, or, for an index made from a table, the
 * table's string id of the patient (no hashing at all). */
struct history_index {
    struct ns_hmap *ids;        /* patient text -> key; unused with table */
    const struct table *table;  /* borrowed, or NULL */
    size_t nkeys;               /* keys are below this */
    size_t npatients;           /* keys that have rows */

    size_t n, cap;              /* rows as added */
    uint32_t *pat;
    int64_t *booked;
    struct dated *dated;

    bool finished;
    size_t *start;              /* [nkeys + 1] */
    struct entry *entries;      /* [n] */
};

bool history_applies(const struct record *r)
{
    return r->patient != NULL && r->patient[0] != '\0' &&
           r->booked_at != NS_TIME_NONE;
}

void history_stats_empty(struct history_stats *out)
{
    out->prior_appts = 0;
    out->prior_noshows = 0;
    out->noshow_rate = NAN;
    out->days_since_last = NAN;
    out->held_appts = 0;
    out->bookings_30d = 0;
    out->days_since_booking = NAN;
    out->bookings_today = 0;
    out->prev_lead = NAN;
    out->same_day_appts = 0;
}

struct history_index *history_index_new(void)
{
    struct history_index *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->ids = ns_hmap_new(1024);
    if (h->ids == NULL) {
        free(h);
        return NULL;
    }
    return h;
}

static enum ns_err grow_rows(struct history_index *h)
{
    size_t cap = h->cap ? 2 * h->cap : 1024;
    uint32_t *pat = realloc(h->pat, cap * sizeof(*pat));
    int64_t *booked;
    struct dated *dated;

    if (pat == NULL)
        return NS_ERR_NOMEM;
    h->pat = pat;
    booked = realloc(h->booked, cap * sizeof(*booked));
    if (booked == NULL)
        return NS_ERR_NOMEM;
    h->booked = booked;
    dated = realloc(h->dated, cap * sizeof(*dated));
    if (dated == NULL)
        return NS_ERR_NOMEM;
    h->dated = dated;
    h->cap = cap;
    return NS_OK;
}

static enum ns_err add_key(struct history_index *h, uint32_t key,
                           int64_t booked_at, int32_t appt_day, int label)
{
    enum ns_err rc;

    if (booked_at == NS_TIME_NONE || appt_day == NS_DAY_NONE ||
        appt_day < ns_day_of(booked_at) || label < -1 || label > 1)
        return NS_ERR_INVALID;
    if (h->n == h->cap && (rc = grow_rows(h)) != NS_OK)
        return rc;
    h->pat[h->n] = key;
    h->booked[h->n] = booked_at;
    h->dated[h->n] = (struct dated){appt_day, (int8_t)label};
    h->n++;
    h->finished = false;
    return NS_OK;
}

enum ns_err history_index_add(struct history_index *h, const char *patient,
                              int64_t booked_at, int32_t appt_day, int label)
{
    size_t len = patient ? strlen(patient) : 0;
    uint64_t key;
    enum ns_err rc;

    if (len == 0)
        return NS_OK;
    if (h->table)
        return NS_ERR_UNSUPPORTED;
    if (!ns_hmap_get(h->ids, patient, len, &key)) {
        if (h->nkeys >= UINT32_MAX)
            return NS_ERR_TOO_LARGE;
        key = h->nkeys;
        if ((rc = ns_hmap_put(h->ids, patient, len, key)) != NS_OK)
            return rc;
        h->nkeys++;
    }
    return add_key(h, (uint32_t)key, booked_at, appt_day, label);
}

/* By instant, then by day, so that ties order the same in every run and
 * in the store's "latest booking" query. */
static int cmp_booking(const void *a, const void *b)
{
    const struct booking *x = a;
    const struct booking *y = b;

    if (x->at != y->at)
        return (x->at > y->at) - (x->at < y->at);
    return (x->day > y->day) - (x->day < y->day);
}

static int cmp_dated(const void *a, const void *b)
{
    int32_t x = ((const struct dated *)a)->day;
    int32_t y = ((const struct dated *)b)->day;

    return (x > y) - (x < y);
}

static void release_sorted(struct history_index *h)
{
    free(h->start);
    free(h->entries);
    h->start = NULL;
    h->entries = NULL;
}

/* Counting sort of the rows into patient groups, straight into the
 * entries: each holds its row's booking instant and day, with the label
 * parked in `missed` (plus one) until fill_entries() sorts the group.
 * Returns the size of the largest group. */
static size_t group_rows(struct history_index *h)
{
    size_t *fill = h->start;
    size_t largest = 0;

    for (size_t i = 0; i < h->n; i++)
        h->start[h->pat[i] + 1]++;
    h->npatients = 0;
    for (size_t p = 0; p < h->nkeys; p++) {
        h->npatients += h->start[p + 1] > 0;
        if (h->start[p + 1] > largest)
            largest = h->start[p + 1];
        h->start[p + 1] += h->start[p];
    }
    for (size_t i = 0; i < h->n; i++) {
        size_t at = fill[h->pat[i]]++;

        h->entries[at] = (struct entry){
            .booked = h->booked[i], .booked_for = h->dated[i].day,
            .day = h->dated[i].day,
            .missed = (uint32_t)(h->dated[i].label + 1)};
    }
    /* The fill pass moved every start to the next group's: shift back. */
    memmove(h->start + 1, h->start, h->nkeys * sizeof(*h->start));
    h->start[0] = 0;
    return largest;
}

/* Sorts one group, whose entries hold their row's instant, day and
 * label (in `missed`, plus one) as group_rows() leaves them, by instant
 * and, independently, by day, in scratch room of m records, and writes
 * the running counts. */
static void fill_group(struct entry *e, size_t m, struct booking *booked,
                       struct dated *days)
{
    struct entry run = {0, 0, 0, NS_DAY_NONE, 0, 0};

    for (size_t i = 0; i < m; i++) {
        booked[i] = (struct booking){e[i].booked, e[i].booked_for};
        days[i] = (struct dated){e[i].day, (int8_t)((int)e[i].missed - 1)};
    }
    if (m > 1) {
        qsort(booked, m, sizeof(*booked), cmp_booking);
        qsort(days, m, sizeof(*days), cmp_dated);
    }
    for (size_t i = 0; i < m; i++) {
        run.booked = booked[i].at;
        run.booked_for = booked[i].day;
        run.day = days[i].day;
        if (days[i].label >= 0) {
            run.known++;
            run.last_known = days[i].day;
        }
        run.missed += days[i].label == 1;
        e[i] = run;
    }
}

/* Group by group, so that the scratch room is one patient's rows
 * instead of 24 bytes for every row of the file. */
static void fill_entries(struct history_index *h, struct booking *booked,
                         struct dated *days)
{
    for (size_t p = 0; p < h->nkeys; p++)
        fill_group(h->entries + h->start[p], h->start[p + 1] - h->start[p],
                   booked, days);
}

enum ns_err history_index_finish(struct history_index *h)
{
    size_t n = h->n ? h->n : 1;
    struct booking *booked = NULL;
    struct dated *days = NULL;
    size_t largest;

    release_sorted(h);
    h->finished = false;
    if (h->n > UINT32_MAX)
        return NS_ERR_TOO_LARGE;
    h->start = calloc(h->nkeys + 1, sizeof(*h->start));
    h->entries = malloc(n * sizeof(*h->entries));
    if (h->start == NULL || h->entries == NULL) {
        release_sorted(h);
        return NS_ERR_NOMEM;
    }
    largest = group_rows(h);
    largest = largest ? largest : 1;
    booked = malloc(largest * sizeof(*booked));
    days = malloc(largest * sizeof(*days));
    if (booked == NULL || days == NULL) {
        free(booked);
        free(days);
        release_sorted(h);
        return NS_ERR_NOMEM;
    }
    fill_entries(h, booked, days);
    free(booked);
    free(days);
    h->finished = true;
    return NS_OK;
}

/* Number of entries of a[0..n) whose instant (or day) is below v. */
static size_t count_below(const struct entry *a, size_t n, int64_t v,
                          bool by_day)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if ((by_day ? a[mid].day : a[mid].booked) < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Every count is a few binary searches in the patient's group. "held"
 * uses that the index refuses bookings made after their own day: a row
 * dated before D was then booked before D, hence before t, so the
 * bookings made before t that are still to come are those before t
 * minus those dated before D. Bookings for the row's own day need a walk
 * over the earlier bookings, short for any real patient. */
static void group_stats(const struct entry *e, size_t m, int64_t booked_at,
                        int32_t appt_day, struct history_stats *out)
{
    int32_t d = ns_day_of(booked_at);
    size_t before_day = count_below(e, m, d, true);
    size_t before_t = count_below(e, m, booked_at, false);
    size_t old = count_below(e, m, booked_at - THIRTY_DAYS + 1, false);
    size_t today = count_below(e, m, (int64_t)d * 86400, false);

    if (before_day > 0 && e[before_day - 1].known > 0) {
        out->prior_appts = e[before_day - 1].known;
        out->prior_noshows = e[before_day - 1].missed;
        out->noshow_rate = out->prior_noshows / out->prior_appts;
        out->days_since_last = d - e[before_day - 1].last_known;
    }
    out->held_appts = before_t > before_day ? before_t - before_day : 0;
    out->bookings_30d = before_t - old;
    out->bookings_today = before_t - today;
    if (before_t > 0) {
        const struct entry *prev = e + before_t - 1;

        out->days_since_booking = (double)(booked_at - prev->booked) /
                                  86400.0;
        out->prev_lead = prev->booked_for - ns_day_of(prev->booked);
    }
    for (size_t i = 0; appt_day != NS_DAY_NONE && i < before_t; i++)
        out->same_day_appts += e[i].booked_for == appt_day;
}

static void key_stats(const struct history_index *h, size_t key,
                      int64_t booked_at, int32_t appt_day,
                      struct history_stats *out)
{
    group_stats(h->entries + h->start[key],
                h->start[key + 1] - h->start[key], booked_at, appt_day, out);
}

static bool find_key(const struct history_index *h, const char *patient,
                     uint64_t *key)
{
    size_t len = patient ? strlen(patient) : 0;
    uint32_t id;

    if (len == 0)
        return false;
    if (h->table == NULL)
        return ns_hmap_get(h->ids, patient, len, key);
    if (!table_find(h->table, patient, &id))
        return false;
    *key = id;
    return true;
}

static enum ns_err index_stats(void *ctx, const struct history_query *q,
                               struct history_stats *out,
                               struct ns_error *err)
{
    const struct history_index *h = ctx;
    uint64_t key;

    history_stats_empty(out);
    if (!h->finished)
        return ns_error_set(err, NS_ERR_INVALID, "history: index queried "
                            "before history_index_finish()");
    if (q->booked_at != NS_TIME_NONE && find_key(h, q->patient, &key) &&
        key < h->nkeys)
        key_stats(h, key, q->booked_at, q->appt_day, out);
    return NS_OK;
}

const struct table *history_index_table(const struct history_index *h)
{
    return h->table;
}

void history_index_table_stats(const struct history_index *h,
                               uint32_t patient, int64_t booked_at,
                               int32_t appt_day, struct history_stats *out)
{
    history_stats_empty(out);
    if (h->finished && patient != 0 && patient < h->nkeys &&
        booked_at != NS_TIME_NONE)
        key_stats(h, patient, booked_at, appt_day, out);
}

enum ns_err history_index_from_table(const struct table *t,
                                     struct history_index **out,
                                     struct ns_error *err)
{
    struct history_index *h = history_index_new();
    enum ns_err rc = h ? NS_OK : NS_ERR_NOMEM;
    size_t i;

    *out = NULL;
    if (h) {
        h->table = t;
        h->nkeys = table_nstrings(t);
    }
    /* A row without a patient or without both dates cannot be placed. */
    for (i = 0; rc == NS_OK && i < t->nrows; i++) {
        if (t->patient[i] != 0 && t->booked_at[i] != NS_TIME_NONE &&
            t->appt_day[i] != NS_DAY_NONE)
            rc = add_key(h, t->patient[i], t->booked_at[i], t->appt_day[i],
                         t->label[i]);
    }
    if (rc == NS_OK)
        rc = history_index_finish(h);
    if (rc == NS_ERR_INVALID)
        ns_error_set(err, rc, "history: line %ld: booked after its "
                     "appointment day; expected rows that passed cleaning",
                     t->line[i - 1]);
    else if (rc != NS_OK)
        ns_error_set(err, rc, "history: cannot index %zu rows: %s",
                     t->nrows, ns_err_str(rc));
    if (rc != NS_OK) {
        history_index_free(h);
        return rc;
    }
    *out = h;
    return NS_OK;
}

struct history_source history_index_source(struct history_index *h)
{
    struct history_source src = {h, index_stats};

    return src;
}

size_t history_index_patients(const struct history_index *h)
{
    return h->npatients;
}

void history_index_free(struct history_index *h)
{
    if (h == NULL)
        return;
    release_sorted(h);
    ns_hmap_free(h->ids);
    free(h->pat);
    free(h->booked);
    free(h->dated);
    free(h);
}

struct history_group {
    struct entry *e;
    struct booking *booked;
    struct dated *days;
    size_t m;               /* rows of the last group */
    size_t cap;
};

struct history_group *history_group_new(void)
{
    return calloc(1, sizeof(struct history_group));
}

static enum ns_err group_reserve(struct history_group *g, size_t m)
{
    size_t cap = g->cap ? g->cap : 64;
    void *e, *b, *d;

    if (m <= g->cap)
        return NS_OK;
    while (cap < m)
        cap *= 2;
    e = realloc(g->e, cap * sizeof(*g->e));
    if (e != NULL)
        g->e = e;
    b = realloc(g->booked, cap * sizeof(*g->booked));
    if (b != NULL)
        g->booked = b;
    d = realloc(g->days, cap * sizeof(*g->days));
    if (d != NULL)
        g->days = d;
    if (e == NULL || b == NULL || d == NULL)
        return NS_ERR_NOMEM;
    g->cap = cap;
    return NS_OK;
}

enum ns_err history_group_stats(struct history_group *g,
                                const struct history_booking *rows,
                                size_t m, struct history_stats *out)
{
    enum ns_err rc = group_reserve(g, m);

    g->m = 0;
    if (rc != NS_OK)
        return rc;
    for (size_t i = 0; i < m; i++) {
        const struct history_booking *r = &rows[i];

        if (r->booked_at == NS_TIME_NONE || r->appt_day == NS_DAY_NONE ||
            r->appt_day < ns_day_of(r->booked_at) || r->label < -1 ||
            r->label > 1)
            return NS_ERR_INVALID;
        g->e[i] = (struct entry){
            .booked = r->booked_at, .booked_for = r->appt_day,
            .day = r->appt_day, .missed = (uint32_t)(r->label + 1)};
    }
    fill_group(g->e, m, g->booked, g->days);
    g->m = m;
    for (size_t i = 0; i < m; i++) {
        history_stats_empty(&out[i]);
        group_stats(g->e, m, rows[i].booked_at, rows[i].appt_day, &out[i]);
    }
    return NS_OK;
}

void history_group_query(const struct history_group *g, int64_t booked_at,
                         int32_t appt_day, struct history_stats *out)
{
    history_stats_empty(out);
    if (g->m > 0 && booked_at != NS_TIME_NONE)
        group_stats(g->e, g->m, booked_at, appt_day, out);
}

void history_group_free(struct history_group *g)
{
    if (g == NULL)
        return;
    free(g->e);
    free(g->booked);
    free(g->days);
    free(g);
}
