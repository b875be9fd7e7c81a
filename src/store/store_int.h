/* Shared by the files of src/store/ only: the low-level driver each
 * backend implements (connect, prepare, bind, step, read columns), the
 * connection pool, and the operations written once against the driver.
 * The SQL dialect differences live in the few strings chosen by
 * store->dialect and in the migration tokens of migrations.c. */
#ifndef NS_STORE_INT_H
#define NS_STORE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "store/store.h"

enum store_dialect { STORE_SQLITE = 0, STORE_MYSQL };

/* Every backend connection starts with this header. */
struct store_conn {
    int broken;     /* set on a lost connection: the pool drops it */
    int deadlocked; /* the last statement lost a deadlock: the server
                     * has rolled the whole transaction back */
};

struct store_stmt;

/* Prepared statements a connection keeps for reuse, keyed by SQL text:
 * preparing is a large part of a short transaction's cost (and a round
 * trip to a MariaDB server). stmt is the backend's own handle. */
#define STORE_STMT_CACHE 64

struct store_cached {
    uint64_t hash;
    char *sql;
    void *stmt;
    int busy;
};

struct store_stmt_cache {
    struct store_cached e[STORE_STMT_CACHE];
    int n;
};

/* An idle entry for sql, now marked busy; NULL when there is none. */
struct store_cached *store_cache_take(struct store_stmt_cache *c,
                                      const char *sql);
/* Adds stmt for sql, busy; NULL when full or out of memory (the caller
 * then uses stmt once, uncached). */
struct store_cached *store_cache_add(struct store_stmt_cache *c,
                                     const char *sql, void *stmt);

/* Binds never fail on their own: a bad index is reported by step().
 * Bound text and blobs are borrowed until the next step(). Column
 * accessors take 0-based indexes; text and blobs are borrowed until the
 * next step() or finalize(). step() returns NS_OK with a row, NS_DONE at
 * the end, NS_ERR_CONFLICT on a unique-key violation, NS_ERR_UNAVAILABLE
 * when the database is unreachable or busy, NS_ERR_LIB otherwise. */
struct store_driver {
    enum ns_err (*connect)(struct store *s, struct store_conn **out,
                           struct ns_error *err);
    void (*disconnect)(struct store_conn *c);
    /* Runs SQL without parameters, discarding any rows. */
    enum ns_err (*exec)(struct store_conn *c, const char *sql,
                        struct ns_error *err);
    /* stream: rows are fetched one by one from the server instead of
     * being buffered (no other statement may run until finalize). */
    enum ns_err (*prepare)(struct store_conn *c, const char *sql,
                           int stream, struct store_stmt **out,
                           struct ns_error *err);
    void (*bind_int)(struct store_stmt *st, int idx, int64_t v);
    void (*bind_double)(struct store_stmt *st, int idx, double v);
    void (*bind_text)(struct store_stmt *st, int idx, const char *v);
    void (*bind_blob)(struct store_stmt *st, int idx, const void *v,
                      size_t n);
    void (*bind_null)(struct store_stmt *st, int idx);
    enum ns_err (*step)(struct store_stmt *st, struct ns_error *err);
    int (*col_null)(struct store_stmt *st, int col);
    int64_t (*col_int)(struct store_stmt *st, int col);
    double (*col_double)(struct store_stmt *st, int col);
    const char *(*col_text)(struct store_stmt *st, int col);
    const void *(*col_blob)(struct store_stmt *st, int col, size_t *n);
    int64_t (*changes)(struct store_stmt *st);
    int64_t (*last_id)(struct store_stmt *st);
    void (*finalize)(struct store_stmt *st);
};

struct store {
    enum store_dialect dialect;
    const struct store_driver *drv;
    const struct store_ops *ops;
    /* sqlite */
    char *path;
    /* mysql */
    char *host;
    char *user;
    char *password;
    char *dbname;
    unsigned port;
    /* pool */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store_conn *idle[STORE_MAX_CONNS];
    int n_idle;
    int n_open;
    int max_open;
    /* SQLite: writers of this process queue here (see tx_conn). */
    pthread_mutex_t write_mu;
};

