/* MariaDB/MySQL backend over MariaDB Connector/C: the low-level driver
 * (server-side prepared statements only: values always travel as bound
 * parameters, never inside SQL text) and the backend's operation table. */
#include <errno.h>
#include <errmsg.h>
#include <limits.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define CONNECT_TIMEOUT_S 5
#define IO_TIMEOUT_S 30

struct my_conn {
    struct store_conn base;
    MYSQL *db;
    struct store_stmt_cache cache;
};

struct my_param {
    int64_t i;
    double d;
    unsigned long len;
};

struct my_col {
    int64_t i;
    double d;
    unsigned long len;
    my_bool is_null;
    my_bool error;
    enum { COL_INT, COL_DOUBLE, COL_BYTES } kind;
    char *buf;
    size_t cap;
};

struct store_stmt {
    struct my_conn *c;
    struct store_cached *from;  /* NULL when not cached */
    MYSQL_STMT *st;
    int stream;
    int executed;
    int bad_bind;
    unsigned n_params;
    MYSQL_BIND *params;
    struct my_param *pv;
    unsigned n_cols;
    MYSQL_BIND *res;
    struct my_col *cols;
};

static void stmt_destroy(struct store_stmt *st);

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
    mysql_library_init(0, NULL, NULL);
}

/* Percent-decodes src[0..n) into a new string (user and password may
 * hold reserved characters). */
static char *url_part(const char *src, size_t n)
{
    char *out = malloc(n + 1);
    size_t j = 0;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char hex[3] = {0};
        char *end = hex;
        long v = 0;

        if (src[i] == '%' && i + 2 < n) {
            hex[0] = src[i + 1];
            hex[1] = src[i + 2];
            v = strtol(hex, &end, 16);
            if (end == hex + 2) {
                out[j++] = (char)v;
                i += 2;
                continue;
            }
        }
        out[j++] = src[i];
    }
    out[j] = '\0';
    return out;
}

static enum ns_err bad_url(const char *why, struct ns_error *err)
{
    return ns_error_field(err, NS_ERR_INVALID, "db",
                          "mysql URL: %s; expected "
                          "mysql://USER:PASSWORD@HOST:PORT/NAME", why);
}

enum ns_err store_mysql_config(struct store *s, const char *rest,
                               struct ns_error *err)
{
    const char *at = strrchr(rest, '@');
    const char *colon, *slash, *pcolon;
    char *end;
    long port = 3306;

    if (at == NULL)
        return bad_url("no USER:PASSWORD@ part", err);
    colon = memchr(rest, ':', (size_t)(at - rest));
    slash = strchr(at, '/');
    if (slash == NULL || slash[1] == '\0')
        return bad_url("no /NAME (database) part", err);
    pcolon = memchr(at, ':', (size_t)(slash - at));
    if (pcolon != NULL) {
        errno = 0;
        port = strtol(pcolon + 1, &end, 10);
        if (errno != 0 || end != slash || port < 1 || port > 65535)
            return bad_url("the port is not a number in 1..65535", err);
    }
    s->user = url_part(rest, (size_t)((colon ? colon : at) - rest));
    s->password = colon ? url_part(colon + 1, (size_t)(at - colon - 1))
                        : url_part("", 0);
    s->host = url_part(at + 1,
                       (size_t)((pcolon ? pcolon : slash) - at - 1));
    s->dbname = url_part(slash + 1, strlen(slash + 1));
    s->port = (unsigned)port;
    if (!s->user || !s->password || !s->host || !s->dbname)
        return ns_error_set(err, NS_ERR_NOMEM, "mysql: out of memory");
    if (s->host[0] == '\0' || s->user[0] == '\0')
        return bad_url("the user or host is empty", err);
    return NS_OK;
}

static int lost(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
           e == CR_CONN_HOST_ERROR || e == CR_CONNECTION_ERROR ||
           e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
           e == CR_COMMANDS_OUT_OF_SYNC || e == ER_SERVER_SHUTDOWN ||
           e == CR_UNKNOWN_HOST;
}

/* Classifies a server or client error; a lost connection is marked
 * broken so the pool drops it and the next call reconnects. */
