/* Versioned migrations, one list for both backends. Statements use
 * tokens for the few dialect differences, expanded per backend:
 *   {ID}    auto-increment primary key   {INT}   64-bit integer
 *   {REAL}  double                       {KEY}   indexable text
 *   {SHORT} short indexable text         {TEXT}  long text (JSON)
 *   {BLOB}  large binary                 {TABLE} table options
 *   {INSERT_IGNORE} insert unless the key exists
 *   {ADD_COLUMN} add a column, repeatable where DDL commits by itself
 * A version is applied once, in order, and recorded in
 * schema_migrations; applying them again changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/buf.h"

struct token {
    const char *name;
    const char *sqlite;
    const char *mysql;
};

static const struct token tokens[] = {
    {"{ID}", "INTEGER PRIMARY KEY AUTOINCREMENT",
     "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"},
    {"{INT}", "INTEGER", "BIGINT"},
    {"{REAL}", "REAL", "DOUBLE"},
    {"{KEY}", "TEXT", "VARCHAR(191)"},
    {"{SHORT}", "TEXT", "VARCHAR(32)"},
    {"{TEXT}", "TEXT", "MEDIUMTEXT"},
    {"{BLOB}", "BLOB", "LONGBLOB"},
    {"{TABLE}", "", " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
                    " COLLATE=utf8mb4_bin"},
    {"{INSERT_IGNORE}", "INSERT OR IGNORE", "INSERT IGNORE"},
    {"{ADD_COLUMN}", "ADD COLUMN", "ADD COLUMN IF NOT EXISTS"},
};

struct migration {
    int version;
    const char *const *sql;     /* NULL-terminated */
};

static const char *const v1[] = {
    "CREATE TABLE IF NOT EXISTS appointments ("
    " id {ID},"
    " ext_id {KEY} NULL,"
    " patient_ref {KEY} NULL,"
    " booked_at {INT} NOT NULL,"
    " appt_day {INT} NOT NULL,"
    " appt_time {INT} NULL,"
    " specialty {KEY} NULL,"
    " status {SHORT} NOT NULL,"
    " label {INT} NULL,"
    " risk {REAL} NULL,"
    " band {SHORT} NULL,"
    " model_version {KEY} NULL,"
    " reasons {TEXT} NULL,"
    " notification_message {TEXT} NULL,"
    " input {TEXT} NULL,"
    " outcome_at {INT} NULL,"
    " created_at {INT} NOT NULL,"
    " updated_at {INT} NOT NULL,"
    " UNIQUE (ext_id)){TABLE}",
    "CREATE INDEX IF NOT EXISTS appt_patient_day"
    " ON appointments (patient_ref, appt_day)",
    "CREATE INDEX IF NOT EXISTS appt_patient_booked"
    " ON appointments (patient_ref, booked_at)",
    "CREATE INDEX IF NOT EXISTS appt_specialty ON appointments (specialty)",
    "CREATE INDEX IF NOT EXISTS appt_status_risk"
    " ON appointments (status, risk, id)",
    "CREATE INDEX IF NOT EXISTS appt_risk ON appointments (risk, id)",
    "CREATE INDEX IF NOT EXISTS appt_booked ON appointments (booked_at)",
    "CREATE TABLE IF NOT EXISTS events ("
    " id {ID},"
    " appointment_id {INT} NULL REFERENCES appointments (id),"
    " at_ms {INT} NOT NULL,"
    " kind {SHORT} NOT NULL,"
    " actor {KEY} NULL,"
    " detail {TEXT} NULL){TABLE}",
    "CREATE INDEX IF NOT EXISTS events_appt ON events (appointment_id)",
    "CREATE INDEX IF NOT EXISTS events_at ON events (at_ms)",
    "CREATE TABLE IF NOT EXISTS idempotency ("
    " idem_key {KEY} NOT NULL PRIMARY KEY,"
    " request_hash {KEY} NOT NULL,"
    " appointment_id {INT} NULL,"
    " response {TEXT} NULL,"
    " status_code {INT} NULL,"
    " created_at {INT} NOT NULL){TABLE}",
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id {ID},"
    " appointment_id {INT} NULL REFERENCES appointments (id),"
    " payload {TEXT} NULL,"
    " state {SHORT} NOT NULL,"
    " attempts {INT} NOT NULL DEFAULT 0,"
    " next_attempt_ms {INT} NOT NULL,"
    " last_error {TEXT} NULL,"
    " claim_token {KEY} NULL,"
    " updated_at {INT} NOT NULL){TABLE}",
    "CREATE INDEX IF NOT EXISTS outbox_due"
    " ON outbox (state, next_attempt_ms)",
    "CREATE INDEX IF NOT EXISTS outbox_claim ON outbox (claim_token)",
    "CREATE TABLE IF NOT EXISTS api_keys ("
    " id {ID},"
    " key_hash {KEY} NOT NULL,"
    " role {SHORT} NOT NULL,"
    " label {TEXT} NULL,"
    " created_at {INT} NOT NULL,"
    " revoked {INT} NOT NULL DEFAULT 0,"
    " UNIQUE (key_hash)){TABLE}",
    "CREATE TABLE IF NOT EXISTS models ("
    " version {KEY} NOT NULL PRIMARY KEY,"
    " created_at {INT} NOT NULL,"
    " status {SHORT} NOT NULL,"
    " parent {KEY} NULL,"
    " metrics {TEXT} NULL,"
    " fingerprint {KEY} NULL,"
    " bundle {BLOB} NULL){TABLE}",
    "CREATE INDEX IF NOT EXISTS models_status ON models (status)",
    "CREATE TABLE IF NOT EXISTS leases ("
    " name {KEY} NOT NULL PRIMARY KEY,"
    " holder {KEY} NOT NULL,"
    " expires_ms {INT} NOT NULL){TABLE}",
    "CREATE TABLE IF NOT EXISTS schema_columns ("
    " name {KEY} NOT NULL PRIMARY KEY,"
    " col_type {SHORT} NOT NULL,"
    " added_at {INT} NOT NULL){TABLE}",
    NULL,
};

