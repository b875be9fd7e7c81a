/* SQLite backend: the low-level driver over libsqlite3 and the backend's
 * operation table (shared operations plus its integrity check). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define BUSY_TIMEOUT_MS 5000
struct sq_conn {
    struct store_conn base;
    sqlite3 *db;
    struct store_stmt_cache cache;
};

struct store_stmt {
    struct sq_conn *c;
    sqlite3_stmt *st;
    struct store_cached *from;  /* NULL when not cached */
};

enum ns_err store_sqlite_config(struct store *s, const char *path,
                                struct ns_error *err)
{
    if (path[0] == '\0')
        return ns_error_field(err, NS_ERR_INVALID, "db",
                              "sqlite: URL has no path; expected "
                              "sqlite:PATH or sqlite::memory:");
    s->path = strdup(path);
    if (s->path == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "sqlite: out of memory");

    /* Each connection to ":memory:" is its own database: one connection
     * keeps the whole store in one place. */
    if (strcmp(path, ":memory:") == 0)
        s->max_open = 1;
    return NS_OK;
}

/* Busy and locked mean "another writer holds the database", and full
 * means the disk has no room left: all retryable once that passes, so
 * the service answers 503 with Retry-After rather than a bare 500. */
static enum ns_err sq_fail(struct sq_conn *c, int rc, const char *what,
                           struct ns_error *err)
{
    int base = rc & 0xff;
    enum ns_err code = NS_ERR_LIB;

