/* The loaded model: a counted reference swapped under a mutex, so a
 * reload never waits for requests and requests never see a half-loaded
 * bundle. */
#include <stdlib.h>

#include "learn/registry.h"
#include "server/api_int.h"
#include "util/log.h"

struct api_model *api_model_acquire(struct api *a)
{
    struct api_model *m;

    pthread_mutex_lock(&a->model_lock);
    m = a->model;
    if (m)
        atomic_fetch_add(&m->refs, 1);
    pthread_mutex_unlock(&a->model_lock);
    return m;
}

void api_model_release(struct api_model *m)
{
    if (m == NULL)
        return;
    if (atomic_fetch_sub(&m->refs, 1) == 1) {
        drift_free(m->drift);
        bundle_free(m->bundle);
        free(m);
    }
}

/* Gives the appointments table one column per stored schema column, so
 * the table shows the inputs and retraining can read them back. The
 * patient id is not among them: only its pseudonym is kept. */
static enum ns_err ensure_columns(struct api *a, const struct schema *s,
                                  struct ns_error *err)
{
    const char *names[SCHEMA_MAX_COLUMNS];
    enum store_col_type types[SCHEMA_MAX_COLUMNS];
    size_t n = 0;

    for (size_t i = 0; i < s->ncols && n < SCHEMA_MAX_COLUMNS; i++) {
        enum schema_role r = s->cols[i].role;

        if (r != ROLE_BINARY && r != ROLE_NUMERIC && r != ROLE_CATEGORICAL)
            continue;
        names[n] = s->cols[i].name;
        types[n++] = r == ROLE_CATEGORICAL ? STORE_COL_TEXT
                                           : STORE_COL_REAL;
    }
    return store_ensure_schema_columns(a->store, names, types, n, err);
}

enum ns_err api_model_install(struct api *a, struct bundle *b,
                              struct ns_error *err)
{
    struct api_model *m = NULL;
    struct api_model *old;
    enum ns_err rc;

    rc = ensure_columns(a, bundle_schema(b), err);
    if (rc != NS_OK)
        goto out;
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Drift counts start afresh with each model: they compare the
     * requests it scored with the data it was trained on.
     * LIMITATION: the counts cover every request this replica scored
     * since the model was loaded, not a sliding window, and each replica
     * reports its own. A shift that starts after months of normal
     * traffic shows slowly. A window needs the counters kept per day
     * (a ring of daily bins) or drift computed from the stored inputs of
     * recent bookings. */
    if (bundle_reference(b)) {
        rc = drift_new(bundle_reference(b), bundle_schema(b), &m->drift,
                       err);
        if (rc != NS_OK) {
            free(m);
            goto out;
        }
    }
    m->bundle = b;
    b = NULL;
    atomic_init(&m->refs, 1);
    pthread_mutex_lock(&a->model_lock);
    old = a->model;
    a->model = m;
    pthread_mutex_unlock(&a->model_lock);
    ns_log_info("api", "model loaded version=%s",
                bundle_version(m->bundle));
    /* In-flight requests hold their own references to the old one. */
    api_model_release(old);
out:
    bundle_free(b);
    return rc;
}

enum ns_err api_model_load(struct api *a, struct ns_error *err)
{
    struct bundle *b = NULL;
    enum ns_err rc;

    rc = bundle_load(a->cfg.model_path, &b, err);
    if (rc != NS_OK)
        return rc;
    return api_model_install(a, b, err);
}

enum ns_err api_model_load_registry(struct api *a, const char *version,
                                    struct ns_error *err)
{
    struct bundle *b = NULL;
    enum ns_err rc;

    rc = registry_load(a->store, version, &b, err);
    if (rc != NS_OK)
        return rc;
    return api_model_install(a, b, err);
}

void api_model_drop(struct api *a)
{
    struct api_model *old;

    pthread_mutex_lock(&a->model_lock);
    old = a->model;
    a->model = NULL;
    pthread_mutex_unlock(&a->model_lock);
    api_model_release(old);
}
