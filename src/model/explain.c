#include "model/explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const weekdays[7] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sunday"
};

const char *explain_direction(double contribution)
{
    if (contribution == 0)
        return "none";
    return contribution > 0 ? "raises" : "lowers";
}

static int find_kind(const struct pipeline *p, enum feat_kind kind)
{
    size_t n = pipeline_nfeatures(p);

    for (size_t i = 0; i < n; i++) {
        if (pipeline_feature(p, i)->kind == kind)
            return (int)i;
    }
    return -1;
}

static const char *col_label(const struct schema *s, int col)
{
    const struct schema_column *sc;

    if (s == NULL || col < 0 || (size_t)col >= s->ncols)
        return "value";
    sc = &s->cols[col];
    return sc->label[0] ? sc->label : sc->name;
}

static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

/* Words for a column feature: "SMS reminder received", "no diabetes",
 * "age 62", "neighbourhood CENTRO". */
static void column_words(const struct explain_ctx *c,
                         const struct feature *f, float v, char *out,
                         size_t cap)
{
    const char *label = col_label(c->schema, f->col);
    const char *cat;
    bool binary = c->schema && f->col >= 0 &&
                  c->schema->cols[f->col].role == ROLE_BINARY;

    if (isnan(v)) {
        snprintf(out, cap, "%s unknown", label);
    } else if (f->kind == FEAT_CATEGORY) {
        cat = c->enc ? encoders_category(c->enc, f->col, (size_t)v) : NULL;
        if (cat)
            snprintf(out, cap, "%s %s", label, cat);
        else if (c->enc)
            snprintf(out, cap, "%s not seen in training", label);
        else
            snprintf(out, cap, "%s code %g", label, (double)v);
    } else if (binary) {
        snprintf(out, cap, "%s%s", v > 0.5f ? "" : "no ", label);
    } else {
        snprintf(out, cap, "%s %g", label, (double)v);
    }
}

/* "first appointment of this patient", "2 earlier missed appointments
 * out of 5", "4 earlier appointments, none missed". */
static bool history_words(const struct explain_ctx *c, const float *x,
                          char *out, size_t cap)
{
    int ip = find_kind(c->pipeline, FEAT_HIST_PRIOR);
    int im = find_kind(c->pipeline, FEAT_HIST_NOSHOWS);
    double prior, missed;

    if (ip < 0 || im < 0 || isnan(x[ip]) || isnan(x[im]))
        return false;
    prior = x[ip];
    missed = x[im];
    if (prior == 0)
        snprintf(out, cap, "first appointment of this patient");
    else if (missed > 0)
        snprintf(out, cap, "%g earlier missed appointment%s out of %g",
                 missed, plural(missed), prior);
    else
        snprintf(out, cap, "%g earlier appointment%s, none missed", prior,
                 plural(prior));
    return true;
}

