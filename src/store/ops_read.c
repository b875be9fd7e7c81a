/* Read-side operations: the paginated appointment list, a patient's
 * history counts, and the streams for retraining and export. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define LIST_MAX 1000
#define DAY_S 86400
#define WINDOW_30D_S (30 * DAY_S)

/* === List === */

struct list_ctx {
    const struct store_list_query *q;
    struct store_appt_page *out;
    int has_cursor;
    double cur_risk;
    int64_t cur_id;
};

static enum ns_err parse_cursor(struct list_ctx *x, struct ns_error *err)
{
    const char *c = x->q->cursor;
    char *end;

    if (c == NULL || c[0] == '\0')
        return NS_OK;
    errno = 0;
    x->cur_risk = strtod(c, &end);
    if (errno != 0 || end == c || *end != ':' || !isfinite(x->cur_risk))
        goto bad;
    c = end + 1;
    x->cur_id = strtoll(c, &end, 10);
    if (errno != 0 || end == c || *end != '\0' || x->cur_id < 0)
        goto bad;
    x->has_cursor = 1;
    return NS_OK;
bad:
    return ns_error_field(err, NS_ERR_INVALID, "cursor",
                          "cursor \"%.64s\" is malformed; expected the "
                          "next_cursor of a previous page (risk:id)",
                          x->q->cursor);
}

static enum ns_err list_sql(const struct list_ctx *x, struct ns_buf *b)
{
    const struct store_list_query *q = x->q;
    enum ns_err rc;

    rc = ns_buf_printf(b, "SELECT %s FROM appointments WHERE 1 = 1",
                       store_appt_cols);
    if (rc == NS_OK && q->has_status)
        rc = ns_buf_puts(b, " AND status = ?");
    if (rc == NS_OK && !isnan(q->min_risk))
        rc = ns_buf_puts(b, " AND risk >= ?");
    if (rc == NS_OK && q->has_from)
        rc = ns_buf_puts(b, " AND appt_day >= ?");
    if (rc == NS_OK && q->has_to)
        rc = ns_buf_puts(b, " AND appt_day <= ?");
    if (rc == NS_OK && q->specialty != NULL)
        rc = ns_buf_puts(b, " AND specialty = ?");
    if (rc == NS_OK && x->has_cursor)
        rc = ns_buf_puts(b, " AND (risk < ? OR (risk = ? AND id > ?))");
    if (rc == NS_OK)
        rc = ns_buf_puts(b, " ORDER BY risk DESC, id ASC LIMIT ?");
    return rc;
}

static void list_bind(struct store *s, struct store_stmt *st,
                      const struct list_ctx *x)
{
    const struct store_list_query *q = x->q;
    const struct store_driver *d = s->drv;
    int i = 1;

    if (q->has_status)
        d->bind_text(st, i++, store_status_name(q->status));
    if (!isnan(q->min_risk))
        d->bind_double(st, i++, q->min_risk);
    if (q->has_from)
        d->bind_int(st, i++, q->from_day);
    if (q->has_to)
        d->bind_int(st, i++, q->to_day);
    if (q->specialty != NULL)
        d->bind_text(st, i++, q->specialty);
    if (x->has_cursor) {
        d->bind_double(st, i++, x->cur_risk);
        d->bind_double(st, i++, x->cur_risk);
        d->bind_int(st, i++, x->cur_id);
    }
    d->bind_int(st, i, q->limit + 1);  /* one more: is there a next page */
}

static enum ns_err next_cursor(struct store_appt_page *p,
                               struct ns_error *err)
{
    const struct store_appt *last = &p->items[p->n - 1];
    char buf[64];

