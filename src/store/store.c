/* Store handle: URL dispatch, the connection pool, transactions, the
 * statement helpers the operations share, and the public entry points. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/hmap.h"
#include "util/log.h"

static const char *const status_names[] = {
    "pending", "pending_confirmation", "confirmed",
    "honored", "cancelled", "no_show",
};
static const char *const role_names[] = {"reader", "clinic", "admin"};
static const char *const model_names[] = {
    "candidate", "production", "archived",
};
static const char *const outbox_names[] = {
    "pending", "delivering", "delivered", "failed",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Longest wait for the SQLite write queue: SQLite's own busy timeout. */
#define STORE_WRITE_WAIT_MS 5000

const char *store_status_name(enum store_status s)
{
    return (size_t)s < COUNT(status_names) ? status_names[s] : "?";
}

const char *store_role_name(enum store_role r)
{
    return (size_t)r < COUNT(role_names) ? role_names[r] : "?";
}

const char *store_model_status_name(enum store_model_status s)
{
    return (size_t)s < COUNT(model_names) ? model_names[s] : "?";
}

const char *store_outbox_state_name(enum store_outbox_state s)
{
    return (size_t)s < COUNT(outbox_names) ? outbox_names[s] : "?";
}

static enum ns_err parse_name(const char *const *names, size_t n,
                              const char *what, const char *s, int *out,
                              struct ns_error *err)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return NS_OK;
        }
    }
    return ns_error_field(err, NS_ERR_INVALID, what,
                          "%s: unknown value \"%.64s\"; expected one of "
                          "%s, %s, %s%s", what, s ? s : "(null)",
                          names[0], names[1], names[2],
                          n > 3 ? ", ..." : "");
}

enum ns_err store_status_parse(const char *s, enum store_status *out,
                               struct ns_error *err)
{
    int v = 0;
    enum ns_err rc = parse_name(status_names, COUNT(status_names),
                                "status", s, &v, err);

    *out = (enum store_status)v;
    return rc;
}

enum ns_err store_role_parse(const char *s, enum store_role *out,
                             struct ns_error *err)
{
    int v = 0;
    enum ns_err rc = parse_name(role_names, COUNT(role_names), "role", s,
                                &v, err);

    *out = (enum store_role)v;
    return rc;
}

enum ns_err store_model_status_parse(const char *s,
                                     enum store_model_status *out,
                                     struct ns_error *err)
{
    int v = 0;
    enum ns_err rc = parse_name(model_names, COUNT(model_names),
                                "status", s, &v, err);

    *out = (enum store_model_status)v;
    return rc;
}

enum ns_err store_outbox_state_parse(const char *s,
                                     enum store_outbox_state *out,
                                     struct ns_error *err)
{
    int v = 0;
    enum ns_err rc = parse_name(outbox_names, COUNT(outbox_names),
                                "state", s, &v, err);

    *out = (enum store_outbox_state)v;
    return rc;
}

enum ns_err store_column_name(const char *name, char *out, size_t outsz,
                              struct ns_error *err)
{
    size_t n = name ? strlen(name) : 0;
    size_t j = 2;

    if (n == 0 || outsz < 4)
        return ns_error_field(err, NS_ERR_INVALID, "name",
                              "feature column name is empty or the "
                              "buffer is too small; expected a name");
    out[0] = 'f';
    out[1] = '_';
    for (size_t i = 0; i < n && j + 1 < outsz && j < 60; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            ch = '_';
        out[j++] = (char)ch;
    }
    out[j] = '\0';
    return NS_OK;
}

/* === Open, close, pool === */

static void store_free(struct store *s)
{
    if (s == NULL)
        return;
    free(s->path);
    free(s->host);
    free(s->user);
    if (s->password != NULL)
        memset(s->password, 0, strlen(s->password));
    free(s->password);
    free(s->dbname);
    free(s);
}

static enum ns_err store_alloc(const char *url, struct store **out,
                               struct ns_error *err)
{
    struct store *s = calloc(1, sizeof(*s));
    enum ns_err rc;