static void derived_words(const struct feature *f, float v, char *out,
                          size_t cap)
{
    int day = (int)v;

    if (isnan(v)) {
        /* Both are NaN exactly when the patient booked nothing before. */
        if (f->kind == FEAT_HIST_SINCE_BOOKING ||
            f->kind == FEAT_HIST_PREV_LEAD)
            snprintf(out, cap, "no earlier booking by this patient");
        else
            snprintf(out, cap, "%s unknown", f->name);
        return;
    }
    switch (f->kind) {
    case FEAT_LEAD_DAYS:
        if (v == 0)
            snprintf(out, cap, "booked on the appointment day");
        else
            snprintf(out, cap, "booked %g day%s ahead", (double)v,
                     plural(v));
        break;
    case FEAT_SAME_DAY:
        snprintf(out, cap, v > 0.5f ? "booked on the appointment day"
                                    : "booked before the appointment day");
        break;
    case FEAT_APPT_WEEKDAY:
    case FEAT_BOOKING_WEEKDAY:
        snprintf(out, cap, "%s on a %s",
                 f->kind == FEAT_APPT_WEEKDAY ? "appointment" : "booked",
                 day >= 0 && day < 7 ? weekdays[day] : "day out of range");
        break;
    case FEAT_BOOKING_HOUR:
        snprintf(out, cap, "booked at %02d h (UTC)", day);
        break;
    case FEAT_APPT_TIME:
        snprintf(out, cap, "appointment at %02d:%02d", day / 3600,
                 day % 3600 / 60);
        break;
    case FEAT_HIST_RATE:
        snprintf(out, cap, "missed %.0f%% of earlier appointments",
                 100.0 * v);
        break;
    case FEAT_HIST_DAYS_SINCE:
        snprintf(out, cap, "last appointment %g day%s before", (double)v,
                 plural(v));
        break;
    case FEAT_HIST_HELD:
        snprintf(out, cap, "%g other appointment%s already booked ahead",
                 (double)v, plural(v));
        break;
    case FEAT_HIST_BOOKINGS_30D:
        snprintf(out, cap, "%g booking%s in the 30 days before",
                 (double)v, plural(v));
        break;
    case FEAT_HIST_SINCE_BOOKING:
        snprintf(out, cap, "previous booking %.1f day%s before", (double)v,
                 plural(v));
        break;
    case FEAT_HIST_BOOKINGS_TODAY:
        snprintf(out, cap, "%g other booking%s made the same day",
                 (double)v, plural(v));
        break;
    case FEAT_HIST_PREV_LEAD:
        if (v == 0)
            snprintf(out, cap, "previous booking was for the same day");
        else
            snprintf(out, cap, "previous booking was %g day%s ahead",
                     (double)v, plural(v));
        break;
    case FEAT_HIST_SAME_DAY_APPTS:
        snprintf(out, cap, "%g other appointment%s on the same day",
                 (double)v, plural(v));
        break;
    default:
        snprintf(out, cap, "%s %g", f->name, (double)v);
        break;
    }
}

/* The words for the value part of a group's reason, from its lead
 * feature (the one moving the risk most). */
static void group_words(const struct explain_ctx *c, const float *x,
                        size_t lead, char *out, size_t cap)
{
    const struct feature *f = pipeline_feature(c->pipeline, lead);

    if ((f->kind == FEAT_HIST_PRIOR || f->kind == FEAT_HIST_NOSHOWS ||
         f->kind == FEAT_HIST_RATE || f->kind == FEAT_HIST_DAYS_SINCE) &&
        history_words(c, x, out, cap))
        return;
    if (f->kind == FEAT_NUMERIC || f->kind == FEAT_CATEGORY)
        column_words(c, f, x[lead], out, cap);
    else
        derived_words(f, x[lead], out, cap);
}

static int by_abs_contribution(const void *a, const void *b)
{
    const struct explain_group *ga = a, *gb = b;
    double da = fabs(ga->contribution), db = fabs(gb->contribution);

    if (da != db)
        return da < db ? 1 : -1;
    return strcmp(ga->group, gb->group);
}

/* Sums contributions per group (in order of first appearance), picks each
 * group's lead feature and sorts. */
static size_t group_up(const struct pipeline *p, const double *contrib,
                       struct explain_group *g)
{
    size_t n = pipeline_nfeatures(p), ng = 0, k;

    for (size_t i = 0; i < n; i++) {
        const struct feature *f = pipeline_feature(p, i);

        for (k = 0; k < ng; k++) {
            if (strcmp(g[k].group, f->group) == 0)
                break;
        }
        if (k == ng) {
            snprintf(g[k].group, sizeof(g[k].group), "%s", f->group);
            g[k].contribution = 0;
            g[k].lead = i;
            ng++;
        }
        g[k].contribution += contrib[i];
        if (fabs(contrib[i]) > fabs(contrib[g[k].lead]))
            g[k].lead = i;
    }
    return ng;
}

