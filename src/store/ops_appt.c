/* Booking with idempotency, feature columns, and reading appointments
 * back: written once against the driver, for both backends. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define COL_NAME_MAX 64
#define BOOK_TRIES 3

/* === Feature columns === */

struct cols_ctx {
    const char *const *names;
    const enum store_col_type *types;
    size_t n;
};

static enum ns_err ensure_one(struct store *s, struct store_conn *c,
                              const char *name, enum store_col_type type,
                              struct ns_error *err)
{
    static const char *const tname[2][2] = {{"REAL", "TEXT"},
                                            {"DOUBLE", "MEDIUMTEXT"}};
    struct store_stmt *st = NULL;
    const char *want = type == STORE_COL_TEXT ? "TEXT" : "REAL";
    char col[COL_NAME_MAX];
    char sql[160];
    enum ns_err rc;

    rc = store_column_name(name, col, sizeof(col), err);
    if (rc != NS_OK)
        return rc;
    rc = store_query(s, c, "SELECT col_type FROM schema_columns"
                     " WHERE name = ?", 0, &st, err, "t", col);
    if (rc == NS_OK) {
        const char *have = s->drv->col_text(st, 0);

        if (have == NULL || strcmp(have, want) != 0)
            rc = ns_error_field(err, NS_ERR_CONFLICT, name,
                                "feature column %s exists as %s; "
                                "the schema asks for %s", col,
                                have ? have : "?", want);
        s->drv->finalize(st);
        return rc;
    }
    s->drv->finalize(st);
    if (rc != NS_DONE)
        return rc;

    /* Identifiers cannot be bound; col holds only [a-z0-9_]. */
    snprintf(sql, sizeof(sql), "ALTER TABLE appointments ADD COLUMN%s %s %s",
             s->dialect == STORE_MYSQL ? " IF NOT EXISTS" : "", col,
             tname[s->dialect == STORE_MYSQL][type == STORE_COL_TEXT]);
    rc = s->drv->exec(c, sql, err);
    if (rc != NS_OK)
        return rc;
    return store_run(s, c, s->dialect == STORE_MYSQL
                               ? "INSERT IGNORE INTO schema_columns"
                                 " (name, col_type, added_at)"
                                 " VALUES (?, ?, ?)"
                               : "INSERT OR IGNORE INTO schema_columns"
                                 " (name, col_type, added_at)"
                                 " VALUES (?, ?, ?)",
                     NULL, err, "tti", col, want,
                     (int64_t)time(NULL) * 1000);
}

static enum ns_err cols_tx(struct store *s, struct store_conn *c,
                           void *vctx, struct ns_error *err)
{
    struct cols_ctx *x = vctx;
    enum ns_err rc = NS_OK;

    for (size_t i = 0; rc == NS_OK && i < x->n; i++)
        rc = ensure_one(s, c, x->names[i], x->types[i], err);
    return rc;
}

enum ns_err store_g_ensure_columns(struct store *s,
                                   const char *const *names,
                                   const enum store_col_type *types,
                                   size_t n, struct ns_error *err)
{
    struct cols_ctx x = {names, types, n};

    return store_in_tx(s, cols_tx, &x, err);
}

enum ns_err store_feature_columns(struct store *s, struct store_conn *c,
                                  char ***names, size_t *n,
                                  struct ns_error *err)
{
    struct store_stmt *st = NULL;
    char **v = NULL;
    size_t cnt = 0;
    enum ns_err rc;

