/* Ranking and probability metrics; see metrics.h. */
#include "model/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cumulative counts at each distinct score, highest score first: at step
 * i, rows with score >= thr[i] hold tp[i] positives and fp[i] negatives. */
struct steps {
    size_t k;
    double *thr;
    size_t *tp;
    size_t *fp;
    size_t pos;
    size_t neg;
};

struct scored {
    double p;
    int pos;
};

static int by_score_desc(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;

    return (x->p < y->p) - (x->p > y->p);
}

static void steps_free(struct steps *s)
{
    free(s->thr);
    free(s->tp);
    free(s->fp);
    memset(s, 0, sizeof(*s));
}

static enum ns_err check_scores(const double *p, size_t n,
                                struct ns_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(p[i]))
            return ns_error_set(err, NS_ERR_INVALID, "score of row %zu is "
                                "NaN: expected a number", i);
    return NS_OK;
}

static enum ns_err steps_build(const double *p, const float *y, size_t n,
                               struct steps *s, struct ns_error *err)
{
    struct scored *v = NULL;
    size_t tp = 0, fp = 0;
    enum ns_err rc;

    memset(s, 0, sizeof(*s));
    if ((rc = check_scores(p, n, err)) != NS_OK)
        return rc;
    v = malloc((n ? n : 1) * sizeof(*v));
    s->thr = malloc((n ? n : 1) * sizeof(*s->thr));
    s->tp = malloc((n ? n : 1) * sizeof(*s->tp));
    s->fp = malloc((n ? n : 1) * sizeof(*s->fp));
    if (!v || !s->thr || !s->tp || !s->fp) {
        free(v);
        steps_free(s);
        return ns_error_set(err, NS_ERR_NOMEM, "no memory to rank %zu "
                            "scores", n);
    }
    for (size_t i = 0; i < n; i++) {
        v[i].p = p[i];
        v[i].pos = y[i] > 0.5f;
    }
    qsort(v, n, sizeof(*v), by_score_desc);
    for (size_t i = 0; i < n; i++) {
        if (v[i].pos)
            tp++;
        else
            fp++;

        /* Close a step only after the last row of a tie group. */
        if (i + 1 == n || v[i + 1].p != v[i].p) {
            s->thr[s->k] = v[i].p;
            s->tp[s->k] = tp;
            s->fp[s->k] = fp;
            s->k++;
        }
    }
    s->pos = tp;
    s->neg = fp;
    free(v);
    return NS_OK;
}

/* Trapezoids between ROC steps: a tie group that mixes classes adds a
 * diagonal segment, which is exactly the half credit of average ranks. */
static double steps_auc(const struct steps *s)
{
    double area = 0;
    size_t tp0 = 0, fp0 = 0;

    if (s->pos == 0 || s->neg == 0)
        return NAN;
    for (size_t i = 0; i < s->k; i++) {
        area += (double)(s->fp[i] - fp0) * (double)(s->tp[i] + tp0) / 2.0;
        tp0 = s->tp[i];
        fp0 = s->fp[i];
    }
    return area / ((double)s->pos * (double)s->neg);
}

static double steps_ap(const struct steps *s)
{
    double ap = 0;
    size_t tp0 = 0;

    if (s->pos == 0)
        return NAN;
    for (size_t i = 0; i < s->k; i++) {
        double precision = (double)s->tp[i] / (double)(s->tp[i] + s->fp[i]);

        ap += (double)(s->tp[i] - tp0) / (double)s->pos * precision;
        tp0 = s->tp[i];
    }
    return ap;
}

/* Ranks the scores, then reduces the steps with stat. */
static enum ns_err ranked(const double *p, const float *y, size_t n,
                          double (*stat)(const struct steps *),
                          double *out, struct ns_error *err)
{
    struct steps s;
    enum ns_err rc = steps_build(p, y, n, &s, err);

    if (rc != NS_OK)
        return rc;
    *out = stat(&s);
    steps_free(&s);
    return NS_OK;
}

enum ns_err metrics_roc_auc(const double *p, const float *y, size_t n,
                            double *auc, struct ns_error *err)
{
    return ranked(p, y, n, steps_auc, auc, err);
}

enum ns_err metrics_average_precision(const double *p, const float *y,
                                      size_t n, double *ap,
                                      struct ns_error *err)
{
    return ranked(p, y, n, steps_ap, ap, err);
}

