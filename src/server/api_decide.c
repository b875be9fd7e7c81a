/* Decision support over the store: the day's action list (what was
 * listed before, with its status now, then pending appointments by
 * expected gain up to a capacity, patients contacted recently left off,
 * each listed appointment's act/control group recorded once as an
 * event), overbooking advice for a session, and the measured effect of
 * acting. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decide/overbook.h"
#include "decide/policy.h"
#include "server/api_int.h"
#include "util/timeutil.h"

#define PAGE 1000
#define MAX_CAPACITY 1000
#define MAX_SLOTS 1000
/* Any fixed value: the draw is recorded in the store at first listing,
 * so the seed only decides groups never listed before. */
#define CONTROL_SEED 0x6e6f73686f77ULL

static struct policy_costs costs_of(const struct api *a)
{
    struct policy_costs c = {a->cfg.cost_slot, a->cfg.cost_call,
                             a->cfg.reminder_effect};

    if (c.slot == 0.0)
        c.slot = POLICY_DEFAULT_SLOT;
    if (c.call == 0.0)
        c.call = POLICY_DEFAULT_CALL;
    if (c.effect == 0.0)
        c.effect = POLICY_DEFAULT_EFFECT;
    return c;
}

/* A required date parameter; false with a 422 sent. */
static bool q_date(const struct http_req *req, struct http_resp *resp,
                   int32_t *day)
{
    const char *v = http_query_get(req, "date");

    if (v == NULL || ns_parse_date(v, strlen(v), day) != NS_OK)
        return api_query_fail(req, resp, "date", v ? v : "(missing)",
                              "a date YYYY-MM-DD");
    return true;
}

/* A number parameter in [lo, hi] (open ends when open is set); def when
 * absent and def is a number, else required. */
static bool q_num(const struct http_req *req, struct http_resp *resp,
                  const char *name, double lo, double hi, bool open,
                  double def, const char *expected, double *out)
{
    const char *v = http_query_get(req, name);
    char *end;

    if ((v == NULL || *v == '\0') && !isnan(def)) {
        *out = def;
        return true;
    }
    if (v == NULL || *v == '\0')
        return api_query_fail(req, resp, name, "(missing)", expected);
    errno = 0;
    *out = strtod(v, &end);
    if (errno || *end || !isfinite(*out) ||
        (open ? !(*out > lo && *out < hi) : !(*out >= lo && *out <= hi)))
        return api_query_fail(req, resp, name, v, expected);
    return true;
}

static bool q_count(const struct http_req *req, struct http_resp *resp,
                    const char *name, long lo, long hi, const char *expected,
                    size_t *out)
{
    double v;

    if (!q_num(req, resp, name, (double)lo, (double)hi, false, NAN,
               expected, &v))
        return false;
    if (v != floor(v))
        return api_query_fail(req, resp, name, http_query_get(req, name),
                              expected);
    *out = (size_t)v;
    return true;
}

/* Calls fn on every appointment of the day (and specialty), highest risk
 * first; status filters when has_status. */
typedef enum ns_err (*appt_fn)(void *ctx, const struct store_appt *ap,
                               bool *stop, struct ns_error *err);

static enum ns_err each_appt(struct api *a, int32_t day,
                             const char *specialty, int has_status,
                             double min_risk, appt_fn fn, void *ctx,
                             struct ns_error *err)
{
    struct store_list_query q = {
        .has_status = has_status, .status = STORE_PENDING,
        .min_risk = min_risk, .has_from = 1, .from_day = day, .has_to = 1,
        .to_day = day, .specialty = specialty, .limit = PAGE,
    };
    struct store_appt_page page = {0};
    char *cursor = NULL;
    bool stop = false;
    enum ns_err rc = NS_OK;

    do {
        q.cursor = cursor;
        rc = store_appt_list(a->store, &q, &page, err);
        for (size_t i = 0; rc == NS_OK && !stop && i < page.n; i++)
            rc = fn(ctx, &page.items[i], &stop, err);
        free(cursor);
        cursor = page.next_cursor;
        page.next_cursor = NULL;
        store_appt_page_free(&page);
        memset(&page, 0, sizeof(page));
    } while (rc == NS_OK && !stop && cursor != NULL);
    free(cursor);
    return rc;
}

/* A rate, risk or difference as JSON: null when not defined. */
static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