    *names = NULL;
    *n = 0;
    rc = store_query(s, c, "SELECT name FROM schema_columns ORDER BY name",
                     0, &st, err, "");
    while (rc == NS_OK) {
        char **p = realloc(v, (cnt + 1) * sizeof(*v));

        if (p == NULL || (v = p, store_col_dup(s, st, 0, &v[cnt]) != NS_OK)
            || v[cnt] == NULL) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
            break;
        }
        cnt++;
        rc = s->drv->step(st, err);
    }
    s->drv->finalize(st);
    if (rc != NS_DONE) {
        for (size_t i = 0; i < cnt; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    *names = v;
    *n = cnt;
    return NS_OK;
}

/* === Booking === */

struct book_ctx {
    const struct store_appt_new *a;
    const struct store_idem *idem;
    store_respond_fn respond;
    void *rctx;
    struct store_book_result *res;
    int dup_idem;
};

static enum ns_err read_idem(struct store *s, struct store_conn *c,
                             void *vctx, struct ns_error *err)
{
    struct book_ctx *x = vctx;
    struct store_stmt *st = NULL;
    const char *hash;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT request_hash, appointment_id, response,"
                     " status_code FROM idempotency WHERE idem_key = ?", 0,
                     &st, err, "t", x->idem->key);
    if (rc == NS_DONE) {
        rc = ns_error_field(err, NS_ERR_NOT_FOUND, "Idempotency-Key",
                            "Idempotency-Key not seen before");
        goto out;
    }
    if (rc != NS_OK)
        goto out;
    hash = s->drv->col_text(st, 0);
    if (hash == NULL || strcmp(hash, x->idem->request_hash) != 0) {
        rc = ns_error_field(err, NS_ERR_CONFLICT, "Idempotency-Key",
                            "Idempotency-Key was already used with a "
                            "different request body; expected the same "
                            "body as the first request or a new key");
        goto out;
    }
    x->res->id = s->drv->col_int(st, 1);
    x->res->status_code = (int)s->drv->col_int(st, 3);
    x->res->replayed = 1;
    if (store_col_dup(s, st, 2, &x->res->response_json) != NS_OK)
        rc = ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
out:
    s->drv->finalize(st);
    return rc;
}

/* The INSERT text: fixed columns, then the sanitised feature columns. */
static enum ns_err insert_sql(const struct store_appt_new *a,
                              struct ns_buf *b, struct ns_error *err)
{
    char col[COL_NAME_MAX];
    enum ns_err rc;

