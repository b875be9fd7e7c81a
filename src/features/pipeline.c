#include "features/pipeline.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

struct pipeline {
    const struct schema *schema;    /* borrowed */
    const struct encoders *enc;     /* borrowed */
    struct pipeline_opts opts;
    bool uses_history;
    size_t n;
    struct feature feats[PIPELINE_MAX_FEATURES];
};

static bool has_role(const struct schema *s, enum schema_role role)
{
    return schema_find_role(s, role) >= 0;
}

/* Lower case, runs of anything but letters and digits as one '_', none
 * at either end: "SMS_received" -> "sms_received", "No-show" ->
 * "no_show". */
static void snake_case(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    bool gap = false;

    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (!isalnum(*p)) {
            gap = n > 0;
            continue;
        }
        if (gap && n + 2 < cap)
            out[n++] = '_';
        gap = false;
        if (n + 1 < cap)
            out[n++] = (char)tolower(*p);
    }
    out[n] = '\0';
}

static bool name_taken(const struct pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->feats[i].name, name) == 0)
            return true;
    }
    return false;
}

/* Appends a feature; a name already taken (two headers that only differ
 * in punctuation) gets a "_2", "_3", ... suffix, so names stay unique and
 * depend only on the schema. */
static enum ns_err add(struct pipeline *p, enum feat_kind kind, int col,
                       const char *name, const char *group,
                       struct ns_error *err)
{
    struct feature *f;
    char base[48];

    if (p->n == PIPELINE_MAX_FEATURES)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "pipeline: schema '%s' "
                            "gives more than %d features", p->schema->name,
                            PIPELINE_MAX_FEATURES);
    f = &p->feats[p->n];
    f->kind = kind;
    f->col = col;
    snake_case(name, base, sizeof(base));
    if (base[0] == '\0')
        snprintf(base, sizeof(base), "column_%d", col + 1);
    snprintf(f->name, sizeof(f->name), "%s", base);
    for (int k = 2; name_taken(p, f->name); k++)
        snprintf(f->name, sizeof(f->name), "%s_%d", base, k);
    snprintf(f->group, sizeof(f->group), "%s", group);
    p->n++;
    return NS_OK;
}

static enum ns_err add_columns(struct pipeline *p, struct ns_error *err)
{
    const struct schema *s = p->schema;
    enum ns_err rc = NS_OK;

    for (size_t c = 0; rc == NS_OK && c < s->ncols; c++) {
        const struct schema_column *sc = &s->cols[c];
        const char *group = sc->label[0] ? sc->label : sc->name;

        if (sc->role == ROLE_BINARY || sc->role == ROLE_NUMERIC) {
            rc = add(p, FEAT_NUMERIC, (int)c, sc->name, group, err);
        } else if (sc->role == ROLE_CATEGORICAL) {
            if (p->enc == NULL)
                return ns_error_field(err, NS_ERR_INVALID, sc->name,
                                      "pipeline: column '%s' is "
                                      "categorical but no encoders were "
                                      "given", sc->name);
            rc = add(p, FEAT_CATEGORY, (int)c, sc->name, group, err);
        }
    }
    return rc;
}

struct derived {
    enum feat_kind kind;
    const char *name;
    const char *group;
};

static const struct derived time_feats[] = {
    {FEAT_APPT_WEEKDAY, "appt_weekday", "appointment day"},
    {FEAT_BOOKING_HOUR, "booking_hour", "booking time"},
    {FEAT_BOOKING_WEEKDAY, "booking_weekday", "booking time"},
    {FEAT_SAME_DAY, "same_day", "lead time"},
};

