#include "model/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/buf.h"
#include "util/timeutil.h"

#define BUNDLE_FORMAT "noshow-bundle"
#define MARKER ",\"noshow\":{"
#define NOSHOW_VERSION "0.1.0"

struct bundle {
    struct schema *schema;
    struct encoders *enc;
    struct pipeline *pipe;
    struct xgb_model *model;
    char *model_text;       /* XGBoost's JSON, as saved */
    size_t model_len;
    char model_sha[65];
    struct calib calib;
    double threshold;
    char rule[16];
    json_t *rule_params;
    double high_from;
    json_t *metrics;
    json_t *params;
    json_t *fingerprint;
    json_t *importance;
    json_t *reference;      /* training histograms for drift, or NULL */
    char version[48];
    char created[24];
};

void bundle_free(struct bundle *b)
{
    if (b == NULL)
        return;
    pipeline_free(b->pipe);
    encoders_free(b->enc);
    schema_free(b->schema);
    xgb_free(b->model);
    free(b->model_text);
    calib_free(&b->calib);
    json_decref(b->rule_params);
    json_decref(b->metrics);
    json_decref(b->params);
    json_decref(b->fingerprint);
    json_decref(b->importance);
    json_decref(b->reference);
    free(b);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
        n = 0;
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[2 * (n < 32 ? n : 32)] = '\0';
}

static void free_parts(struct bundle_parts *p)
{
    pipeline_free(p->pipeline);
    encoders_free(p->encoders);
    schema_free(p->schema);
    xgb_free(p->model);
    calib_free(&p->calib);
    json_decref(p->threshold_params);
    json_decref(p->metrics);
    json_decref(p->params);
    json_decref(p->fingerprint);
    memset(p, 0, sizeof(*p));
}

static enum ns_err check_shape(const struct bundle *b, struct ns_error *err)
{
    size_t nm = xgb_num_features(b->model);
    size_t np = pipeline_nfeatures(b->pipe);

    if (nm != np)
        return ns_error_set(err, NS_ERR_INVALID, "model bundle: the XGBoost "
                            "model has %zu features but the pipeline of "
                            "schema '%s' gives %zu", nm, b->schema->name, np);
    if (!(b->threshold >= 0.0 && b->threshold <= 1.0))
        return ns_error_field(err, NS_ERR_INVALID, "threshold", "model "
                              "bundle: threshold %g is outside [0, 1]",
                              b->threshold);
    if (!(b->high_from >= b->threshold && b->high_from <= 1.0))
        return ns_error_field(err, NS_ERR_INVALID, "bands.high_from",
                              "model bundle: high_from %g must lie between "
                              "the threshold %g and 1", b->high_from,
                              b->threshold);
    return NS_OK;
}

static void stamp(struct bundle *b)
{
    char iso[21];
    int64_t now = ns_now_ms() / 1000;
    size_t k = 0;

    ns_format_datetime(now, iso);
    snprintf(b->created, sizeof(b->created), "%s", iso);
    for (const char *c = iso; *c && k + 1 < sizeof(b->version); c++) {
        if (*c != '-' && *c != ':')
            b->version[k++] = *c;
    }
    snprintf(b->version + k, sizeof(b->version) - k, "-%.8s", b->model_sha);
}

enum ns_err bundle_new(struct bundle_parts *parts, struct bundle **out,
                       struct ns_error *err)
{
    struct bundle *b = calloc(1, sizeof(*b));
    enum ns_err rc;

    *out = NULL;
    if (b == NULL) {
        free_parts(parts);
        return ns_error_set(err, NS_ERR_NOMEM, "model bundle: out of memory");
    }
    b->schema = parts->schema;
    b->enc = parts->encoders;
    b->pipe = parts->pipeline;
    b->model = parts->model;
    b->calib = parts->calib;
    b->threshold = parts->threshold;
    snprintf(b->rule, sizeof(b->rule), "%s",
             parts->threshold_rule ? parts->threshold_rule : "f1");
    b->rule_params = parts->threshold_params;
    b->high_from = parts->high_from;
    b->metrics = parts->metrics;
    b->params = parts->params;
    b->fingerprint = parts->fingerprint;
    memset(parts, 0, sizeof(*parts));

    rc = xgb_save_json(b->model, &b->model_text, &b->model_len, err);
    if (rc == NS_OK)
        rc = check_shape(b, err);
    if (rc != NS_OK) {
        bundle_free(b);
        return rc;
    }
    sha256_hex(b->model_text, b->model_len, b->model_sha);
    stamp(b);
    *out = b;
    return NS_OK;
}

