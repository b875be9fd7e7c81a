/* Persistent state of the service: appointments and their event trace,
 * idempotency records, the notification outbox, API keys, the model
 * registry and leases, on SQLite (sqlite:PATH) or MariaDB/MySQL
 * (mysql://USER:PASSWORD@HOST:PORT/NAME) behind one operation table.
 *
 * Threads: a struct store is a connection pool and is safe to share
 * between threads. Each operation takes a connection from the pool (a
 * new one is opened on demand, up to STORE_MAX_CONNS), runs, and gives it
 * back, so concurrent calls never share a connection. Every operation
 * that writes does so in ONE transaction: it is all there or not at all.
 * A lost MariaDB connection makes the call fail with NS_ERR_UNAVAILABLE;
 * that connection is dropped and the next call opens a fresh one, so the
 * service recovers by itself when the database returns. SQLite "busy"
 * past the busy timeout is also NS_ERR_UNAVAILABLE.
 *
 * Strings returned through struct pointers are owned by that struct and
 * released by its _free function; callbacks receive borrowed rows valid
 * only during the call. A callback must not call the store itself (it
 * would need a second connection while the first is held). */
#ifndef NS_STORE_H
#define NS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_MAX_CONNS 32

struct store;

enum store_status {
    STORE_PENDING = 0,
    STORE_PENDING_CONFIRMATION,
    STORE_CONFIRMED,
    STORE_HONORED,
    STORE_CANCELLED,
    STORE_NO_SHOW
};

enum store_col_type { STORE_COL_REAL = 0, STORE_COL_TEXT };

enum store_role { STORE_ROLE_READER = 0, STORE_ROLE_CLINIC, STORE_ROLE_ADMIN };

enum store_model_status {
    STORE_MODEL_CANDIDATE = 0,
    STORE_MODEL_PRODUCTION,
    STORE_MODEL_ARCHIVED
};

enum store_outbox_state {
    STORE_OUTBOX_PENDING = 0,
    STORE_OUTBOX_DELIVERING,
    STORE_OUTBOX_DELIVERED,
    STORE_OUTBOX_FAILED
};

/* Static names ("pending_confirmation", "no_show", "clinic", ...). */
const char *store_status_name(enum store_status s);
const char *store_role_name(enum store_role r);
const char *store_model_status_name(enum store_model_status s);
const char *store_outbox_state_name(enum store_outbox_state s);

/* Parse the names above; NS_ERR_INVALID names the bad value. */
NS_MUST_CHECK enum ns_err store_status_parse(const char *s,
                                             enum store_status *out,
                                             struct ns_error *err);
NS_MUST_CHECK enum ns_err store_role_parse(const char *s,
                                           enum store_role *out,
                                           struct ns_error *err);
NS_MUST_CHECK enum ns_err store_model_status_parse(
    const char *s, enum store_model_status *out, struct ns_error *err);
NS_MUST_CHECK enum ns_err store_outbox_state_parse(
    const char *s, enum store_outbox_state *out, struct ns_error *err);

/* One value of a feature column: text when type is STORE_COL_TEXT (NULL
 * text stores SQL NULL), num otherwise (NaN stores SQL NULL). */
struct store_value {
    enum store_col_type type;
    double num;
    const char *text;
};

/* One event to append: kind "booked", "scored", ...; detail is a JSON
 * text or NULL. All borrowed for the duration of the call. */
struct store_event_in {
    const char *kind;
    const char *actor;
    const char *detail_json;
};

/* A new appointment. Every pointer is borrowed for the call. */
struct store_appt_new {
    const char *ext_id;         /* client's id, unique; NULL if none */
    const char *patient_ref;    /* pseudonymised, opaque; NULL if none */
    int64_t booked_at;          /* epoch seconds */
    int32_t appt_day;           /* days since epoch */
    int64_t appt_time;          /* seconds into the day; -1 if unknown */
    const char *specialty;      /* NULL if none */
    double risk;                /* calibrated probability, 0..1 */
    const char *band;
    const char *model_version;
    const char *reasons_json;
    const char *input_json;     /* the validated input record */
    /* The client's own count of days between booking and appointment,
     * stored as given; number_days is computed by the store from
     * booked_at and appt_day. */
    int has_days_between;
    int64_t days_between;
    /* Feature columns (schema names, as given to
     * store_ensure_schema_columns) and their values; n_features may be 0. */
    size_t n_features;
    const char *const *feature_names;
    const struct store_value *feature_values;
    const struct store_event_in *events;  /* appended in this order */
    size_t n_events;
    int64_t now_ms;
};