static enum ns_err my_fail(struct my_conn *c, unsigned e, const char *msg,
                           const char *what, struct ns_error *err)
{
    enum ns_err code = NS_ERR_LIB;

    if (lost(e)) {
        c->base.broken = 1;
        code = NS_ERR_UNAVAILABLE;
    } else if (e == ER_LOCK_DEADLOCK || e == ER_AUTOINC_READ_FAILED) {
        /* InnoDB reports a deadlock met while taking a table's
         * auto-increment lock as 1467, not 1213; either way the
         * transaction is gone and may run again. */
        c->base.deadlocked = 1;
        code = NS_ERR_UNAVAILABLE;
    } else if (e == ER_LOCK_WAIT_TIMEOUT
               || e == ER_RECORD_FILE_FULL || e == ER_DISK_FULL) {
        code = NS_ERR_UNAVAILABLE;
    } else if (e == ER_DUP_ENTRY || e == ER_DUP_KEY) {
        code = NS_ERR_CONFLICT;
    }
    return ns_error_set(err, code, "mysql: %s: %s (error %u)", what, msg,
                        e);
}

static enum ns_err my_exec(struct store_conn *bc, const char *sql,
                           struct ns_error *err)
{
    struct my_conn *c = (struct my_conn *)bc;
    MYSQL_RES *r;

    if (mysql_real_query(c->db, sql, strlen(sql)) != 0)
        return my_fail(c, mysql_errno(c->db), mysql_error(c->db), "query",
                       err);
    do {
        r = mysql_store_result(c->db);
        mysql_free_result(r);
    } while (mysql_next_result(c->db) == 0);
    if (mysql_errno(c->db) != 0)
        return my_fail(c, mysql_errno(c->db), mysql_error(c->db), "query",
                       err);
    return NS_OK;
}

static void my_disconnect(struct store_conn *bc)
{
    struct my_conn *c = (struct my_conn *)bc;

    if (c == NULL)
        return;
    for (int i = 0; i < c->cache.n; i++) {
        stmt_destroy(c->cache.e[i].stmt);
        free(c->cache.e[i].sql);
    }
    mysql_close(c->db);
    free(c);
}

static enum ns_err my_connect(struct store *s, struct store_conn **out,
                              struct ns_error *err)
{
    struct my_conn *c = calloc(1, sizeof(*c));
    unsigned ct = CONNECT_TIMEOUT_S, io = IO_TIMEOUT_S;
    enum ns_err rc;

    *out = NULL;
    if (c == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "mysql: out of memory");
    pthread_once(&lib_once, lib_init);
    c->db = mysql_init(NULL);
    if (c->db == NULL) {
        free(c);
        return ns_error_set(err, NS_ERR_NOMEM, "mysql: mysql_init failed");
    }
    mysql_options(c->db, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(c->db, MYSQL_OPT_READ_TIMEOUT, &io);
    mysql_options(c->db, MYSQL_OPT_WRITE_TIMEOUT, &io);
    mysql_options(c->db, MYSQL_SET_CHARSET_NAME, "utf8mb4");

    /* CLIENT_FOUND_ROWS: UPDATE reports matched rows, so renewing a lease
     * with the same values still counts as one row. */
    if (mysql_real_connect(c->db, s->host, s->user, s->password,
                           s->dbname, s->port, NULL,
                           CLIENT_FOUND_ROWS) == NULL) {
        rc = my_fail(c, mysql_errno(c->db), mysql_error(c->db), "connect",
                     err);
        ns_error_prefix(err, "%s@%s:%u/%s", s->user, s->host, s->port,
                        s->dbname);
        goto fail;
    }

    /* Read committed: fewer gap locks between concurrent bookings; every
     * operation re-reads what it checks inside its own transaction. */
    rc = my_exec(&c->base, "SET SESSION sql_mode='STRICT_ALL_TABLES,"
                 "NO_ENGINE_SUBSTITUTION'", err);
    if (rc == NS_OK)
        rc = my_exec(&c->base, "SET SESSION TRANSACTION ISOLATION LEVEL"
                     " READ COMMITTED", err);
    if (rc != NS_OK)
        goto fail;
    *out = &c->base;
    return NS_OK;
fail:
    my_disconnect(&c->base);
    return rc;
}

static void results_free(struct store_stmt *st)
{
    for (unsigned i = 0; st->cols && i < st->n_cols; i++)
        free(st->cols[i].buf);
    free(st->res);
    free(st->cols);
    st->res = NULL;
    st->cols = NULL;
    st->n_cols = 0;
}

static void stmt_destroy(struct store_stmt *st)
{
    if (st == NULL)
        return;
    if (st->st != NULL)
        mysql_stmt_close(st->st);
    results_free(st);
    free(st->params);
    free(st->pv);
    free(st);
}

/* Ends a use of st: a cached statement drops its rows and waits for the
 * next use, another one is closed. */
static void my_finalize(struct store_stmt *st)
{
    if (st == NULL)
        return;
    if (st->from == NULL) {
        stmt_destroy(st);
        return;
    }
    mysql_stmt_free_result(st->st);
    if (mysql_stmt_reset(st->st) != 0)
        st->c->base.broken = 1;
    results_free(st);
    st->executed = 0;
    st->bad_bind = 0;
    for (unsigned i = 0; i < st->n_params; i++) {
        memset(&st->params[i], 0, sizeof(MYSQL_BIND));
        st->params[i].buffer_type = MYSQL_TYPE_NULL;
    }
    st->from->busy = 0;
}

/* Statements are kept per connection and reused (reset between uses):
 * a booking makes about six statements, and preparing each anew would
 * cost a round trip to the server apiece. */
static enum ns_err my_prepare(struct store_conn *bc, const char *sql,
                              int stream, struct store_stmt **out,
                              struct ns_error *err)
{
    struct my_conn *c = (struct my_conn *)bc;
    struct store_cached *k = store_cache_take(&c->cache, sql);
    struct store_stmt *st;
    enum ns_err rc;