void bundle_set_importance(struct bundle *b, json_t *importance)
{
    json_decref(b->importance);
    b->importance = importance;
}

void bundle_set_reference(struct bundle *b, json_t *reference)
{
    json_decref(b->reference);
    b->reference = reference;
}

const json_t *bundle_reference(const struct bundle *b)
{
    return b->reference;
}

const json_t *bundle_importance(const struct bundle *b)
{
    return b->importance;
}

const struct xgb_model *bundle_model(const struct bundle *b)
{
    return b->model;
}

const struct calib *bundle_calib(const struct bundle *b)
{
    return &b->calib;
}

const char *bundle_threshold_rule(const struct bundle *b)
{
    return b->rule;
}

double bundle_high_from(const struct bundle *b)
{
    return b->high_from;
}

const json_t *bundle_metrics(const struct bundle *b)
{
    return b->metrics;
}

const struct schema *bundle_schema(const struct bundle *b)
{
    return b->schema;
}

const struct pipeline *bundle_pipeline(const struct bundle *b)
{
    return b->pipe;
}

const struct encoders *bundle_encoders(const struct bundle *b)
{
    return b->enc;
}

const char *bundle_version(const struct bundle *b)
{
    return b->version;
}

double bundle_threshold(const struct bundle *b)
{
    return b->threshold;
}

const char *bundle_band_name(enum bundle_band band)
{
    switch (band) {
    case BAND_LOW:
        return "low";
    case BAND_MEDIUM:
        return "medium";
    case BAND_HIGH:
        return "high";
    }
    return "unknown";
}

enum bundle_band bundle_band_of(const struct bundle *b, double p)
{
    if (p >= b->high_from)
        return BAND_HIGH;
    if (p >= b->threshold)
        return BAND_MEDIUM;
    return BAND_LOW;
}

/* ---- the "noshow" object ------------------------------------------- */

static int set_opt(json_t *o, const char *key, const json_t *v)
{
    if (v == NULL)
        return 0;
    return json_object_set(o, key, (json_t *)v);
}

static json_t *versions_json(void)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "noshow", NOSHOW_VERSION,
                     "xgboost", xgb_version(), "jansson", JANSSON_VERSION,
                     "openssl", OPENSSL_VERSION_TEXT);
}

/* Everything but the XGBoost model, as saved and as shown to clients. */
static json_t *noshow_json(const struct bundle *b)
{
    json_t *o = NULL;
    json_t *cal = NULL;

    if (calib_to_json(&b->calib, &cal, NULL) != NS_OK)
        return NULL;
    o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, "
                  "s:{s:f, s:s, s:o}, s:{s:f, s:f}, s:s}",
                  "format", BUNDLE_FORMAT,
                  "format_version", BUNDLE_FORMAT_VERSION,
                  "created", b->created, "version", b->version,
                  "schema_name", b->schema->name,
                  "schema", b->schema->text ? b->schema->text : "",
                  "encoders", b->enc ? encoders_to_json(b->enc)
                                     : json_object(),
                  "pipeline", pipeline_to_json(b->pipe),
                  "calibration", cal, "versions", versions_json(),
                  "threshold", "value", b->threshold, "rule", b->rule,
                  "parameters", b->rule_params ? json_incref(b->rule_params)
                                               : json_object(),
                  "bands", "low_below", b->threshold, "high_from",
                  b->high_from, "model_sha256", b->model_sha);
    if (o == NULL)
        return NULL;
    if (set_opt(o, "metrics", b->metrics) ||
        set_opt(o, "params", b->params) ||
        set_opt(o, "fingerprint", b->fingerprint) ||
        set_opt(o, "importance", b->importance) ||
        set_opt(o, "reference", b->reference)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *bundle_info_json(const struct bundle *b)
{
    json_t *o = noshow_json(b);

    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "trees",
                            json_integer(xgb_num_trees(b->model))) ||
        json_object_set_new(o, "nfeatures",
                            json_integer((json_int_t)
                                         pipeline_nfeatures(b->pipe)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The file: XGBoost's text with ',"noshow":{...}' before its last '}'. */
static enum ns_err render(const struct bundle *b, struct ns_buf *out,
                          struct ns_error *err)
{
    json_t *o = noshow_json(b);
    char *text = NULL;
    size_t end = b->model_len;
    enum ns_err rc = NS_ERR_NOMEM;

    while (end > 0 && b->model_text[end - 1] != '}')
        end--;
    if (end == 0) {
        json_decref(o);
        return ns_error_set(err, NS_ERR_LIB, "model bundle: XGBoost's JSON "
                            "text does not end with '}'");
    }
    if (o)
        text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (text && ns_buf_append(out, b->model_text, end - 1) == NS_OK &&
        ns_buf_puts(out, ",\"noshow\":") == NS_OK &&
        ns_buf_puts(out, text) == NS_OK && ns_buf_puts(out, "}\n") == NS_OK)
        rc = NS_OK;
    free(text);
    json_decref(o);
    if (rc != NS_OK)
        return ns_error_set(err, rc, "model bundle: out of memory while "
                            "writing");
    return NS_OK;
}

static enum ns_err write_all(int fd, const char *p, size_t n,
                             const char *path, struct ns_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;

            return ns_error_set(err, NS_ERR_IO, "%s: write failed: %s",
                                path, strerror(e));
        }
        p += w;
        n -= (size_t)w;
    }
    return NS_OK;
}