/* Idempotency of a booking: key from the Idempotency-Key header and a
 * hash of the request body, both borrowed for the call. */
struct store_idem {
    const char *key;
    const char *request_hash;
};

/* Builds the response stored with the idempotency row, once the new id
 * is known, inside the booking's transaction. *response_json is a
 * malloc'd string that the store takes ownership of. */
typedef enum ns_err (*store_respond_fn)(void *ctx, int64_t id,
                                        char **response_json,
                                        int *status_code,
                                        struct ns_error *err);

/* Outcome of store_book(). response_json: malloc'd, caller frees it with
 * store_book_result_free(); NULL when no idempotency key was given. */
struct store_book_result {
    int64_t id;
    int replayed;           /* 1: an earlier booking with this key */
    char *response_json;
    int status_code;
};

struct store_event {
    int64_t id;
    int64_t appointment_id;     /* 0 when none */
    int64_t at_ms;
    const char *kind;
    const char *actor;          /* NULL when none */
    const char *detail_json;    /* NULL when none */
};

/* An appointment as read back. Every string is owned by the struct (NULL
 * when the column is NULL); release with store_appt_free(). */
struct store_appt {
    int64_t id;
    char *ext_id;
    char *patient_ref;
    int64_t booked_at;
    int32_t appt_day;
    int64_t appt_time;          /* -1 when unknown */
    char *specialty;
    enum store_status status;
    int label;                  /* -1 unknown, 0 came, 1 missed */
    double risk;                /* NaN when not scored */
    char *band;
    char *model_version;
    char *reasons_json;
    char *notification_message;
    char *input_json;
    int64_t outcome_at;         /* epoch seconds; -1 when none */
    int64_t created_at_ms;
    int64_t updated_at_ms;
    char *events_json;          /* store_appt_get only: JSON array */
};

void store_appt_free(struct store_appt *a);

/* Filters of store_appt_list(); borrowed for the call. */
struct store_list_query {
    int has_status;
    enum store_status status;
    double min_risk;            /* NaN: no filter */
    int has_from;
    int32_t from_day;           /* inclusive */
    int has_to;
    int32_t to_day;             /* inclusive */
    const char *specialty;      /* NULL: no filter */
    int limit;                  /* 1..1000 */
    const char *cursor;         /* NULL: first page; else "risk:id" */
};

/* One page, sorted by risk descending then id ascending. Owned; release
 * with store_appt_page_free(). next_cursor is NULL on the last page. */
struct store_appt_page {
    struct store_appt *items;
    size_t n;
    char *next_cursor;
};

void store_appt_page_free(struct store_appt_page *p);

/* Raw history counts for one patient as seen from booking instant t, on
 * day D = the UTC day of t (not the appointment day), with exactly the
 * meaning of src/features/history.h; the caller turns them into rates
 * and NaNs:
 *  prior_appts: appointments with a known label (0 or 1), appt_day < D
 *  prior_noshows: of those, label 1
 *  last_prior_day: greatest appt_day among them; INT32_MIN when none
 *  held_appts: booked_at < t and appt_day >= D
 *  bookings_30d: t - 30 days < booked_at < t
 *  bookings_today: D * 86400 <= booked_at < t
 *  same_day_appts: booked_at < t and appt_day = the appointment's day
 *  prev_booked_at: greatest booked_at < t; INT64_MIN when none
 *  prev_booked_for: greatest appt_day of the rows booked at exactly
 *    prev_booked_at; INT32_MIN when none
 * days_since_last (history.h) is day - last_prior_day: D, not the
 * appointment day; days_since_booking is (t - prev_booked_at) / 86400;
 * prev_lead is prev_booked_for minus the UTC day of prev_booked_at. */
struct store_history {
    int32_t day;                /* D, the UTC day of t */
    int64_t prior_appts;
    int64_t prior_noshows;
    int32_t last_prior_day;
    int64_t held_appts;
    int64_t bookings_30d;
    int64_t bookings_today;
    int64_t same_day_appts;
    int64_t prev_booked_at;
    int32_t prev_booked_for;
};