enum ns_err explain_from_contribs(const struct explain_ctx *c,
                                  const float *x, const double *contrib,
                                  struct explain_result *out,
                                  struct ns_error *err)
{
    size_t n = pipeline_nfeatures(c->pipeline);
    char words[EXPLAIN_TEXT_MAX - 32];

    memset(out, 0, sizeof(*out));
    out->nfeatures = n;
    out->x = malloc(n * sizeof(*out->x) + 1);
    out->contrib = malloc(n * sizeof(*out->contrib) + 1);
    out->groups = calloc(n + 1, sizeof(*out->groups));
    if (!out->x || !out->contrib || !out->groups) {
        explain_result_free(out);
        return ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory "
                            "for %zu features", n);
    }
    memcpy(out->x, x, n * sizeof(*x));
    memcpy(out->contrib, contrib, n * sizeof(*contrib));
    out->base = contrib[n];
    out->margin = contrib[n];
    for (size_t i = 0; i < n; i++)
        out->margin += contrib[i];

    out->ngroups = group_up(c->pipeline, contrib, out->groups);
    for (size_t k = 0; k < out->ngroups; k++) {
        struct explain_group *g = &out->groups[k];

        group_words(c, x, g->lead, words, sizeof(words));
        if (g->contribution == 0)
            snprintf(g->text, sizeof(g->text), "%s: no effect", words);
        else
            snprintf(g->text, sizeof(g->text), "%s: %s risk (%+.2f)",
                     words, explain_direction(g->contribution),
                     g->contribution);
    }
    qsort(out->groups, out->ngroups, sizeof(*out->groups),
          by_abs_contribution);
    return NS_OK;
}

enum ns_err explain_row(const struct explain_ctx *c, const float *x,
                        struct explain_result *out, struct ns_error *err)
{
    size_t n = pipeline_nfeatures(c->pipeline);
    double stack[65];
    double *contrib = n < 64 ? stack : malloc((n + 1) * sizeof(double));
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (contrib == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory");

    /* One thread: a one-row call on two threads pays the thread pool's
     * fixed wake-up cost, far more than the work itself. */
    rc = xgb_predict_contribs(c->model, x, 1, n, 1, contrib, err);
    if (rc == NS_OK)
        rc = explain_from_contribs(c, x, contrib, out, err);
    if (contrib != stack)
        free(contrib);
    return rc;
}

enum ns_err explain_matrix(const struct explain_ctx *c, const float *X,
                           size_t n, struct explain_result *out,
                           struct ns_error *err)
{
    size_t nf = pipeline_nfeatures(c->pipeline);
    double *contribs = malloc(n * (nf + 1) * sizeof(double) + 1);
    enum ns_err rc;
    size_t i = 0;

