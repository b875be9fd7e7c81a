/* Retraining: table from the store, challenger, evaluation on the most
 * recent labelled window, decision, registry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/clean.h"
#include "features/history.h"
#include "features/pipeline.h"
#include "learn/retrain.h"
#include "model/metrics.h"
#include "model/train.h"
#include "util/log.h"
#include "util/timeutil.h"

void retrain_opts_default(struct retrain_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->holdout_days = 7;
    o->tol_auc = 0.005;
    o->tol_brier = 0.002;
    o->seed = 42;
}

/* ---- the table from the store -------------------------------------- */

struct fill {
    struct table *t;
    struct record *rec;
    struct csv_field *vals;
    char **texts;
    size_t n_rows;
    size_t skipped;
};

/* The text the cleaner reads for one stored JSON value; NULL when the
 * value is of a type no column takes. */
static char *json_text(const json_t *v)
{
    char num[64];

    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(num, sizeof(num), "%d", json_is_true(v) ? 1 : 0);
    else if (json_is_null(v))
        num[0] = '\0';
    else
        return NULL;
    return strdup(num);
}

static void fill_reset(struct fill *f)
{
    const struct schema *s = f->t->schema;

    for (size_t i = 0; i < s->ncols; i++) {
        free(f->texts[i]);
        f->texts[i] = NULL;
        f->vals[i].ptr = "";
        f->vals[i].len = 0;
    }
}

/* Column texts of one stored row: the input's members, the pseudonym as
 * the patient id. false when a member cannot be read. */
static bool fill_texts(struct fill *f, const json_t *in, const char *ref)
{
    const struct schema *s = f->t->schema;

    for (size_t i = 0; i < s->ncols; i++) {
        const json_t *v = json_object_get(in, s->cols[i].name);

        if (s->cols[i].role == ROLE_PATIENT_ID)
            f->texts[i] = strdup(ref ? ref : "");
        else if (v != NULL)
            f->texts[i] = json_text(v);
        else
            continue;
        if (f->texts[i] == NULL)
            return false;
        f->vals[i].ptr = f->texts[i];
        f->vals[i].len = strlen(f->texts[i]);
    }
    return true;
}

static enum ns_err add_row(void *ctx, const struct store_train_row *row,
                           struct ns_error *err)
{
    struct fill *f = ctx;
    enum clean_reason reason = CLEAN_OK;
    json_t *in = NULL;
    enum ns_err rc = NS_OK;

    f->n_rows++;
    if (row->input_json)
        in = json_loads(row->input_json, 0, NULL);
    if (in == NULL || !json_is_object(in)
        || !fill_texts(f, in, row->patient_ref)) {
        f->skipped++;
        goto out;
    }
    record_reset(f->rec);
    if (clean_values(f->t->schema, f->vals, false, f->rec, &reason, NULL)
        != NS_OK) {
        /* The schema moved on since the booking: the row cannot train. */
        f->skipped++;
        goto out;
    }
    f->rec->label = row->label;
    if (table_append(f->t, f->rec) != NS_OK)
        rc = ns_error_set(err, NS_ERR_NOMEM, "retrain: out of memory "
                          "after %zu stored rows", f->n_rows);
out:
    json_decref(in);
    fill_reset(f);
    return rc;
}

enum ns_err retrain_table_from_store(struct store *s, struct table *t,
                                     size_t *n_rows, size_t *skipped,
                                     struct ns_error *err)
{
    struct fill f = {.t = t};
    size_t nc = t->schema->ncols;
    enum ns_err rc;

    f.rec = record_new(t->schema);
    f.vals = calloc(nc, sizeof(*f.vals));
    f.texts = calloc(nc, sizeof(*f.texts));
    if (f.rec == NULL || f.vals == NULL || f.texts == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "retrain: out of memory");
        goto out;
    }
    fill_reset(&f);
    rc = store_train_rows(s, 0, add_row, &f, err);
    *n_rows = f.n_rows;
    *skipped = f.skipped;
out:
    if (f.texts && f.vals)
        fill_reset(&f);
    free(f.texts);
    free(f.vals);
    record_free(f.rec);
    return rc;
}

/* ---- champion and window ------------------------------------------- */