    snprintf(buf, sizeof(buf), "%.17g:%lld", last->risk,
             (long long)last->id);
    p->next_cursor = strdup(buf);
    if (p->next_cursor == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    return NS_OK;
}

static enum ns_err list_conn(struct store *s, struct store_conn *c,
                             void *vctx, struct ns_error *err)
{
    struct list_ctx *x = vctx;
    struct store_appt_page *p = x->out;
    struct ns_buf sql = NS_BUF_INIT;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    p->items = calloc((size_t)x->q->limit, sizeof(*p->items));
    if (p->items == NULL || list_sql(x, &sql) != NS_OK) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
        goto out;
    }
    rc = s->drv->prepare(c, sql.data, 0, &st, err);
    if (rc != NS_OK)
        goto out;
    list_bind(s, st, x);
    rc = s->drv->step(st, err);
    while (rc == NS_OK && p->n < (size_t)x->q->limit) {
        rc = store_read_appt(s, st, &p->items[p->n], err);
        if (rc != NS_OK)
            break;
        p->n++;
        rc = s->drv->step(st, err);
    }
    if (rc == NS_OK)  /* a row beyond the limit: another page follows */
        rc = next_cursor(p, err);
    else if (rc == NS_DONE)
        rc = NS_OK;
out:
    s->drv->finalize(st);
    ns_buf_free(&sql);
    return rc;
}

enum ns_err store_g_appt_list(struct store *s,
                              const struct store_list_query *q,
                              struct store_appt_page *out,
                              struct ns_error *err)
{
    struct list_ctx x = {q, out, 0, 0.0, 0};
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (q->limit < 1 || q->limit > LIST_MAX)
        return ns_error_field(err, NS_ERR_INVALID, "limit",
                              "limit %d is outside 1..%d", q->limit,
                              LIST_MAX);
    rc = parse_cursor(&x, err);
    if (rc != NS_OK)
        return rc;
    rc = store_with_conn(s, list_conn, &x, err);
    if (rc != NS_OK)
        store_appt_page_free(out);
    return rc;
}

/* === History === */

struct hist_ctx {
    const char *patient;
    int64_t t;
    int32_t day;
    int32_t appt_day;
    struct store_history *out;
};

/* One pass over the patient's rows through the (patient_ref, ...)
 * indexes; each count is a conditional sum (see struct store_history).
 * The last column is the day of the latest earlier booking; ties of
 * instant take the later day, as the in-memory index does. Two index
 * seeks in the same statement, so a booking costs one round trip. */
static const char hist_sql[] =
    "SELECT"
    " COALESCE(SUM(CASE WHEN label IS NOT NULL AND appt_day < ?"
    "   THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN label = 1 AND appt_day < ?"
    "   THEN 1 ELSE 0 END), 0),"
    " MAX(CASE WHEN label IS NOT NULL AND appt_day < ?"
    "   THEN appt_day END),"
    " COALESCE(SUM(CASE WHEN booked_at < ? AND appt_day >= ?"
    "   THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN booked_at < ? AND booked_at > ?"
    "   THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN booked_at < ? AND booked_at >= ?"
    "   THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN booked_at < ? AND appt_day = ?"
    "   THEN 1 ELSE 0 END), 0),"
    " MAX(CASE WHEN booked_at < ? THEN booked_at END),"
    " (SELECT MAX(p.appt_day) FROM appointments p"
    "   WHERE p.patient_ref = ? AND p.booked_at ="
    "   (SELECT MAX(q.booked_at) FROM appointments q"
    "     WHERE q.patient_ref = ? AND q.booked_at < ?))"
    " FROM appointments WHERE patient_ref = ?";

static void hist_counts(struct store *s, struct store_stmt *st,
                        struct store_history *out)
{
    out->prior_appts = s->drv->col_int(st, 0);
    out->prior_noshows = s->drv->col_int(st, 1);
    if (!s->drv->col_null(st, 2))
        out->last_prior_day = (int32_t)s->drv->col_int(st, 2);
    out->held_appts = s->drv->col_int(st, 3);
    out->bookings_30d = s->drv->col_int(st, 4);
    out->bookings_today = s->drv->col_int(st, 5);
    out->same_day_appts = s->drv->col_int(st, 6);
    if (!s->drv->col_null(st, 7))
        out->prev_booked_at = s->drv->col_int(st, 7);
    if (!s->drv->col_null(st, 8))
        out->prev_booked_for = (int32_t)s->drv->col_int(st, 8);
}