    *out = NULL;
    if (k != NULL) {
        st = k->stmt;
        st->stream = stream;
        *out = st;
        return NS_OK;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "mysql: out of memory");
    st->c = c;
    st->stream = stream;
    st->st = mysql_stmt_init(c->db);
    if (st->st == NULL) {
        rc = my_fail(c, mysql_errno(c->db), mysql_error(c->db), "prepare",
                     err);
        goto fail;
    }
    if (mysql_stmt_prepare(st->st, sql, strlen(sql)) != 0) {
        rc = my_fail(c, mysql_stmt_errno(st->st), mysql_stmt_error(st->st),
                     "prepare", err);
        goto fail;
    }
    st->n_params = (unsigned)mysql_stmt_param_count(st->st);
    st->params = calloc(st->n_params + 1, sizeof(*st->params));
    st->pv = calloc(st->n_params + 1, sizeof(*st->pv));
    if (st->params == NULL || st->pv == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "mysql: out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < st->n_params; i++)
        st->params[i].buffer_type = MYSQL_TYPE_NULL;
    st->from = store_cache_add(&c->cache, sql, st);
    *out = st;
    return NS_OK;
fail:
    stmt_destroy(st);
    return rc;
}

static MYSQL_BIND *param(struct store_stmt *st, int idx)
{
    if (idx < 1 || (unsigned)idx > st->n_params) {
        st->bad_bind = idx;
        return NULL;
    }
    memset(&st->params[idx - 1], 0, sizeof(MYSQL_BIND));
    return &st->params[idx - 1];
}

static void my_bind_int(struct store_stmt *st, int idx, int64_t v)
{
    MYSQL_BIND *b = param(st, idx);

    if (b == NULL)
        return;
    st->pv[idx - 1].i = v;
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = &st->pv[idx - 1].i;
}

static void my_bind_double(struct store_stmt *st, int idx, double v)
{
    MYSQL_BIND *b = param(st, idx);

    if (b == NULL)
        return;
    st->pv[idx - 1].d = v;
    b->buffer_type = MYSQL_TYPE_DOUBLE;
    b->buffer = &st->pv[idx - 1].d;
}

static void my_bind_blob(struct store_stmt *st, int idx, const void *v,
                         size_t n)
{
    MYSQL_BIND *b = param(st, idx);

    if (b == NULL)
        return;
    st->pv[idx - 1].len = (unsigned long)n;
    b->buffer_type = MYSQL_TYPE_BLOB;
    b->buffer = (void *)(uintptr_t)v;
    b->buffer_length = (unsigned long)n;
    b->length = &st->pv[idx - 1].len;
}

static void my_bind_text(struct store_stmt *st, int idx, const char *v)
{
    my_bind_blob(st, idx, v, strlen(v));
    if (idx >= 1 && (unsigned)idx <= st->n_params)
        st->params[idx - 1].buffer_type = MYSQL_TYPE_STRING;
}

static void my_bind_null(struct store_stmt *st, int idx)
{
    MYSQL_BIND *b = param(st, idx);

    if (b != NULL)
        b->buffer_type = MYSQL_TYPE_NULL;
}

/* Binds each result column to a slot by its type: integers and floating
 * point directly, everything else fetched as bytes after each row. */
static enum ns_err bind_results(struct store_stmt *st, MYSQL_RES *meta,
                                struct ns_error *err)
{
    MYSQL_FIELD *f = mysql_fetch_fields(meta);