double metrics_brier(const double *p, const float *y, size_t n)
{
    double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double d = p[i] - (y[i] > 0.5f ? 1.0 : 0.0);

        sum += d * d;
    }
    return sum / (double)n;
}

double metrics_log_loss(const double *p, const float *y, size_t n)
{
    const double eps = 1e-15;
    double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double q = fmin(fmax(p[i], eps), 1.0 - eps);

        sum -= y[i] > 0.5f ? log(q) : log1p(-q);
    }
    return sum / (double)n;
}

struct metrics_confusion metrics_confusion_at(const double *p,
                                              const float *y, size_t n,
                                              double threshold)
{
    struct metrics_confusion c = {0, 0, 0, 0};

    for (size_t i = 0; i < n; i++) {
        int flagged = p[i] >= threshold;

        if (y[i] > 0.5f) {
            if (flagged)
                c.tp++;
            else
                c.fn++;
        } else if (flagged) {
            c.fp++;
        } else {
            c.tn++;
        }
    }
    return c;
}

static double ratio(size_t num, size_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

static double f1_of(size_t tp, size_t fp, size_t fn)
{
    /* 2PR/(P+R) simplified; 0 when nothing was flagged or found. */
    return ratio(2 * tp, 2 * tp + fp + fn);
}

void metrics_ratios(const struct metrics_confusion *c, double *accuracy,
                    double *precision, double *recall, double *f1)
{
    if (accuracy)
        *accuracy = ratio(c->tp + c->tn, c->tp + c->tn + c->fp + c->fn);
    if (precision)
        *precision = ratio(c->tp, c->tp + c->fp);
    if (recall)
        *recall = ratio(c->tp, c->tp + c->fn);
    if (f1)
        *f1 = f1_of(c->tp, c->fp, c->fn);
}

enum curve_kind {
    CURVE_ROC,
    CURVE_PR
};

/* Point j of a full curve: ROC has the origin then one point per step,
 * PR one point per step. */
static struct metrics_point curve_point(const struct steps *s,
                                        enum curve_kind kind, size_t j)
{
    struct metrics_point pt;

    if (kind == CURVE_ROC) {
        if (j == 0)
            return (struct metrics_point){0.0, 0.0, INFINITY};
        j--;
        pt.x = ratio(s->fp[j], s->neg);
        pt.y = ratio(s->tp[j], s->pos);
    } else {
        pt.x = ratio(s->tp[j], s->pos);
        pt.y = ratio(s->tp[j], s->tp[j] + s->fp[j]);
    }
    pt.threshold = s->thr[j];
    return pt;
}

/* Evenly spaced points of the full curve, always its first and last. */
static enum ns_err curve_sample(const struct steps *s, enum curve_kind kind,
                                struct metrics_point **out, size_t *count,
                                struct ns_error *err)
{
    size_t full = s->k + (kind == CURVE_ROC ? 1 : 0);
    size_t m = full < METRICS_MAX_CURVE_POINTS ? full
                                               : METRICS_MAX_CURVE_POINTS;
    struct metrics_point *pts;

    *out = NULL;
    *count = 0;
    if (m == 0)
        return NS_OK;
    pts = malloc(m * sizeof(*pts));
    if (!pts)
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for %zu curve "
                            "points", m);
    for (size_t i = 0; i < m; i++) {
        size_t j = m == 1 ? 0 : (size_t)((double)i * (double)(full - 1) /
                                         (double)(m - 1) + 0.5);

        pts[i] = curve_point(s, kind, j);
    }
    *out = pts;
    *count = m;
    return NS_OK;
}

static void calibration_bins(const double *p, const float *y, size_t n,
                             struct metrics_calib_bin *bins)
{
    double sum_p[METRICS_CALIB_BINS] = {0};
    double sum_y[METRICS_CALIB_BINS] = {0};

    memset(bins, 0, METRICS_CALIB_BINS * sizeof(*bins));
    for (size_t i = 0; i < n; i++) {
        int b = (int)(p[i] * METRICS_CALIB_BINS);

        b = b < 0 ? 0 : (b >= METRICS_CALIB_BINS ? METRICS_CALIB_BINS - 1
                                                 : b);
        sum_p[b] += p[i];
        sum_y[b] += y[i] > 0.5f ? 1.0 : 0.0;
        bins[b].count++;
    }
    for (int b = 0; b < METRICS_CALIB_BINS; b++) {
        bins[b].mean_predicted = bins[b].count
            ? sum_p[b] / (double)bins[b].count : NAN;
        bins[b].observed_rate = bins[b].count
            ? sum_y[b] / (double)bins[b].count : NAN;
    }
}