/* A row for retraining: borrowed, valid during the callback only. */
struct store_train_row {
    int64_t id;
    const char *patient_ref;    /* NULL when erased or none */
    int64_t booked_at;
    int32_t appt_day;
    int label;                  /* -1 unknown, 0 came, 1 missed */
    const char *input_json;
    const char *model_version;
    double risk;                /* NaN when none */
};

/* Return NS_OK to continue, anything else stops the stream and is
 * returned by the operation. */
typedef enum ns_err (*store_train_fn)(void *ctx,
                                      const struct store_train_row *row,
                                      struct ns_error *err);
typedef enum ns_err (*store_event_fn)(void *ctx,
                                      const struct store_event *ev,
                                      struct ns_error *err);

/* A model version. On read every pointer is owned (release with
 * store_model_free()); on store_model_put() they are borrowed. */
struct store_model {
    char *version;
    int64_t created_at_ms;
    enum store_model_status status;
    char *parent;               /* NULL when none */
    char *metrics_json;
    char *fingerprint;
    unsigned char *bundle;      /* NULL in store_model_list() */
    size_t bundle_len;
};

void store_model_free(struct store_model *m);

struct store_model_list {
    struct store_model *items;  /* newest first */
    size_t n;
};

void store_model_list_free(struct store_model_list *l);

/* A claimed delivery job: owned, release with store_outbox_job_free(). */
struct store_outbox_job {
    int64_t id;
    int64_t appointment_id;
    char *payload_json;
    int attempts;               /* including this one */
};

void store_outbox_job_free(struct store_outbox_job *j);

/* The delivery state of one outbox job, as read back. last_error is
 * owned (NULL when none); release a list with store_outbox_list_free(). */
struct store_outbox_info {
    int64_t id;
    enum store_outbox_state state;
    int attempts;               /* made so far */
    int64_t next_attempt_ms;    /* when pending: the next try */
    int64_t updated_at_ms;
    char *last_error;
};

struct store_outbox_list {
    struct store_outbox_info *items;    /* oldest job first */
    size_t n;
};

void store_outbox_list_free(struct store_outbox_list *l);

struct store_key {
    int64_t id;
    enum store_role role;
};

/* An API key as listed: never its hash. label is owned (NULL when none);
 * release a list with store_key_list_free(). */
struct store_key_info {
    int64_t id;
    enum store_role role;
    char *label;
    int64_t created_at_ms;
    int revoked;                /* 1 once revoked */
};

struct store_key_list {
    struct store_key_info *items;   /* by id */
    size_t n;
};

void store_key_list_free(struct store_key_list *l);

/* Outcomes of the appointments put on action lists (decision support):
 * those acted on and those held back as control, among the ones whose
 * outcome is known, and how many of each were no-shows. */
struct store_action_counts {
    int64_t acted, acted_noshows;
    int64_t control, control_noshows;
};

/* An appointment already put on an action list, with its group. */
struct store_listed_appt {
    struct store_appt appt;     /* without events_json */
    int control;                /* 1 control, 0 act */
};

/* Owned; release with store_listed_free(). */
struct store_listed {
    struct store_listed_appt *items;    /* in the order first listed */
    size_t n;
};

void store_listed_free(struct store_listed *l);

/* The operation table each backend fills. Callers use the store_*
 * functions below, which dispatch through it. */