    st->n_cols = mysql_num_fields(meta);
    st->res = calloc(st->n_cols + 1, sizeof(*st->res));
    st->cols = calloc(st->n_cols + 1, sizeof(*st->cols));
    if (st->res == NULL || st->cols == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "mysql: out of memory");
    for (unsigned i = 0; i < st->n_cols; i++) {
        MYSQL_BIND *b = &st->res[i];
        struct my_col *col = &st->cols[i];

        switch (f[i].type) {
        case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONGLONG:
            col->kind = COL_INT;
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->buffer = &col->i;
            break;
        case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE:
        case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL:
            col->kind = COL_DOUBLE;
            b->buffer_type = MYSQL_TYPE_DOUBLE;
            b->buffer = &col->d;
            break;
        default:
            col->kind = COL_BYTES;
            b->buffer_type = MYSQL_TYPE_BLOB;
            b->buffer = NULL;
            b->buffer_length = 0;
            break;
        }
        b->length = &col->len;
        b->is_null = &col->is_null;
        b->error = &col->error;
    }
    if (mysql_stmt_bind_result(st->st, st->res) != 0)
        return my_fail(st->c, mysql_stmt_errno(st->st),
                       mysql_stmt_error(st->st), "bind result", err);
    return NS_OK;
}

static enum ns_err execute(struct store_stmt *st, struct ns_error *err)
{
    MYSQL_RES *meta;
    enum ns_err rc = NS_OK;

    if (st->bad_bind != 0)
        return ns_error_set(err, NS_ERR_LIB, "mysql: parameter %d is out "
                            "of range 1..%u", st->bad_bind, st->n_params);
    if (mysql_stmt_bind_param(st->st, st->params) != 0 ||
        mysql_stmt_execute(st->st) != 0)
        return my_fail(st->c, mysql_stmt_errno(st->st),
                       mysql_stmt_error(st->st), "execute", err);
    st->executed = 1;
    meta = mysql_stmt_result_metadata(st->st);
    if (meta == NULL)
        return NS_OK;
    rc = bind_results(st, meta, err);
    mysql_free_result(meta);
    if (rc == NS_OK && !st->stream && mysql_stmt_store_result(st->st) != 0)
        rc = my_fail(st->c, mysql_stmt_errno(st->st),
                     mysql_stmt_error(st->st), "store result", err);
    return rc;
}

/* Fetches the byte columns of the current row into their own buffers. */
static enum ns_err fetch_bytes(struct store_stmt *st, struct ns_error *err)
{
    for (unsigned i = 0; i < st->n_cols; i++) {
        struct my_col *col = &st->cols[i];
        MYSQL_BIND b;

        if (col->kind != COL_BYTES || col->is_null)
            continue;
        if (col->cap < (size_t)col->len + 1) {
            char *p = realloc(col->buf, (size_t)col->len + 1);

            if (p == NULL)
                return ns_error_set(err, NS_ERR_NOMEM,
                                    "mysql: out of memory");
            col->buf = p;
            col->cap = (size_t)col->len + 1;
        }
        col->buf[col->len] = '\0';
        if (col->len == 0)
            continue;
        memset(&b, 0, sizeof(b));
        b.buffer_type = MYSQL_TYPE_BLOB;
        b.buffer = col->buf;
        b.buffer_length = col->len;
        if (mysql_stmt_fetch_column(st->st, &b, i, 0) != 0)
            return my_fail(st->c, mysql_stmt_errno(st->st),
                           mysql_stmt_error(st->st), "fetch column", err);
    }
    return NS_OK;
}

static enum ns_err my_step(struct store_stmt *st, struct ns_error *err)
{
    enum ns_err rc;
    int f;