static const struct derived hist_feats[] = {
    {FEAT_HIST_PRIOR, "hist_prior_appts", "patient history"},
    {FEAT_HIST_NOSHOWS, "hist_prior_noshows", "patient history"},
    {FEAT_HIST_RATE, "hist_noshow_rate", "patient history"},
    {FEAT_HIST_DAYS_SINCE, "hist_days_since_last", "patient history"},
    {FEAT_HIST_HELD, "hist_held_appts", "booking context"},
    {FEAT_HIST_BOOKINGS_30D, "hist_bookings_30d", "booking context"},
    {FEAT_HIST_SINCE_BOOKING, "hist_days_since_booking", "booking context"},
    {FEAT_HIST_BOOKINGS_TODAY, "hist_bookings_today", "booking context"},
    {FEAT_HIST_PREV_LEAD, "hist_prev_lead", "booking context"},
    {FEAT_HIST_SAME_DAY_APPTS, "hist_same_day_appts", "booking context"},
};

/* Which inputs a derived feature reads; it is left out when the schema
 * lacks one of them. */
static bool derivable(const struct schema *s, enum feat_kind kind)
{
    bool booked = has_role(s, ROLE_BOOKED_AT);
    bool day = has_role(s, ROLE_APPT_DATE);

    switch (kind) {
    case FEAT_LEAD_DAYS:
    case FEAT_SAME_DAY:
        return booked && day;
    case FEAT_APPT_WEEKDAY:
        return day;
    case FEAT_BOOKING_HOUR:
    case FEAT_BOOKING_WEEKDAY:
        return booked;
    case FEAT_APPT_TIME:
        /* LIMITATION: the time of day of an appointment becomes a feature
         * only when the schema has an APPT_TIME column. An appointment
         * date column that also carries times does not add it, because
         * the feature list is fixed from the schema before any row is
         * read; those times are then unused. A fix needs a schema flag
         * saying that the appointment date includes a time. */
        return has_role(s, ROLE_APPT_TIME);
    default:
        return booked && has_role(s, ROLE_PATIENT_ID);
    }
}

static enum ns_err add_derived(struct pipeline *p, struct ns_error *err)
{
    const struct schema *s = p->schema;
    size_t ntime = sizeof(time_feats) / sizeof(time_feats[0]);
    size_t nhist = sizeof(hist_feats) / sizeof(hist_feats[0]);
    enum ns_err rc = NS_OK;

    if (derivable(s, FEAT_LEAD_DAYS))
        rc = add(p, FEAT_LEAD_DAYS, -1, "lead_days", "lead time", err);
    for (size_t i = 0; p->opts.time && rc == NS_OK && i < ntime; i++) {
        if (derivable(s, time_feats[i].kind))
            rc = add(p, time_feats[i].kind, -1, time_feats[i].name,
                     time_feats[i].group, err);
    }
    if (rc == NS_OK && p->opts.time && derivable(s, FEAT_APPT_TIME))
        rc = add(p, FEAT_APPT_TIME, -1, "appt_time", "appointment time",
                 err);
    p->uses_history = p->opts.history && derivable(s, FEAT_HIST_PRIOR);
    for (size_t i = 0; p->uses_history && rc == NS_OK && i < nhist; i++)
        rc = add(p, hist_feats[i].kind, -1, hist_feats[i].name,
                 hist_feats[i].group, err);
    return rc;
}

enum ns_err pipeline_new(const struct schema *s, const struct encoders *enc,
                         const struct pipeline_opts *o,
                         struct pipeline **out, struct ns_error *err)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    enum ns_err rc;

    *out = NULL;
    if (p == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "pipeline: out of memory");
    p->schema = s;
    p->enc = enc;
    p->opts = *o;
    rc = add_columns(p, err);
    if (rc == NS_OK)
        rc = add_derived(p, err);
    if (rc != NS_OK) {
        free(p);
        return rc;
    }
    *out = p;
    return NS_OK;
}

size_t pipeline_nfeatures(const struct pipeline *p)
{
    return p->n;
}

const struct feature *pipeline_feature(const struct pipeline *p, size_t i)
{
    return i < p->n ? &p->feats[i] : NULL;
}

