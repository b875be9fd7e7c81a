/* Public entry points: each dispatches through the backend's operation
 * table, plus the destructors of the result structs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void store_book_result_free(struct store_book_result *r)
{
    if (r == NULL)
        return;
    free(r->response_json);
    r->response_json = NULL;
}

void store_appt_free(struct store_appt *a)
{
    if (a == NULL)
        return;
    free(a->ext_id);
    free(a->patient_ref);
    free(a->specialty);
    free(a->band);
    free(a->model_version);
    free(a->reasons_json);
    free(a->notification_message);
    free(a->input_json);
    free(a->events_json);
    memset(a, 0, sizeof(*a));
}

void store_appt_page_free(struct store_appt_page *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        store_appt_free(&p->items[i]);
    free(p->items);
    free(p->next_cursor);
    memset(p, 0, sizeof(*p));
}

void store_model_free(struct store_model *m)
{
    if (m == NULL)
        return;
    free(m->version);
    free(m->parent);
    free(m->metrics_json);
    free(m->fingerprint);
    free(m->bundle);
    memset(m, 0, sizeof(*m));
}

void store_model_list_free(struct store_model_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        store_model_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void store_outbox_job_free(struct store_outbox_job *j)
{
    if (j == NULL)
        return;
    free(j->payload_json);
    memset(j, 0, sizeof(*j));
}

void store_outbox_list_free(struct store_outbox_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].last_error);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void store_key_list_free(struct store_key_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].label);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void store_listed_free(struct store_listed *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        store_appt_free(&l->items[i].appt);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

enum ns_err store_ensure_schema_columns(struct store *s,
                                        const char *const *names,
                                        const enum store_col_type *types,
                                        size_t n, struct ns_error *err)
{
    return s->ops->ensure_schema_columns(s, names, types, n, err);
}

enum ns_err store_book(struct store *s, const struct store_appt_new *a,
                       const struct store_idem *idem,
                       store_respond_fn respond, void *ctx,
                       struct store_book_result *result,
                       struct ns_error *err)
{
    return s->ops->book(s, a, idem, respond, ctx, result, err);
}

enum ns_err store_idem_lookup(struct store *s, const struct store_idem *idem,
                              struct store_book_result *r,
                              struct ns_error *err)
{
    return s->ops->idem_lookup(s, idem, r, err);
}

enum ns_err store_appt_get(struct store *s, int64_t id,
                           struct store_appt *out, struct ns_error *err)
{
    return s->ops->appt_get(s, id, out, err);
}

enum ns_err store_appt_list(struct store *s,
                            const struct store_list_query *q,
                            struct store_appt_page *out,
                            struct ns_error *err)
{
    return s->ops->appt_list(s, q, out, err);
}

enum ns_err store_set_outcome(struct store *s, int64_t id,
                              enum store_status outcome, int64_t outcome_at,
                              const char *actor, int64_t now_ms,
                              int *repeat, struct ns_error *err)
{
    return s->ops->set_outcome(s, id, outcome, outcome_at, actor, now_ms,
                               repeat, err);
}

enum ns_err store_notify(struct store *s, int64_t id, const char *message,
                         const char *payload_json, const char *actor,
                         int64_t now_ms, int64_t *outbox_id,
                         struct ns_error *err)
{
    return s->ops->notify(s, id, message, payload_json, actor, now_ms,
                          outbox_id, err);
}

enum ns_err store_confirm(struct store *s, int64_t id, const char *actor,
                          int64_t now_ms, int *repeat, struct ns_error *err)
{
    return s->ops->confirm(s, id, actor, now_ms, repeat, err);
}

enum ns_err store_history_stats(struct store *s, const char *patient_ref,
                                int64_t booked_at, int32_t appt_day,
                                struct store_history *out,
                                struct ns_error *err)
{
    return s->ops->history(s, patient_ref, booked_at, appt_day, out, err);
}

enum ns_err store_train_rows(struct store *s, int labelled_only,
                             store_train_fn fn, void *ctx,
                             struct ns_error *err)
{
    return s->ops->train_rows(s, labelled_only, fn, ctx, err);
}

enum ns_err store_erase_patient(struct store *s, const char *patient_ref,
                                const char *actor, int64_t now_ms,
                                int64_t *n_erased, struct ns_error *err)
{
    return s->ops->erase_patient(s, patient_ref, actor, now_ms, n_erased,
                                 err);
}

enum ns_err store_events_since(struct store *s, int64_t since_ms,
                               store_event_fn fn, void *ctx,
                               struct ns_error *err)
{
    return s->ops->events_since(s, since_ms, fn, ctx, err);
}

enum ns_err store_key_add(struct store *s, const char *key_hash,
                          enum store_role role, const char *label,
                          int64_t now_ms, int64_t *id, struct ns_error *err)
{
    return s->ops->key_add(s, key_hash, role, label, now_ms, id, err);
}

enum ns_err store_key_lookup(struct store *s, const char *key_hash,
                             struct store_key *out, struct ns_error *err)
{
    return s->ops->key_lookup(s, key_hash, out, err);
}

enum ns_err store_key_revoke(struct store *s, int64_t id,
                             struct ns_error *err)
{
    return s->ops->key_revoke(s, id, err);
}

enum ns_err store_key_list(struct store *s, struct store_key_list *out,
                           struct ns_error *err)
{
    return s->ops->key_list(s, out, err);
}

enum ns_err store_model_put(struct store *s, const struct store_model *m,
                            struct ns_error *err)
{
    return s->ops->model_put(s, m, err);
}

enum ns_err store_model_get(struct store *s, const char *version,
                            struct store_model *out, struct ns_error *err)
{
    return s->ops->model_get(s, version, out, err);
}

enum ns_err store_model_list(struct store *s, struct store_model_list *out,
                             struct ns_error *err)
{
    return s->ops->model_list(s, out, err);
}

enum ns_err store_model_set_status(struct store *s, const char *version,
                                   enum store_model_status status,
                                   struct ns_error *err)
{
    return s->ops->model_set_status(s, version, status, err);
}

enum ns_err store_lease_acquire(struct store *s, const char *name,
                                const char *holder, int64_t now_ms,
                                int64_t ttl_ms, int *acquired,
                                struct ns_error *err)
{
    return s->ops->lease_acquire(s, name, holder, now_ms, ttl_ms, acquired,
                                 err);
}

enum ns_err store_lease_release(struct store *s, const char *name,
                                const char *holder, struct ns_error *err)
{
    return s->ops->lease_release(s, name, holder, err);
}

enum ns_err store_outbox_claim(struct store *s, const char *token,
                               int64_t now_ms, int64_t stale_ms,
                               struct store_outbox_job *out,
                               struct ns_error *err)
{
    return s->ops->outbox_claim(s, token, now_ms, stale_ms, out, err);
}

enum ns_err store_outbox_done(struct store *s, int64_t id,
                              const char *token, int64_t now_ms,
                              struct ns_error *err)
{
    return s->ops->outbox_done(s, id, token, now_ms, err);
}

enum ns_err store_outbox_retry(struct store *s, int64_t id,
                               const char *token, const char *last_error,
                               int64_t now_ms, int64_t next_attempt_ms,
                               int max_attempts, struct ns_error *err)
{
    return s->ops->outbox_retry(s, id, token, last_error, now_ms,
                                next_attempt_ms, max_attempts, err);
}

enum ns_err store_outbox_depth(struct store *s, int64_t *depth,
                               struct ns_error *err)
{
    return s->ops->outbox_depth(s, depth, err);
}

enum ns_err store_outbox_list(struct store *s, int64_t appt_id,
                              struct store_outbox_list *out,
                              struct ns_error *err)
{
    return s->ops->outbox_list(s, appt_id, out, err);
}

enum ns_err store_ping(struct store *s, struct ns_error *err)
{
    return s->ops->ping(s, err);
}

enum ns_err store_integrity_check(struct store *s, struct ns_error *err)
{
    return s->ops->integrity_check(s, err);
}

enum ns_err store_action_assign(struct store *s, int64_t id, int control,
                                const char *actor, int64_t now_ms,
                                int *group, int *is_new,
                                struct ns_error *err)
{
    return s->ops->action_assign(s, id, control, actor, now_ms, group,
                                 is_new, err);
}

enum ns_err store_contacted(struct store *s, const char *patient_ref,
                            int64_t exclude_id, int64_t since_ms,
                            int *contacted, struct ns_error *err)
{
    return s->ops->contacted(s, patient_ref, exclude_id, since_ms,
                             contacted, err);
}

enum ns_err store_action_counts(struct store *s,
                                struct store_action_counts *out,
                                struct ns_error *err)
{
    return s->ops->action_counts(s, out, err);
}

enum ns_err store_action_listed(struct store *s, int32_t appt_day,
                                const char *specialty,
                                struct store_listed *out,
                                struct ns_error *err)
{
    return s->ops->action_listed(s, appt_day, specialty, out, err);
}
