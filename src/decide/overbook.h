/* Overbooking advice. The number of patients who come to a session is a
 * sum of independent Bernoulli trials with different probabilities: its
 * exact distribution is Poisson-binomial, computed here by dynamic
 * programming. Extra bookings are added until the chance of more patients
 * than slots would pass the accepted risk. */
#ifndef NS_OVERBOOK_H
#define NS_OVERBOOK_H

#include <stddef.h>

#include "util/err.h"

/* pmf[k] = P(exactly k of the n events happen), k = 0..n, for events of
 * probabilities p[0..n). pmf must hold n + 1 values. O(n^2) time, no
 * allocation. Returns NS_ERR_INVALID when a probability is outside
 * [0, 1] or not a number. */
NS_MUST_CHECK enum ns_err overbook_pmf(const double *p, size_t n,
                                       double *pmf, struct ns_error *err);

struct overbook_advice {
    size_t slots;
    size_t booked;              /* appointments already in the session */
    size_t extra;               /* recommended additional bookings */
    double extra_show_prob;     /* assumed show probability of extras */
    double overflow_before;     /* P(more patients than slots), now */
    double overflow_after;      /* the same with the extra bookings */
    double idle_before;         /* expected empty slots, now */
    double idle_after;
    double expected_shows_before;
    double expected_shows_after;
};

/* Advice for a session of `slots` slots holding n appointments whose
 * no-show probabilities are noshow[0..n). Extra patients are assumed to
 * miss with probability extra_noshow (typically the mean risk of the
 * session). extra is the largest count, at most max_extra, that keeps
 * P(shows > slots) <= risk. risk must be in (0, 1); slots > 0. */
NS_MUST_CHECK enum ns_err overbook_advise(const double *noshow, size_t n,
                                          size_t slots, double extra_noshow,
                                          double risk, size_t max_extra,
                                          struct overbook_advice *out,
                                          struct ns_error *err);

#endif