/* Reading a reminder's delivery state by appointment. */
static const char *const v2[] = {
    "CREATE INDEX IF NOT EXISTS outbox_appt ON outbox (appointment_id)",
    NULL,
};

/* The two day counts of the original booking table: days_between as the
 * client declared it, number_days from the two dates (the lead time the
 * model uses), so reports written against that table keep working. */
static const char *const v3[] = {
    "ALTER TABLE appointments {ADD_COLUMN} days_between {INT} NULL",
    "ALTER TABLE appointments {ADD_COLUMN} number_days {INT} NULL",
    NULL,
};

static const struct migration migrations[] = {
    {1, v1},
    {2, v2},
    {3, v3},
};

/* Tables in an order that drops children before parents. */
static const char *const all_tables[] = {
    "events", "outbox", "idempotency", "appointments", "api_keys",
    "models", "leases", "schema_columns", "schema_migrations",
};

enum ns_err store_sql_expand(enum store_dialect d, const char *sql,
                             char **out, struct ns_error *err)
{
    struct ns_buf b = NS_BUF_INIT;
    const char *p = sql;

    *out = NULL;
    while (*p != '\0') {
        const char *brace = strchr(p, '{');
        size_t i;

        if (brace == NULL)
            brace = p + strlen(p);
        if (ns_buf_append(&b, p, (size_t)(brace - p)) != NS_OK)
            goto nomem;
        if (*brace == '\0')
            break;
        for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
            size_t n = strlen(tokens[i].name);

            if (strncmp(brace, tokens[i].name, n) == 0) {
                if (ns_buf_puts(&b, d == STORE_SQLITE ? tokens[i].sqlite
                                                      : tokens[i].mysql)
                    != NS_OK)
                    goto nomem;
                p = brace + n;
                break;
            }
        }
        if (i == sizeof(tokens) / sizeof(tokens[0])) {
            ns_buf_free(&b);
            return ns_error_set(err, NS_ERR_INVALID, "migration: unknown "
                                "token at \"%.24s\"", brace);
        }
    }
    if (b.data == NULL && ns_buf_puts(&b, "") != NS_OK)
        goto nomem;
    *out = ns_buf_steal(&b);
    return NS_OK;
nomem:
    ns_buf_free(&b);
    return ns_error_set(err, NS_ERR_NOMEM, "migration: out of memory");
}

