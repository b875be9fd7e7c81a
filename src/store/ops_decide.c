/* What the decision endpoints keep: the act/control group of each
 * appointment put on an action list (an event, so the draw is recorded
 * and stable), whether a patient was contacted recently, and the
 * outcome counts of the two groups. */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

#define KIND_ACT "action:act"
#define KIND_CONTROL "action:control"

struct assign_ctx {
    int64_t id;
    int control;
    const char *actor;
    int64_t now_ms;
    int *group;
    int *is_new;
};

static enum ns_err assign_tx(struct store *s, struct store_conn *c,
                             void *vctx, struct ns_error *err)
{
    struct assign_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    /* Lock the appointment so two replicas listing it at once record
     * one group (SQLite's IMMEDIATE transaction already serialises). */
    rc = store_query(s, c, s->dialect == STORE_MYSQL
                     ? "SELECT id FROM appointments WHERE id = ? FOR UPDATE"
                     : "SELECT id FROM appointments WHERE id = ?", 0, &st,
                     err, "i", x->id);
    s->drv->finalize(st);
    st = NULL;
    if (rc == NS_DONE)
        return ns_error_field(err, NS_ERR_NOT_FOUND, "id", "appointment "
                              "%lld does not exist", (long long)x->id);
    if (rc != NS_OK)
        return rc;
    rc = store_query(s, c, "SELECT kind FROM events WHERE appointment_id = ?"
                     " AND kind IN ('" KIND_ACT "', '" KIND_CONTROL "')"
                     " ORDER BY id LIMIT 1", 0, &st, err, "i", x->id);
    if (rc == NS_OK)
        *x->group = strcmp(s->drv->col_text(st, 0), KIND_CONTROL) == 0;
    s->drv->finalize(st);
    if (rc != NS_DONE)
        return rc;
    *x->group = x->control;
    *x->is_new = 1;
    return store_event_add(s, c, x->id, x->now_ms,
                           x->control ? KIND_CONTROL : KIND_ACT, x->actor,
                           NULL, err);
}

enum ns_err store_g_action_assign(struct store *s, int64_t id, int control,
                                  const char *actor, int64_t now_ms,
                                  int *group, int *is_new,
                                  struct ns_error *err)
{
    struct assign_ctx x = {id, control != 0, actor, now_ms, group, is_new};

    *is_new = 0;
    *group = 0;
    return store_in_tx(s, assign_tx, &x, err);
}

struct contacted_ctx {
    const char *patient;
    int64_t exclude_id;
    int64_t since_ms;
    int *contacted;
};

static enum ns_err contacted_q(struct store *s, struct store_conn *c,
                               void *vctx, struct ns_error *err)
{
    struct contacted_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT e.id FROM appointments a JOIN events e"
                     " ON e.appointment_id = a.id WHERE a.patient_ref = ?"
                     " AND a.id <> ? AND e.at_ms >= ?"
                     " AND e.kind IN ('notified', '" KIND_ACT "')"
                     " LIMIT 1", 0, &st, err, "tii", x->patient,
                     x->exclude_id, x->since_ms);
    s->drv->finalize(st);
    *x->contacted = rc == NS_OK;
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_g_contacted(struct store *s, const char *patient_ref,
                              int64_t exclude_id, int64_t since_ms,
                              int *contacted, struct ns_error *err)
{
    struct contacted_ctx x = {patient_ref, exclude_id, since_ms, contacted};

    *contacted = 0;
    if (patient_ref == NULL || patient_ref[0] == '\0')
        return NS_OK;
    return store_with_conn(s, contacted_q, &x, err);
}

struct listed_ctx {
    int32_t day;
    const char *specialty;
    struct store_listed *out;
};

static enum ns_err read_listed(struct store *s, struct store_stmt *st,
                               void *item, struct ns_error *err)
{
    struct store_listed_appt *l = item;
    const char *kind;
    enum ns_err rc;

    memset(l, 0, sizeof(*l));
    rc = store_read_appt(s, st, &l->appt, err);
    kind = s->drv->col_text(st, STORE_APPT_NCOLS);
    l->control = kind != NULL && strcmp(kind, KIND_CONTROL) == 0;
    return rc;
}

static enum ns_err listed_q(struct store *s, struct store_conn *c,
                            void *vctx, struct ns_error *err)
{
    struct listed_ctx *x = vctx;
    struct store_listed *l = x->out;
    struct store_stmt *st = NULL;
    char sql[1024];
    enum ns_err rc;

    /* One group per appointment (store_action_assign records it once
     * under a row lock), so MIN picks it; ordering by the listing
     * event keeps each appointment where it was first put, as one
     * listing records its events in list order. The index on events
     * (appointment_id) serves the subqueries. */
    snprintf(sql, sizeof(sql), "SELECT * FROM (SELECT %s, (SELECT"
             " MIN(e.kind) FROM events e WHERE e.appointment_id ="
             " appointments.id AND e.kind IN ('" KIND_ACT "', '"
             KIND_CONTROL "')) AS grp,"
             " (SELECT MIN(e.id) FROM events e WHERE e.appointment_id ="
             " appointments.id AND e.kind IN ('" KIND_ACT "', '"
             KIND_CONTROL "')) AS listed_at FROM appointments"
             " WHERE appt_day = ?%s) l WHERE grp IS NOT NULL"
             " ORDER BY listed_at, id", store_appt_cols,
             x->specialty ? " AND specialty = ?" : "");
    if (x->specialty != NULL)
        rc = store_query(s, c, sql, 0, &st, err, "it", (int64_t)x->day,
                         x->specialty);
    else
        rc = store_query(s, c, sql, 0, &st, err, "i", (int64_t)x->day);
    rc = store_collect_rows(s, st, rc, (void **)&l->items, &l->n,
                            sizeof(*l->items), read_listed, err);
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_action_listed(struct store *s, int32_t appt_day,
                                  const char *specialty,
                                  struct store_listed *out,
                                  struct ns_error *err)
{
    struct listed_ctx x = {appt_day, specialty, out};
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    rc = store_with_conn(s, listed_q, &x, err);
    if (rc != NS_OK)
        store_listed_free(out);
    return rc;
}

static enum ns_err effect_q(struct store *s, struct store_conn *c,
                            void *vctx, struct ns_error *err)
{
    struct store_action_counts *o = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT e.kind, COUNT(*), SUM(a.label)"
                     " FROM events e JOIN appointments a"
                     " ON a.id = e.appointment_id"
                     " WHERE e.kind IN ('" KIND_ACT "', '" KIND_CONTROL "')"
                     " AND a.label IS NOT NULL GROUP BY e.kind", 0, &st,
                     err, "");
    while (rc == NS_OK) {
        int ctl = strcmp(s->drv->col_text(st, 0), KIND_CONTROL) == 0;

        *(ctl ? &o->control : &o->acted) = s->drv->col_int(st, 1);
        *(ctl ? &o->control_noshows : &o->acted_noshows) =
            s->drv->col_null(st, 2) ? 0 : s->drv->col_int(st, 2);
        rc = s->drv->step(st, err);
    }
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_g_action_counts(struct store *s,
                                  struct store_action_counts *out,
                                  struct ns_error *err)
{
    memset(out, 0, sizeof(*out));
    return store_with_conn(s, effect_q, out, err);
}