    rc = ns_buf_puts(b, "INSERT INTO appointments (ext_id, patient_ref,"
                     " booked_at, appt_day, appt_time, specialty, status,"
                     " risk, band, model_version, reasons, input,"
                     " created_at, updated_at, days_between, number_days");
    for (size_t i = 0; rc == NS_OK && i < a->n_features; i++) {
        rc = store_column_name(a->feature_names[i], col, sizeof(col), err);
        if (rc != NS_OK)
            return rc;
        rc = ns_buf_printf(b, ", %s", col);
    }
    if (rc == NS_OK)
        rc = ns_buf_puts(b, ") VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?,"
                         " ?, ?, ?, ?, ?, ?, ?");
    for (size_t i = 0; rc == NS_OK && i < a->n_features; i++)
        rc = ns_buf_puts(b, ", ?");
    if (rc == NS_OK)
        rc = ns_buf_puts(b, ")");
    if (rc != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    return NS_OK;
}

static void bind_opt_text(struct store *s, struct store_stmt *st, int i,
                          const char *v)
{
    if (v == NULL)
        s->drv->bind_null(st, i);
    else
        s->drv->bind_text(st, i, v);
}

/* Days from the booking's (UTC) day to the appointment's, as the lead
 * time of the feature path counts them. */
static int64_t number_days(const struct store_appt_new *a)
{
    return (int64_t)a->appt_day - ns_day_of(a->booked_at);
}

static void bind_appt(struct store *s, struct store_stmt *st,
                      const struct store_appt_new *a)
{
    const struct store_driver *d = s->drv;
    int i = 1;

    bind_opt_text(s, st, i++, a->ext_id);
    bind_opt_text(s, st, i++, a->patient_ref);
    d->bind_int(st, i++, a->booked_at);
    d->bind_int(st, i++, a->appt_day);
    if (a->appt_time < 0)
        d->bind_null(st, i++);
    else
        d->bind_int(st, i++, a->appt_time);
    bind_opt_text(s, st, i++, a->specialty);
    d->bind_double(st, i++, a->risk);
    bind_opt_text(s, st, i++, a->band);
    bind_opt_text(s, st, i++, a->model_version);
    bind_opt_text(s, st, i++, a->reasons_json);
    bind_opt_text(s, st, i++, a->input_json);
    d->bind_int(st, i++, a->now_ms);
    d->bind_int(st, i++, a->now_ms);
    if (a->has_days_between)
        d->bind_int(st, i++, a->days_between);
    else
        d->bind_null(st, i++);
    d->bind_int(st, i++, number_days(a));
    for (size_t f = 0; f < a->n_features; f++, i++) {
        const struct store_value *v = &a->feature_values[f];

        if (v->type == STORE_COL_TEXT)
            bind_opt_text(s, st, i, v->text);
        else if (isnan(v->num))
            d->bind_null(st, i);
        else
            d->bind_double(st, i, v->num);
    }
}

static enum ns_err insert_appt(struct store *s, struct store_conn *c,
                               const struct store_appt_new *a, int64_t *id,
                               struct ns_error *err)
{
    struct ns_buf sql = NS_BUF_INIT;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = insert_sql(a, &sql, err);
    if (rc == NS_OK)
        rc = s->drv->prepare(c, sql.data, 0, &st, err);
    if (rc != NS_OK)
        goto out;
    bind_appt(s, st, a);
    rc = s->drv->step(st, err);
    if (rc == NS_DONE) {
        rc = NS_OK;
        *id = s->drv->last_id(st);
    } else if (rc == NS_ERR_CONFLICT) {
        rc = ns_error_field(err, NS_ERR_CONFLICT, "ext_id",
                            "appointment id \"%.64s\" is already booked; "
                            "expected a new appointment id", a->ext_id);
    }
out:
    s->drv->finalize(st);
    ns_buf_free(&sql);
    return rc;
}

enum ns_err store_event_add(struct store *s, struct store_conn *c,
                            int64_t appt_id, int64_t at_ms,
                            const char *kind, const char *actor,
                            const char *detail, struct ns_error *err)
{
    return store_run(s, c, "INSERT INTO events (appointment_id, at_ms,"
                     " kind, actor, detail) VALUES (?, ?, ?, ?, ?)", NULL,
                     err, "Iittt", appt_id, at_ms, kind, actor, detail);
}

static enum ns_err book_tx(struct store *s, struct store_conn *c,
                           void *vctx, struct ns_error *err)
{
    struct book_ctx *x = vctx;
    const struct store_appt_new *a = x->a;
    char *resp = NULL;
    int status = 0;
    int64_t id = 0;
    enum ns_err rc = NS_OK;

    /* The key row goes first: a concurrent booking with the same key
     * waits on it and then fails, before doing any other work. */
    if (x->idem != NULL) {
        rc = store_run(s, c, "INSERT INTO idempotency (idem_key,"
                       " request_hash, created_at) VALUES (?, ?, ?)", NULL,
                       err, "tti", x->idem->key, x->idem->request_hash,
                       a->now_ms);
        if (rc == NS_ERR_CONFLICT)
            x->dup_idem = 1;
    }
    if (rc == NS_OK)
        rc = insert_appt(s, c, a, &id, err);
    for (size_t i = 0; rc == NS_OK && i < a->n_events; i++)
        rc = store_event_add(s, c, id, a->now_ms, a->events[i].kind,
                             a->events[i].actor, a->events[i].detail_json,
                             err);
    if (rc != NS_OK || x->idem == NULL)
        goto out;
    rc = x->respond(x->rctx, id, &resp, &status, err);
    if (rc == NS_OK)
        rc = store_run(s, c, "UPDATE idempotency SET appointment_id = ?,"
                       " response = ?, status_code = ? WHERE idem_key = ?",
                       NULL, err, "itit", id, resp, (int64_t)status,
                       x->idem->key);
out:
    if (rc == NS_OK) {
        x->res->id = id;
        x->res->response_json = resp;
        x->res->status_code = status;
        return NS_OK;
    }
    free(resp);
    return rc;
}

static enum ns_err check_new(const struct store_appt_new *a,
                             const struct store_idem *idem,
                             store_respond_fn respond, struct ns_error *err)
{
    if (!(a->risk >= 0.0 && a->risk <= 1.0))
        return ns_error_field(err, NS_ERR_INVALID, "risk",
                              "risk %g is outside 0..1", a->risk);
    if (a->n_features > 0 &&
        (a->feature_names == NULL || a->feature_values == NULL))
        return ns_error_field(err, NS_ERR_INVALID, "features",
                              "%zu feature values without names or values",
                              a->n_features);
    if (idem != NULL && (idem->key == NULL || idem->request_hash == NULL ||
                         respond == NULL))
        return ns_error_field(err, NS_ERR_INVALID, "Idempotency-Key",
                              "an idempotent booking needs a key, a "
                              "request hash and a response builder");
    return NS_OK;
}

enum ns_err store_g_book(struct store *s, const struct store_appt_new *a,
                         const struct store_idem *idem,
                         store_respond_fn respond, void *rctx,
                         struct store_book_result *res,
                         struct ns_error *err)
{
    struct book_ctx x = {a, idem, respond, rctx, res, 0};
    enum ns_err rc;

