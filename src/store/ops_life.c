/* An appointment's life after booking: outcome, notification,
 * confirmation, and erasure of a patient. Each is one transaction that
 * re-reads the row it checks. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/timeutil.h"

static int is_outcome(int st)
{
    return st == STORE_HONORED || st == STORE_CANCELLED ||
           st == STORE_NO_SHOW;
}

/* Reads status and outcome_at of one appointment, locking the row on
 * MariaDB so that two concurrent outcomes cannot both pass the check
 * (SQLite's IMMEDIATE transaction already holds the write lock). */
static enum ns_err read_state(struct store *s, struct store_conn *c,
                              int64_t id, enum store_status *status,
                              int64_t *outcome_at, struct ns_error *err)
{
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, s->dialect == STORE_MYSQL
                     ? "SELECT status, outcome_at FROM appointments"
                       " WHERE id = ? FOR UPDATE"
                     : "SELECT status, outcome_at FROM appointments"
                       " WHERE id = ?", 0, &st, err, "i", id);
    if (rc == NS_DONE)
        rc = ns_error_field(err, NS_ERR_NOT_FOUND, "id",
                            "appointment %lld does not exist",
                            (long long)id);
    if (rc == NS_OK) {
        rc = store_status_parse(s->drv->col_text(st, 0), status, err);
        *outcome_at = s->drv->col_null(st, 1) ? -1
                                              : s->drv->col_int(st, 1);
    }
    s->drv->finalize(st);
    return rc;
}

/* Reads the state and refuses an appointment whose outcome is known. */
static enum ns_err read_open(struct store *s, struct store_conn *c,
                             int64_t id, const char *what,
                             enum store_status *status, struct ns_error *err)
{
    int64_t at;
    enum ns_err rc = read_state(s, c, id, status, &at, err);

    if (rc == NS_OK && is_outcome((int)*status))
        rc = ns_error_field(err, NS_ERR_CONFLICT, "id",
                            "appointment %lld already has outcome %s; it "
                            "can no longer be %s", (long long)id,
                            store_status_name(*status), what);
    return rc;
}

struct life_ctx {
    int64_t id;
    enum store_status outcome;
    int64_t outcome_at;
    const char *actor;
    const char *message;
    const char *payload;
    int64_t now_ms;
    int *repeat;
    int64_t *outbox_id;
};

static enum ns_err outcome_tx(struct store *s, struct store_conn *c,
                              void *vctx, struct ns_error *err)
{
    struct life_ctx *x = vctx;
    enum store_status cur;
    int64_t cur_at;
    int64_t label = x->outcome == STORE_NO_SHOW ? 1
                    : x->outcome == STORE_HONORED ? 0 : -1;
    char detail[160];
    enum ns_err rc;

    rc = read_state(s, c, x->id, &cur, &cur_at, err);
    if (rc != NS_OK)
        return rc;
    if (is_outcome((int)cur)) {
        if (cur == x->outcome && cur_at == x->outcome_at) {
            *x->repeat = 1;
            return NS_OK;
        }
        char was[21], now[21];

        ns_format_datetime(cur_at, was);
        ns_format_datetime(x->outcome_at, now);
        return ns_error_field(err, NS_ERR_CONFLICT, "outcome",
                              "appointment %lld already has outcome %s at "
                              "%s; a different outcome (%s at %s) "
                              "cannot replace it", (long long)x->id,
                              store_status_name(cur), was,
                              store_status_name(x->outcome), now);
    }
    rc = store_run(s, c, "UPDATE appointments SET status = ?, label = ?,"
                   " outcome_at = ?, updated_at = ? WHERE id = ?", NULL,
                   err, "tIiii", store_status_name(x->outcome), label,
                   x->outcome_at, x->now_ms, x->id);
    snprintf(detail, sizeof(detail), "{\"outcome\":\"%s\",\"at\":%lld}",
             store_status_name(x->outcome), (long long)x->outcome_at);
    if (rc == NS_OK)
        rc = store_event_add(s, c, x->id, x->now_ms, "outcome", x->actor,
                             detail, err);
    return rc;
}

