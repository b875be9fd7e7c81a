/* Turns raw model margins into calibrated probabilities. Four methods:
 * identity (the plain logistic sigmoid), Platt scaling (a logistic curve
 * fitted on the margin), isotonic regression (a non-decreasing step
 * function of the sigmoid probability, linear between its steps) and an
 * intercept shift (the sigmoid of margin - b: moves the mean to a new
 * base rate, keeps the slope). Fitted on held-out rows, saved in the
 * model bundle as JSON. */
#ifndef NS_MODEL_CALIBRATE_H
#define NS_MODEL_CALIBRATE_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

enum calib_method {
    CALIB_IDENTITY,
    CALIB_PLATT,
    CALIB_ISOTONIC,
    CALIB_INTERCEPT
};

struct calib {
    enum calib_method method;
    double a;           /* Platt: p = 1 / (1 + exp(a * margin + b)) */
    double b;           /* intercept: p = sigmoid(margin - b), a = -1 */
    size_t n_points;    /* isotonic: knots, x strictly increasing */
    double *x;          /* owned: sigmoid(margin) at each knot */
    double *y;          /* owned: calibrated probability at each knot */
};

/* "identity", "platt", "isotonic" or "intercept"; static storage. */
const char *calib_method_name(enum calib_method m);

/* Parses a method name. Errors: NS_ERR_INVALID naming the bad text. */
NS_MUST_CHECK enum ns_err calib_method_parse(const char *name,
                                             enum calib_method *out,
                                             struct ns_error *err);

/* Fits on n margins with 0/1 labels (> 0.5 is positive). Platt uses
 * Newton steps on Platt's smoothed targets (N+ + 1) / (N+ + 2) and
 * 1 / (N- + 2); isotonic pools adjacent violators; intercept solves
 * for the shift that makes the mean probability equal the rows' rate.
 * out's arrays are the caller's, freed with calib_free(). Errors:
 * NS_ERR_INVALID (no rows, one class only, a non-finite margin),
 * NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err calib_fit(enum calib_method method,
                                    const double *margin, const float *y,
                                    size_t n, struct calib *out,
                                    struct ns_error *err);

/* Probability for one finite margin, in [0, 1]; never fails. */
double calib_apply(const struct calib *c, double margin);

/* Frees the knots; the struct itself is the caller's. Accepts NULL. */
void calib_free(struct calib *c);

/* {"method":"platt","a":..,"b":..}, {"method":"intercept","b":..},
 * {"method":"isotonic","x":[..],
 * "y":[..]} or {"method":"identity"}. *out is a new reference the caller
 * releases with json_decref(). Errors: NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err calib_to_json(const struct calib *c, json_t **out,
                                        struct ns_error *err);

/* Reads what calib_to_json() wrote (j is borrowed). Checks every value:
 * Platt coefficients finite, isotonic knots finite, x increasing, y
 * non-decreasing within [0, 1]. Errors name the field, e.g.
 * "calibration.x[3]": NS_ERR_PARSE, NS_ERR_INVALID (unknown method),
 * NS_ERR_NOMEM. */
NS_MUST_CHECK enum ns_err calib_from_json(const json_t *j, struct calib *out,
                                          struct ns_error *err);

#endif