/* The production bundle, or the file given, registered as production
 * (with no parent) so that every later version can name it. */
static enum ns_err champion(struct store *s, const struct retrain_opts *o,
                            struct bundle **out, struct ns_error *err)
{
    enum ns_err rc = registry_load(s, NULL, out, err);

    if (rc != NS_ERR_NOT_FOUND || o->champion_file == NULL) {
        if (rc == NS_ERR_NOT_FOUND)
            return ns_error_set(err, rc, "no model version is in "
                                "production and no --model was given; "
                                "expected one of them as the champion");
        return rc;
    }
    rc = bundle_load(o->champion_file, out, err);
    if (rc == NS_OK)
        rc = registry_put(s, *out, NULL, STORE_MODEL_PRODUCTION, NULL,
                          err);
    if (rc == NS_ERR_CONFLICT)
        rc = registry_promote(s, bundle_version(*out), err);
    return rc;
}

/* The window: labelled rows whose day is at most holdout_days before the
 * last labelled day. Fills the day range and the row list (caller frees
 * *rows). */
static enum ns_err window_rows(const struct table *t, int holdout_days,
                               struct retrain_result *res, size_t **rows,
                               struct ns_error *err)
{
    int32_t last = INT32_MIN;
    size_t n = 0;

    for (size_t i = 0; i < t->nrows; i++) {
        if (t->label[i] >= 0 && t->appt_day[i] > last)
            last = t->appt_day[i];
    }
    res->window_to = last;
    res->window_from = last - holdout_days + 1;
    *rows = malloc((t->nrows ? t->nrows : 1) * sizeof(size_t));
    if (*rows == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "retrain: out of memory");
    res->n_train = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        if (t->label[i] < 0)
            continue;
        if (t->appt_day[i] >= res->window_from)
            (*rows)[n++] = i;
        else
            res->n_train++;
    }
    res->n_window = n;
    if (last == INT32_MIN || n == 0 || res->n_train == 0)
        return ns_error_set(err, NS_ERR_INVALID, "retrain: %zu labelled "
                            "rows before the last %d days and %zu in them;"
                            " both need outcomes (record more, or pass "
                            "--also with historical rows)", res->n_train,
                            holdout_days, n);
    return NS_OK;
}

/* Fisher-Yates over the labels of the rows before the window. */
static enum ns_err shuffle_labels(struct table *t, int32_t from,
                                  uint64_t seed, struct ns_error *err)
{
    size_t *idx = malloc((t->nrows ? t->nrows : 1) * sizeof(size_t));
    uint64_t st = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t n = 0;

    if (idx == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "retrain: out of memory");
    for (size_t i = 0; i < t->nrows; i++) {
        if (t->label[i] >= 0 && t->appt_day[i] < from)
            idx[n++] = i;
    }
    for (size_t i = n; i > 1; i--) {
        size_t j;
        int8_t tmp;

        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        j = (size_t)(st % i);
        tmp = t->label[idx[i - 1]];
        t->label[idx[i - 1]] = t->label[idx[j]];
        t->label[idx[j]] = tmp;
    }
    free(idx);
    return NS_OK;
}

/* ---- evaluation and decision --------------------------------------- */

/* AUC, Brier and mean probability of b over rows of t, features by b's
 * own pipeline with history from idx (every row of t). */
static enum ns_err measure(const struct bundle *b, const struct table *t,
                           struct history_index *idx, const size_t *rows,
                           size_t n, struct retrain_side *out,
                           struct ns_error *err)
{
    const struct pipeline *p = bundle_pipeline(b);
    size_t nf = pipeline_nfeatures(p);
    float *x = malloc(n * nf * sizeof(float) + 1);
    struct bundle_score *sc = malloc(n * sizeof(*sc) + 1);
    double *prob = malloc(n * sizeof(double) + 1);
    float *y = malloc(n * sizeof(float) + 1);
    enum ns_err rc = NS_ERR_NOMEM;

