#include "decide/overbook.h"

#include <math.h>
#include <stdlib.h>

static int bad_prob(double p)
{
    return !(p >= 0.0 && p <= 1.0);
}

enum ns_err overbook_pmf(const double *p, size_t n, double *pmf,
                         struct ns_error *err)
{
    pmf[0] = 1.0;
    for (size_t i = 0; i < n; i++) {
        if (bad_prob(p[i]))
            return ns_error_set(err, NS_ERR_INVALID,
                                "probability %zu is %g; expected a value "
                                "from 0 to 1", i, p[i]);
        pmf[i + 1] = 0.0;
        /* Walk downwards so each pmf[k-1] is still the previous row. */
        for (size_t k = i + 1; k > 0; k--)
            pmf[k] = pmf[k] * (1.0 - p[i]) + pmf[k - 1] * p[i];
        pmf[0] *= 1.0 - p[i];
    }
    return NS_OK;
}

/* P(X > slots) and E[max(slots - X, 0)] for a pmf over 0..n. */
static void session_stats(const double *pmf, size_t n, size_t slots,
                          double *overflow, double *idle, double *mean)
{
    *overflow = 0.0;
    *idle = 0.0;
    *mean = 0.0;
    for (size_t k = 0; k <= n; k++) {
        if (k > slots)
            *overflow += pmf[k];
        else
            *idle += pmf[k] * (double)(slots - k);
        *mean += pmf[k] * (double)k;
    }
}

static enum ns_err check_args(size_t slots, double extra_noshow, double risk,
                              struct ns_error *err)
{
    if (slots == 0)
        return ns_error_field(err, NS_ERR_INVALID, "slots",
                              "slots is 0; expected at least 1");
    if (!(risk > 0.0 && risk < 1.0))
        return ns_error_field(err, NS_ERR_INVALID, "risk",
                              "risk is %g; expected a value strictly "
                              "between 0 and 1", risk);
    if (bad_prob(extra_noshow))
        return ns_error_field(err, NS_ERR_INVALID, "extra_noshow",
                              "extra no-show probability is %g; expected "
                              "a value from 0 to 1", extra_noshow);
    return NS_OK;
}

enum ns_err overbook_advise(const double *noshow, size_t n, size_t slots,
                            double extra_noshow, double risk,
                            size_t max_extra, struct overbook_advice *out,
                            struct ns_error *err)
{
    double *show = NULL, *pmf = NULL;
    double overflow, idle, mean;
    enum ns_err rc = check_args(slots, extra_noshow, risk, err);

    if (rc != NS_OK)
        return rc;
    show = malloc((n + max_extra + 1) * sizeof(*show));
    pmf = malloc((n + max_extra + 2) * sizeof(*pmf));
    if (show == NULL || pmf == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "overbooking: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        show[i] = 1.0 - noshow[i];
    rc = overbook_pmf(show, n, pmf, err);
    if (rc != NS_OK)
        goto out;
    session_stats(pmf, n, slots, &overflow, &idle, &mean);
    *out = (struct overbook_advice){
        .slots = slots, .booked = n, .extra = 0,
        .extra_show_prob = 1.0 - extra_noshow,
        .overflow_before = overflow, .overflow_after = overflow,
        .idle_before = idle, .idle_after = idle,
        .expected_shows_before = mean, .expected_shows_after = mean,
    };

    /* Add one candidate at a time: the distribution after k + 1 extras is
     * one more convolution step of the one after k. */
    for (size_t k = 1; k <= max_extra; k++) {
        size_t m = n + k;
        double p = 1.0 - extra_noshow;

        pmf[m] = 0.0;
        for (size_t j = m; j > 0; j--)
            pmf[j] = pmf[j] * (1.0 - p) + pmf[j - 1] * p;
        pmf[0] *= 1.0 - p;
        session_stats(pmf, m, slots, &overflow, &idle, &mean);
        if (overflow > risk)
            break;
        out->extra = k;
        out->overflow_after = overflow;
        out->idle_after = idle;
        out->expected_shows_after = mean;
    }
out:
    free(show);
    free(pmf);
    return rc;
}
