/* Turning probabilities into actions: the expected gain of reminding a
 * patient given stated costs, the threshold that maximises it, a daily
 * action list cut at a capacity with a random control group, and the
 * measured effect of acting (acted-on versus control no-show rates). */
#ifndef NS_POLICY_H
#define NS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct policy_costs {
    double slot;        /* cost of an empty slot (> 0) */
    double call;        /* cost of one reminder or call (> 0) */
    double effect;      /* share of no-shows a reminder prevents, (0, 1] */
};

/* Defaults when a clinic states no costs: an empty slot costs 50 (a
 * consultation's worth, in any currency unit), a reminder call 2 (a few
 * minutes of staff time; an SMS costs less), and a reminder prevents a
 * quarter of the no-shows it reaches (published trials of phone and text
 * reminders report relative reductions of roughly 20 to 40%). Acting
 * pays from p = 2 / (0.25 x 50) = 0.16. */
#define POLICY_DEFAULT_SLOT 50.0
#define POLICY_DEFAULT_CALL 2.0
#define POLICY_DEFAULT_EFFECT 0.25
#define POLICY_DEFAULT_CONTROL 0.1

/* NS_ERR_INVALID, with the field named, when a cost is not positive or the
 * effect is outside (0, 1]. */
NS_MUST_CHECK enum ns_err policy_check(const struct policy_costs *c,
                                       struct ns_error *err);

/* Expected gain of acting on one appointment of no-show probability p:
 * p * effect * slot - call. */
double policy_gain(const struct policy_costs *c, double p);

/* Probability above which acting pays: call / (effect * slot). */
double policy_breakeven(const struct policy_costs *c);

struct policy_eval {
    double threshold;
    size_t rows;
    size_t acted;               /* appointments reminded */
    double noshows_avoided;     /* effect x no-shows among acted rows */
    double cost;                /* acted x call */
    double net_gain;            /* avoided x slot - cost */
    double per1000_acted;
    double per1000_avoided;
    double per1000_cost;
    double per1000_net;
};

/* Outcome of acting on every row with p >= t. With labels y (0/1) the
 * no-shows are the real ones; with y NULL they are the expected ones
 * (sum of p), which is what a clinic can compute before the day. */
void policy_evaluate(const struct policy_costs *c, const double *p,
                     const int *y, size_t n, double t,
                     struct policy_eval *out);

/* The threshold among the distinct probabilities (and "act on none")
 * that maximises net gain; ties go to the higher threshold (fewer calls).
 * Sorting needs n indexes of scratch memory. */
NS_MUST_CHECK enum ns_err policy_best_threshold(const struct policy_costs *c,
                                                const double *p,
                                                const int *y, size_t n,
                                                struct policy_eval *out,
                                                struct ns_error *err);

struct policy_action {
    size_t index;       /* into the caller's arrays */
    double p;
    double gain;
    int control;        /* 1: selected but held back as control */
};

/* Orders candidates (p[i] >= threshold, not contacted recently:
 * recent[i] == 0, recent may be NULL) by expected gain, highest first,
 * ties by index, and keeps at most capacity of them. A share
 * control_share of the kept ones is marked control, decided by a hash of
 * key[i] and seed, so the same appointment always gets the same draw.
 * *out (caller frees with free()) gets *nout actions; capacity 0 gives an
 * empty list. */
NS_MUST_CHECK enum ns_err policy_actions(const struct policy_costs *c,
                                         const double *p,
                                         const uint64_t *key,
                                         const int *recent, size_t n,
                                         double threshold, size_t capacity,
                                         double control_share,
                                         uint64_t seed,
                                         struct policy_action **out,
                                         size_t *nout,
                                         struct ns_error *err);

/* True when key falls in the control share for this seed. */
int policy_is_control(uint64_t key, uint64_t seed, double control_share);

struct policy_effect {
    size_t acted, acted_noshows;
    size_t control, control_noshows;
    double rate_acted, rate_control;
    double difference;          /* rate_control - rate_acted */
    double ci_low, ci_high;     /* 95% interval of the difference */
};

/* Difference of two proportions with a 95% Newcombe (Wilson score)
 * interval; rates are NaN for an empty group. */
void policy_effect(size_t acted, size_t acted_noshows, size_t control,
                   size_t control_noshows, struct policy_effect *out);

#endif