static enum ns_err exec_expanded(struct store *s, struct store_conn *c,
                                 const char *sql, struct ns_error *err)
{
    char *x = NULL;
    enum ns_err rc = store_sql_expand(s->dialect, sql, &x, err);

    if (rc == NS_OK)
        rc = s->drv->exec(c, x, err);
    free(x);
    return rc;
}

static enum ns_err applied(struct store *s, struct store_conn *c,
                           int version, int *yes, struct ns_error *err)
{
    struct store_stmt *st = NULL;
    enum ns_err rc;

    rc = store_query(s, c, "SELECT 1 FROM schema_migrations"
                     " WHERE version = ?", 0, &st, err, "i",
                     (int64_t)version);
    *yes = rc == NS_OK;
    s->drv->finalize(st);
    return rc == NS_DONE ? NS_OK : rc;
}

static enum ns_err apply(struct store *s, struct store_conn *c,
                         const struct migration *m, struct ns_error *err)
{
    enum ns_err rc;
    int done = 0;

    rc = applied(s, c, m->version, &done, err);
    if (rc != NS_OK || done)
        return rc;
    for (const char *const *q = m->sql; *q != NULL; q++) {
        rc = exec_expanded(s, c, *q, err);
        if (rc != NS_OK) {
            ns_error_prefix(err, "migration %d", m->version);
            return rc;
        }
    }
    return store_run(s, c, "INSERT INTO schema_migrations (version,"
                     " applied_at) VALUES (?, ?)", NULL, err, "ii",
                     (int64_t)m->version,
                     (int64_t)time(NULL) * 1000);
}

/* LIMITATION: on MariaDB, DDL commits by itself, so a migration that
 * fails halfway leaves the statements before the failure applied and is
 * not recorded. The next start runs it again, which is harmless only
 * because every statement is written to be repeatable (IF NOT EXISTS);
 * a future migration that rewrites data must keep that property or
 * record its own progress. */

/* On SQLite one IMMEDIATE transaction covers every migration, so two
 * processes opening a new file apply them once. MariaDB commits DDL
 * implicitly, so replicas starting together serialise on a named lock
 * instead, and each statement is written to be harmless when repeated. */
enum ns_err store_migrate(struct store *s, struct store_conn *c,
                          struct ns_error *err)
{
    const char *lock = s->dialect == STORE_SQLITE
                           ? "BEGIN IMMEDIATE"
                           : "SELECT GET_LOCK('noshow_migrate', 60)";
    const char *unlock = s->dialect == STORE_SQLITE
                             ? "COMMIT"
                             : "SELECT RELEASE_LOCK('noshow_migrate')";
    enum ns_err rc;

    rc = s->drv->exec(c, lock, err);
    if (rc != NS_OK)
        return rc;
    rc = exec_expanded(s, c, "CREATE TABLE IF NOT EXISTS schema_migrations"
                       " (version {INT} NOT NULL PRIMARY KEY,"
                       " applied_at {INT} NOT NULL){TABLE}", err);
    for (size_t i = 0;
         rc == NS_OK && i < sizeof(migrations) / sizeof(migrations[0]); i++)
        rc = apply(s, c, &migrations[i], err);
    if (rc != NS_OK) {
        if (s->dialect == STORE_SQLITE)
            store_tx_rollback(s, c);
        else if (s->drv->exec(c, unlock, NULL) != NS_OK)
            c->broken = 1;
        return rc;
    }
    return s->drv->exec(c, unlock, err);
}

enum ns_err store_drop_all(struct store *s, struct ns_error *err)
{
    struct store_conn *c = NULL;
    enum ns_err rc;
    char sql[96];

    rc = store_conn_get(s, &c, err);
    if (rc != NS_OK)
        return rc;
    if (s->dialect == STORE_MYSQL)
        rc = s->drv->exec(c, "SET FOREIGN_KEY_CHECKS=0", err);
    for (size_t i = 0;
         rc == NS_OK && i < sizeof(all_tables) / sizeof(all_tables[0]);
         i++) {
        snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s",
                 all_tables[i]);
        rc = s->drv->exec(c, sql, err);
    }
    if (rc == NS_OK && s->dialect == STORE_MYSQL)
        rc = s->drv->exec(c, "SET FOREIGN_KEY_CHECKS=1", err);
    if (rc == NS_OK)
        rc = store_migrate(s, c, err);
    store_conn_put(s, c);
    return rc;
}