    if (contribs == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory "
                            "for %zu rows", n);
    rc = xgb_predict_contribs(c->model, X, n, nf, 0, contribs, err);
    for (; rc == NS_OK && i < n; i++)
        rc = explain_from_contribs(c, X + i * nf, contribs + i * (nf + 1),
                                   &out[i], err);
    if (rc != NS_OK) {
        while (i > 0)
            explain_result_free(&out[--i]);
    }
    free(contribs);
    return rc;
}

void explain_result_free(struct explain_result *r)
{
    if (r == NULL)
        return;
    free(r->x);
    free(r->contrib);
    free(r->groups);
    memset(r, 0, sizeof(*r));
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* {name, value, contribution} of every feature of group g. */
static json_t *group_features(const struct pipeline *p,
                              const struct explain_result *r,
                              const char *group)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < r->nfeatures; i++) {
        const struct feature *f = pipeline_feature(p, i);

        if (strcmp(f->group, group) != 0)
            continue;
        if (json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "name",
                                               f->name, "value",
                                               num(r->x[i]),
                                               "contribution",
                                               num(r->contrib[i]))) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *reasons_json(const struct explain_ctx *c,
                            const struct explain_result *r, size_t top_k)
{
    json_t *a = json_array();

    for (size_t k = 0; a && k < r->ngroups; k++) {
        const struct explain_group *g = &r->groups[k];
        json_t *feats, *o;

        if (top_k > 0 && json_array_size(a) >= top_k)
            break;
        if (g->contribution == 0)
            continue;
        feats = group_features(c->pipeline, r, g->group);
        o = feats ? json_pack("{s:s, s:o, s:o, s:o, s:s, s:s}", "group",
                              g->group, "features", feats, "value",
                              num(r->x[g->lead]), "contribution",
                              num(g->contribution), "direction",
                              explain_direction(g->contribution), "text",
                              g->text)
                  : NULL;
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *explain_result_json(const struct explain_ctx *c,
                            const struct explain_result *r, size_t top_k)
{
    json_t *reasons = reasons_json(c, r, top_k);
    json_t *feats = json_array();

    for (size_t i = 0; feats && i < r->nfeatures; i++) {
        const struct feature *f = pipeline_feature(c->pipeline, i);

        if (json_array_append_new(feats, json_pack(
                "{s:s, s:s, s:o, s:o}", "name", f->name, "group", f->group,
                "value", num(r->x[i]), "contribution",
                num(r->contrib[i]))) != 0) {
            json_decref(feats);
            feats = NULL;
        }
    }
    if (reasons == NULL || feats == NULL) {
        json_decref(reasons);
        json_decref(feats);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o}", "units", "log-odds",
                     "base", num(r->base), "margin", num(r->margin),
                     "reasons", reasons, "features", feats);
}

void explain_ctx_of_bundle(const struct bundle *b, struct explain_ctx *c)
{
    c->schema = bundle_schema(b);
    c->pipeline = bundle_pipeline(b);
    c->enc = bundle_encoders(b);
    c->model = bundle_model(b);
}

enum ns_err explain_record(const struct bundle *b, const struct record *r,
                           const struct history_source *hist, size_t top_k,
                           json_t **json, struct ns_error *err)
{
    struct explain_ctx c;
    struct explain_result res = {0};
    struct bundle_score sc;
    float x[PIPELINE_MAX_FEATURES];
    enum ns_err rc;

    *json = NULL;
    explain_ctx_of_bundle(b, &c);
    rc = bundle_score_record(b, r, hist, &sc, x, err);
    if (rc == NS_OK)
        rc = explain_row(&c, x, &res, err);
    if (rc == NS_OK)
        *json = explain_result_json(&c, &res, top_k);
    if (rc == NS_OK &&
        (*json == NULL ||
         json_object_set_new(*json, "probability",
                             num(sc.probability)) != 0 ||
         json_object_set_new(*json, "band", json_string(
                                 bundle_band_name(sc.band))) != 0 ||
         json_object_set_new(*json, "flagged",
                             json_boolean(sc.label)) != 0 ||
         json_object_set_new(*json, "unknown_categories",
                             json_integer(sc.unknown_cats)) != 0)) {
        json_decref(*json);
        *json = NULL;
        rc = ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory");
    }
    explain_result_free(&res);
    return rc;
}

void explain_result_print(const struct explain_result *r, size_t top_k,
                          FILE *f)
{
    size_t shown = 0;

    fprintf(f, "margin %+.4f = base %+.4f + contributions (log-odds)\n",
            r->margin, r->base);
    for (size_t k = 0; k < r->ngroups; k++) {
        if (top_k > 0 && shown == top_k)
            break;
        if (r->groups[k].contribution == 0)
            continue;
        fprintf(f, "  %zu. %s\n", ++shown, r->groups[k].text);
    }
}

/* Running sums for the mean |SHAP| and the correlation of value and
 * SHAP over the rows where the value is known. */
struct acc {
    double abs, sum;
    double n, sx, sy, sxx, syy, sxy;
};

static void acc_add(struct acc *a, double v, double phi)
{
    a->abs += fabs(phi);
    a->sum += phi;
    if (isnan(v))
        return;
    a->n += 1;
    a->sx += v;
    a->sy += phi;
    a->sxx += v * v;
    a->syy += phi * phi;
    a->sxy += v * phi;
}

static double acc_corr(const struct acc *a)
{
    double vx, vy;

    if (a->n < 2)
        return NAN;
    vx = a->sxx - a->sx * a->sx / a->n;
    vy = a->syy - a->sy * a->sy / a->n;
    if (vx <= 1e-12 * (1 + a->sxx) || vy <= 1e-12 * (1 + a->syy))
        return NAN;
    return (a->sxy - a->sx * a->sy / a->n) / sqrt(vx * vy);
}

static int by_mean_abs(const void *a, const void *b)
{
    const struct explain_rank *ra = a, *rb = b;

    if (ra->mean_abs != rb->mean_abs)
        return ra->mean_abs < rb->mean_abs ? 1 : -1;
    return strcmp(ra->name, rb->name);
}

static void rank_fill(struct explain_rank *r, const char *name,
                      const char *group, const struct acc *a, size_t n,
                      bool categorical)
{
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->group, sizeof(r->group), "%s", group);
    r->mean_abs = a->abs / (double)n;
    r->mean = a->sum / (double)n;
    r->corr = acc_corr(a);
    r->categorical = categorical;
}

/* Per-feature sums first; a group's lead is its feature with the largest
 * mean |SHAP|, and a second pass correlates that value with the group's
 * row sums. */
static void group_importance(const struct pipeline *p, const float *X,
                             const double *contribs, size_t n,
                             const struct acc *fa,
                             struct explain_importance *out, size_t *lead,
                             struct acc *ga)
{
    size_t nf = pipeline_nfeatures(p);
    size_t gi[PIPELINE_MAX_FEATURES];
    struct explain_group g[PIPELINE_MAX_FEATURES];
    double one[PIPELINE_MAX_FEATURES] = {0};