struct store_ops {
    const char *name;           /* "sqlite" or "mysql" */
    enum ns_err (*ensure_schema_columns)(struct store *, const char *const *,
                                         const enum store_col_type *, size_t,
                                         struct ns_error *);
    enum ns_err (*book)(struct store *, const struct store_appt_new *,
                        const struct store_idem *, store_respond_fn, void *,
                        struct store_book_result *, struct ns_error *);
    enum ns_err (*idem_lookup)(struct store *, const struct store_idem *,
                               struct store_book_result *,
                               struct ns_error *);
    enum ns_err (*appt_get)(struct store *, int64_t, struct store_appt *,
                            struct ns_error *);
    enum ns_err (*appt_list)(struct store *, const struct store_list_query *,
                             struct store_appt_page *, struct ns_error *);
    enum ns_err (*set_outcome)(struct store *, int64_t, enum store_status,
                               int64_t, const char *, int64_t, int *,
                               struct ns_error *);
    enum ns_err (*notify)(struct store *, int64_t, const char *,
                          const char *, const char *, int64_t, int64_t *,
                          struct ns_error *);
    enum ns_err (*confirm)(struct store *, int64_t, const char *, int64_t,
                           int *, struct ns_error *);
    enum ns_err (*history)(struct store *, const char *, int64_t, int32_t,
                           struct store_history *, struct ns_error *);
    enum ns_err (*train_rows)(struct store *, int, store_train_fn, void *,
                              struct ns_error *);
    enum ns_err (*erase_patient)(struct store *, const char *, const char *,
                                 int64_t, int64_t *, struct ns_error *);
    enum ns_err (*events_since)(struct store *, int64_t, store_event_fn,
                                void *, struct ns_error *);
    enum ns_err (*key_add)(struct store *, const char *, enum store_role,
                           const char *, int64_t, int64_t *,
                           struct ns_error *);
    enum ns_err (*key_lookup)(struct store *, const char *,
                              struct store_key *, struct ns_error *);
    enum ns_err (*key_revoke)(struct store *, int64_t, struct ns_error *);
    enum ns_err (*model_put)(struct store *, const struct store_model *,
                             struct ns_error *);
    enum ns_err (*model_get)(struct store *, const char *,
                             struct store_model *, struct ns_error *);
    enum ns_err (*model_list)(struct store *, struct store_model_list *,
                              struct ns_error *);
    enum ns_err (*model_set_status)(struct store *, const char *,
                                    enum store_model_status,
                                    struct ns_error *);
    enum ns_err (*lease_acquire)(struct store *, const char *, const char *,
                                 int64_t, int64_t, int *, struct ns_error *);
    enum ns_err (*lease_release)(struct store *, const char *, const char *,
                                 struct ns_error *);
    enum ns_err (*outbox_claim)(struct store *, const char *, int64_t,
                                int64_t, struct store_outbox_job *,
                                struct ns_error *);
    enum ns_err (*outbox_done)(struct store *, int64_t, const char *,
                               int64_t, struct ns_error *);
    enum ns_err (*outbox_retry)(struct store *, int64_t, const char *,
                                const char *, int64_t, int64_t, int,
                                struct ns_error *);
    enum ns_err (*outbox_depth)(struct store *, int64_t *,
                                struct ns_error *);
    enum ns_err (*ping)(struct store *, struct ns_error *);
    enum ns_err (*action_assign)(struct store *, int64_t, int,
                                 const char *, int64_t, int *, int *,
                                 struct ns_error *);
    enum ns_err (*contacted)(struct store *, const char *, int64_t, int64_t,
                             int *, struct ns_error *);
    enum ns_err (*action_counts)(struct store *,
                                 struct store_action_counts *,
                                 struct ns_error *);
    enum ns_err (*integrity_check)(struct store *, struct ns_error *);
    enum ns_err (*outbox_list)(struct store *, int64_t,
                               struct store_outbox_list *,
                               struct ns_error *);
    enum ns_err (*key_list)(struct store *, struct store_key_list *,
                            struct ns_error *);
    enum ns_err (*action_listed)(struct store *, int32_t, const char *,
                                 struct store_listed *, struct ns_error *);
};

/* Opens the database named by url, creating an SQLite file on first use,
 * and applies every pending migration. "sqlite::memory:" is a private
 * in-memory database (one connection, so calls are serialised). Caller
 * frees with store_close(). Errors: NS_ERR_INVALID (bad URL, the URL is
 * quoted without its password), NS_ERR_UNAVAILABLE (server unreachable),
 * NS_ERR_LIB (the library's text). */
NS_MUST_CHECK enum ns_err store_open(const char *url, struct store **out,
                                     struct ns_error *err);

/* Closes every pooled connection; no call may be in flight. Accepts NULL. */
void store_close(struct store *s);

/* The backend's table ("sqlite" or "mysql" in ->name); borrowed. */
const struct store_ops *store_get_ops(const struct store *s);