struct actions_ctx {
    struct api *a;
    struct policy_costs costs;
    size_t capacity;
    int64_t since_ms;           /* contacts from here exclude; 0: none */
    char actor[32];
    int64_t now_ms;
    size_t skipped_recent;
    int64_t *listed;            /* ids listed before, ascending */
    size_t nlisted;
    json_t *items;
};

/* One row of the list: the appointment, its gain and group, whether the
 * group was drawn by this request, its status now and its latest
 * reminder's delivery (JSON null when none). Takes delivery; NULL when
 * out of memory. */
static json_t *action_json(const struct actions_ctx *x,
                           const struct store_appt *ap, int control,
                           int is_new, json_t *delivery)
{
    return json_pack("{s:I, s:s?, s:s?, s:o, s:o, s:s, s:b, s:s, s:o}",
                     "id", (json_int_t)ap->id, "ext_id", ap->ext_id,
                     "specialty", ap->specialty, "risk",
                     num_or_null(ap->risk), "gain",
                     num_or_null(policy_gain(&x->costs, ap->risk)),
                     "group", control ? "control" : "act", "recorded_now",
                     is_new, "status", store_status_name(ap->status),
                     "delivery", delivery ? delivery : json_null());
}

/* The latest delivery job of appointment id as JSON, JSON null when it
 * has none; NULL with err on failure. */
static json_t *latest_delivery(struct api *a, int64_t id,
                               struct ns_error *err)
{
    struct store_outbox_list l = {0};
    json_t *j;

    if (store_outbox_list(a->store, id, &l, err) != NS_OK)
        return NULL;
    j = l.n ? api_delivery_json(&l.items[l.n - 1]) : json_null();
    store_outbox_list_free(&l);
    if (j == NULL)
        ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    return j;
}

static int cmp_id(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

    return (a > b) - (a < b);
}

/* The appointments listed before for the day keep their place at the
 * head of the list and count toward the capacity, whatever their
 * status now: staff may already have called them. x->listed gets their
 * ids, sorted, so the fill below skips them. */
static enum ns_err add_listed(struct actions_ctx *x, int32_t day,
                              const char *spec, struct ns_error *err)
{
    struct store_listed l = {0};
    enum ns_err rc = store_action_listed(x->a->store, day, spec, &l, err);

    if (rc == NS_OK && l.n > 0 &&
        (x->listed = malloc(l.n * sizeof(*x->listed))) == NULL)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == NS_OK && i < l.n; i++) {
        const struct store_listed_appt *it = &l.items[i];
        json_t *d = latest_delivery(x->a, it->appt.id, err);

        x->listed[x->nlisted++] = it->appt.id;
        if (d == NULL)
            rc = err->code;
        else if (json_array_append_new(x->items, action_json(
                     x, &it->appt, it->control, 0, d)) != 0)
            rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    if (rc == NS_OK && x->nlisted > 1)
        qsort(x->listed, x->nlisted, sizeof(*x->listed), cmp_id);
    store_listed_free(&l);
    return rc;
}

/* LIMITATION: each candidate costs one query for the no-contact check
 * and one transaction for its group, and each row listed before one
 * query for its delivery state, so a list of capacity N over a day of
 * many recently contacted patients makes a few N round trips (about a
 * millisecond each on a local MariaDB). Set-based queries over the
 * day's patients and jobs would make it constant. A patient put on a
 * list as "act" counts as contacted even if staff never called. */
static enum ns_err add_action(void *vctx, const struct store_appt *ap,
                              bool *stop, struct ns_error *err)
{
    struct actions_ctx *x = vctx;
    int recent = 0, group = 0, is_new = 0;
    int control = policy_is_control((uint64_t)ap->id, CONTROL_SEED,
                                    x->a->cfg.control_share);
    enum ns_err rc = NS_OK;

    if (json_array_size(x->items) >= x->capacity) {
        *stop = true;
        return NS_OK;
    }
    if (x->nlisted > 0 && bsearch(&ap->id, x->listed, x->nlisted,
                                  sizeof(*x->listed), cmp_id) != NULL)
        return NS_OK;
    if (x->since_ms > 0)
        rc = store_contacted(x->a->store, ap->patient_ref, ap->id,
                             x->since_ms, &recent, err);
    if (rc != NS_OK || recent) {
        x->skipped_recent += recent != 0;
        return rc;
    }
    rc = store_action_assign(x->a->store, ap->id, control, x->actor,
                             x->now_ms, &group, &is_new, err);
    if (rc != NS_OK)
        return rc;
    if (json_array_append_new(x->items, action_json(x, ap, group, is_new,
                                                    NULL)) != 0)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    return NS_OK;
}

