/* Operations around the service rather than the appointments: API keys,
 * the model registry, leases, the delivery outbox and the health ping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* === API keys === */

struct key_ctx {
    const char *hash;
    enum store_role role;
    const char *label;
    int64_t now_ms;
    int64_t id;
    struct store_key *out;
};

static enum ns_err key_add_conn(struct store *s, struct store_conn *c,
                                void *vctx, struct ns_error *err)
{
    struct key_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "INSERT INTO api_keys (key_hash, role, label,"
                     " created_at, revoked) VALUES (?, ?, ?, ?, 0)", 0, &st,
                     err, "ttti", x->hash, store_role_name(x->role),
                     x->label, x->now_ms);
    if (rc == NS_DONE) {
        rc = NS_OK;
        x->id = s->drv->last_id(st);
    } else if (rc == NS_ERR_CONFLICT) {
        rc = ns_error_field(err, NS_ERR_CONFLICT, "key",
                            "this key is already registered");
    }
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_key_add(struct store *s, const char *key_hash,
                            enum store_role role, const char *label,
                            int64_t now_ms, int64_t *id,
                            struct ns_error *err)
{
    struct key_ctx x = {key_hash, role, label, now_ms, 0, NULL};
    enum ns_err rc = store_with_conn(s, key_add_conn, &x, err);

    *id = x.id;
    return rc;
}

static enum ns_err key_lookup_conn(struct store *s, struct store_conn *c,
                                   void *vctx, struct ns_error *err)
{
    struct key_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT id, role FROM api_keys"
                     " WHERE key_hash = ? AND revoked = 0", 0, &st, err, "t",
                     x->hash);
    if (rc == NS_DONE)
        rc = ns_error_set(err, NS_ERR_NOT_FOUND,
                          "the API key is unknown or revoked");
    if (rc == NS_OK) {
        x->out->id = s->drv->col_int(st, 0);
        rc = store_role_parse(s->drv->col_text(st, 1), &x->out->role, err);
    }
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_key_lookup(struct store *s, const char *key_hash,
                               struct store_key *out, struct ns_error *err)
{
    struct key_ctx x = {key_hash, STORE_ROLE_READER, NULL, 0, 0, out};

    return store_with_conn(s, key_lookup_conn, &x, err);
}

static enum ns_err key_revoke_conn(struct store *s, struct store_conn *c,
                                   void *vctx, struct ns_error *err)
{
    struct key_ctx *x = vctx;
    int64_t n = 0;
    enum ns_err rc;

    rc = store_run(s, c, "UPDATE api_keys SET revoked = 1 WHERE id = ?", &n,
                   err, "i", x->id);
    if (rc == NS_OK && n == 0)
        rc = ns_error_field(err, NS_ERR_NOT_FOUND, "id",
                            "API key %lld does not exist",
                            (long long)x->id);
    return rc;
}

enum ns_err store_g_key_revoke(struct store *s, int64_t id,
                               struct ns_error *err)
{
    struct key_ctx x = {NULL, STORE_ROLE_READER, NULL, 0, id, NULL};

    return store_with_conn(s, key_revoke_conn, &x, err);
}