    memset(res, 0, sizeof(*res));
    rc = check_new(a, idem, respond, err);
    if (rc != NS_OK)
        return rc;
    for (int tries = 0; tries < BOOK_TRIES; tries++) {
        if (idem != NULL) {
            rc = store_with_conn(s, read_idem, &x, err);
            if (rc != NS_ERR_NOT_FOUND)
                return rc;
        }
        x.dup_idem = 0;
        rc = store_in_tx_retry(s, book_tx, &x, err);

        /* Another replica committed the same key between our read and
         * our insert: read its row again. */
        if (!(rc == NS_ERR_CONFLICT && x.dup_idem))
            return rc;
    }
    return rc;
}

enum ns_err store_g_idem_lookup(struct store *s,
                                const struct store_idem *idem,
                                struct store_book_result *res,
                                struct ns_error *err)
{
    struct book_ctx x = {NULL, idem, NULL, NULL, res, 0};

    memset(res, 0, sizeof(*res));
    return store_with_conn(s, read_idem, &x, err);
}

/* === Reading appointments === */

const char *const store_appt_cols =
    "id, ext_id, patient_ref, booked_at, appt_day, appt_time, specialty,"
    " status, label, risk, band, model_version, reasons,"
    " notification_message, input, outcome_at, created_at, updated_at";

static int64_t int_or(struct store *s, struct store_stmt *st, int col,
                      int64_t dflt)
{
    return s->drv->col_null(st, col) ? dflt : s->drv->col_int(st, col);
}

enum ns_err store_read_appt(struct store *s, struct store_stmt *st,
                            struct store_appt *a, struct ns_error *err)
{
    const struct store_driver *d = s->drv;
    int status = 0;
    int bad = 0;