bool pipeline_uses_history(const struct pipeline *p)
{
    return p->uses_history;
}

const struct encoders *pipeline_encoders(const struct pipeline *p)
{
    return p->enc;
}

static enum ns_err row_history(const struct record *r,
                               const struct history_source *hist,
                               struct history_stats *hs,
                               struct ns_error *err)
{
    struct history_query q = {r->patient, r->booked_at, r->appt_day};

    if (hist == NULL || !history_applies(r)) {
        history_stats_empty(hs);
        return NS_OK;
    }
    return hist->stats(hist->ctx, &q, hs, err);
}

/* Category codes of a table's string ids, found once per id rather than
 * hashed again for every row. */
struct memo {
    const struct table *t;
    size_t row;
    uint32_t **codes;   /* [ncols]: code + 1 by string id; 0 = not yet */
    const double *cat;  /* or the row's codes by column, found already */
};

static double memo_code(const struct pipeline *p, const struct feature *f,
                        const struct memo *m, int *unknown)
{
    uint32_t id, *slot, code;

    if (m->cat != NULL) {
        double c = m->cat[f->col];

        *unknown = c == (double)encoders_count(p->enc, f->col);
        return c;
    }
    id = m->t->cat[f->col][m->row];
    slot = &m->codes[f->col][id];

    if (id == 0)
        return NAN;
    if (*slot == 0)
        *slot = (uint32_t)encoders_code(p->enc, f->col,
                                        table_str(m->t, id), NULL) + 1;
    code = *slot - 1;
    *unknown = code == encoders_count(p->enc, f->col);
    return code;
}

/* The value of a feature that reads no history; lead and calendar
 * features are NaN when the date they need is absent.
 *
 * LIMITATION: booking hour, booking weekday, lead days and same-day are
 * taken from the booking instant in UTC, not in the clinic's time zone.
 * For Vitoria (UTC-3) a booking at 22:00 local time counts as 01:00 of
 * the next day, so near midnight the lead can be one day short and the
 * weekday one later. The model still learns from the shifted values, but
 * a reason shown as "booking time" speaks of UTC hours. A fix needs a
 * time zone in the schema, applied before the day and hour are taken. */
static double plain_value(const struct pipeline *p, const struct feature *f,
                          const struct record *r, const struct memo *m,
                          int *unknown)
{
    bool booked = r->booked_at != NS_TIME_NONE;
    bool day = r->appt_day != NS_DAY_NONE;

    switch (f->kind) {
    case FEAT_NUMERIC:
        return r->num[f->col];
    case FEAT_CATEGORY:
        if (m)
            return memo_code(p, f, m, unknown);
        return encoders_code(p->enc, f->col, r->text[f->col], unknown);
    case FEAT_LEAD_DAYS:
        return booked && day ? r->appt_day - ns_day_of(r->booked_at) : NAN;
    case FEAT_SAME_DAY:
        if (!booked || !day)
            return NAN;
        return r->appt_day == ns_day_of(r->booked_at) ? 1 : 0;
    case FEAT_APPT_WEEKDAY:
        return day ? ns_weekday(r->appt_day) : NAN;
    case FEAT_BOOKING_HOUR:
        return booked ? ns_second_of_day(r->booked_at) / 3600 : NAN;
    case FEAT_BOOKING_WEEKDAY:
        return booked ? ns_weekday(ns_day_of(r->booked_at)) : NAN;
    case FEAT_APPT_TIME:
        return r->appt_time >= 0 ? r->appt_time : NAN;
    default:
        return NAN;
    }
}