/* Highest migration version applied. */
NS_MUST_CHECK enum ns_err store_schema_version(struct store *s,
                                               int *version,
                                               struct ns_error *err);

/* Sanitises a schema column name into its SQL column: lower case,
 * [a-z0-9_] (anything else becomes '_'), prefixed "f_", at most 60
 * bytes. NS_ERR_INVALID when name is empty or out is too small. */
NS_MUST_CHECK enum ns_err store_column_name(const char *name, char *out,
                                            size_t outsz,
                                            struct ns_error *err);

/* Adds the missing feature columns of the active schema to appointments
 * (ALTER TABLE), records them in schema_columns; idempotent. A name that
 * exists with another type is NS_ERR_CONFLICT. Arrays borrowed. */
NS_MUST_CHECK enum ns_err store_ensure_schema_columns(
    struct store *s, const char *const *names,
    const enum store_col_type *types, size_t n, struct ns_error *err);

/* Books one appointment: the row, its events and (when idem is not NULL)
 * the idempotency row with the response built by respond, in one
 * transaction. A retry with the same key and request hash returns the
 * stored response with replayed=1 and writes nothing; the same key with
 * another hash, or an ext_id already used, is NS_ERR_CONFLICT. Safe
 * across replicas sharing one database. result: caller frees with
 * store_book_result_free(). respond may be NULL when idem is NULL. */
NS_MUST_CHECK enum ns_err store_book(struct store *s,
                                     const struct store_appt_new *a,
                                     const struct store_idem *idem,
                                     store_respond_fn respond, void *ctx,
                                     struct store_book_result *result,
                                     struct ns_error *err);

void store_book_result_free(struct store_book_result *r);

/* Looks up an idempotency key before doing costly work: NS_OK with
 * replayed=1 and the stored response, NS_ERR_NOT_FOUND when unknown,
 * NS_ERR_CONFLICT when the key was used with another request hash. */
NS_MUST_CHECK enum ns_err store_idem_lookup(struct store *s,
                                            const struct store_idem *idem,
                                            struct store_book_result *r,
                                            struct ns_error *err);

/* The appointment and its events (events_json). NS_ERR_NOT_FOUND.
 * out: caller frees with store_appt_free(). */
NS_MUST_CHECK enum ns_err store_appt_get(struct store *s, int64_t id,
                                         struct store_appt *out,
                                         struct ns_error *err);

/* One page of appointments (no events_json). NS_ERR_INVALID names a bad
 * cursor or limit. out: caller frees with store_appt_page_free(). */
NS_MUST_CHECK enum ns_err store_appt_list(struct store *s,
                                          const struct store_list_query *q,
                                          struct store_appt_page *out,
                                          struct ns_error *err);

/* Records the outcome (STORE_HONORED, STORE_CANCELLED or STORE_NO_SHOW)
 * at outcome_at (epoch s): sets status and label (honored 0, no_show 1,
 * cancelled unknown) and appends an "outcome" event. The same outcome and
 * time again: NS_OK with *repeat=1 and nothing written. Another outcome
 * already recorded: NS_ERR_CONFLICT. NS_ERR_NOT_FOUND. actor borrowed. */
NS_MUST_CHECK enum ns_err store_set_outcome(struct store *s, int64_t id,
                                            enum store_status outcome,
                                            int64_t outcome_at,
                                            const char *actor,
                                            int64_t now_ms, int *repeat,
                                            struct ns_error *err);

/* Stores the message, moves the appointment to pending_confirmation,
 * queues an outbox job with payload_json and appends a "notified" event,
 * in one transaction. An appointment with an outcome: NS_ERR_CONFLICT.
 * *outbox_id receives the job id. Strings borrowed. */
NS_MUST_CHECK enum ns_err store_notify(struct store *s, int64_t id,
                                       const char *message,
                                       const char *payload_json,
                                       const char *actor, int64_t now_ms,
                                       int64_t *outbox_id,
                                       struct ns_error *err);

/* Moves to confirmed with a "confirmed" event; already confirmed: NS_OK
 * with *repeat=1; with an outcome: NS_ERR_CONFLICT. */
NS_MUST_CHECK enum ns_err store_confirm(struct store *s, int64_t id,
                                        const char *actor, int64_t now_ms,
                                        int *repeat, struct ns_error *err);