static enum ns_err hist_conn(struct store *s, struct store_conn *c,
                             void *vctx, struct ns_error *err)
{
    struct hist_ctx *x = vctx;
    struct store_stmt *st = NULL;
    int64_t d = x->day;
    enum ns_err rc;

    rc = store_query(s, c, hist_sql, 0, &st, err, "iiiiiiiiiiiittit", d, d,
                     d, x->t, d, x->t, x->t - WINDOW_30D_S, x->t, d * DAY_S,
                     x->t, (int64_t)x->appt_day, x->t, x->patient,
                     x->patient, x->t, x->patient);
    if (rc == NS_OK)
        hist_counts(s, st, x->out);
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_g_history(struct store *s, const char *patient,
                            int64_t booked_at, int32_t appt_day,
                            struct store_history *out, struct ns_error *err)
{
    struct hist_ctx x = {patient, booked_at, 0, appt_day, out};

    memset(out, 0, sizeof(*out));
    out->last_prior_day = INT32_MIN;
    out->prev_booked_at = INT64_MIN;
    out->prev_booked_for = INT32_MIN;
    if (patient == NULL || patient[0] == '\0' || booked_at == INT64_MIN)
        return NS_OK;
    x.day = ns_day_of(booked_at);
    out->day = x.day;
    if (appt_day < x.day)
        return ns_error_field(err, NS_ERR_INVALID, "appt_day",
                              "appointment day %ld is before its booking "
                              "day %ld; expected the same day or later",
                              (long)appt_day, (long)x.day);
    return store_with_conn(s, hist_conn, &x, err);
}

/* === Streams === */

struct stream_ctx {
    int labelled_only;
    int64_t since_ms;
    store_train_fn train;
    store_event_fn event;
    void *ctx;
};

static enum ns_err train_conn(struct store *s, struct store_conn *c,
                              void *vctx, struct ns_error *err)
{
    struct stream_ctx *x = vctx;
    const struct store_driver *d = s->drv;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, x->labelled_only
                     ? "SELECT id, patient_ref, booked_at, appt_day, label,"
                       " input, model_version, risk FROM appointments"
                       " WHERE label IS NOT NULL ORDER BY booked_at, id"
                     : "SELECT id, patient_ref, booked_at, appt_day, label,"
                       " input, model_version, risk FROM appointments"
                       " ORDER BY booked_at, id", 1, &st, err, "");
    while (rc == NS_OK) {
        struct store_train_row r = {
            .id = d->col_int(st, 0),
            .patient_ref = d->col_text(st, 1),
            .booked_at = d->col_int(st, 2),
            .appt_day = (int32_t)d->col_int(st, 3),
            .label = d->col_null(st, 4) ? -1 : (int)d->col_int(st, 4),
            .input_json = d->col_text(st, 5),
            .model_version = d->col_text(st, 6),
            .risk = d->col_null(st, 7) ? NAN : d->col_double(st, 7),
        };

        rc = x->train(x->ctx, &r, err);
        if (rc == NS_OK)
            rc = d->step(st, err);
    }
    d->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_g_train_rows(struct store *s, int labelled_only,
                               store_train_fn fn, void *ctx,
                               struct ns_error *err)
{
    struct stream_ctx x = {labelled_only, 0, fn, NULL, ctx};

    return store_with_conn(s, train_conn, &x, err);
}

static enum ns_err events_conn(struct store *s, struct store_conn *c,
                               void *vctx, struct ns_error *err)
{
    struct stream_ctx *x = vctx;
    const struct store_driver *d = s->drv;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT id, appointment_id, at_ms, kind, actor,"
                     " detail FROM events WHERE at_ms >= ? ORDER BY id", 1,
                     &st, err, "i", x->since_ms);
    while (rc == NS_OK) {
        struct store_event ev = {
            .id = d->col_int(st, 0),
            .appointment_id = d->col_null(st, 1) ? 0 : d->col_int(st, 1),
            .at_ms = d->col_int(st, 2),
            .kind = d->col_text(st, 3),
            .actor = d->col_text(st, 4),
            .detail_json = d->col_text(st, 5),
        };

        rc = x->event(x->ctx, &ev, err);
        if (rc == NS_OK)
            rc = d->step(st, err);
    }
    d->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_g_events_since(struct store *s, int64_t since_ms,
                                 store_event_fn fn, void *ctx,
                                 struct ns_error *err)
{
    struct stream_ctx x = {0, since_ms, NULL, fn, ctx};

    return store_with_conn(s, events_conn, &x, err);
}