enum ns_err bundle_to_text(const struct bundle *b, char **text,
                           size_t *len, struct ns_error *err)
{
    struct ns_buf buf = NS_BUF_INIT;
    enum ns_err rc = render(b, &buf, err);

    *text = NULL;
    *len = 0;
    if (rc != NS_OK) {
        ns_buf_free(&buf);
        return rc;
    }
    *len = buf.len;
    *text = ns_buf_steal(&buf);
    if (*text == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "model bundle: out of "
                            "memory");
    return NS_OK;
}

enum ns_err bundle_save(const struct bundle *b, const char *path,
                        struct ns_error *err)
{
    struct ns_buf buf = NS_BUF_INIT;
    struct ns_buf tmp = NS_BUF_INIT;
    int fd = -1;
    enum ns_err rc = render(b, &buf, err);

    if (rc != NS_OK)
        goto out;
    if (ns_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) != NS_OK) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "model bundle: out of memory");
        goto out;
    }
    fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;

        rc = ns_error_set(err, NS_ERR_IO, "%s: cannot create: %s", tmp.data,
                          strerror(e));
        goto out;
    }
    rc = write_all(fd, buf.data, buf.len, tmp.data, err);
    if (rc == NS_OK && fsync(fd) != 0) {
        int e = errno;

        rc = ns_error_set(err, NS_ERR_IO, "%s: fsync failed: %s", tmp.data,
                          strerror(e));
    }
    if (close(fd) != 0 && rc == NS_OK) {
        int e = errno;

        rc = ns_error_set(err, NS_ERR_IO, "%s: close failed: %s", tmp.data,
                          strerror(e));
    }
    fd = -1;
    if (rc == NS_OK && rename(tmp.data, path) != 0) {
        int e = errno;

        rc = ns_error_set(err, NS_ERR_IO, "%s: cannot rename to %s: %s",
                          tmp.data, path, strerror(e));
    }
    if (rc != NS_OK)
        unlink(tmp.data);
out:
    ns_buf_free(&tmp);
    ns_buf_free(&buf);
    return rc;
}

/* ---- loading ------------------------------------------------------- */

static enum ns_err get_num(const json_t *o, const char *key,
                           const char *where, const char *name, double *out,
                           struct ns_error *err)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_number(v))
        return ns_error_field(err, NS_ERR_PARSE, key, "%s: field '%s.%s' "
                              "is missing or not a number", name, where,
                              key);
    *out = json_number_value(v);
    return NS_OK;
}

static const char *get_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static enum ns_err check_header(const json_t *ns, const char *name,
                                struct ns_error *err)
{
    const char *fmt = get_str(ns, "format");
    const json_t *ver = json_object_get(ns, "format_version");

    if (fmt == NULL || strcmp(fmt, BUNDLE_FORMAT) != 0)
        return ns_error_field(err, NS_ERR_PARSE, "format", "%s: field "
                              "'noshow.format' is '%s', expected '%s'",
                              name, fmt ? fmt : "(missing)", BUNDLE_FORMAT);
    if (!json_is_integer(ver) || json_integer_value(ver) < 1)
        return ns_error_field(err, NS_ERR_PARSE, "format_version", "%s: "
                              "field 'noshow.format_version' is missing "
                              "or not a positive integer", name);
    if (json_integer_value(ver) > BUNDLE_FORMAT_VERSION)
        return ns_error_field(err, NS_ERR_UNSUPPORTED, "format_version",
                              "%s: bundle format version %lld is newer "
                              "than this program reads (up to %d); "
                              "upgrade noshow", name,
                              (long long)json_integer_value(ver),
                              BUNDLE_FORMAT_VERSION);
    return NS_OK;
}

