/* Registry moves: put, load, promote, rollback, listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/registry.h"
#include "util/timeutil.h"

/* The stored metrics: the bundle's test metrics under "test" and the
 * caller's extra members beside them. */
static char *metrics_text(const struct bundle *b, const json_t *extra)
{
    const json_t *m = bundle_metrics(b);
    json_t *o = json_object();
    char *text = NULL;

    if (o == NULL)
        return NULL;
    if (m && json_object_set_new(o, "test", json_deep_copy(m)))
        goto out;
    if (extra && json_object_update(o, (json_t *)extra))
        goto out;
    text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
    json_decref(o);
    return text;
}

static char *fingerprint_text(const struct bundle *b)
{
    json_t *info = bundle_info_json(b);
    json_t *fp = info ? json_object_get(info, "fingerprint") : NULL;
    char *text = json_dumps(fp ? fp : json_null(),
                            JSON_COMPACT | JSON_SORT_KEYS
                                | JSON_ENCODE_ANY);

    json_decref(info);
    return text;
}

enum ns_err registry_put(struct store *s, const struct bundle *b,
                         const char *parent, enum store_model_status status,
                         const json_t *extra, struct ns_error *err)
{
    struct store_model m = {0};
    char *text = NULL;
    size_t len = 0;
    enum ns_err rc;

    rc = bundle_to_text(b, &text, &len, err);
    if (rc != NS_OK)
        return rc;
    m.version = (char *)bundle_version(b);
    m.created_at_ms = ns_now_ms();
    m.status = status;
    m.parent = (char *)parent;
    m.metrics_json = metrics_text(b, extra);
    m.fingerprint = fingerprint_text(b);
    m.bundle = (unsigned char *)text;
    m.bundle_len = len;
    if (m.metrics_json == NULL || m.fingerprint == NULL)
        rc = ns_error_set(err, NS_ERR_NOMEM, "registry: out of memory");
    else
        rc = store_model_put(s, &m, err);
    free(m.metrics_json);
    free(m.fingerprint);
    free(text);
    return rc;
}

enum ns_err registry_load(struct store *s, const char *version,
                          struct bundle **out, struct ns_error *err)
{
    struct store_model m = {0};
    char name[96];
    enum ns_err rc;

    *out = NULL;
    rc = store_model_get(s, version, &m, err);
    if (rc == NS_ERR_NOT_FOUND) {
        if (version)
            rc = ns_error_field(err, rc, "version", "model version '%.64s'"
                                " is not in the registry; expected one "
                                "that 'noshow models list' shows",
                                version);
        else
            rc = ns_error_set(err, rc, "no model version is in "
                              "production in the registry");
    }
    if (rc != NS_OK)
        return rc;
    snprintf(name, sizeof(name), "registry:%.64s", m.version);
    if (m.bundle == NULL)
        rc = ns_error_set(err, NS_ERR_INVALID, "%s: the stored bundle is "
                          "empty", name);
    else
        rc = bundle_load_mem((const char *)m.bundle, m.bundle_len, name,
                             out, err);
    store_model_free(&m);
    return rc;
}

enum ns_err registry_production(struct store *s, char *out, size_t outsz,
                                struct ns_error *err)
{
    struct store_model_list l = {0};
    enum ns_err rc = store_model_list(s, &l, err);

    out[0] = '\0';
    if (rc != NS_OK)
        return rc;
    for (size_t i = 0; i < l.n; i++) {
        if (l.items[i].status == STORE_MODEL_PRODUCTION) {
            snprintf(out, outsz, "%s", l.items[i].version);
            break;
        }
    }
    store_model_list_free(&l);
    return NS_OK;
}

enum ns_err registry_promote(struct store *s, const char *version,
                             struct ns_error *err)
{
    struct bundle *b = NULL;
    enum ns_err rc = registry_load(s, version, &b, err);

    bundle_free(b);
    if (rc != NS_OK)
        return rc;
    return store_model_set_status(s, version, STORE_MODEL_PRODUCTION, err);
}

/* LIMITATION: rollback follows the parent link (the champion a version
 * was measured against), not a history of promotions. After a manual
 * promote of an unrelated version, rollback goes to that version's
 * parent rather than to the version that served just before. A
 * promotion log in the store would give the exact previous one. */
enum ns_err registry_rollback(struct store *s, char *restored, size_t rsz,
                              struct ns_error *err)
{
    struct store_model cur = {0};
    enum ns_err rc;

    restored[0] = '\0';
    rc = store_model_get(s, NULL, &cur, err);
    if (rc == NS_ERR_NOT_FOUND)
        return ns_error_set(err, rc, "rollback: no model version is in "
                            "production");
    if (rc != NS_OK)
        return rc;
    if (cur.parent == NULL) {
        rc = ns_error_set(err, NS_ERR_NOT_FOUND, "rollback: production "
                          "version %s has no parent version to go back "
                          "to", cur.version);
        goto out;
    }
    rc = registry_promote(s, cur.parent, err);
    if (rc == NS_OK)
        snprintf(restored, rsz, "%s", cur.parent);
out:
    store_model_free(&cur);
    return rc;
}

static json_t *parse_or_null(const char *text)
{
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    return j ? j : json_null();
}

json_t *registry_model_json(const struct store_model *m)
{
    char created[32];

    ns_format_datetime(m->created_at_ms / 1000, created);
    return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o}", "version",
                     m->version, "status",
                     store_model_status_name(m->status), "created",
                     created, "parent", m->parent, "metrics",
                     parse_or_null(m->metrics_json), "fingerprint",
                     parse_or_null(m->fingerprint));
}

enum ns_err registry_list_json(struct store *s, json_t **out,
                               struct ns_error *err)
{
    struct store_model_list l = {0};
    json_t *arr = NULL;
    enum ns_err rc = store_model_list(s, &l, err);

    *out = NULL;
    if (rc != NS_OK)
        return rc;
    arr = json_array();
    for (size_t i = 0; arr && i < l.n; i++) {
        if (json_array_append_new(arr, registry_model_json(&l.items[i]))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    store_model_list_free(&l);
    if (arr == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "registry: out of memory");
    *out = arr;
    return NS_OK;
}