/* History counts of patient_ref for a booking at instant booked_at (s)
 * of an appointment on appt_day (see struct store_history), in one
 * indexed query. appt_day does not enter the counts; it is checked:
 * an appointment before the day it was booked is NS_ERR_INVALID. A NULL
 * or empty patient_ref, or booked_at NS_TIME_NONE (INT64_MIN), gives all
 * zeros. */
NS_MUST_CHECK enum ns_err store_history_stats(struct store *s,
                                              const char *patient_ref,
                                              int64_t booked_at,
                                              int32_t appt_day,
                                              struct store_history *out,
                                              struct ns_error *err);

/* Streams appointments ordered by booked_at then id: only those with a
 * known label when labelled_only, else all (label -1 when unknown, so a
 * caller can rebuild booking history). */
NS_MUST_CHECK enum ns_err store_train_rows(struct store *s,
                                           int labelled_only,
                                           store_train_fn fn, void *ctx,
                                           struct ns_error *err);

/* Erases a patient: on each of their appointments the personal fields
 * (patient_ref, ext_id, input, message, reasons, feature columns) and the
 * event details become NULL, undelivered outbox jobs are emptied and
 * failed, a stored idempotent answer becomes {"id", "status": "erased"},
 * and one "erased" event per appointment records it. Anonymous counts
 * (status, label, day, risk) stay. *n_erased: appointments. */
NS_MUST_CHECK enum ns_err store_erase_patient(struct store *s,
                                              const char *patient_ref,
                                              const char *actor,
                                              int64_t now_ms,
                                              int64_t *n_erased,
                                              struct ns_error *err);

/* Streams events with at_ms >= since_ms in id order. */
NS_MUST_CHECK enum ns_err store_events_since(struct store *s,
                                             int64_t since_ms,
                                             store_event_fn fn, void *ctx,
                                             struct ns_error *err);

/* API keys, stored only as the hash the caller computed. Adding a hash
 * twice is NS_ERR_CONFLICT. Lookup of an unknown or revoked key is
 * NS_ERR_NOT_FOUND. Revoking an unknown id is NS_ERR_NOT_FOUND. */
NS_MUST_CHECK enum ns_err store_key_add(struct store *s,
                                        const char *key_hash,
                                        enum store_role role,
                                        const char *label, int64_t now_ms,
                                        int64_t *id, struct ns_error *err);
NS_MUST_CHECK enum ns_err store_key_lookup(struct store *s,
                                           const char *key_hash,
                                           struct store_key *out,
                                           struct ns_error *err);
NS_MUST_CHECK enum ns_err store_key_revoke(struct store *s, int64_t id,
                                           struct ns_error *err);

/* Every API key, revoked ones included, by id: id, role, label, creation
 * time and revocation, never the hash. out: caller frees with
 * store_key_list_free(). */
NS_MUST_CHECK enum ns_err store_key_list(struct store *s,
                                         struct store_key_list *out,
                                         struct ns_error *err);

/* Model registry. put: a new version (NS_ERR_CONFLICT if it exists) with
 * the status given in m (putting a production one archives the current
 * production in the same transaction). get: version NULL means the
 * production model; NS_ERR_NOT_FOUND; out freed with store_model_free().
 * list: every version without bundles, newest first. set_status:
 * production archives the previous production atomically, so exactly one
 * version is production. */
NS_MUST_CHECK enum ns_err store_model_put(struct store *s,
                                          const struct store_model *m,
                                          struct ns_error *err);
NS_MUST_CHECK enum ns_err store_model_get(struct store *s,
                                          const char *version,
                                          struct store_model *out,
                                          struct ns_error *err);
NS_MUST_CHECK enum ns_err store_model_list(struct store *s,
                                           struct store_model_list *out,
                                           struct ns_error *err);
NS_MUST_CHECK enum ns_err store_model_set_status(
    struct store *s, const char *version, enum store_model_status status,
    struct ns_error *err);

/* Leases: *acquired=1 when name was free, expired, or already held by
 * holder (then renewed until now_ms + ttl_ms); 0 when someone else holds
 * it. Release only frees a lease holder holds. */