static enum ns_err read_key(struct store *s, struct store_stmt *st,
                            void *item, struct ns_error *err)
{
    struct store_key_info *k = item;
    enum ns_err rc;

    memset(k, 0, sizeof(*k));
    k->id = s->drv->col_int(st, 0);
    rc = store_role_parse(s->drv->col_text(st, 1), &k->role, err);
    if (rc != NS_OK)
        return rc;
    k->created_at_ms = s->drv->col_int(st, 3);
    k->revoked = s->drv->col_int(st, 4) != 0;
    if (store_col_dup(s, st, 2, &k->label) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    return NS_OK;
}

static enum ns_err key_list_conn(struct store *s, struct store_conn *c,
                                 void *vctx, struct ns_error *err)
{
    struct store_key_list *l = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT id, role, label, created_at, revoked"
                     " FROM api_keys ORDER BY id", 0, &st, err, "");
    rc = store_collect_rows(s, st, rc, (void **)&l->items, &l->n,
                            sizeof(*l->items), read_key, err);
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_key_list(struct store *s, struct store_key_list *out,
                             struct ns_error *err)
{
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    rc = store_with_conn(s, key_list_conn, out, err);
    if (rc != NS_OK)
        store_key_list_free(out);
    return rc;
}

/* === Model registry === */

struct model_ctx {
    const struct store_model *in;
    const char *version;
    enum store_model_status status;
    struct store_model *out;
    struct store_model_list *list;
};

/* Makes version the one production model: the previous one (if any)
 * becomes archived in the same transaction. */
static enum ns_err promote(struct store *s, struct store_conn *c,
                           const char *version, struct ns_error *err)
{
    enum ns_err rc;

    rc = store_run(s, c, "UPDATE models SET status = 'archived'"
                   " WHERE status = 'production' AND version <> ?", NULL,
                   err, "t", version);
    if (rc == NS_OK)
        rc = store_run(s, c, "UPDATE models SET status = 'production'"
                       " WHERE version = ?", NULL, err, "t", version);
    return rc;
}

static enum ns_err model_put_tx(struct store *s, struct store_conn *c,
                                void *vctx, struct ns_error *err)
{
    struct model_ctx *x = vctx;
    const struct store_model *m = x->in;
    enum ns_err rc;

    rc = store_run(s, c, "INSERT INTO models (version, created_at, status,"
                   " parent, metrics, fingerprint, bundle)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", NULL, err, "tittttb",
                   m->version, m->created_at_ms,
                   store_model_status_name(m->status == STORE_MODEL_PRODUCTION
                                               ? STORE_MODEL_CANDIDATE
                                               : m->status),
                   m->parent, m->metrics_json, m->fingerprint,
                   (const void *)m->bundle, m->bundle_len);
    if (rc == NS_ERR_CONFLICT)
        return ns_error_field(err, NS_ERR_CONFLICT, "version",
                              "model version \"%.64s\" already exists",
                              m->version);
    if (rc == NS_OK && m->status == STORE_MODEL_PRODUCTION)
        rc = promote(s, c, m->version, err);
    return rc;
}

enum ns_err store_g_model_put(struct store *s, const struct store_model *m,
                              struct ns_error *err)
{
    struct model_ctx x = {.in = m};

    if (m->version == NULL || m->version[0] == '\0')
        return ns_error_field(err, NS_ERR_INVALID, "version",
                              "a model needs a version");
    return store_in_tx(s, model_put_tx, &x, err);
}

static enum ns_err read_model(struct store *s, struct store_stmt *st,
                              int with_bundle, struct store_model *m,
                              struct ns_error *err)
{
    int bad = 0;

    memset(m, 0, sizeof(*m));
    bad |= store_col_dup(s, st, 0, &m->version) != NS_OK;
    m->created_at_ms = s->drv->col_int(st, 1);
    if (store_model_status_parse(s->drv->col_text(st, 2), &m->status,
                                 NULL) != NS_OK)
        m->status = STORE_MODEL_ARCHIVED;
    bad |= store_col_dup(s, st, 3, &m->parent) != NS_OK;
    bad |= store_col_dup(s, st, 4, &m->metrics_json) != NS_OK;
    bad |= store_col_dup(s, st, 5, &m->fingerprint) != NS_OK;
    if (with_bundle && !s->drv->col_null(st, 6)) {
        size_t n = 0;
        const void *p = s->drv->col_blob(st, 6, &n);

        m->bundle = malloc(n + 1);
        if (m->bundle == NULL)
            bad = 1;
        else if (n > 0)
            memcpy(m->bundle, p, n);
        m->bundle_len = n;
    }
    if (bad) {
        store_model_free(m);
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    }
    return NS_OK;
}

static enum ns_err model_get_conn(struct store *s, struct store_conn *c,
                                  void *vctx, struct ns_error *err)
{
    struct model_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    if (x->version != NULL)
        rc = store_query(s, c, "SELECT version, created_at, status, parent,"
                         " metrics, fingerprint, bundle FROM models"
                         " WHERE version = ?", 0, &st, err, "t", x->version);
    else
        rc = store_query(s, c, "SELECT version, created_at, status, parent,"
                         " metrics, fingerprint, bundle FROM models"
                         " WHERE status = 'production'", 0, &st, err, "");
    if (rc == NS_DONE)
        rc = ns_error_field(err, NS_ERR_NOT_FOUND, "version",
                            "model %s%.64s%s does not exist",
                            x->version ? "\"" : "",
                            x->version ? x->version : "in production",
                            x->version ? "\"" : "");
    if (rc == NS_OK)
        rc = read_model(s, st, 1, x->out, err);
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_model_get(struct store *s, const char *version,
                              struct store_model *out, struct ns_error *err)
{
    struct model_ctx x = {.version = version, .out = out};

    memset(out, 0, sizeof(*out));
    return store_with_conn(s, model_get_conn, &x, err);
}

static enum ns_err read_listed_model(struct store *s,
                                     struct store_stmt *st, void *item,
                                     struct ns_error *err)
{
    return read_model(s, st, 0, item, err);
}

static enum ns_err model_list_conn(struct store *s, struct store_conn *c,
                                   void *vctx, struct ns_error *err)
{
    struct store_model_list *l = ((struct model_ctx *)vctx)->list;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT version, created_at, status, parent,"
                     " metrics, fingerprint FROM models"
                     " ORDER BY created_at DESC, version DESC", 0, &st, err,
                     "");
    rc = store_collect_rows(s, st, rc, (void **)&l->items, &l->n,
                            sizeof(*l->items), read_listed_model, err);
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_model_list(struct store *s, struct store_model_list *out,
                               struct ns_error *err)
{
    struct model_ctx x = {.list = out};
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    rc = store_with_conn(s, model_list_conn, &x, err);
    if (rc != NS_OK)
        store_model_list_free(out);
    return rc;
}

static enum ns_err model_status_tx(struct store *s, struct store_conn *c,
                                   void *vctx, struct ns_error *err)
{
    struct model_ctx *x = vctx;
    int64_t n = 0;
    enum ns_err rc;

    /* Lock every production row first so concurrent promotions queue. */
    if (s->dialect == STORE_MYSQL) {
        rc = store_run(s, c, "SELECT version FROM models WHERE status ="
                       " 'production' FOR UPDATE", NULL, err, "");
        if (rc != NS_OK)
            return rc;
    }
    rc = store_run(s, c, "UPDATE models SET status = ? WHERE version = ?",
                   &n, err, "tt", store_model_status_name(x->status),
                   x->version);
    if (rc == NS_OK && n == 0)
        return ns_error_field(err, NS_ERR_NOT_FOUND, "version",
                              "model version \"%.64s\" does not exist",
                              x->version);
    if (rc == NS_OK && x->status == STORE_MODEL_PRODUCTION)
        rc = promote(s, c, x->version, err);
    return rc;
}

enum ns_err store_g_model_set_status(struct store *s, const char *version,
                                     enum store_model_status status,
                                     struct ns_error *err)
{
    struct model_ctx x = {.version = version, .status = status};

    return store_in_tx(s, model_status_tx, &x, err);
}

/* === Leases === */

struct lease_ctx {
    const char *name;
    const char *holder;
    int64_t now_ms;
    int64_t ttl_ms;
    int *acquired;
};

static enum ns_err lease_tx(struct store *s, struct store_conn *c,
                            void *vctx, struct ns_error *err)
{
    struct lease_ctx *x = vctx;
    int64_t n = 0;
    enum ns_err rc;

    rc = store_run(s, c, s->dialect == STORE_MYSQL
                   ? "INSERT IGNORE INTO leases (name, holder, expires_ms)"
                     " VALUES (?, ?, ?)"
                   : "INSERT OR IGNORE INTO leases (name, holder,"
                     " expires_ms) VALUES (?, ?, ?)", &n, err, "tti",
                   x->name, x->holder, x->now_ms + x->ttl_ms);
    if (rc != NS_OK || n == 1) {
        *x->acquired = rc == NS_OK;
        return rc;
    }
    rc = store_run(s, c, "UPDATE leases SET holder = ?, expires_ms = ?"
                   " WHERE name = ? AND (holder = ? OR expires_ms <= ?)",
                   &n, err, "titti", x->holder, x->now_ms + x->ttl_ms,
                   x->name, x->holder, x->now_ms);
    *x->acquired = rc == NS_OK && n == 1;
    return rc;
}

enum ns_err store_g_lease_acquire(struct store *s, const char *name,
                                  const char *holder, int64_t now_ms,
                                  int64_t ttl_ms, int *acquired,
                                  struct ns_error *err)
{
    struct lease_ctx x = {name, holder, now_ms, ttl_ms, acquired};

    *acquired = 0;
    return store_in_tx(s, lease_tx, &x, err);
}

static enum ns_err lease_release_conn(struct store *s, struct store_conn *c,
                                      void *vctx, struct ns_error *err)
{
    struct lease_ctx *x = vctx;

    return store_run(s, c, "DELETE FROM leases WHERE name = ?"
                     " AND holder = ?", NULL, err, "tt", x->name,
                     x->holder);
}

enum ns_err store_g_lease_release(struct store *s, const char *name,
                                  const char *holder, struct ns_error *err)
{
    struct lease_ctx x = {name, holder, 0, 0, NULL};

    return store_with_conn(s, lease_release_conn, &x, err);
}

/* === Outbox === */

struct outbox_ctx {
    int64_t id;
    const char *token;
    const char *last_error;
    int64_t now_ms;
    int64_t when_ms;
    int max_attempts;
    struct store_outbox_job *job;
    int64_t *depth;
};

/* LIMITATION: delivery is at least once, not exactly once. A worker
 * that stalls for longer than stale_ms after its claim loses the job to
 * another worker, and if the first one then finishes, the webhook gets
 * the notification twice (its done() is refused, so the state stays
 * right). Receivers that must not notify a patient twice should
 * deduplicate on the outbox job id in the payload; exactly once would
 * need the receiver to take part in the claim (a two-phase handshake). */

/* MariaDB allows ORDER BY/LIMIT on UPDATE but no subquery on the same
 * table; SQLite the reverse. Either way one statement marks one job. */
static const char claim_mysql[] =
    "UPDATE outbox SET state = 'delivering', claim_token = ?,"
    " attempts = attempts + 1, updated_at = ?"
    " WHERE (state = 'pending' AND next_attempt_ms <= ?)"
    " OR (state = 'delivering' AND updated_at <= ?)"
    " ORDER BY next_attempt_ms, id LIMIT 1";
static const char claim_sqlite[] =
    "UPDATE outbox SET state = 'delivering', claim_token = ?,"
    " attempts = attempts + 1, updated_at = ?"
    " WHERE id = (SELECT id FROM outbox"
    " WHERE (state = 'pending' AND next_attempt_ms <= ?)"
    " OR (state = 'delivering' AND updated_at <= ?)"
    " ORDER BY next_attempt_ms, id LIMIT 1)";

static enum ns_err claim_tx(struct store *s, struct store_conn *c,
                            void *vctx, struct ns_error *err)
{
    struct outbox_ctx *x = vctx;
    struct store_stmt *st = NULL;
    int64_t n = 0;
    enum ns_err rc;

    rc = store_run(s, c, s->dialect == STORE_MYSQL ? claim_mysql
                                                   : claim_sqlite,
                   &n, err, "tiii", x->token, x->now_ms, x->now_ms,
                   x->when_ms > 0 ? x->now_ms - x->when_ms : (int64_t)-1);
    if (rc != NS_OK)
        return rc;
    if (n == 0)
        return NS_DONE;
    rc = store_query(s, c, "SELECT id, appointment_id, payload, attempts"
                     " FROM outbox WHERE claim_token = ?"
                     " AND state = 'delivering'", 0, &st, err, "t",
                     x->token);
    if (rc == NS_DONE)
        rc = ns_error_set(err, NS_ERR_LIB, "outbox: claimed job with token "
                          "\"%.64s\" vanished", x->token);
    if (rc == NS_OK) {
        x->job->id = s->drv->col_int(st, 0);
        x->job->appointment_id = s->drv->col_null(st, 1)
                                     ? 0 : s->drv->col_int(st, 1);
        x->job->attempts = (int)s->drv->col_int(st, 3);
        if (store_col_dup(s, st, 2, &x->job->payload_json) != NS_OK)
            rc = ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    }
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_outbox_claim(struct store *s, const char *token,
                                 int64_t now_ms, int64_t stale_ms,
                                 struct store_outbox_job *out,
                                 struct ns_error *err)
{
    struct outbox_ctx x = {.token = token, .now_ms = now_ms,
                           .when_ms = stale_ms, .job = out};
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (token == NULL || token[0] == '\0')
        return ns_error_field(err, NS_ERR_INVALID, "token",
                              "an outbox claim needs a unique token");
    rc = store_in_tx(s, claim_tx, &x, err);
    if (rc == NS_DONE) {
        /* Nothing due: the empty UPDATE committed nothing. */
        return NS_DONE;
    }
    return rc;
}

/* Runs an UPDATE of one job guarded by "AND claim_token = ?": no row
 * means the token no longer holds the job. */
static enum ns_err update_held(const struct outbox_ctx *x, int64_t n,
                               enum ns_err rc, struct ns_error *err)
{
    if (rc == NS_OK && n == 0)
        return ns_error_field(err, NS_ERR_CONFLICT, "token",
                              "outbox job %lld is not held by token "
                              "\"%.64s\"", (long long)x->id, x->token);
    return rc;
}

static enum ns_err done_tx(struct store *s, struct store_conn *c,
                           void *vctx, struct ns_error *err)
{
    struct outbox_ctx *x = vctx;
    int64_t n = 0;
    enum ns_err rc;

    rc = store_run(s, c, "UPDATE outbox SET state = 'delivered',"
                   " claim_token = NULL, last_error = NULL, updated_at = ?"
                   " WHERE id = ? AND claim_token = ?"
                   " AND state = 'delivering'", &n, err, "iit", x->now_ms,
                   x->id, x->token);
    rc = update_held(x, n, rc, err);
    if (rc == NS_OK)
        rc = store_run(s, c, "INSERT INTO events (appointment_id, at_ms,"
                       " kind, actor, detail) SELECT appointment_id, ?,"
                       " 'delivered', 'outbox', NULL FROM outbox"
                       " WHERE id = ?", NULL, err, "ii", x->now_ms, x->id);
    return rc;
}

enum ns_err store_g_outbox_done(struct store *s, int64_t id,
                                const char *token, int64_t now_ms,
                                struct ns_error *err)
{
    struct outbox_ctx x = {.id = id, .token = token, .now_ms = now_ms};

    return store_in_tx(s, done_tx, &x, err);
}

static enum ns_err retry_conn(struct store *s, struct store_conn *c,
                              void *vctx, struct ns_error *err)
{
    struct outbox_ctx *x = vctx;
    int64_t n = 0;
    enum ns_err rc;

    rc = store_run(s, c, "UPDATE outbox SET state = CASE WHEN attempts >= ?"
                   " THEN 'failed' ELSE 'pending' END, claim_token = NULL,"
                   " next_attempt_ms = ?, last_error = ?, updated_at = ?"
                   " WHERE id = ? AND claim_token = ?"
                   " AND state = 'delivering'", &n, err, "iitiit",
                   (int64_t)x->max_attempts, x->when_ms, x->last_error,
                   x->now_ms, x->id, x->token);
    return update_held(x, n, rc, err);
}

enum ns_err store_g_outbox_retry(struct store *s, int64_t id,
                                 const char *token, const char *last_error,
                                 int64_t now_ms, int64_t next_attempt_ms,
                                 int max_attempts, struct ns_error *err)
{
    struct outbox_ctx x = {.id = id, .token = token,
                           .last_error = last_error, .now_ms = now_ms,
                           .when_ms = next_attempt_ms,
                           .max_attempts = max_attempts};

    return store_with_conn(s, retry_conn, &x, err);
}

static enum ns_err count_conn(struct store *s, struct store_conn *c,
                              void *vctx, struct ns_error *err)
{
    struct outbox_ctx *x = vctx;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT COUNT(*) FROM outbox WHERE state IN"
                     " ('pending', 'delivering')", 0, &st, err, "");
    if (rc == NS_OK)
        *x->depth = s->drv->col_int(st, 0);
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_g_outbox_depth(struct store *s, int64_t *depth,
                                 struct ns_error *err)
{
    struct outbox_ctx x = {.depth = depth};

    *depth = 0;
    return store_with_conn(s, count_conn, &x, err);
}

struct outbox_list_ctx {
    int64_t appt_id;
    struct store_outbox_list *out;
};

static enum ns_err read_job(struct store *s, struct store_stmt *st,
                            void *item, struct ns_error *err)
{
    struct store_outbox_info *j = item;

    memset(j, 0, sizeof(*j));
    j->id = s->drv->col_int(st, 0);
    /* An unknown state is a newer writer's: report it as still pending
     * rather than fail the whole read. */
    if (store_outbox_state_parse(s->drv->col_text(st, 1), &j->state,
                                 NULL) != NS_OK)
        j->state = STORE_OUTBOX_PENDING;
    j->attempts = (int)s->drv->col_int(st, 2);
    j->next_attempt_ms = s->drv->col_int(st, 3);
    j->updated_at_ms = s->drv->col_int(st, 4);
    if (store_col_dup(s, st, 5, &j->last_error) != NS_OK)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    return NS_OK;
}

static enum ns_err outbox_list_conn(struct store *s, struct store_conn *c,
                                    void *vctx, struct ns_error *err)
{
    struct outbox_list_ctx *x = vctx;
    struct store_outbox_list *l = x->out;
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT id, state, attempts, next_attempt_ms,"
                     " updated_at, last_error FROM outbox"
                     " WHERE appointment_id = ? ORDER BY id", 0, &st, err,
                     "i", x->appt_id);
    rc = store_collect_rows(s, st, rc, (void **)&l->items, &l->n,
                            sizeof(*l->items), read_job, err);
    s->drv->finalize(st);
    return rc;
}

enum ns_err store_g_outbox_list(struct store *s, int64_t appt_id,
                                struct store_outbox_list *out,
                                struct ns_error *err)
{
    struct outbox_list_ctx x = {appt_id, out};
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    rc = store_with_conn(s, outbox_list_conn, &x, err);
    if (rc != NS_OK)
        store_outbox_list_free(out);
    return rc;
}

static enum ns_err ping_conn(struct store *s, struct store_conn *c,
                             void *vctx, struct ns_error *err)
{
    (void)vctx;
    return store_run(s, c, "SELECT 1", NULL, err, "");
}

enum ns_err store_g_ping(struct store *s, struct ns_error *err)
{
    return store_with_conn(s, ping_conn, NULL, err);
}