    /* group_up() on mean |SHAP| finds each group and its lead. */
    for (size_t i = 0; i < nf; i++)
        one[i] = fa[i].abs;
    out->ngroups = group_up(p, one, g);
    for (size_t i = 0; i < nf; i++) {
        for (size_t k = 0; k < out->ngroups; k++) {
            if (strcmp(g[k].group, pipeline_feature(p, i)->group) == 0)
                gi[i] = k;
        }
    }
    for (size_t k = 0; k < out->ngroups; k++)
        lead[k] = g[k].lead;
    for (size_t r = 0; r < n; r++) {
        double sum[PIPELINE_MAX_FEATURES] = {0};

        for (size_t i = 0; i < nf; i++)
            sum[gi[i]] += contribs[r * (nf + 1) + i];
        for (size_t k = 0; k < out->ngroups; k++)
            acc_add(&ga[k], X[r * nf + lead[k]], sum[k]);
    }
}

enum ns_err explain_importance(const struct pipeline *p, const float *X,
                               const double *contribs, size_t n,
                               struct explain_importance *out,
                               struct ns_error *err)
{
    size_t nf = pipeline_nfeatures(p);
    struct acc *fa = NULL, *ga = NULL;
    size_t *lead = NULL;
    enum ns_err rc = NS_OK;

    memset(out, 0, sizeof(*out));
    if (n == 0)
        return ns_error_set(err, NS_ERR_INVALID, "explain: importance "
                            "needs at least one row, got none");
    fa = calloc(nf + 1, sizeof(*fa));
    ga = calloc(nf + 1, sizeof(*ga));
    lead = calloc(nf + 1, sizeof(*lead));
    out->features = calloc(nf + 1, sizeof(*out->features));
    out->groups = calloc(nf + 1, sizeof(*out->groups));
    if (!fa || !ga || !lead || !out->features || !out->groups) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory");
        explain_importance_free(out);
        goto out;
    }
    out->rows = n;
    out->nfeatures = nf;
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < nf; i++)
            acc_add(&fa[i], X[r * nf + i], contribs[r * (nf + 1) + i]);
    }
    group_importance(p, X, contribs, n, fa, out, lead, ga);

    for (size_t i = 0; i < nf; i++) {
        const struct feature *f = pipeline_feature(p, i);

        rank_fill(&out->features[i], f->name, f->group, &fa[i], n,
                  f->kind == FEAT_CATEGORY);
    }
    for (size_t k = 0; k < out->ngroups; k++) {
        const struct feature *f = pipeline_feature(p, lead[k]);

        rank_fill(&out->groups[k], f->group, f->group, &ga[k], n,
                  f->kind == FEAT_CATEGORY);
    }
    qsort(out->features, nf, sizeof(*out->features), by_mean_abs);
    qsort(out->groups, out->ngroups, sizeof(*out->groups), by_mean_abs);