    memset(a, 0, sizeof(*a));
    a->id = d->col_int(st, 0);
    bad |= store_col_dup(s, st, 1, &a->ext_id) != NS_OK;
    bad |= store_col_dup(s, st, 2, &a->patient_ref) != NS_OK;
    a->booked_at = d->col_int(st, 3);
    a->appt_day = (int32_t)d->col_int(st, 4);
    a->appt_time = int_or(s, st, 5, -1);
    bad |= store_col_dup(s, st, 6, &a->specialty) != NS_OK;
    if (store_status_parse(d->col_text(st, 7), &a->status, NULL) != NS_OK)
        status = -1;
    a->label = (int)int_or(s, st, 8, -1);
    a->risk = d->col_null(st, 9) ? NAN : d->col_double(st, 9);
    bad |= store_col_dup(s, st, 10, &a->band) != NS_OK;
    bad |= store_col_dup(s, st, 11, &a->model_version) != NS_OK;
    bad |= store_col_dup(s, st, 12, &a->reasons_json) != NS_OK;
    bad |= store_col_dup(s, st, 13, &a->notification_message) != NS_OK;
    bad |= store_col_dup(s, st, 14, &a->input_json) != NS_OK;
    a->outcome_at = int_or(s, st, 15, -1);
    a->created_at_ms = d->col_int(st, 16);
    a->updated_at_ms = d->col_int(st, 17);
    if (bad) {
        store_appt_free(a);
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    }
    if (status < 0) {
        store_appt_free(a);
        return ns_error_field(err, NS_ERR_LIB, "status",
                              "appointment %lld has an unknown status in "
                              "the database", (long long)a->id);
    }
    return NS_OK;
}

/* The events of one appointment as a JSON array; details are embedded
 * as JSON when they parse, as strings otherwise. */
static enum ns_err events_json(struct store *s, struct store_conn *c,
                               int64_t id, char **out, struct ns_error *err)
{
    struct store_stmt *st = NULL;
    json_t *arr = json_array();
    enum ns_err rc;

    if (arr == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    rc = store_query(s, c, "SELECT id, at_ms, kind, actor, detail FROM"
                     " events WHERE appointment_id = ? ORDER BY id", 0, &st,
                     err, "i", id);
    while (rc == NS_OK) {
        const char *detail = s->drv->col_text(st, 4);
        json_t *d = detail ? json_loads(detail, 0, NULL) : json_null();
        json_t *ev;

        if (d == NULL)
            d = json_string(detail);
        ev = json_pack("{s:I, s:I, s:s?, s:s?, s:o?}", "id",
                       (json_int_t)s->drv->col_int(st, 0), "at_ms",
                       (json_int_t)s->drv->col_int(st, 1), "kind",
                       s->drv->col_text(st, 2), "actor",
                       s->drv->col_text(st, 3), "detail", d);
        if (ev == NULL || json_array_append_new(arr, ev) != 0) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
            break;
        }
        rc = s->drv->step(st, err);
    }
    s->drv->finalize(st);
    if (rc == NS_DONE) {
        *out = json_dumps(arr, JSON_COMPACT);
        rc = *out ? NS_OK
                  : ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    }
    json_decref(arr);
    return rc;
}

struct get_ctx {
    int64_t id;
    struct store_appt *out;
};

static enum ns_err get_conn(struct store *s, struct store_conn *c,
                            void *vctx, struct ns_error *err)
{
    struct get_ctx *x = vctx;
    struct store_stmt *st = NULL;
    char sql[512];
    enum ns_err rc;

    snprintf(sql, sizeof(sql), "SELECT %s FROM appointments WHERE id = ?",
             store_appt_cols);
    rc = store_query(s, c, sql, 0, &st, err, "i", x->id);
    if (rc == NS_DONE)
        rc = ns_error_field(err, NS_ERR_NOT_FOUND, "id",
                            "appointment %lld does not exist",
                            (long long)x->id);
    if (rc == NS_OK)
        rc = store_read_appt(s, st, x->out, err);
    s->drv->finalize(st);
    if (rc != NS_OK)
        return rc;
    rc = events_json(s, c, x->id, &x->out->events_json, err);
    if (rc != NS_OK)
        store_appt_free(x->out);
    return rc;
}

enum ns_err store_g_appt_get(struct store *s, int64_t id,
                             struct store_appt *out, struct ns_error *err)
{
    struct get_ctx x = {id, out};

    memset(out, 0, sizeof(*out));
    return store_with_conn(s, get_conn, &x, err);
}