enum ns_err store_g_set_outcome(struct store *s, int64_t id,
                                enum store_status outcome,
                                int64_t outcome_at, const char *actor,
                                int64_t now_ms, int *repeat,
                                struct ns_error *err)
{
    struct life_ctx x = {.id = id, .outcome = outcome,
                         .outcome_at = outcome_at, .actor = actor,
                         .now_ms = now_ms, .repeat = repeat};

    *repeat = 0;
    if (!is_outcome((int)outcome))
        return ns_error_field(err, NS_ERR_INVALID, "outcome",
                              "outcome \"%s\" is not one of honored, "
                              "cancelled, no_show",
                              store_status_name(outcome));
    return store_in_tx_retry(s, outcome_tx, &x, err);
}

static enum ns_err notify_tx(struct store *s, struct store_conn *c,
                             void *vctx, struct ns_error *err)
{
    struct life_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum store_status cur;
    enum ns_err rc;

    rc = read_open(s, c, x->id, "notified", &cur, err);
    if (rc != NS_OK)
        return rc;
    rc = store_run(s, c, "UPDATE appointments SET notification_message = ?,"
                   " status = 'pending_confirmation', updated_at = ?"
                   " WHERE id = ?", NULL, err, "tii", x->message,
                   x->now_ms, x->id);
    if (rc != NS_OK)
        return rc;
    rc = store_query(s, c, "INSERT INTO outbox (appointment_id, payload,"
                     " state, attempts, next_attempt_ms, updated_at)"
                     " VALUES (?, ?, 'pending', 0, ?, ?)", 0, &st, err,
                     "itii", x->id, x->payload, x->now_ms, x->now_ms);
    if (st != NULL)
        *x->outbox_id = s->drv->last_id(st);
    s->drv->finalize(st);
    if (rc != NS_OK && rc != NS_DONE)
        return rc;
    return store_event_add(s, c, x->id, x->now_ms, "notified", x->actor,
                           NULL, err);
}

enum ns_err store_g_notify(struct store *s, int64_t id, const char *message,
                           const char *payload_json, const char *actor,
                           int64_t now_ms, int64_t *outbox_id,
                           struct ns_error *err)
{
    struct life_ctx x = {.id = id, .message = message,
                         .payload = payload_json, .actor = actor,
                         .now_ms = now_ms, .outbox_id = outbox_id};

    *outbox_id = 0;
    if (message == NULL || payload_json == NULL)
        return ns_error_field(err, NS_ERR_INVALID, "message",
                              "a notification needs a message and a "
                              "delivery payload");
    return store_in_tx_retry(s, notify_tx, &x, err);
}

static enum ns_err confirm_tx(struct store *s, struct store_conn *c,
                              void *vctx, struct ns_error *err)
{
    struct life_ctx *x = vctx;
    enum store_status cur;
    enum ns_err rc;

    rc = read_open(s, c, x->id, "confirmed", &cur, err);
    if (rc != NS_OK)
        return rc;
    if (cur == STORE_CONFIRMED) {
        *x->repeat = 1;
        return NS_OK;
    }
    rc = store_run(s, c, "UPDATE appointments SET status = 'confirmed',"
                   " updated_at = ? WHERE id = ?", NULL, err, "ii",
                   x->now_ms, x->id);
    if (rc == NS_OK)
        rc = store_event_add(s, c, x->id, x->now_ms, "confirmed", x->actor,
                             NULL, err);
    return rc;
}

enum ns_err store_g_confirm(struct store *s, int64_t id, const char *actor,
                            int64_t now_ms, int *repeat,
                            struct ns_error *err)
{
    struct life_ctx x = {.id = id, .actor = actor, .now_ms = now_ms,
                         .repeat = repeat};

    *repeat = 0;
    return store_in_tx_retry(s, confirm_tx, &x, err);
}

/* === Erasure === */

/* LIMITATION: erasure reaches this database only. Event traces already
 * exported (noshow export), database backups, and models trained while
 * the patient's rows were present keep what they hold until they are
 * rotated or retrained. Reaching them needs an erasure log that exports,
 * backups and retraining consult. */

struct erase_ctx {
    const char *patient;
    const char *actor;
    int64_t now_ms;
    int64_t *n;
};

/* "UPDATE appointments SET <personal> = NULL, f_... = NULL". */
static enum ns_err erase_sql(struct store *s, struct store_conn *c,
                             struct ns_buf *b, struct ns_error *err)
{
    char **cols = NULL;
    size_t n = 0;
    enum ns_err rc;

