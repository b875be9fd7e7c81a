/* Platt scaling and isotonic regression; see calibrate.h. */
#include "model/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLATT_MAX_ITER 100
#define PLATT_MIN_STEP 1e-10
#define PLATT_SIGMA 1e-12   /* keeps the Hessian invertible */
#define PLATT_GRAD_EPS 1e-7

static const char *const method_names[] = {"identity", "platt", "isotonic",
                                           "intercept"};

#define N_METHODS (sizeof(method_names) / sizeof(method_names[0]))

const char *calib_method_name(enum calib_method m)
{
    return (unsigned)m < N_METHODS ? method_names[m] : "unknown";
}

enum ns_err calib_method_parse(const char *name, enum calib_method *out,
                               struct ns_error *err)
{
    for (size_t i = 0; i < N_METHODS; i++) {
        if (strcmp(name, method_names[i]) == 0) {
            *out = (enum calib_method)i;
            return NS_OK;
        }
    }
    return ns_error_field(err, NS_ERR_INVALID, "calibration",
                          "calibration method \"%s\" is unknown: expected "
                          "identity, platt, isotonic or intercept", name);
}

static double sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    return exp(z) / (1.0 + exp(z));
}

/* log(1 + exp(z)) without overflow. */
static double log1pexp(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* Platt's negative log-likelihood at (a, b); with p = 1 / (1 + e^z) and
 * z = a f + b it is the sum of log(1 + e^z) - (1 - t) z. */
static double platt_loss(const double *f, const double *t, size_t n,
                         double a, double b)
{
    double sum = 0;

    for (size_t i = 0; i < n; i++) {
        double z = a * f[i] + b;

        sum += log1pexp(z) - (1.0 - t[i]) * z;
    }
    return sum;
}

/* One Newton direction from the gradient (dL/dz = t - p) and Hessian
 * (d2L/dz2 = p (1 - p)) summed over rows; *slope is the gradient along
 * the direction. Returns the gradient's L1 norm. */
static double platt_direction(const double *f, const double *t, size_t n,
                              double a, double b, double *da, double *db,
                              double *slope)
{
    double h11 = PLATT_SIGMA, h22 = PLATT_SIGMA, h21 = 0, g1 = 0, g2 = 0;
    double det;

    for (size_t i = 0; i < n; i++) {
        double p = 1.0 - sigmoid(a * f[i] + b);
        double w = p * (1.0 - p), d = t[i] - p;

        h11 += f[i] * f[i] * w;
        h22 += w;
        h21 += f[i] * w;
        g1 += f[i] * d;
        g2 += d;
    }
    det = h11 * h22 - h21 * h21;
    *da = -(h22 * g1 - h21 * g2) / det;
    *db = -(-h21 * g1 + h11 * g2) / det;
    *slope = g1 * *da + g2 * *db;
    return fabs(g1) + fabs(g2);
}

static enum ns_err fit_platt(const double *f, const float *y, size_t n,
                             size_t npos, struct calib *c,
                             struct ns_error *err)
{
    double *t = malloc(n * sizeof(*t));
    double a = 0, b, loss;
    size_t nneg = n - npos;

    if (!t)
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for %zu Platt "
                            "targets", n);

    /* Smoothed targets stop the fit from chasing exact 0 and 1. */
    for (size_t i = 0; i < n; i++)
        t[i] = y[i] > 0.5f ? (npos + 1.0) / (npos + 2.0)
                           : 1.0 / (nneg + 2.0);
    b = log((nneg + 1.0) / (npos + 1.0));
    loss = platt_loss(f, t, n, a, b);
    for (int it = 0; it < PLATT_MAX_ITER; it++) {
        double da, db, slope, step = 1.0;

        if (platt_direction(f, t, n, a, b, &da, &db, &slope) <
            PLATT_GRAD_EPS)
            break;

        /* Halve the step until the loss drops enough (Armijo rule). */
        while (step >= PLATT_MIN_STEP) {
            double na = a + step * da, nb = b + step * db;
            double nl = platt_loss(f, t, n, na, nb);

            if (nl <= loss + 1e-4 * step * slope) {
                a = na;
                b = nb;
                loss = nl;
                break;
            }
            step /= 2;
        }
        if (step < PLATT_MIN_STEP)
            break;
    }
    free(t);
    c->a = a;
    c->b = b;
    return NS_OK;
}

/* The shift b with sum sigmoid(f - b) = npos: the maximum-likelihood
 * intercept, so the mean probability on the rows equals their rate.
 * The sum falls as b grows, so Newton steps from b = 0 converge; the
 * step is capped to keep early steps on flat tails from overshooting. */
static void fit_intercept(const double *f, size_t n, size_t npos,
                          struct calib *c)
{
    double b = 0;