/* The day's list is stable: what was listed before comes back first,
 * with its status now, and only the capacity left is filled with
 * pending appointments by expected gain. A capacity below the number
 * already listed adds none and still shows every listed row. */
static enum ns_err build_actions(struct actions_ctx *x, int32_t day,
                                 const char *spec, double threshold,
                                 struct ns_error *err)
{
    enum ns_err rc;

    x->items = json_array();
    if (x->items == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    rc = add_listed(x, day, spec, err);
    if (rc == NS_OK && json_array_size(x->items) < x->capacity)
        rc = each_appt(x->a, day, spec, 1, threshold, add_action, x, err);
    return rc;
}

void api_h_actions(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct actions_ctx x = {.a = a, .costs = costs_of(a)};
    const char *spec = http_query_get(req, "specialty");
    struct ns_error err;
    double threshold;
    int32_t day;
    char date[11];

    ns_error_clear(&err);
    if (!q_date(req, resp, &day) ||
        !q_count(req, resp, "capacity", 0, MAX_CAPACITY, "an integer from "
                 "0 to 1000", &x.capacity) ||
        !q_num(req, resp, "threshold", 0.0, 1.0, false,
               policy_breakeven(&x.costs), "a probability from 0 to 1",
               &threshold))
        return;
    spec = spec && *spec ? spec : NULL;
    x.now_ms = ns_now_ms();
    if (a->cfg.no_contact_days > 0)
        x.since_ms = x.now_ms - (int64_t)a->cfg.no_contact_days * 86400000;
    snprintf(x.actor, sizeof(x.actor), "key:%lld", (long long)req->key_id);
    if (build_actions(&x, day, spec, threshold, &err) != NS_OK) {
        json_decref(x.items);
        free(x.listed);
        http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    free(x.listed);
    ns_format_date(day, date);
    http_resp_json(resp, 200, json_pack(
        "{s:s, s:s?, s:I, s:I, s:f, s:f, s:I, s:I, s:{s:f, s:f, s:f}, "
        "s:o}", "date", date, "specialty", spec, "capacity",
        (json_int_t)x.capacity, "listed_before", (json_int_t)x.nlisted,
        "threshold", threshold, "control_share", a->cfg.control_share,
        "no_contact_days", (json_int_t)a->cfg.no_contact_days,
        "skipped_recent_contact", (json_int_t)x.skipped_recent, "costs",
        "slot", x.costs.slot, "call", x.costs.call, "reminder_effect",
        x.costs.effect, "items", x.items));
}

struct session_ctx {
    double *risk;
    size_t n, cap;
    size_t unscored;
};

/* Collects the risks of the session's booked appointments: cancelled
 * ones free their slot, unscored ones cannot be counted on.
 * LIMITATION: an appointment stored without a risk (booked while no
 * model was loaded) is left out of the session and only counted in
 * "unscored", so the advice treats its slot as free and may overbook
 * it. Scoring such rows when a model is loaded, or counting them as
 * certain to come, would close the gap. */
static enum ns_err add_booked(void *vctx, const struct store_appt *ap,
                              bool *stop, struct ns_error *err)
{
    struct session_ctx *x = vctx;

    (void)stop;
    if (ap->status == STORE_CANCELLED)
        return NS_OK;
    if (isnan(ap->risk)) {
        x->unscored++;
        return NS_OK;
    }
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 64;
        double *p = realloc(x->risk, cap * sizeof(*p));

        if (p == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        x->risk = p;
        x->cap = cap;
    }
    x->risk[x->n++] = ap->risk;
    return NS_OK;
}

/* P(k patients come), k = 0..n + extra, as a JSON array: the n booked
 * come with 1 - risk, the extra ones with show_prob. NULL on failure. */
static json_t *show_dist(const struct session_ctx *x, size_t extra,
                         double show_prob, struct ns_error *err)
{
    size_t n = x->n + extra;
    double *show = malloc(n * sizeof(*show));
    double *pmf = malloc((n + 1) * sizeof(*pmf));
    json_t *arr = NULL;

    if (show == NULL || pmf == NULL) {
        ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        show[i] = i < x->n ? 1.0 - x->risk[i] : show_prob;
    if (overbook_pmf(show, n, pmf, err) != NS_OK)
        goto out;
    arr = json_array();
    for (size_t k = 0; arr != NULL && k <= n; k++)
        if (json_array_append_new(arr, json_real(pmf[k])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    if (arr == NULL)
        ns_error_set(err, NS_ERR_NOMEM, "out of memory");
out:
    free(show);
    free(pmf);
    return arr;
}

static json_t *advice_json(const struct session_ctx *x, size_t slots,
                           double risk, struct ns_error *err)
{
    struct overbook_advice adv;
    json_t *before, *after;
    double mean = 0.0;

    if (x->n == 0)
        return json_null();
    for (size_t i = 0; i < x->n; i++)
        mean += x->risk[i] / (double)x->n;
    if (overbook_advise(x->risk, x->n, slots, mean, risk, slots, &adv,
                        err) != NS_OK)
        return NULL;
    before = show_dist(x, 0, 0.0, err);
    after = before ? show_dist(x, adv.extra, adv.extra_show_prob, err)
                   : NULL;
    if (after == NULL) {
        json_decref(before);
        return NULL;
    }
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, "
                     "s:o}",
                     "extra", (json_int_t)adv.extra,
                     "mean_noshow_probability", mean,
                     "extra_show_probability", adv.extra_show_prob,
                     "overflow_before", adv.overflow_before,
                     "overflow_after", adv.overflow_after, "idle_before",
                     adv.idle_before, "idle_after", adv.idle_after,
                     "expected_shows_before", adv.expected_shows_before,
                     "expected_shows_after", adv.expected_shows_after,
                     "show_distribution_before", before,
                     "show_distribution_after", after);
}

void api_h_overbooking(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct session_ctx x = {0};
    const char *spec = http_query_get(req, "specialty");
    struct ns_error err;
    json_t *advice = NULL;
    size_t slots;
    double risk;
    int32_t day;
    char date[11];

    ns_error_clear(&err);
    if (!q_date(req, resp, &day) ||
        !q_count(req, resp, "slots", 1, MAX_SLOTS, "an integer from 1 to "
                 "1000", &slots) ||
        !q_num(req, resp, "risk", 0.0, 1.0, true, NAN, "a probability "
               "strictly between 0 and 1, e.g. 0.1", &risk))
        return;
    if (each_appt(a, day, spec && *spec ? spec : NULL, 0, NAN, add_booked,
                  &x, &err) == NS_OK)
        advice = advice_json(&x, slots, risk, &err);
    if (advice == NULL) {
        if (err.code == NS_OK)
            ns_error_set(&err, NS_ERR_NOMEM, "out of memory");
        http_problem_err(req, resp, &err, NULL, NULL);
        free(x.risk);
        return;
    }
    ns_format_date(day, date);
    http_resp_json(resp, 200, json_pack(
        "{s:s, s:s?, s:I, s:f, s:I, s:I, s:o}", "date", date, "specialty",
        spec && *spec ? spec : NULL, "slots", (json_int_t)slots, "risk",
        risk, "booked", (json_int_t)x.n, "unscored",
        (json_int_t)x.unscored, "advice", advice));
    free(x.risk);
}

void api_h_effect(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    struct store_action_counts c;
    struct policy_effect e;
    struct ns_error err;

    ns_error_clear(&err);
    if (store_action_counts(a->store, &c, &err) != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    policy_effect((size_t)c.acted, (size_t)c.acted_noshows,
                  (size_t)c.control, (size_t)c.control_noshows, &e);
    http_resp_json(resp, 200, json_pack(
        "{s:{s:I, s:I, s:o}, s:{s:I, s:I, s:o}, s:o, s:[o, o], s:s}",
        "acted", "appointments", (json_int_t)c.acted, "noshows",
        (json_int_t)c.acted_noshows, "noshow_rate",
        num_or_null(e.rate_acted), "control", "appointments",
        (json_int_t)c.control, "noshows", (json_int_t)c.control_noshows,
        "noshow_rate", num_or_null(e.rate_control), "difference",
        num_or_null(e.difference), "ci95", num_or_null(e.ci_low),
        num_or_null(e.ci_high), "method",
        "control rate minus acted-on rate, Newcombe hybrid score "
        "interval (95%)"));
}