out:
    free(fa);
    free(ga);
    free(lead);
    return rc;
}

enum ns_err explain_importance_of(const struct explain_ctx *c,
                                  const float *X, size_t n,
                                  struct explain_importance *out,
                                  struct ns_error *err)
{
    size_t nf = pipeline_nfeatures(c->pipeline);
    double *contribs;
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (n == 0)
        return ns_error_set(err, NS_ERR_INVALID, "explain: importance "
                            "needs at least one row, got none");
    contribs = malloc(n * (nf + 1) * sizeof(double));
    if (contribs == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory "
                            "for the contributions of %zu rows", n);
    rc = xgb_predict_contribs(c->model, X, n, nf, 0, contribs, err);
    if (rc == NS_OK)
        rc = explain_importance(c->pipeline, X, contribs, n, out, err);
    free(contribs);
    return rc;
}

static int by_pair(const void *a, const void *b)
{
    double x = ((const struct explain_pair *)a)->mean_abs;
    double y = ((const struct explain_pair *)b)->mean_abs;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Adds |phi_ij + phi_ji| of every pair i < j of n rows to sum[i * m +
 * j]; one row's matrix is (m + 1) x (m + 1). */
static void add_pairs(const double *v, size_t n, size_t m, double *sum)
{
    size_t w = m + 1;

    for (size_t r = 0; r < n; r++) {
        const double *x = v + r * w * w;

        for (size_t i = 0; i < m; i++) {
            for (size_t j = i + 1; j < m; j++)
                sum[i * m + j] += fabs(x[i * w + j] + x[j * w + i]);
        }
    }
}

#define PAIR_CHUNK 256

enum ns_err explain_interactions(const struct explain_ctx *c,
                                 const float *X, size_t n, size_t top,
                                 struct explain_importance *imp,
                                 struct ns_error *err)
{
    size_t m = pipeline_nfeatures(c->pipeline), np = 0;
    double *v = malloc(PAIR_CHUNK * (m + 1) * (m + 1) * sizeof(double));
    double *sum = calloc(m * m + 1, sizeof(double));
    struct explain_pair *p = calloc(m * m + 1, sizeof(*p));
    enum ns_err rc = NS_OK;

    if (!v || !sum || !p) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "explain: out of memory for "
                          "interactions of %zu features", m);
        goto out;
    }
    for (size_t r = 0; rc == NS_OK && r < n; r += PAIR_CHUNK) {
        size_t k = n - r < PAIR_CHUNK ? n - r : PAIR_CHUNK;

        rc = xgb_predict_interactions(c->model, X + r * m, k, m, 0, v, err);
        if (rc == NS_OK)
            add_pairs(v, k, m, sum);
    }
    for (size_t i = 0; rc == NS_OK && n > 0 && i < m; i++) {
        for (size_t j = i + 1; j < m; j++, np++) {
            snprintf(p[np].a, sizeof(p[np].a), "%s",
                     pipeline_feature(c->pipeline, i)->name);
            snprintf(p[np].b, sizeof(p[np].b), "%s",
                     pipeline_feature(c->pipeline, j)->name);
            p[np].mean_abs = sum[i * m + j] / (double)n;
        }
    }
    if (rc == NS_OK) {
        qsort(p, np, sizeof(*p), by_pair);
        free(imp->pairs);
        imp->pairs = p;
        imp->npairs = np < top ? np : top;
        imp->interaction_rows = n;
        p = NULL;
    }