/* Finds the XGBoost part (everything before the marker, plus its '}'),
 * checks its SHA-256 and loads it. */
static enum ns_err load_model(struct bundle *b, const char *data,
                              size_t len, const json_t *ns,
                              const char *name, struct ns_error *err)
{
    const char *m = memmem(data, len, MARKER, strlen(MARKER));
    const char *want = get_str(ns, "model_sha256");
    size_t k;

    if (m == NULL || want == NULL)
        return ns_error_set(err, NS_ERR_PARSE, "%s: no '\"noshow\"' object "
                            "after the XGBoost model, or no "
                            "'noshow.model_sha256'", name);
    k = (size_t)(m - data);
    b->model_text = malloc(k + 2);
    if (b->model_text == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
    memcpy(b->model_text, data, k);
    b->model_text[k] = '}';
    b->model_text[k + 1] = '\0';
    b->model_len = k + 1;
    sha256_hex(b->model_text, b->model_len, b->model_sha);
    if (strcmp(b->model_sha, want) != 0)
        return ns_error_field(err, NS_ERR_INVALID, "model_sha256", "%s: "
                              "checksum mismatch: the XGBoost part hashes "
                              "to %.12s... but the bundle says %.12s...; "
                              "the file was changed or corrupted", name,
                              b->model_sha, want);
    return xgb_load_json(b->model_text, b->model_len, &b->model, err);
}

static enum ns_err load_threshold(struct bundle *b, const json_t *ns,
                                  const char *name, struct ns_error *err)
{
    const json_t *t = json_object_get(ns, "threshold");
    const json_t *bands = json_object_get(ns, "bands");
    const char *rule = get_str(t, "rule");
    enum ns_err rc;

    rc = get_num(t, "value", "threshold", name, &b->threshold, err);
    if (rc == NS_OK)
        rc = get_num(bands, "high_from", "bands", name, &b->high_from, err);
    if (rc != NS_OK)
        return rc;
    if (rule == NULL)
        return ns_error_field(err, NS_ERR_PARSE, "threshold.rule", "%s: "
                              "field 'noshow.threshold.rule' is missing",
                              name);
    snprintf(b->rule, sizeof(b->rule), "%s", rule);
    b->rule_params = json_incref(json_object_get(t, "parameters"));
    return NS_OK;
}

static enum ns_err load_parts(struct bundle *b, const json_t *ns,
                              const char *name, struct ns_error *err)
{
    const char *text = get_str(ns, "schema");
    const char *created = get_str(ns, "created");
    const char *ver = get_str(ns, "version");
    enum ns_err rc;

    if (text == NULL || created == NULL || ver == NULL)
        return ns_error_set(err, NS_ERR_PARSE, "%s: field 'noshow.schema', "
                            "'noshow.created' or 'noshow.version' is "
                            "missing", name);
    snprintf(b->created, sizeof(b->created), "%s", created);
    snprintf(b->version, sizeof(b->version), "%s", ver);
    rc = schema_parse(text, strlen(text), "bundle schema", &b->schema, err);
    if (rc == NS_OK)
        rc = encoders_from_json(b->schema, json_object_get(ns, "encoders"),
                                &b->enc, err);
    if (rc == NS_OK)
        rc = pipeline_from_json(b->schema, b->enc,
                                json_object_get(ns, "pipeline"), &b->pipe,
                                err);
    if (rc == NS_OK)
        rc = calib_from_json(json_object_get(ns, "calibration"), &b->calib,
                             err);
    if (rc == NS_OK)
        rc = load_threshold(b, ns, name, err);
    if (rc != NS_OK)
        return rc;
    b->metrics = json_incref(json_object_get(ns, "metrics"));
    b->params = json_incref(json_object_get(ns, "params"));
    b->fingerprint = json_incref(json_object_get(ns, "fingerprint"));
    b->importance = json_incref(json_object_get(ns, "importance"));
    b->reference = json_incref(json_object_get(ns, "reference"));
    return check_shape(b, err);
}

enum ns_err bundle_load_mem(const char *data, size_t len, const char *name,
                            struct bundle **out, struct ns_error *err)
{
    struct bundle *b = NULL;
    json_t *root = NULL;
    const json_t *ns;
    json_error_t je;
    enum ns_err rc;

    *out = NULL;
    root = json_loadb(data, len, 0, &je);
    if (root == NULL) {
        rc = ns_error_set(err, NS_ERR_PARSE, "%s:%d:%d: not a valid model "
                          "bundle (truncated or corrupted JSON at byte "
                          "%d of %zu): %s", name, je.line, je.column,
                          je.position, len, je.text);
        goto out;
    }
    ns = json_object_get(root, "noshow");
    if (!json_is_object(ns)) {
        rc = ns_error_set(err, NS_ERR_PARSE, "%s: not a noshow model bundle "
                          "(no top-level \"noshow\" object; a plain XGBoost "
                          "model needs 'noshow train' first)", name);
        goto out;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
        goto out;
    }
    rc = check_header(ns, name, err);
    if (rc == NS_OK)
        rc = load_model(b, data, len, ns, name, err);
    if (rc == NS_OK)
        rc = load_parts(b, ns, name, err);
    if (rc != NS_OK)
        goto out;
    *out = b;
    b = NULL;
out:
    if (rc != NS_OK && err && strncmp(err->msg, name, strlen(name)) != 0)
        ns_error_prefix(err, "%s", name);
    bundle_free(b);
    json_decref(root);
    return rc;
}

enum ns_err bundle_load(const char *path, struct bundle **out,
                        struct ns_error *err)
{
    FILE *f = fopen(path, "rb");
    struct ns_buf buf = NS_BUF_INIT;
    char chunk[65536];
    size_t n;
    enum ns_err rc = NS_OK;

    *out = NULL;
    if (f == NULL) {
        int e = errno;

        return ns_error_set(err, NS_ERR_IO, "%s: cannot open model bundle: "
                            "%s", path, strerror(e));
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ns_buf_append(&buf, chunk, n) != NS_OK) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
    }
    if (rc == NS_OK && ferror(f))
        rc = ns_error_set(err, NS_ERR_IO, "%s: read error", path);
    fclose(f);
    if (rc == NS_OK)
        rc = bundle_load_mem(buf.data ? buf.data : "", buf.len, path, out,
                             err);
    ns_buf_free(&buf);
    return rc;
}