    if (s == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    s->max_open = STORE_MAX_CONNS;
    if (strncmp(url, "sqlite:", 7) == 0) {
        s->dialect = STORE_SQLITE;
        s->drv = &store_sqlite_driver;
        s->ops = &store_sqlite_ops;
        rc = store_sqlite_config(s, url + 7, err);
    } else if (strncmp(url, "mysql://", 8) == 0) {
        s->dialect = STORE_MYSQL;
        s->drv = &store_mysql_driver;
        s->ops = &store_mysql_ops;
        rc = store_mysql_config(s, url + 8, err);
    } else {
        rc = ns_error_field(err, NS_ERR_INVALID, "db",
                            "database URL \"%.16s...\": unknown scheme; "
                            "expected sqlite:PATH or "
                            "mysql://USER:PASSWORD@HOST:PORT/NAME", url);
    }
    if (rc != NS_OK) {
        store_free(s);
        return rc;
    }
    *out = s;
    return NS_OK;
}

enum ns_err store_open(const char *url, struct store **out,
                       struct ns_error *err)
{
    struct store *s = NULL;
    struct store_conn *c = NULL;
    enum ns_err rc;

    *out = NULL;
    if (url == NULL)
        return ns_error_field(err, NS_ERR_INVALID, "db",
                              "no database URL given");
    rc = store_alloc(url, &s, err);
    if (rc != NS_OK)
        return rc;
    rc = store_conn_get(s, &c, err);
    if (rc != NS_OK)
        goto out;
    rc = store_migrate(s, c, err);
    store_conn_put(s, c);
out:
    if (rc != NS_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return NS_OK;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->n_idle; i++)
        s->drv->disconnect(s->idle[i]);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->write_mu);
    store_free(s);
}

const struct store_ops *store_get_ops(const struct store *s)
{
    return s->ops;
}

enum ns_err store_conn_get(struct store *s, struct store_conn **out,
                           struct ns_error *err)
{
    enum ns_err rc;