    for (int it = 0; it < PLATT_MAX_ITER; it++) {
        double g = -(double)npos, h = 0, step;

        for (size_t i = 0; i < n; i++) {
            double q = sigmoid(f[i] - b);

            g += q;
            h += q * (1.0 - q);
        }
        step = g / (h + PLATT_SIGMA);
        step = fmax(-1.0, fmin(1.0, step));
        b += step;
        if (fabs(step) < PLATT_MIN_STEP)
            break;
    }
    c->a = -1;
    c->b = b;
}

struct pair {
    double x;
    double y;
};

static int by_x(const void *a, const void *b)
{
    const struct pair *p = a, *q = b;

    return (p->x > q->x) - (p->x < q->x);
}

/* Pool adjacent violators over rows sorted by x. Rows with equal x are
 * pooled first, so each block spans [x[lo], x[hi]] with one value.
 * Writes blocks into bx_lo, bx_hi, bv (capacity n); returns the count. */
static size_t pava(const struct pair *v, size_t n, double *bx_lo,
                   double *bx_hi, double *bv, double *bw)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (k > 0 && v[i].x == bx_hi[k - 1]) {
            k--;            /* same x: join the previous block */
        } else {
            bx_lo[k] = v[i].x;
            bv[k] = 0;
            bw[k] = 0;
        }
        bv[k] = (bv[k] * bw[k] + v[i].y) / (bw[k] + 1);
        bw[k] += 1;
        bx_hi[k] = v[i].x;
        k++;

        /* Merge backwards while the order is violated. */
        while (k > 1 && bv[k - 2] >= bv[k - 1]) {
            double w = bw[k - 2] + bw[k - 1];

            bv[k - 2] = (bv[k - 2] * bw[k - 2] + bv[k - 1] * bw[k - 1]) / w;
            bw[k - 2] = w;
            bx_hi[k - 2] = bx_hi[k - 1];
            k--;
        }
    }
    return k;
}

/* Knots from blocks: each block's first x, and its last x when it spans
 * more than one value, both at the block's value. */
static size_t knots_from_blocks(const double *lo, const double *hi,
                                const double *v, size_t k, double *x,
                                double *y)
{
    size_t m = 0;

    for (size_t i = 0; i < k; i++) {
        x[m] = lo[i];
        y[m++] = v[i];
        if (hi[i] != lo[i]) {
            x[m] = hi[i];
            y[m++] = v[i];
        }
    }
    return m;
}

static enum ns_err fit_isotonic(const double *f, const float *y, size_t n,
                                struct calib *c, struct ns_error *err)
{
    struct pair *v = malloc(n * sizeof(*v));
    double *buf = malloc(4 * n * sizeof(*buf));
    enum ns_err rc = NS_OK;
    size_t k;

    c->x = malloc(2 * n * sizeof(*c->x));
    c->y = malloc(2 * n * sizeof(*c->y));
    if (!v || !buf || !c->x || !c->y) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "no memory for isotonic "
                          "regression over %zu rows", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].x = sigmoid(f[i]);
        v[i].y = y[i] > 0.5f ? 1.0 : 0.0;
    }
    qsort(v, n, sizeof(*v), by_x);
    k = pava(v, n, buf, buf + n, buf + 2 * n, buf + 3 * n);
    c->n_points = knots_from_blocks(buf, buf + n, buf + 2 * n, k, c->x,
                                    c->y);

out:
    free(v);
    free(buf);
    return rc;
}

static enum ns_err check_fit_input(const double *margin, const float *y,
                                   size_t n, size_t *npos,
                                   struct ns_error *err)
{
    *npos = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(margin[i]))
            return ns_error_set(err, NS_ERR_INVALID, "calibration row %zu:"
                                " margin %g is not finite", i, margin[i]);
        *npos += y[i] > 0.5f;
    }
    if (*npos == 0 || *npos == n)
        return ns_error_set(err, NS_ERR_INVALID, "calibration needs both "
                            "classes: %zu rows, %zu positive", n, *npos);
    return NS_OK;
}

enum ns_err calib_fit(enum calib_method method, const double *margin,
                      const float *y, size_t n, struct calib *out,
                      struct ns_error *err)
{
    size_t npos;
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    out->method = method;
    if (method == CALIB_IDENTITY)
        return NS_OK;
    if ((rc = check_fit_input(margin, y, n, &npos, err)) != NS_OK)
        return rc;
    if (method == CALIB_PLATT)
        return fit_platt(margin, y, n, npos, out, err);
    if (method == CALIB_INTERCEPT) {
        fit_intercept(margin, n, npos, out);
        return NS_OK;
    }
    rc = fit_isotonic(margin, y, n, out, err);
    if (rc != NS_OK)
        calib_free(out);
    return rc;
}