enum ns_err metrics_compute(const double *p, const float *y, size_t n,
                            double threshold, struct metrics_report *r,
                            struct ns_error *err)
{
    struct steps s;
    double sum_p = 0;
    enum ns_err rc;

    memset(r, 0, sizeof(*r));
    if ((rc = steps_build(p, y, n, &s, err)) != NS_OK)
        return rc;
    r->rows = n;
    r->positives = s.pos;
    r->auc = steps_auc(&s);
    r->pr_auc = steps_ap(&s);
    r->brier = metrics_brier(p, y, n);
    r->log_loss = metrics_log_loss(p, y, n);
    r->threshold = threshold;
    r->confusion = metrics_confusion_at(p, y, n, threshold);
    metrics_ratios(&r->confusion, &r->accuracy, &r->precision, &r->recall,
                   &r->f1);
    for (size_t i = 0; i < n; i++)
        sum_p += p[i];
    r->mean_predicted = n ? sum_p / (double)n : NAN;
    r->observed_rate = n ? (double)s.pos / (double)n : NAN;
    calibration_bins(p, y, n, r->calibration);
    rc = curve_sample(&s, CURVE_ROC, &r->roc, &r->n_roc, err);
    if (rc == NS_OK)
        rc = curve_sample(&s, CURVE_PR, &r->pr, &r->n_pr, err);
    steps_free(&s);
    if (rc != NS_OK)
        metrics_report_free(r);
    return rc;
}