out:
    free(v);
    free(sum);
    free(p);
    return rc;
}

void explain_importance_free(struct explain_importance *imp)
{
    if (imp == NULL)
        return;
    free(imp->features);
    free(imp->groups);
    free(imp->pairs);
    memset(imp, 0, sizeof(*imp));
}

const char *explain_rank_direction(const struct explain_rank *r)
{
    if (r->mean_abs == 0)
        return "no effect";
    if (r->categorical)
        return "depends on the category";
    if (r->corr >= 0.3)
        return "higher raises risk";
    if (r->corr <= -0.3)
        return "higher lowers risk";
    return "mixed";
}

static json_t *ranks_json(const struct explain_rank *r, size_t n,
                          bool with_group)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:s}", "name",
                              r[i].name, "mean_abs", num(r[i].mean_abs),
                              "mean", num(r[i].mean), "corr",
                              num(r[i].corr), "direction",
                              explain_rank_direction(&r[i]));

        if (o && with_group &&
            json_object_set_new(o, "group", json_string(r[i].group)) != 0)
            json_decref(o), o = NULL;
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* [{a, b, mean_abs}] of the pairs kept; NULL when out of memory. */
static json_t *pairs_json(const struct explain_importance *imp)
{
    json_t *a = json_array();

    for (size_t k = 0; a && k < imp->npairs; k++) {
        if (json_array_append_new(a, json_pack(
                "{s:s, s:s, s:o}", "a", imp->pairs[k].a, "b",
                imp->pairs[k].b, "mean_abs",
                num(imp->pairs[k].mean_abs))) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *explain_importance_json(const struct explain_importance *imp)
{
    json_t *g = ranks_json(imp->groups, imp->ngroups, false);
    json_t *f = ranks_json(imp->features, imp->nfeatures, true);
    json_t *o;

    if (g == NULL || f == NULL) {
        json_decref(g);
        json_decref(f);
        return NULL;
    }
    o = json_pack("{s:I, s:s, s:o, s:o}", "rows", (json_int_t)imp->rows,
                  "units", "mean |SHAP| (log-odds)", "groups", g,
                  "features", f);
    if (o && imp->interaction_rows > 0 &&
        (json_object_set_new(o, "interactions", pairs_json(imp)) != 0 ||
         json_object_set_new(o, "interaction_rows", json_integer(
                                 (json_int_t)imp->interaction_rows)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void print_ranks(const struct explain_rank *r, size_t n,
                        const char *title, FILE *f)
{
    fprintf(f, "%-4s %-26s %9s %9s %7s  %s\n", "rank", title, "mean|SHAP|",
            "mean", "corr", "direction");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-4zu %-26.26s %9.4f %+9.4f %7.3f  %s\n", i + 1,
                r[i].name, r[i].mean_abs, r[i].mean, r[i].corr,
                explain_rank_direction(&r[i]));
}

void explain_importance_print(const struct explain_importance *imp,
                              FILE *f)
{
    fprintf(f, "Global importance over %zu rows (log-odds)\n\n", imp->rows);
    print_ranks(imp->groups, imp->ngroups, "input", f);
    fprintf(f, "\n");
    print_ranks(imp->features, imp->nfeatures, "feature", f);
    if (imp->interaction_rows == 0)
        return;
    fprintf(f, "\nStrongest interactions over %zu rows (mean |SHAP "
            "interaction|, both halves)\n", imp->interaction_rows);
    for (size_t k = 0; k < imp->npairs; k++)
        fprintf(f, "%-4zu %-24s x %-24s %9.4f\n", k + 1, imp->pairs[k].a,
                imp->pairs[k].b, imp->pairs[k].mean_abs);
}