extern const struct store_driver store_sqlite_driver;
extern const struct store_driver store_mysql_driver;
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_mysql_ops;

/* Parses the backend part of the URL into s. */
NS_MUST_CHECK enum ns_err store_sqlite_config(struct store *s,
                                              const char *path,
                                              struct ns_error *err);
NS_MUST_CHECK enum ns_err store_mysql_config(struct store *s,
                                             const char *rest,
                                             struct ns_error *err);

/* Pool: get blocks while max_open connections are busy. put with
 * a broken connection closes it. */
NS_MUST_CHECK enum ns_err store_conn_get(struct store *s,
                                         struct store_conn **out,
                                         struct ns_error *err);
void store_conn_put(struct store *s, struct store_conn *c);

/* Transactions: begin takes the write lock at once on SQLite (BEGIN
 * IMMEDIATE) so two writers never deadlock on lock upgrade. */
NS_MUST_CHECK enum ns_err store_tx_begin(struct store *s,
                                         struct store_conn *c,
                                         struct ns_error *err);
NS_MUST_CHECK enum ns_err store_tx_commit(struct store *s,
                                          struct store_conn *c,
                                          struct ns_error *err);
/* Best effort: a failure leaves the connection marked broken. */
void store_tx_rollback(struct store *s, struct store_conn *c);

/* Runs fn on a pooled connection inside one transaction: commit when fn
 * returns NS_OK, roll back otherwise. with_conn: the same without a
 * transaction (reads). */
typedef enum ns_err (*store_conn_fn)(struct store *s, struct store_conn *c,
                                     void *ctx, struct ns_error *err);
NS_MUST_CHECK enum ns_err store_in_tx(struct store *s, store_conn_fn fn,
                                      void *ctx, struct ns_error *err);
/* store_in_tx, run again from the start (up to STORE_TX_TRIES times in
 * all) when MariaDB picks the transaction as a deadlock victim, which
 * two short transactions on one appointment can cause (a reminder's
 * delivery beside the patient's confirmation). fn must be safe to run
 * again: it may only set scalar outputs. */
#define STORE_TX_TRIES 3
NS_MUST_CHECK enum ns_err store_in_tx_retry(struct store *s,
                                            store_conn_fn fn, void *ctx,
                                            struct ns_error *err);
NS_MUST_CHECK enum ns_err store_with_conn(struct store *s,
                                          store_conn_fn fn, void *ctx,
                                          struct ns_error *err);

/* Prepares, binds from a format and steps once. fmt letters: 'i'
 * int64_t, 'I' int64_t or NULL when < 0 (as "unknown"), 'd' double (NaN
 * is NULL), 't' text (NULL is NULL), 'b' blob (pointer, size_t). With
 * out == NULL the statement is finalized after one step and NS_DONE and
 * NS_OK both become NS_OK; *changes (may be NULL) gets affected rows. */
NS_MUST_CHECK enum ns_err store_run(struct store *s, struct store_conn *c,
                                    const char *sql, int64_t *changes,
                                    struct ns_error *err,
                                    const char *fmt, ...);

/* Like store_run but keeps the statement: *out after its first step
 * (NS_OK: a row is ready; NS_DONE: none). Caller finalizes *out with
 * s->drv->finalize(). */
NS_MUST_CHECK enum ns_err store_query(struct store *s, struct store_conn *c,
                                      const char *sql, int stream,
                                      struct store_stmt **out,
                                      struct ns_error *err,
                                      const char *fmt, ...);

/* Reads one row into item (an element of a growing array). */
typedef enum ns_err (*store_row_fn)(struct store *s, struct store_stmt *st,
                                    void *item, struct ns_error *err);

/* Appends every row of st to *items (elements of size bytes, *n of them,
 * grown with realloc), starting from the result rc of the query's first
 * step: NS_OK when the rows ran out, else the failure. The caller
 * finalizes st and frees the items (also those read before a failure). */