    if (!st->executed) {
        rc = execute(st, err);
        if (rc != NS_OK)
            return rc;
    }
    if (st->n_cols == 0)
        return NS_DONE;
    f = mysql_stmt_fetch(st->st);
    if (f == MYSQL_NO_DATA)
        return NS_DONE;
    if (f == 1)
        return my_fail(st->c, mysql_stmt_errno(st->st),
                       mysql_stmt_error(st->st), "fetch", err);
    return fetch_bytes(st, err);
}

static int my_col_null(struct store_stmt *st, int col)
{
    return st->cols[col].is_null;
}

static int64_t my_col_int(struct store_stmt *st, int col)
{
    struct my_col *c = &st->cols[col];

    if (c->kind == COL_DOUBLE)
        return (int64_t)c->d;
    if (c->kind == COL_BYTES)
        return c->buf ? strtoll(c->buf, NULL, 10) : 0;
    return c->i;
}

static double my_col_double(struct store_stmt *st, int col)
{
    struct my_col *c = &st->cols[col];

    if (c->kind == COL_INT)
        return (double)c->i;
    if (c->kind == COL_BYTES)
        return c->buf ? strtod(c->buf, NULL) : 0.0;
    return c->d;
}

static const char *my_col_text(struct store_stmt *st, int col)
{
    struct my_col *c = &st->cols[col];

    if (c->is_null)
        return NULL;
    if (c->kind == COL_INT || c->kind == COL_DOUBLE) {
        char tmp[40];
        int n = c->kind == COL_INT
                    ? snprintf(tmp, sizeof(tmp), "%lld", (long long)c->i)
                    : snprintf(tmp, sizeof(tmp), "%.17g", c->d);
        char *p = realloc(c->buf, (size_t)n + 1);

        if (p == NULL)
            return NULL;
        memcpy(p, tmp, (size_t)n + 1);
        c->buf = p;
        c->cap = (size_t)n + 1;
    }
    return c->buf ? c->buf : "";
}

static const void *my_col_blob(struct store_stmt *st, int col, size_t *n)
{
    *n = st->cols[col].is_null ? 0 : st->cols[col].len;
    return my_col_text(st, col);
}

static int64_t my_changes(struct store_stmt *st)
{
    return (int64_t)mysql_stmt_affected_rows(st->st);
}

static int64_t my_last_id(struct store_stmt *st)
{
    return (int64_t)mysql_stmt_insert_id(st->st);
}

const struct store_driver store_mysql_driver = {
    .connect = my_connect,
    .disconnect = my_disconnect,
    .exec = my_exec,
    .prepare = my_prepare,
    .bind_int = my_bind_int,
    .bind_double = my_bind_double,
    .bind_text = my_bind_text,
    .bind_blob = my_bind_blob,
    .bind_null = my_bind_null,
    .step = my_step,
    .col_null = my_col_null,
    .col_int = my_col_int,
    .col_double = my_col_double,
    .col_text = my_col_text,
    .col_blob = my_col_blob,
    .changes = my_changes,
    .last_id = my_last_id,
    .finalize = my_finalize,
};

/* CHECK TABLE answers one row per table; any Msg_type "error" or a last
 * Msg_text other than "OK" is a problem. */
static enum ns_err my_integrity_conn(struct store *s, struct store_conn *c,
                                     void *vctx, struct ns_error *err)
{
    struct store_stmt *st = NULL;
    enum ns_err rc;

    (void)vctx;
    rc = store_query(s, c, "CHECK TABLE appointments, events, idempotency,"
                     " outbox, api_keys, models, leases, schema_columns,"
                     " schema_migrations", 0, &st, err, "");
    while (rc == NS_OK) {
        const char *type = s->drv->col_text(st, 2);
        const char *text = s->drv->col_text(st, 3);

        if (type && text && strcmp(type, "status") == 0 &&
            strcmp(text, "OK") != 0) {
            rc = ns_error_set(err, NS_ERR_LIB, "mysql: CHECK TABLE %s: "
                              "%.256s; expected OK",
                              s->drv->col_text(st, 0), text);
            break;
        }
        if (type && strcmp(type, "error") == 0) {
            rc = ns_error_set(err, NS_ERR_LIB, "mysql: CHECK TABLE: "
                              "%.256s", text ? text : "error");
            break;
        }
        rc = s->drv->step(st, err);
    }
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

static enum ns_err my_integrity(struct store *s, struct ns_error *err)
{
    return store_with_conn(s, my_integrity_conn, NULL, err);
}

const struct store_ops store_mysql_ops = {
    .name = "mysql",
    STORE_GENERIC_OPS,
    .integrity_check = my_integrity,
};