static double history_value(enum feat_kind kind,
                            const struct history_stats *hs)
{
    switch (kind) {
    case FEAT_HIST_PRIOR:
        return hs->prior_appts;
    case FEAT_HIST_NOSHOWS:
        return hs->prior_noshows;
    case FEAT_HIST_RATE:
        return hs->noshow_rate;
    case FEAT_HIST_DAYS_SINCE:
        return hs->days_since_last;
    case FEAT_HIST_HELD:
        return hs->held_appts;
    case FEAT_HIST_BOOKINGS_30D:
        return hs->bookings_30d;
    case FEAT_HIST_SINCE_BOOKING:
        return hs->days_since_booking;
    case FEAT_HIST_BOOKINGS_TODAY:
        return hs->bookings_today;
    case FEAT_HIST_PREV_LEAD:
        return hs->prev_lead;
    case FEAT_HIST_SAME_DAY_APPTS:
        return hs->same_day_appts;
    default:
        return NAN;
    }
}

/* hs is read only when p uses history; m is NULL outside tables. */
static void fill_row(const struct pipeline *p, const struct record *r,
                     const struct history_stats *hs, const struct memo *m,
                     float *out, int *unknown_cats)
{
    int unknown_total = 0;

    for (size_t i = 0; i < p->n; i++) {
        const struct feature *f = &p->feats[i];
        int unknown = 0;

        if (f->kind >= FEAT_HIST_PRIOR)
            out[i] = (float)history_value(f->kind, hs);
        else
            out[i] = (float)plain_value(p, f, r, m, &unknown);
        unknown_total += unknown;
    }
    if (unknown_cats)
        *unknown_cats = unknown_total;
}

enum ns_err pipeline_row(const struct pipeline *p, const struct record *r,
                         const struct history_source *hist, float *out,
                         int *unknown_cats, struct ns_error *err)
{
    struct history_stats hs;
    enum ns_err rc;

    if (p->uses_history) {
        rc = row_history(r, hist, &hs, err);
        if (rc != NS_OK)
            return rc;
    }
    fill_row(p, r, &hs, NULL, out, unknown_cats);
    return NS_OK;
}

void pipeline_row_stats(const struct pipeline *p, const struct record *r,
                        const struct history_stats *hs, float *out,
                        int *unknown_cats)
{
    fill_row(p, r, hs, NULL, out, unknown_cats);
}

void pipeline_row_coded(const struct pipeline *p, const struct record *r,
                        const double *cat, const struct history_stats *hs,
                        float *out, int *unknown_cats)
{
    struct memo m = {NULL, 0, NULL, cat};

    fill_row(p, r, hs, &m, out, unknown_cats);
}

static void memo_free(struct memo *m, size_t ncols)
{
    for (size_t c = 0; m->codes && c < ncols; c++)
        free(m->codes[c]);
    free(m->codes);
}

static enum ns_err memo_init(struct memo *m, const struct pipeline *p,
                             const struct table *t)
{
    size_t ncols = t->schema->ncols;

    m->t = t;
    m->codes = calloc(ncols ? ncols : 1, sizeof(*m->codes));
    if (m->codes == NULL)
        return NS_ERR_NOMEM;
    for (size_t i = 0; i < p->n; i++) {
        int col = p->feats[i].col;

        if (p->feats[i].kind != FEAT_CATEGORY || m->codes[col])
            continue;
        m->codes[col] = calloc(table_nstrings(t), sizeof(uint32_t));
        if (m->codes[col] == NULL)
            return NS_ERR_NOMEM;
    }
    return NS_OK;
}

enum ns_err pipeline_table(const struct pipeline *p, const struct table *t,
                           const size_t *rows, size_t nrows,
                           struct history_index *idx, float *out,
                           size_t *unknown_cats, struct ns_error *err)
{
    struct record *view = record_new(t->schema);
    struct history_source src;
    struct memo m = {0};
    bool by_id = p->uses_history && idx && history_index_table(idx) == t;
    size_t unknown_total = 0;
    enum ns_err rc = memo_init(&m, p, t);

    if (view == NULL || rc != NS_OK) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "pipeline: out of memory");
        goto out;
    }
    if (idx)
        src = history_index_source(idx);
    if (rows == NULL)
        nrows = t->nrows;
    for (size_t i = 0; i < nrows; i++) {
        struct history_stats hs;
        int unknown;

        m.row = rows ? rows[i] : i;
        table_row(t, m.row, view);
        if (by_id)
            history_index_table_stats(idx, t->patient[m.row],
                                      t->booked_at[m.row],
                                      t->appt_day[m.row], &hs);
        else if (p->uses_history)
            rc = row_history(view, idx ? &src : NULL, &hs, err);
        if (rc != NS_OK)
            break;
        fill_row(p, view, &hs, &m, out + i * p->n, &unknown);
        unknown_total += (size_t)unknown;
    }
    if (unknown_cats)
        *unknown_cats = unknown_total;