NS_MUST_CHECK enum ns_err store_lease_acquire(struct store *s,
                                              const char *name,
                                              const char *holder,
                                              int64_t now_ms,
                                              int64_t ttl_ms, int *acquired,
                                              struct ns_error *err);
NS_MUST_CHECK enum ns_err store_lease_release(struct store *s,
                                              const char *name,
                                              const char *holder,
                                              struct ns_error *err);

/* Outbox. claim: atomically takes one due job (pending with
 * next_attempt_ms <= now_ms, or delivering for longer than stale_ms, e.g.
 * its worker died) for the worker named token (unique per claim, e.g.
 * host:pid:counter), counting an attempt; NS_DONE when none is due; two
 * claimers never get the same job. out: freed with
 * store_outbox_job_free(). done: marks it delivered. retry: back to
 * pending at next_attempt_ms with last_error, or failed once attempts
 * reached max_attempts. done/retry with a token that no longer holds the
 * job: NS_ERR_CONFLICT. depth: jobs pending or delivering. */
NS_MUST_CHECK enum ns_err store_outbox_claim(struct store *s,
                                             const char *token,
                                             int64_t now_ms,
                                             int64_t stale_ms,
                                             struct store_outbox_job *out,
                                             struct ns_error *err);
NS_MUST_CHECK enum ns_err store_outbox_done(struct store *s, int64_t id,
                                            const char *token,
                                            int64_t now_ms,
                                            struct ns_error *err);
NS_MUST_CHECK enum ns_err store_outbox_retry(struct store *s, int64_t id,
                                             const char *token,
                                             const char *last_error,
                                             int64_t now_ms,
                                             int64_t next_attempt_ms,
                                             int max_attempts,
                                             struct ns_error *err);
NS_MUST_CHECK enum ns_err store_outbox_depth(struct store *s,
                                             int64_t *depth,
                                             struct ns_error *err);

/* The delivery jobs queued for appointment appt_id, oldest first (an
 * empty list when none). out: caller frees with
 * store_outbox_list_free(). */
NS_MUST_CHECK enum ns_err store_outbox_list(struct store *s,
                                            int64_t appt_id,
                                            struct store_outbox_list *out,
                                            struct ns_error *err);

/* Decision support. action_assign: the group of appointment id on an
 * action list: the one recorded earlier (an "action:act" or
 * "action:control" event), or else control (0/1) recorded now, in one
 * transaction, so every later list shows the same group. *group gets the
 * group in force (1 control), *is_new 1 when recorded by this call.
 * NS_ERR_NOT_FOUND. actor borrowed. */
NS_MUST_CHECK enum ns_err store_action_assign(struct store *s, int64_t id,
                                              int control,
                                              const char *actor,
                                              int64_t now_ms, int *group,
                                              int *is_new,
                                              struct ns_error *err);

/* *contacted = 1 when patient_ref had a reminder ("notified" event) or
 * was put on an action list to be acted on, at or after since_ms, for
 * an appointment other than exclude_id. A NULL or empty patient_ref is
 * never contacted. */
NS_MUST_CHECK enum ns_err store_contacted(struct store *s,
                                          const char *patient_ref,
                                          int64_t exclude_id,
                                          int64_t since_ms, int *contacted,
                                          struct ns_error *err);

/* The appointments of day appt_day (and of specialty, when not NULL)
 * already given a group on an action list, whatever their status now,
 * in the order they were first listed (then by id). An empty list is
 * not an error. out: caller frees with store_listed_free(), also after
 * a failure. */
NS_MUST_CHECK enum ns_err store_action_listed(struct store *s,
                                             int32_t appt_day,
                                             const char *specialty,
                                             struct store_listed *out,
                                             struct ns_error *err);

/* Counts of acted-on and control appointments with a known outcome. */
NS_MUST_CHECK enum ns_err store_action_counts(
    struct store *s, struct store_action_counts *out,
    struct ns_error *err);

/* Cheap round trip for readiness: NS_ERR_UNAVAILABLE when unreachable. */
NS_MUST_CHECK enum ns_err store_ping(struct store *s, struct ns_error *err);

/* PRAGMA integrity_check / CHECK TABLE on every table: NS_ERR_LIB with
 * the first problem reported. */
NS_MUST_CHECK enum ns_err store_integrity_check(struct store *s,
                                                struct ns_error *err);

#endif