NS_MUST_CHECK enum ns_err store_collect_rows(struct store *s,
                                             struct store_stmt *st,
                                             enum ns_err rc, void **items,
                                             size_t *n, size_t size,
                                             store_row_fn fn,
                                             struct ns_error *err);

/* Copies a nullable text column; NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err store_col_dup(struct store *s,
                                        struct store_stmt *st, int col,
                                        char **out);

/* Migrations (migrations.c). */
NS_MUST_CHECK enum ns_err store_migrate(struct store *s,
                                        struct store_conn *c,
                                        struct ns_error *err);
/* Drops every table the migrations created: for a fresh test database. */
NS_MUST_CHECK enum ns_err store_drop_all(struct store *s,
                                         struct ns_error *err);
/* Expands the dialect tokens ({ID}, {KEY}, ...) of a migration
 * statement. Caller frees the result with free(). */
NS_MUST_CHECK enum ns_err store_sql_expand(enum store_dialect d,
                                           const char *sql, char **out,
                                           struct ns_error *err);

/* Feature column names recorded in schema_columns (caller frees each and
 * the array with free()). */
NS_MUST_CHECK enum ns_err store_feature_columns(struct store *s,
                                                struct store_conn *c,
                                                char ***names, size_t *n,
                                                struct ns_error *err);

/* Appends one event (appt_id < 0: none) in the caller's transaction. */
NS_MUST_CHECK enum ns_err store_event_add(struct store *s,
                                          struct store_conn *c,
                                          int64_t appt_id, int64_t at_ms,
                                          const char *kind,
                                          const char *actor,
                                          const char *detail,
                                          struct ns_error *err);

/* The appointment columns in the order store_read_appt() reads them;
 * a query may select more after these, from STORE_APPT_NCOLS on. */
extern const char *const store_appt_cols;
#define STORE_APPT_NCOLS 18

/* Fills a from the current row of a SELECT of store_appt_cols; a is
 * freed with store_appt_free(). */
NS_MUST_CHECK enum ns_err store_read_appt(struct store *s,
                                          struct store_stmt *st,
                                          struct store_appt *a,
                                          struct ns_error *err);

/* The operations shared by both backends (ops_*.c). */
enum ns_err store_g_ensure_columns(struct store *, const char *const *,
                                   const enum store_col_type *, size_t,
                                   struct ns_error *);
enum ns_err store_g_book(struct store *, const struct store_appt_new *,
                         const struct store_idem *, store_respond_fn,
                         void *, struct store_book_result *,
                         struct ns_error *);
enum ns_err store_g_idem_lookup(struct store *, const struct store_idem *,
                                struct store_book_result *,
                                struct ns_error *);
enum ns_err store_g_appt_get(struct store *, int64_t, struct store_appt *,
                             struct ns_error *);
enum ns_err store_g_appt_list(struct store *,
                              const struct store_list_query *,
                              struct store_appt_page *, struct ns_error *);
enum ns_err store_g_set_outcome(struct store *, int64_t, enum store_status,
                                int64_t, const char *, int64_t, int *,
                                struct ns_error *);
enum ns_err store_g_notify(struct store *, int64_t, const char *,
                           const char *, const char *, int64_t, int64_t *,
                           struct ns_error *);
enum ns_err store_g_confirm(struct store *, int64_t, const char *, int64_t,
                            int *, struct ns_error *);
enum ns_err store_g_history(struct store *, const char *, int64_t, int32_t,
                            struct store_history *, struct ns_error *);
enum ns_err store_g_train_rows(struct store *, int, store_train_fn, void *,
                               struct ns_error *);
enum ns_err store_g_erase_patient(struct store *, const char *,
                                  const char *, int64_t, int64_t *,
                                  struct ns_error *);
enum ns_err store_g_events_since(struct store *, int64_t, store_event_fn,
                                 void *, struct ns_error *);
