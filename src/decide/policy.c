#include "decide/policy.h"

#include <math.h>
#include <stdlib.h>

enum ns_err policy_check(const struct policy_costs *c, struct ns_error *err)
{
    if (!(c->slot > 0.0) || !isfinite(c->slot))
        return ns_error_field(err, NS_ERR_INVALID, "cost_slot",
                              "cost of an empty slot is %g; expected a "
                              "positive number", c->slot);
    if (!(c->call > 0.0) || !isfinite(c->call))
        return ns_error_field(err, NS_ERR_INVALID, "cost_call",
                              "cost of a reminder is %g; expected a "
                              "positive number", c->call);
    if (!(c->effect > 0.0 && c->effect <= 1.0))
        return ns_error_field(err, NS_ERR_INVALID, "reminder_effect",
                              "reminder effect is %g; expected a share "
                              "greater than 0 and at most 1", c->effect);
    return NS_OK;
}

double policy_gain(const struct policy_costs *c, double p)
{
    return p * c->effect * c->slot - c->call;
}

double policy_breakeven(const struct policy_costs *c)
{
    return c->call / (c->effect * c->slot);
}

static void per_thousand(struct policy_eval *e)
{
    double k = e->rows ? 1000.0 / (double)e->rows : 0.0;

    e->per1000_acted = (double)e->acted * k;
    e->per1000_avoided = e->noshows_avoided * k;
    e->per1000_cost = e->cost * k;
    e->per1000_net = e->net_gain * k;
}

void policy_evaluate(const struct policy_costs *c, const double *p,
                     const int *y, size_t n, double t,
                     struct policy_eval *out)
{
    double noshows = 0.0;

    *out = (struct policy_eval){.threshold = t, .rows = n};
    for (size_t i = 0; i < n; i++) {
        if (p[i] < t)
            continue;
        out->acted++;
        noshows += y ? (double)(y[i] == 1) : p[i];
    }
    out->noshows_avoided = noshows * c->effect;
    out->cost = (double)out->acted * c->call;
    out->net_gain = out->noshows_avoided * c->slot - out->cost;
    per_thousand(out);
}

struct scored {
    double p;
    double noshow;      /* the real outcome, or its expectation */
};

static int by_p_desc(const void *a, const void *b)
{
    double pa = ((const struct scored *)a)->p;
    double pb = ((const struct scored *)b)->p;

    return (pa < pb) - (pa > pb);
}

enum ns_err policy_best_threshold(const struct policy_costs *c,
                                  const double *p, const int *y, size_t n,
                                  struct policy_eval *out,
                                  struct ns_error *err)
{
    struct scored *s;
    double best_gain = 0.0, best_t = INFINITY, gain = 0.0;
    enum ns_err rc = policy_check(c, err);

    if (rc != NS_OK)
        return rc;
    s = malloc((n ? n : 1) * sizeof(*s));
    if (s == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "policy: out of memory");
    for (size_t i = 0; i < n; i++)
        s[i] = (struct scored){p[i], y ? (double)(y[i] == 1) : p[i]};
    qsort(s, n, sizeof(*s), by_p_desc);

    /* Lowering the threshold past each group of equal probabilities adds
     * that group to the acted set; keep the best running total. */
    for (size_t i = 0; i < n;) {
        size_t j = i;

        while (j < n && s[j].p == s[i].p) {
            gain += s[j].noshow * c->effect * c->slot - c->call;
            j++;
        }
        if (gain > best_gain) {
            best_gain = gain;
            best_t = s[i].p;
        }
        i = j;
    }
    free(s);
    policy_evaluate(c, p, y, n, best_t, out);
    return NS_OK;
}

/* splitmix64 finaliser: a well-mixed 64-bit hash of key and seed. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int policy_is_control(uint64_t key, uint64_t seed, double control_share)
{
    double u = (double)(mix(key ^ mix(seed)) >> 11) * 0x1.0p-53;

    return u < control_share;
}

static int by_gain_desc(const void *a, const void *b)
{
    const struct policy_action *x = a, *y = b;

    if (x->gain != y->gain)
        return (x->gain < y->gain) - (x->gain > y->gain);
    return (x->index > y->index) - (x->index < y->index);
}

enum ns_err policy_actions(const struct policy_costs *c, const double *p,
                           const uint64_t *key, const int *recent,
                           size_t n, double threshold, size_t capacity,
                           double control_share, uint64_t seed,
                           struct policy_action **out, size_t *nout,
                           struct ns_error *err)
{
    struct policy_action *a;
    size_t m = 0;
    enum ns_err rc = policy_check(c, err);

    if (rc != NS_OK)
        return rc;
    if (!(control_share >= 0.0 && control_share < 1.0))
        return ns_error_field(err, NS_ERR_INVALID, "control_share",
                              "control share is %g; expected a value from "
                              "0 up to (not including) 1", control_share);
    a = malloc((n ? n : 1) * sizeof(*a));
    if (a == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "policy: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (p[i] < threshold || (recent && recent[i]))
            continue;
        a[m++] = (struct policy_action){i, p[i], policy_gain(c, p[i]), 0};
    }
    qsort(a, m, sizeof(*a), by_gain_desc);
    if (m > capacity)
        m = capacity;
    for (size_t i = 0; i < m; i++)
        a[i].control = policy_is_control(key[a[i].index], seed,
                                         control_share);
    *out = a;
    *nout = m;
    return NS_OK;
}

/* Wilson score interval of k successes in n trials at z = 1.96. */
static void wilson(size_t k, size_t n, double *lo, double *hi)
{
    const double z = 1.959963984540054;
    double ph = (double)k / (double)n, nn = (double)n;
    double den = 1.0 + z * z / nn;
    double mid = (ph + z * z / (2.0 * nn)) / den;
    double half = z * sqrt(ph * (1.0 - ph) / nn + z * z / (4 * nn * nn)) /
                  den;

    *lo = mid - half;
    *hi = mid + half;
}

void policy_effect(size_t acted, size_t acted_noshows, size_t control,
                   size_t control_noshows, struct policy_effect *out)
{
    double l1, u1, l2, u2, d1, d2;

    *out = (struct policy_effect){
        .acted = acted, .acted_noshows = acted_noshows,
        .control = control, .control_noshows = control_noshows,
        .rate_acted = NAN, .rate_control = NAN, .difference = NAN,
        .ci_low = NAN, .ci_high = NAN,
    };
    if (acted == 0 || control == 0)
        return;
    out->rate_acted = (double)acted_noshows / (double)acted;
    out->rate_control = (double)control_noshows / (double)control;
    out->difference = out->rate_control - out->rate_acted;

    /* Newcombe's method 10: combine the two Wilson intervals. */
    wilson(control_noshows, control, &l1, &u1);
    wilson(acted_noshows, acted, &l2, &u2);
    d1 = out->rate_control - l1;
    d2 = u2 - out->rate_acted;
    out->ci_low = out->difference - sqrt(d1 * d1 + d2 * d2);
    d1 = u1 - out->rate_control;
    d2 = out->rate_acted - l2;
    out->ci_high = out->difference + sqrt(d1 * d1 + d2 * d2);
}