    if (base == SQLITE_BUSY || base == SQLITE_LOCKED
        || base == SQLITE_FULL)
        code = NS_ERR_UNAVAILABLE;
    else if (rc == SQLITE_CONSTRAINT_UNIQUE ||
             rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = NS_ERR_CONFLICT;
    else if (base == SQLITE_IOERR || base == SQLITE_CORRUPT ||
             base == SQLITE_CANTOPEN)
        code = NS_ERR_IO;
    return ns_error_set(err, code, "sqlite: %s: %s (code %d)", what,
                        c && c->db ? sqlite3_errmsg(c->db)
                                   : sqlite3_errstr(rc), rc);
}

static enum ns_err sq_exec(struct store_conn *bc, const char *sql,
                           struct ns_error *err)
{
    struct sq_conn *c = (struct sq_conn *)bc;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return sq_fail(c, rc, sql, err);
    return NS_OK;
}

static void sq_disconnect(struct store_conn *bc)
{
    struct sq_conn *c = (struct sq_conn *)bc;

    if (c == NULL)
        return;
    for (int i = 0; i < c->cache.n; i++) {
        sqlite3_finalize(c->cache.e[i].stmt);
        free(c->cache.e[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

/* WAL pages before a commit runs a checkpoint (SQLite's default: 1000).
 * A booking dirties the same few index pages again and again; a longer
 * WAL copies each of them back once per checkpoint instead of every few
 * hundred bookings, and the checkpoint's fsyncs come less often.
 * LIMITATION: the checkpoint still runs inside the commit that crosses
 * the mark, which lengthens that booking's wait (the p99); a checkpoint
 * thread would take it off the request path. */
#define SQ_CHECKPOINT_PAGES "8000"

static enum ns_err sq_connect(struct store *s, struct store_conn **out,
                              struct ns_error *err)
{
    struct sq_conn *c = calloc(1, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX;
    enum ns_err rc = NS_OK;
    int src;

    *out = NULL;
    if (c == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "sqlite: out of memory");
    src = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = sq_fail(c, src, "open", err);
        ns_error_prefix(err, "%s", s->path);
        goto out;
    }
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);

    /* WAL lets readers run beside the one writer. synchronous=NORMAL in
     * WAL mode writes each commit to the WAL file before COMMIT returns,
     * so an acknowledged transaction survives a crash of the process
     * (kill -9).
     * LIMITATION: a power loss or OS crash may lose the last commits
     * (never corrupting the file), since the WAL is fsynced at
     * checkpoints, not per commit. synchronous=FULL would fsync every
     * commit, at a large cost in bookings per second. */
    rc = sq_exec(&c->base, "PRAGMA journal_mode=WAL;"
                           "PRAGMA synchronous=NORMAL;"
                           "PRAGMA foreign_keys=ON;"
                           "PRAGMA wal_autocheckpoint=" SQ_CHECKPOINT_PAGES
                           ";", err);
out:
    if (rc != NS_OK) {
        sq_disconnect(&c->base);
        return rc;
    }
    *out = &c->base;
    return NS_OK;
}

static enum ns_err sq_prepare(struct store_conn *bc, const char *sql,
                              int stream, struct store_stmt **out,
                              struct ns_error *err)
{
    struct sq_conn *c = (struct sq_conn *)bc;
    struct store_stmt *st = calloc(1, sizeof(*st));
    int rc;

    (void)stream;
    *out = NULL;
    if (st == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "sqlite: out of memory");
    st->c = c;
    st->from = store_cache_take(&c->cache, sql);
    if (st->from != NULL) {
        st->st = st->from->stmt;
    } else {
        rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &st->st, NULL);
        if (rc != SQLITE_OK) {
            free(st);
            return sq_fail(c, rc, "prepare", err);
        }
        st->from = store_cache_add(&c->cache, sql, st->st);
    }
    *out = st;
    return NS_OK;
}

static void sq_bind_int(struct store_stmt *st, int idx, int64_t v)
{
    sqlite3_bind_int64(st->st, idx, v);
}

static void sq_bind_double(struct store_stmt *st, int idx, double v)
{
    sqlite3_bind_double(st->st, idx, v);
}

static void sq_bind_text(struct store_stmt *st, int idx, const char *v)
{
    sqlite3_bind_text(st->st, idx, v, -1, SQLITE_TRANSIENT);
}

static void sq_bind_blob(struct store_stmt *st, int idx, const void *v,
                         size_t n)
{
    sqlite3_bind_blob64(st->st, idx, v, n, SQLITE_TRANSIENT);
}

static void sq_bind_null(struct store_stmt *st, int idx)
{
    sqlite3_bind_null(st->st, idx);
}

static enum ns_err sq_step(struct store_stmt *st, struct ns_error *err)
{
    int rc = sqlite3_step(st->st);

    if (rc == SQLITE_ROW)
        return NS_OK;
    if (rc == SQLITE_DONE)
        return NS_DONE;
    return sq_fail(st->c, sqlite3_extended_errcode(st->c->db), "step",
                   err);
}

static int sq_col_null(struct store_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct store_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

static double sq_col_double(struct store_stmt *st, int col)
{
    return sqlite3_column_double(st->st, col);
}

static const char *sq_col_text(struct store_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st->st, col);
}

static const void *sq_col_blob(struct store_stmt *st, int col, size_t *n)
{
    const void *p = sqlite3_column_blob(st->st, col);

    *n = (size_t)sqlite3_column_bytes(st->st, col);
    return p;
}

static int64_t sq_changes(struct store_stmt *st)
{
    return sqlite3_changes64(st->c->db);
}

static int64_t sq_last_id(struct store_stmt *st)
{
    return sqlite3_last_insert_rowid(st->c->db);
}

static void sq_finalize(struct store_stmt *st)
{
    if (st == NULL)
        return;
    if (st->from != NULL) {
        sqlite3_reset(st->st);
        sqlite3_clear_bindings(st->st);
        st->from->busy = 0;
    } else {
        sqlite3_finalize(st->st);
    }
    free(st);
}

const struct store_driver store_sqlite_driver = {
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_null = sq_col_null,
    .col_int = sq_col_int,
    .col_double = sq_col_double,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .last_id = sq_last_id,
    .finalize = sq_finalize,
};

static enum ns_err sq_integrity_conn(struct store *s, struct store_conn *c,
                                     void *vctx, struct ns_error *err)
{
    struct store_stmt *st = NULL;
    enum ns_err rc;

    (void)vctx;
    rc = store_query(s, c, "PRAGMA integrity_check", 0, &st, err, "");
    if (rc == NS_OK) {
        const char *r = s->drv->col_text(st, 0);

        if (r == NULL || strcmp(r, "ok") != 0)
            rc = ns_error_set(err, NS_ERR_LIB,
                              "sqlite: integrity check of %s failed: "
                              "%.512s; expected \"ok\"", s->path,
                              r ? r : "(no answer)");
    } else if (rc == NS_DONE) {
        rc = ns_error_set(err, NS_ERR_LIB,
                          "sqlite: integrity check of %s gave no answer",
                          s->path);
    }
    s->drv->finalize(st);
    return rc;
}

static enum ns_err sq_integrity(struct store *s, struct ns_error *err)
{
    return store_with_conn(s, sq_integrity_conn, NULL, err);
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    STORE_GENERIC_OPS,
    .integrity_check = sq_integrity,
};