enum ns_err store_g_key_add(struct store *, const char *, enum store_role,
                            const char *, int64_t, int64_t *,
                            struct ns_error *);
enum ns_err store_g_key_lookup(struct store *, const char *,
                               struct store_key *, struct ns_error *);
enum ns_err store_g_key_revoke(struct store *, int64_t, struct ns_error *);
enum ns_err store_g_key_list(struct store *, struct store_key_list *,
                             struct ns_error *);
enum ns_err store_g_model_put(struct store *, const struct store_model *,
                              struct ns_error *);
enum ns_err store_g_model_get(struct store *, const char *,
                              struct store_model *, struct ns_error *);
enum ns_err store_g_model_list(struct store *, struct store_model_list *,
                               struct ns_error *);
enum ns_err store_g_model_set_status(struct store *, const char *,
                                     enum store_model_status,
                                     struct ns_error *);
enum ns_err store_g_lease_acquire(struct store *, const char *,
                                  const char *, int64_t, int64_t, int *,
                                  struct ns_error *);
enum ns_err store_g_lease_release(struct store *, const char *,
                                  const char *, struct ns_error *);
enum ns_err store_g_outbox_claim(struct store *, const char *, int64_t,
                                 int64_t, struct store_outbox_job *,
                                 struct ns_error *);
enum ns_err store_g_outbox_done(struct store *, int64_t, const char *,
                                int64_t, struct ns_error *);
enum ns_err store_g_outbox_retry(struct store *, int64_t, const char *,
                                 const char *, int64_t, int64_t, int,
                                 struct ns_error *);
enum ns_err store_g_outbox_depth(struct store *, int64_t *,
                                 struct ns_error *);
enum ns_err store_g_outbox_list(struct store *, int64_t,
                                struct store_outbox_list *,
                                struct ns_error *);
enum ns_err store_g_ping(struct store *, struct ns_error *);
enum ns_err store_g_action_assign(struct store *, int64_t, int,
                                  const char *, int64_t, int *, int *,
                                  struct ns_error *);
enum ns_err store_g_contacted(struct store *, const char *, int64_t,
                              int64_t, int *, struct ns_error *);
enum ns_err store_g_action_listed(struct store *, int32_t, const char *,
                                  struct store_listed *, struct ns_error *);
enum ns_err store_g_action_counts(struct store *,
                                  struct store_action_counts *,
                                  struct ns_error *);

/* Designated initialisers of the shared operations; a backend adds
 * .name and .integrity_check. */
#define STORE_GENERIC_OPS                                                 \
    .ensure_schema_columns = store_g_ensure_columns,                      \
    .book = store_g_book, .idem_lookup = store_g_idem_lookup,             \
    .appt_get = store_g_appt_get, .appt_list = store_g_appt_list,         \
    .set_outcome = store_g_set_outcome, .notify = store_g_notify,         \
    .confirm = store_g_confirm, .history = store_g_history,               \
    .train_rows = store_g_train_rows,                                     \
    .erase_patient = store_g_erase_patient,                               \
    .events_since = store_g_events_since, .key_add = store_g_key_add,     \
    .key_lookup = store_g_key_lookup, .key_revoke = store_g_key_revoke,   \
    .model_put = store_g_model_put, .model_get = store_g_model_get,       \
    .model_list = store_g_model_list,                                     \
    .model_set_status = store_g_model_set_status,                         \
    .lease_acquire = store_g_lease_acquire,                               \
    .lease_release = store_g_lease_release,                               \
    .outbox_claim = store_g_outbox_claim,                                 \
    .outbox_done = store_g_outbox_done,                                   \
    .outbox_retry = store_g_outbox_retry,                                 \
    .outbox_depth = store_g_outbox_depth, .ping = store_g_ping,         \
    .outbox_list = store_g_outbox_list, .key_list = store_g_key_list,     \
    .action_assign = store_g_action_assign,                               \
    .contacted = store_g_contacted,                                       \
    .action_counts = store_g_action_counts,                               \
    .action_listed = store_g_action_listed

#endif