/* ---- scoring ------------------------------------------------------- */

static void finish_score(const struct bundle *b, double margin,
                         struct bundle_score *s)
{
    s->margin = margin;
    s->probability = calib_apply(&b->calib, margin);
    s->band = bundle_band_of(b, s->probability);
    s->label = s->probability >= b->threshold;
}

enum ns_err bundle_score_record(const struct bundle *b,
                                const struct record *r,
                                const struct history_source *h,
                                struct bundle_score *out,
                                float *features_out, struct ns_error *err)
{
    float x[PIPELINE_MAX_FEATURES];
    size_t nf = pipeline_nfeatures(b->pipe);
    double margin;
    int unknown = 0;
    enum ns_err rc;

    rc = pipeline_row(b->pipe, r, h, x, &unknown, err);
    if (rc != NS_OK)
        return rc;
    /* One thread: a single row must not wake a thread pool. */
    rc = xgb_predict_margin(b->model, x, 1, nf, 1, &margin, err);
    if (rc != NS_OK)
        return rc;
    finish_score(b, margin, out);
    out->unknown_cats = unknown;
    if (features_out)
        memcpy(features_out, x, nf * sizeof(float));
    return NS_OK;
}

enum ns_err bundle_score_matrix(const struct bundle *b, const float *x,
                                size_t n, struct bundle_score *out,
                                struct ns_error *err)
{
    /* Every core: batches are large enough to pay for the pool. */
    return bundle_score_matrix_threads(b, x, n, 0, out, err);
}

enum ns_err bundle_score_matrix_threads(const struct bundle *b,
                                        const float *x, size_t n,
                                        int nthread,
                                        struct bundle_score *out,
                                        struct ns_error *err)
{
    double *m = NULL;
    enum ns_err rc;

    if (n == 0)
        return NS_OK;
    m = malloc(n * sizeof(*m));
    if (m == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "scoring: out of memory");
    rc = xgb_predict_margin(b->model, x, n, pipeline_nfeatures(b->pipe),
                            nthread, m, err);
    for (size_t i = 0; rc == NS_OK && i < n; i++) {
        finish_score(b, m[i], &out[i]);
        out[i].unknown_cats = 0;
    }
    free(m);
    return rc;
}