static double isotonic_at(const struct calib *c, double p)
{
    size_t lo = 0, hi = c->n_points - 1;

    if (p <= c->x[0])
        return c->y[0];
    if (p >= c->x[hi])
        return c->y[hi];

    /* x[lo] < p < x[hi]: narrow to neighbouring knots. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (c->x[mid] <= p)
            lo = mid;
        else
            hi = mid;
    }
    return c->y[lo] + (c->y[hi] - c->y[lo]) * (p - c->x[lo]) /
                          (c->x[hi] - c->x[lo]);
}

double calib_apply(const struct calib *c, double margin)
{
    switch (c->method) {
    case CALIB_PLATT:
        return sigmoid(-(c->a * margin + c->b));
    case CALIB_INTERCEPT:
        return sigmoid(margin - c->b);
    case CALIB_ISOTONIC:
        if (c->n_points > 0)
            return isotonic_at(c, sigmoid(margin));
        break;
    case CALIB_IDENTITY:
        break;
    }
    return sigmoid(margin);
}

void calib_free(struct calib *c)
{
    if (!c)
        return;
    free(c->x);
    free(c->y);
    c->x = NULL;
    c->y = NULL;
    c->n_points = 0;
}

static json_t *knots_json(const double *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_real(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

enum ns_err calib_to_json(const struct calib *c, json_t **out,
                          struct ns_error *err)
{
    json_t *o = json_object();
    int ok = o && json_object_set_new(o, "method", json_string(
                      calib_method_name(c->method))) == 0;

    if (ok && c->method == CALIB_PLATT)
        ok = json_object_set_new(o, "a", json_real(c->a)) == 0 &&
             json_object_set_new(o, "b", json_real(c->b)) == 0;
    if (ok && c->method == CALIB_INTERCEPT)
        ok = json_object_set_new(o, "b", json_real(c->b)) == 0;
    if (ok && c->method == CALIB_ISOTONIC)
        ok = json_object_set_new(o, "x", knots_json(c->x, c->n_points)) ==
                 0 &&
             json_object_set_new(o, "y", knots_json(c->y, c->n_points)) == 0;
    if (!ok) {
        json_decref(o);
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for the "
                            "calibration JSON");
    }
    *out = o;
    return NS_OK;
}

static enum ns_err read_number(const json_t *j, const char *key, double *v,
                               struct ns_error *err)
{
    json_t *n = json_object_get(j, key);

    if (!json_is_number(n) || !isfinite(json_number_value(n)))
        return ns_error_field(err, NS_ERR_PARSE, key, "calibration.%s: "
                              "expected a finite number", key);
    *v = json_number_value(n);
    return NS_OK;
}

/* Reads array key into a new array, checking each value's range and that
 * values increase (strictly when strict). */
static enum ns_err read_knots(const json_t *j, const char *key, int strict,
                              double lo, double hi, double **out,
                              size_t *n, struct ns_error *err)
{
    const json_t *a = json_object_get(j, key);
    char field[48];

    *out = NULL;
    if (!json_is_array(a) || json_array_size(a) == 0)
        return ns_error_field(err, NS_ERR_PARSE, key, "calibration.%s: "
                              "expected a non-empty array of numbers", key);
    *n = json_array_size(a);
    *out = malloc(*n * sizeof(**out));
    if (!*out)
        return ns_error_set(err, NS_ERR_NOMEM, "no memory for %zu knots",
                            *n);
    for (size_t i = 0; i < *n; i++) {
        const json_t *e = json_array_get(a, i);
        double v = json_number_value(e);

        if (json_is_number(e) && v >= lo && v <= hi &&
            (i == 0 || v > (*out)[i - 1] ||
             (!strict && v == (*out)[i - 1]))) {
            (*out)[i] = v;
            continue;
        }
        snprintf(field, sizeof(field), "calibration.%s[%zu]", key, i);
        free(*out);
        *out = NULL;
        return ns_error_field(err, NS_ERR_PARSE, field, "%s: expected a "
                              "number in [%g, %g] %s the previous one",
                              field, lo, hi,
                              strict ? "above" : "at least");
    }
    return NS_OK;
}

enum ns_err calib_from_json(const json_t *j, struct calib *out,
                            struct ns_error *err)
{
    const char *name = json_string_value(json_object_get(j, "method"));
    size_t ny = 0;
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (!name)
        return ns_error_field(err, NS_ERR_PARSE, "method", "calibration."
                              "method: expected a string");
    if ((rc = calib_method_parse(name, &out->method, err)) != NS_OK)
        return rc;
    if (out->method == CALIB_PLATT) {
        if ((rc = read_number(j, "a", &out->a, err)) != NS_OK)
            return rc;
        return read_number(j, "b", &out->b, err);
    }
    if (out->method == CALIB_INTERCEPT) {
        out->a = -1;
        return read_number(j, "b", &out->b, err);
    }
    if (out->method != CALIB_ISOTONIC)
        return NS_OK;
    rc = read_knots(j, "x", 1, 0, 1, &out->x, &out->n_points, err);
    if (rc == NS_OK)
        rc = read_knots(j, "y", 0, 0, 1, &out->y, &ny, err);
    if (rc == NS_OK && ny != out->n_points)
        rc = ns_error_field(err, NS_ERR_PARSE, "y", "calibration.y has %zu"
                            " values, calibration.x has %zu: expected the "
                            "same count", ny, out->n_points);
    if (rc != NS_OK)
        calib_free(out);
    return rc;
}