    rc = store_feature_columns(s, c, &cols, &n, err);
    if (rc != NS_OK)
        return rc;
    rc = ns_buf_puts(b, "UPDATE appointments SET patient_ref = NULL,"
                     " ext_id = NULL, input = NULL, reasons = NULL,"
                     " notification_message = NULL, updated_at = ?");
    for (size_t i = 0; i < n; i++) {
        if (rc == NS_OK)
            rc = ns_buf_printf(b, ", %s = NULL", cols[i]);
        free(cols[i]);
    }
    free(cols);
    if (rc == NS_OK)
        rc = ns_buf_puts(b, " WHERE id = ?");
    if (rc != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    return NS_OK;
}

static enum ns_err erase_ids(struct store *s, struct store_conn *c,
                             const char *patient, int64_t **ids, size_t *n,
                             struct ns_error *err)
{
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT id FROM appointments WHERE"
                     " patient_ref = ? ORDER BY id", 0, &st, err, "t",
                     patient);
    while (rc == NS_OK) {
        int64_t *p = realloc(*ids, (*n + 1) * sizeof(**ids));

        if (p == NULL) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
            break;
        }
        *ids = p;
        p[(*n)++] = s->drv->col_int(st, 0);
        rc = s->drv->step(st, err);
    }
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

static enum ns_err erase_one(struct store *s, struct store_conn *c,
                             const struct erase_ctx *x, const char *sql,
                             int64_t id, struct ns_error *err)
{
    char replay[64];
    enum ns_err rc;

    rc = store_run(s, c, "UPDATE events SET detail = NULL"
                   " WHERE appointment_id = ?", NULL, err, "i", id);
    if (rc == NS_OK)
        rc = store_run(s, c, "UPDATE outbox SET payload = NULL,"
                       " state = CASE WHEN state IN ('pending',"
                       " 'delivering') THEN 'failed' ELSE state END,"
                       " last_error = CASE WHEN state IN ('pending',"
                       " 'delivering') THEN 'patient erased'"
                       " ELSE last_error END, updated_at = ?"
                       " WHERE appointment_id = ?", NULL, err, "ii",
                       x->now_ms, id);
    if (rc == NS_OK)
        rc = store_run(s, c, sql, NULL, err, "ii", x->now_ms, id);
    /* A stored booking answer repeats the input's reasons; a replay of
     * its Idempotency-Key now gets the id and the erasure only. */
    snprintf(replay, sizeof(replay), "{\"id\":%lld,\"status\":\"erased\"}",
             (long long)id);
    if (rc == NS_OK)
        rc = store_run(s, c, "UPDATE idempotency SET response = ?"
                       " WHERE appointment_id = ? AND response IS NOT NULL",
                       NULL, err, "ti", replay, id);
    if (rc == NS_OK)
        rc = store_event_add(s, c, id, x->now_ms, "erased", x->actor, NULL,
                             err);
    return rc;
}

static enum ns_err erase_tx(struct store *s, struct store_conn *c,
                            void *vctx, struct ns_error *err)
{
    struct erase_ctx *x = vctx;
    struct ns_buf sql = NS_BUF_INIT;
    int64_t *ids = NULL;
    size_t n = 0;
    enum ns_err rc;

    rc = erase_ids(s, c, x->patient, &ids, &n, err);
    if (rc == NS_OK)
        rc = erase_sql(s, c, &sql, err);
    for (size_t i = 0; rc == NS_OK && i < n; i++)
        rc = erase_one(s, c, x, sql.data, ids[i], err);
    if (rc == NS_OK)
        *x->n = (int64_t)n;
    free(ids);
    ns_buf_free(&sql);
    return rc;
}

enum ns_err store_g_erase_patient(struct store *s, const char *patient_ref,
                                  const char *actor, int64_t now_ms,
                                  int64_t *n_erased, struct ns_error *err)
{
    struct erase_ctx x = {patient_ref, actor, now_ms, n_erased};

    *n_erased = 0;
    if (patient_ref == NULL || patient_ref[0] == '\0')
        return ns_error_field(err, NS_ERR_INVALID, "patient",
                              "an erasure needs a patient reference");
    return store_in_tx(s, erase_tx, &x, err);
}