    snprintf(out->version, sizeof(out->version), "%s", bundle_version(b));
    if (x == NULL || sc == NULL || prob == NULL || y == NULL) {
        ns_error_set(err, rc, "retrain: out of memory");
        goto out;
    }
    rc = pipeline_table(p, t, rows, n, pipeline_uses_history(p) ? idx
                                                                : NULL,
                        x, NULL, err);
    if (rc == NS_OK)
        rc = bundle_score_matrix(b, x, n, sc, err);
    if (rc != NS_OK)
        goto out;
    out->predicted_rate = 0;
    for (size_t i = 0; i < n; i++) {
        prob[i] = sc[i].probability;
        y[i] = (float)t->label[rows[i]];
        out->predicted_rate += prob[i] / (double)n;
    }
    out->brier = metrics_brier(prob, y, n);
    rc = metrics_roc_auc(prob, y, n, &out->auc, err);
out:
    free(x);
    free(sc);
    free(prob);
    free(y);
    return rc;
}

/* Not worse beyond the tolerances; an AUC that cannot be computed (one
 * class in the window) is judged on the Brier score alone. */
static void decide(const struct retrain_opts *o, struct retrain_result *r)
{
    const struct retrain_side *c = &r->champion;
    const struct retrain_side *n = &r->challenger;
    bool auc_ok = isnan(c->auc) || isnan(n->auc)
                  || n->auc >= c->auc - o->tol_auc;
    bool brier_ok = n->brier <= c->brier + o->tol_brier;

    r->promoted = auc_ok && brier_ok;
    snprintf(r->decision, sizeof(r->decision),
             "%s: ROC AUC %.4f vs %.4f (tolerance %.4f)%s, Brier %.4f vs "
             "%.4f (tolerance %.4f)%s",
             r->promoted ? "promoted" : "kept the champion", n->auc,
             c->auc, o->tol_auc, auc_ok ? "" : " too low", n->brier,
             c->brier, o->tol_brier, brier_ok ? "" : " too high");
}

static void side_json(json_t *o, const char *key,
                      const struct retrain_side *s)
{
    json_object_set_new(o, key, json_pack(
        "{s:s, s:o, s:f, s:f}", "version", s->version, "roc_auc",
        isnan(s->auc) ? json_null() : json_real(s->auc), "brier",
        s->brier, "predicted_rate", s->predicted_rate));
}

json_t *retrain_result_json(const struct retrain_result *r,
                            const struct retrain_opts *o)
{
    char from[11], to[11];
    json_t *j;

    ns_format_date(r->window_from, from);
    ns_format_date(r->window_to, to);
    j = json_pack("{s:b, s:s, s:{s:s, s:s, s:I, s:f}, s:{s:f, s:f}, "
                  "s:{s:I, s:I, s:I, s:I}}",
                  "promoted", r->promoted, "decision", r->decision,
                  "window", "from", from, "to", to, "rows",
                  (json_int_t)r->n_window, "observed_rate",
                  r->observed_rate, "tolerance", "roc_auc", o->tol_auc,
                  "brier", o->tol_brier, "rows", "database",
                  (json_int_t)r->n_db_rows, "csv",
                  (json_int_t)r->n_csv_rows, "skipped",
                  (json_int_t)r->n_skipped, "train",
                  (json_int_t)r->n_train);
    if (j == NULL)
        return NULL;
    side_json(j, "champion", &r->champion);
    side_json(j, "challenger", &r->challenger);
    return j;
}

/* ---- one round ----------------------------------------------------- */

static enum ns_err load_table(struct store *s, const struct retrain_opts *o,
                              const struct schema *sc, struct table **t,
                              struct retrain_result *res,
                              struct ns_error *err)
{
    struct table_load_opts lo = {0};
    struct schema *none = NULL;
    enum ns_err rc;

    lo.need_label = true;
    lo.dedup = true;
    /* LIMITATION: patients of --also rows are known by their raw ids and
     * those of stored bookings only by their pseudonyms, so the history
     * features of a stored booking do not count the same patient's rows
     * from the file (and the reverse). The rows still train together.
     * Joining them needs the file's ids pseudonymised with the service's
     * key while loading. */
    if (o->also_csv) {
        rc = table_load_csv(o->also_csv, sc, &lo, t, &none, NULL, err);
        if (rc != NS_OK)
            return rc;
        res->n_csv_rows = (*t)->nrows;
    } else if (table_new(sc, t) != NS_OK) {
        return ns_error_set(err, NS_ERR_NOMEM, "retrain: out of memory");
    }
    return retrain_table_from_store(s, *t, &res->n_db_rows,
                                    &res->n_skipped, err);
}