void metrics_report_free(struct metrics_report *r)
{
    if (!r)
        return;
    free(r->roc);
    free(r->pr);
    r->roc = NULL;
    r->pr = NULL;
    r->n_roc = 0;
    r->n_pr = 0;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int put(json_t *o, const char *key, json_t *v)
{
    /* json_object_set_new() takes v even on failure, NULL included. */
    return json_object_set_new(o, key, v) == 0;
}

static int append(json_t *a, json_t *v)
{
    return json_array_append_new(a, v) == 0;
}

/* {names[0]: cols[0], ...}: takes the three arrays in every case. */
static json_t *three_columns(const char *const names[3], json_t *cols[3],
                             int ok)
{
    json_t *o = ok ? json_object() : NULL;

    ok = o != NULL;
    for (int i = 0; i < 3; i++) {
        if (ok)
            ok = put(o, names[i], cols[i]);
        else
            json_decref(cols[i]);
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *curve_json(const struct metrics_point *pts, size_t n,
                          const char *xname, const char *yname)
{
    const char *const names[3] = {xname, yname, "threshold"};
    json_t *c[3] = {json_array(), json_array(), json_array()};
    int ok = c[0] && c[1] && c[2];

    for (size_t i = 0; ok && i < n; i++)
        ok = append(c[0], num(pts[i].x)) && append(c[1], num(pts[i].y)) &&
             append(c[2], num(pts[i].threshold));
    return three_columns(names, c, ok);
}

static json_t *calibration_json(const struct metrics_calib_bin *bins)
{
    static const char *const names[3] = {"mean_predicted", "observed_rate",
                                         "count"};
    json_t *c[3] = {json_array(), json_array(), json_array()};
    int ok = c[0] && c[1] && c[2];

    for (int b = 0; ok && b < METRICS_CALIB_BINS; b++)
        ok = append(c[0], num(bins[b].mean_predicted)) &&
             append(c[1], num(bins[b].observed_rate)) &&
             append(c[2], json_integer((json_int_t)bins[b].count));
    return three_columns(names, c, ok);
}

static json_t *confusion_json(const struct metrics_confusion *c)
{
    json_t *o = json_object();

    if (o && put(o, "tp", json_integer((json_int_t)c->tp)) &&
        put(o, "fp", json_integer((json_int_t)c->fp)) &&
        put(o, "tn", json_integer((json_int_t)c->tn)) &&
        put(o, "fn", json_integer((json_int_t)c->fn)))
        return o;
    json_decref(o);
    return NULL;
}

enum ns_err metrics_to_json(const struct metrics_report *r, json_t **out,
                            struct ns_error *err)
{
    json_t *o = json_object(), *curves = json_object();
    int ok = o && curves;

    *out = NULL;
    ok = ok && put(o, "rows", json_integer((json_int_t)r->rows)) &&
         put(o, "positives", json_integer((json_int_t)r->positives)) &&
         put(o, "auc", num(r->auc)) && put(o, "pr_auc", num(r->pr_auc)) &&
         put(o, "brier", num(r->brier)) &&
         put(o, "log_loss", num(r->log_loss)) &&
         put(o, "threshold", num(r->threshold)) &&
         put(o, "accuracy", num(r->accuracy)) &&
         put(o, "precision", num(r->precision)) &&
         put(o, "recall", num(r->recall)) && put(o, "f1", num(r->f1)) &&
         put(o, "mean_predicted", num(r->mean_predicted)) &&
         put(o, "observed_rate", num(r->observed_rate)) &&
         put(o, "confusion", confusion_json(&r->confusion)) &&
         put(curves, "roc", curve_json(r->roc, r->n_roc, "fpr", "tpr")) &&
         put(curves, "pr", curve_json(r->pr, r->n_pr, "recall",
                                      "precision")) &&
         put(curves, "calibration", calibration_json(r->calibration));
    if (ok) {
        ok = put(o, "curves", curves);
        curves = NULL;
    }
    json_decref(curves);
    if (!ok) {
        json_decref(o);
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for the metrics "
                            "JSON");
    }
    *out = o;
    return NS_OK;
}

static enum ns_err check_rule(const struct metrics_rule *rule,
                              struct ns_error *err)
{
    switch (rule->kind) {
    case METRICS_RULE_BEST_F1:
        return NS_OK;
    case METRICS_RULE_TARGET_RECALL:
        if (!(rule->target_recall > 0 && rule->target_recall <= 1))
            return ns_error_field(err, NS_ERR_INVALID, "target_recall",
                                  "target recall %g is out of range: "
                                  "expected above 0 and at most 1",
                                  rule->target_recall);
        return NS_OK;
    case METRICS_RULE_COST:
        if (!(rule->cost_missed >= 0 && rule->cost_reminder >= 0 &&
              isfinite(rule->cost_missed) &&
              isfinite(rule->cost_reminder)))
            return ns_error_field(err, NS_ERR_INVALID, "cost",
                                  "costs missed=%g reminder=%g: expected "
                                  "finite values >= 0", rule->cost_missed,
                                  rule->cost_reminder);
        return NS_OK;
    }
    return ns_error_field(err, NS_ERR_INVALID, "rule", "threshold rule %d "
                          "is unknown", (int)rule->kind);
}

/* Index of the chosen step, or s->k for "flag nobody". */
static size_t pick_step(const struct steps *s, const struct metrics_rule *r)
{
    size_t best = s->k;
    double best_v = 0;

    if (r->kind == METRICS_RULE_COST)
        best_v = (double)s->pos * r->cost_missed;   /* flag nobody */
    for (size_t i = 0; i < s->k; i++) {
        size_t fn = s->pos - s->tp[i];
        double v;

        switch (r->kind) {
        case METRICS_RULE_TARGET_RECALL:
            if (ratio(s->tp[i], s->pos) >= r->target_recall)
                return i;
            continue;
        case METRICS_RULE_COST:
            v = (double)fn * r->cost_missed +
                (double)(s->tp[i] + s->fp[i]) * r->cost_reminder;
            if (v < best_v) {
                best_v = v;
                best = i;
            }
            continue;
        case METRICS_RULE_BEST_F1:
            v = f1_of(s->tp[i], s->fp[i], fn);
            if (v > best_v) {
                best_v = v;
                best = i;
            }
            continue;
        }
    }
    return best;
}

enum ns_err metrics_choose_threshold(const double *p, const float *y,
                                     size_t n,
                                     const struct metrics_rule *rule,
                                     double *threshold,
                                     struct ns_error *err)
{
    struct steps s;
    size_t i;
    enum ns_err rc;

    if ((rc = check_rule(rule, err)) != NS_OK)
        return rc;
    if ((rc = steps_build(p, y, n, &s, err)) != NS_OK)
        return rc;
    if (s.pos == 0) {
        steps_free(&s);
        return ns_error_set(err, NS_ERR_INVALID, "choosing a threshold "
                            "needs positive rows: %zu rows, none positive",
                            n);
    }
    i = pick_step(&s, rule);
    *threshold = i < s.k ? s.thr[i] : nextafter(s.thr[0], INFINITY);
    steps_free(&s);
    return NS_OK;
}