out:
    memo_free(&m, t->schema->ncols);
    record_free(view);
    return rc;
}

json_t *pipeline_to_json(const struct pipeline *p)
{
    json_t *names = json_array();
    json_t *obj;

    if (names == NULL)
        return NULL;
    for (size_t i = 0; i < p->n; i++) {
        if (json_array_append_new(names, json_string(p->feats[i].name))) {
            json_decref(names);
            return NULL;
        }
    }
    obj = json_pack("{s:b, s:b, s:o}", "history", p->opts.history, "time",
                    p->opts.time, "features", names);
    return obj;
}

static enum ns_err read_flag(const json_t *j, const char *key, bool *out,
                             struct ns_error *err)
{
    const json_t *v = json_object_get(j, key);

    if (!json_is_boolean(v))
        return ns_error_field(err, NS_ERR_PARSE, key, "pipeline: field "
                              "'%s' must be true or false", key);
    *out = json_is_true(v);
    return NS_OK;
}

/* The bundle's list must be exactly the list this schema gives now. */
static enum ns_err check_names(const struct pipeline *p, const json_t *arr,
                               struct ns_error *err)
{
    size_t n = json_array_size(arr);

    if (!json_is_array(arr))
        return ns_error_field(err, NS_ERR_PARSE, "features", "pipeline: "
                              "field 'features' must be an array of "
                              "feature names");
    for (size_t i = 0; i < n || i < p->n; i++) {
        const char *want = i < n ? json_string_value(json_array_get(arr, i))
                                 : NULL;
        const char *have = i < p->n ? p->feats[i].name : NULL;

        if (i < n && want == NULL)
            return ns_error_field(err, NS_ERR_PARSE, "features", "pipeline:"
                                  " field 'features' item %zu is not a "
                                  "string", i);
        if (want == NULL || have == NULL || strcmp(want, have) != 0)
            return ns_error_field(err, NS_ERR_INVALID, "features",
                                  "pipeline: bundle lists feature '%s' but "
                                  "schema '%s' gives '%s' (feature %zu)",
                                  want ? want : "(none)", p->schema->name,
                                  have ? have : "(none)", i + 1);
    }
    return NS_OK;
}

enum ns_err pipeline_from_json(const struct schema *s,
                               const struct encoders *enc, const json_t *j,
                               struct pipeline **out, struct ns_error *err)
{
    struct pipeline_opts o;
    struct pipeline *p = NULL;
    enum ns_err rc;

    *out = NULL;
    if (!json_is_object(j))
        return ns_error_set(err, NS_ERR_PARSE, "pipeline: expected a JSON "
                            "object with 'history', 'time' and "
                            "'features'");
    if ((rc = read_flag(j, "history", &o.history, err)) != NS_OK ||
        (rc = read_flag(j, "time", &o.time, err)) != NS_OK)
        return rc;
    if ((rc = pipeline_new(s, enc, &o, &p, err)) != NS_OK)
        return rc;
    rc = check_names(p, json_object_get(j, "features"), err);
    if (rc != NS_OK) {
        pipeline_free(p);
        return rc;
    }
    *out = p;
    return NS_OK;
}

void pipeline_free(struct pipeline *p)
{
    free(p);
}