/* Trains the challenger on the rows before the window (their labels
 * shuffled when asked, then put back). */
static enum ns_err challenge(struct table *t, const struct retrain_opts *o,
                             const struct retrain_result *res,
                             struct train_result *tr, struct ns_error *err)
{
    struct train_opts to;
    int8_t *saved = NULL;
    enum ns_err rc;

    train_opts_default(&to);
    to.test_from = res->window_from;
    to.seed = o->seed;
    to.xgb.seed = o->seed;
    to.xgb.nthread = o->nthread;
    if (o->shuffle_labels) {
        saved = malloc(t->nrows + 1);
        if (saved == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "retrain: out of "
                                "memory");
        memcpy(saved, t->label, t->nrows);
        rc = shuffle_labels(t, res->window_from, o->seed, err);
        if (rc != NS_OK)
            goto out;
    }
    rc = train_run(t, &to, tr, err);
out:
    if (saved)
        memcpy(t->label, saved, t->nrows);
    free(saved);
    return rc;
}

static enum ns_err evaluate(const struct table *t, const struct bundle *ch,
                            const struct bundle *cc, const size_t *rows,
                            struct retrain_result *res,
                            struct ns_error *err)
{
    struct history_index *idx = NULL;
    enum ns_err rc = history_index_from_table(t, &idx, err);

    if (rc == NS_OK)
        rc = measure(ch, t, idx, rows, res->n_window, &res->champion, err);
    if (rc == NS_OK)
        rc = measure(cc, t, idx, rows, res->n_window, &res->challenger,
                     err);
    history_index_free(idx);
    res->observed_rate = 0;
    for (size_t i = 0; i < res->n_window; i++)
        res->observed_rate += t->label[rows[i]] / (double)res->n_window;
    return rc;
}

/* LIMITATION: the decision is recorded in the registry (the
 * challenger's metrics hold the whole evaluation) and in the log, but not
 * in the appointments' event trace, so 'noshow export' does not carry it.
 * The store would need an operation appending an event that belongs to
 * no appointment. */
static enum ns_err record(struct store *s, const struct retrain_opts *o,
                          const struct bundle *cc,
                          const struct retrain_result *res,
                          struct ns_error *err)
{
    json_t *ev = retrain_result_json(res, o);
    json_t *extra = ev ? json_pack("{s:o}", "evaluation", ev) : NULL;
    enum ns_err rc;

    if (extra == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "retrain: out of memory");
    rc = registry_put(s, cc, res->champion.version,
                      res->promoted ? STORE_MODEL_PRODUCTION
                                    : STORE_MODEL_CANDIDATE,
                      extra, err);
    json_decref(extra);
    if (rc == NS_OK)
        ns_log_info("retrain", "challenger=%s champion=%s promoted=%d "
                    "auc=%.4f/%.4f brier=%.4f/%.4f window_rows=%zu",
                    res->challenger.version, res->champion.version,
                    res->promoted, res->challenger.auc, res->champion.auc,
                    res->challenger.brier, res->champion.brier,
                    res->n_window);
    return rc;
}

enum ns_err retrain_run(struct store *s, const struct retrain_opts *o,
                        struct retrain_result *res, struct ns_error *err)
{
    struct bundle *champ = NULL;
    struct table *t = NULL;
    struct train_result tr = {0};
    size_t *rows = NULL;
    enum ns_err rc;

    memset(res, 0, sizeof(*res));
    rc = champion(s, o, &champ, err);
    if (rc == NS_OK)
        rc = load_table(s, o, bundle_schema(champ), &t, res, err);
    if (rc == NS_OK)
        rc = window_rows(t, o->holdout_days, res, &rows, err);
    if (rc == NS_OK)
        rc = challenge(t, o, res, &tr, err);
    if (rc == NS_OK)
        rc = evaluate(t, champ, tr.bundle, rows, res, err);
    if (rc != NS_OK)
        goto out;
    decide(o, res);
    rc = record(s, o, tr.bundle, res, err);
out:
    free(rows);
    train_result_free(&tr);
    table_free(t);
    bundle_free(champ);
    return rc;
}