    pthread_mutex_lock(&s->mu);
    while (s->n_idle == 0 && s->n_open >= s->max_open)
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->n_idle > 0) {
        *out = s->idle[--s->n_idle];
        pthread_mutex_unlock(&s->mu);
        return NS_OK;
    }
    s->n_open++;
    pthread_mutex_unlock(&s->mu);

    rc = s->drv->connect(s, out, err);
    if (rc != NS_OK) {
        pthread_mutex_lock(&s->mu);
        s->n_open--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

void store_conn_put(struct store *s, struct store_conn *c)
{
    int broken;

    if (c == NULL)
        return;
    broken = c->broken;
    if (broken)
        s->drv->disconnect(c);
    pthread_mutex_lock(&s->mu);
    if (broken)
        s->n_open--;
    else
        s->idle[s->n_idle++] = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* === Statement cache === */

struct store_cached *store_cache_take(struct store_stmt_cache *c,
                                      const char *sql)
{
    uint64_t h = ns_hash64(sql, strlen(sql));

    for (int i = 0; i < c->n; i++) {
        struct store_cached *k = &c->e[i];

        if (!k->busy && k->hash == h && strcmp(k->sql, sql) == 0) {
            k->busy = 1;
            return k;
        }
    }
    return NULL;
}

struct store_cached *store_cache_add(struct store_stmt_cache *c,
                                     const char *sql, void *stmt)
{
    struct store_cached *k;

    if (c->n == STORE_STMT_CACHE)
        return NULL;
    k = &c->e[c->n];
    k->sql = strdup(sql);
    if (k->sql == NULL)
        return NULL;
    k->hash = ns_hash64(sql, strlen(sql));
    k->stmt = stmt;
    k->busy = 1;
    c->n++;
    return k;
}

/* === Transactions and statements === */

enum ns_err store_tx_begin(struct store *s, struct store_conn *c,
                           struct ns_error *err)
{
    return s->drv->exec(c, s->dialect == STORE_SQLITE ? "BEGIN IMMEDIATE"
                                                      : "START TRANSACTION",
                        err);
}

enum ns_err store_tx_commit(struct store *s, struct store_conn *c,
                            struct ns_error *err)
{
    return s->drv->exec(c, "COMMIT", err);
}

void store_tx_rollback(struct store *s, struct store_conn *c)
{
    if (s->drv->exec(c, "ROLLBACK", NULL) != NS_OK)
        c->broken = 1;
}

enum ns_err store_with_conn(struct store *s, store_conn_fn fn, void *ctx,
                            struct ns_error *err)
{
    struct store_conn *c = NULL;
    enum ns_err rc;

    rc = store_conn_get(s, &c, err);
    if (rc != NS_OK)
        return rc;
    rc = fn(s, c, ctx, err);
    store_conn_put(s, c);
    return rc;
}

struct tx_call {
    store_conn_fn fn;
    void *ctx;
    int tries;      /* attempts allowed when the server breaks a deadlock */
};

/* Takes the process's SQLite write queue; false when it stayed busy for
 * STORE_WRITE_WAIT_MS (a transaction nested inside another on this
 * thread, say), and the transaction then goes ahead on SQLite's own busy
 * handler alone, exactly as without the queue. */
static bool write_queue_enter(struct store *s)
{
    struct timespec until;

    if (s->dialect != STORE_SQLITE)
        return false;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STORE_WRITE_WAIT_MS / 1000;
    until.tv_nsec += (long)(STORE_WRITE_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(&s->write_mu, &until) == 0;
}

static enum ns_err tx_once(struct store *s, struct store_conn *c,
                           struct tx_call *t, struct ns_error *err)
{
    /* SQLite answers a second writer's BEGIN IMMEDIATE with SQLITE_BUSY,
     * and its busy handler then sleeps 1, 2, 5 ms and more, long after
     * the lock is free again (a booking holds it for about 0.1 ms).
     * Writers of this process wait on a mutex instead, which hands over
     * at once; other processes still meet the busy handler. */
    bool queued = write_queue_enter(s);
    enum ns_err rc = store_tx_begin(s, c, err);

    if (rc == NS_OK) {
        rc = t->fn(s, c, t->ctx, err);
        if (rc == NS_OK)
            rc = store_tx_commit(s, c, err);
        if (rc != NS_OK)
            store_tx_rollback(s, c);
    }
    if (queued)
        pthread_mutex_unlock(&s->write_mu);
    return rc;
}

static enum ns_err tx_conn(struct store *s, struct store_conn *c,
                           void *vctx, struct ns_error *err)
{
    struct tx_call *t = vctx;
    struct timespec nap = {0, 0};
    enum ns_err rc;

    for (int i = 1;; i++) {
        c->deadlocked = 0;
        rc = tx_once(s, c, t, err);
        if (rc == NS_OK || !c->deadlocked || i >= t->tries)
            return rc;

        /* The other transaction holds its locks for well under a
         * millisecond: a short, varying pause lets it finish first. */
        nap.tv_nsec = (long)(i * 1000 + rand() % 1000) * 1000;
        nanosleep(&nap, NULL);
        ns_log_debug("store", "deadlock, running the transaction again "
                     "try=%d", i + 1);
    }
}

enum ns_err store_in_tx(struct store *s, store_conn_fn fn, void *ctx,
                        struct ns_error *err)
{
    struct tx_call t = {fn, ctx, 1};

    return store_with_conn(s, tx_conn, &t, err);
}

enum ns_err store_in_tx_retry(struct store *s, store_conn_fn fn,
                              void *ctx, struct ns_error *err)
{
    struct tx_call t = {fn, ctx, STORE_TX_TRIES};

    return store_with_conn(s, tx_conn, &t, err);
}

static void bind_args(struct store *s, struct store_stmt *st,
                      const char *fmt, va_list ap)
{
    const struct store_driver *d = s->drv;

    for (int i = 0; fmt[i] != '\0'; i++) {
        int idx = i + 1;
        int64_t v;
        double x;
        const char *t;
        const void *p;

        switch (fmt[i]) {
        case 'i':
            d->bind_int(st, idx, va_arg(ap, int64_t));
            break;
        case 'I':
            v = va_arg(ap, int64_t);
            if (v < 0)
                d->bind_null(st, idx);
            else
                d->bind_int(st, idx, v);
            break;
        case 'd':
            x = va_arg(ap, double);
            if (isnan(x))
                d->bind_null(st, idx);
            else
                d->bind_double(st, idx, x);
            break;
        case 't':
            t = va_arg(ap, const char *);
            if (t == NULL)
                d->bind_null(st, idx);
            else
                d->bind_text(st, idx, t);
            break;
        default: /* 'b' */
            p = va_arg(ap, const void *);
            d->bind_blob(st, idx, p, va_arg(ap, size_t));
            break;
        }
    }
}

static enum ns_err query_v(struct store *s, struct store_conn *c,
                           const char *sql, int stream,
                           struct store_stmt **out, struct ns_error *err,
                           const char *fmt, va_list ap)
{
    struct store_stmt *st = NULL;
    enum ns_err rc;

    *out = NULL;
    rc = s->drv->prepare(c, sql, stream, &st, err);
    if (rc != NS_OK)
        return rc;
    bind_args(s, st, fmt, ap);
    rc = s->drv->step(st, err);
    if (rc != NS_OK && rc != NS_DONE) {
        s->drv->finalize(st);
        return rc;
    }
    *out = st;
    return rc;
}

enum ns_err store_query(struct store *s, struct store_conn *c,
                        const char *sql, int stream, struct store_stmt **out,
                        struct ns_error *err, const char *fmt, ...)
{
    va_list ap;
    enum ns_err rc;

    va_start(ap, fmt);
    rc = query_v(s, c, sql, stream, out, err, fmt, ap);
    va_end(ap);
    return rc;
}

enum ns_err store_run(struct store *s, struct store_conn *c,
                      const char *sql, int64_t *changes,
                      struct ns_error *err, const char *fmt, ...)
{
    struct store_stmt *st = NULL;
    va_list ap;
    enum ns_err rc;

    va_start(ap, fmt);
    rc = query_v(s, c, sql, 0, &st, err, fmt, ap);
    va_end(ap);
    if (st == NULL)
        return rc;
    if (changes != NULL)
        *changes = s->drv->changes(st);
    s->drv->finalize(st);
    return NS_OK;
}

enum ns_err store_col_dup(struct store *s, struct store_stmt *st, int col,
                          char **out)
{
    const char *t;

    *out = NULL;
    if (s->drv->col_null(st, col))
        return NS_OK;
    t = s->drv->col_text(st, col);
    *out = strdup(t ? t : "");
    return *out ? NS_OK : NS_ERR_NOMEM;
}

enum ns_err store_collect_rows(struct store *s, struct store_stmt *st,
                               enum ns_err rc, void **items, size_t *n,
                               size_t size, store_row_fn fn,
                               struct ns_error *err)
{
    while (rc == NS_OK) {
        char *p = realloc(*items, (*n + 1) * size);

        if (p == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "store: out of memory");
        *items = p;
        rc = fn(s, st, p + *n * size, err);
        if (rc != NS_OK)
            return rc;
        (*n)++;
        rc = s->drv->step(st, err);
    }
    return rc == NS_DONE ? NS_OK : rc;
}

static enum ns_err version_conn(struct store *s, struct store_conn *c,
                                void *vctx, struct ns_error *err)
{
    struct store_stmt *st = NULL;
    int *version = vctx;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT MAX(version) FROM schema_migrations", 0,
                     &st, err, "");
    if (rc == NS_OK && !s->drv->col_null(st, 0))
        *version = (int)s->drv->col_int(st, 0);
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

enum ns_err store_schema_version(struct store *s, int *version,
                                 struct ns_error *err)
{
    *version = 0;
    return store_with_conn(s, version_conn, version, err);
}
