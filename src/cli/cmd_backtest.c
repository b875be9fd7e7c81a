/* noshow backtest: what the decision rules would have done on days whose
 * outcomes are known. Per day, the real no-shows a reminder list of
 * capacity K reaches when ordered by the model, by longest lead time,
 * or at random; and, per session (day x a grouping column), what the
 * overbooking advice would have done to idle slots and overflows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"
#include "cli/cli_scored.h"
#include "decide/overbook.h"
#include "util/timeutil.h"

/* Capacities: whole numbers are calls per day, values below 1 a share
 * of the day's appointments. */
#define BT_NCAP 6
static const double caps[BT_NCAP] = {10, 25, 50, 0.05, 0.10, 0.20};

static const char usage[] =
    "usage: noshow backtest MODEL DATA.csv [--history PAST.csv]\n"
    "                       [--session-column COL] [--risk R] [--json]\n"
    "\n"
    "Replays the decision rules on the labelled rows of DATA.csv (use a\n"
    "model trained on earlier appointments). Per day: the real no-shows\n"
    "reached by a reminder list of 10, 25 or 50 calls, or 5, 10 or 20%\n"
    "of the day's appointments, chosen by the model's probability, by\n"
    "longest lead time first (ties drawn at random), or at random (both\n"
    "as exact expected values). Per session (day x COL, default\n"
    "Neighbourhood; slots = appointments booked): the extra bookings the\n"
    "overbooking advice makes at risk R (default 0.1), and the expected\n"
    "idle slots and overflowing patients before and after, extras\n"
    "showing up at the observed show rate of the whole file.\n";

struct bt_row {
    double score;
    int y;
};

struct bt_day {
    int32_t day;
    size_t n, noshows;
    double model[BT_NCAP], lead[BT_NCAP], random[BT_NCAP];
    size_t sessions, extra;
    double idle_before, idle_after;
    double overflow_patients, overflow_sessions;
};

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const struct bt_row *)a)->score;
    double y = ((const struct bt_row *)b)->score;

    return (x < y) - (x > y);
}

/* Expected no-shows among the k highest scores when ties at the cut
 * are broken at random: the tied group contributes its no-show share
 * times the places left. Sorts r. */
static double reached(struct bt_row *r, size_t n, size_t k)
{
    double sum = 0.0;
    size_t i = 0;

    qsort(r, n, sizeof(*r), by_score_desc);
    while (i < n && i < k) {
        size_t j = i, ys = 0;

        while (j < n && r[j].score == r[i].score)
            ys += (size_t)r[j++].y;
        if (j <= k)
            sum += (double)ys;
        else
            sum += (double)ys * (double)(k - i) / (double)(j - i);
        i = j;
    }
    return sum;
}

static size_t capacity(double c, size_t n)
{
    size_t k = c >= 1.0 ? (size_t)c : (size_t)floor(c * (double)n + 0.5);

    return k < n ? k : n;
}

/* The reminder-list columns of one day from its rows. */
static void day_lists(const struct cli_scored *s, const size_t *rows,
                      size_t n, struct bt_row *tmp, struct bt_day *d)
{
    const struct table *t = s->t;

    for (size_t c = 0; c < BT_NCAP; c++) {
        size_t k = capacity(caps[c], n);

        for (size_t i = 0; i < n; i++)
            tmp[i] = (struct bt_row){s->p[rows[i]], t->label[rows[i]]};
        d->model[c] = reached(tmp, n, k);
        /* reached() sorted tmp: fill it again, scored by lead days. */
        for (size_t i = 0; i < n; i++) {
            int64_t booked = t->booked_at[rows[i]];

            tmp[i].y = t->label[rows[i]];
            tmp[i].score = booked == NS_TIME_NONE
                               ? -1.0
                               : (double)((int64_t)t->appt_day[rows[i]] -
                                          booked / 86400);
        }
        d->lead[c] = reached(tmp, n, k);
        d->random[c] = (double)k * (double)d->noshows / (double)n;
    }
}

struct bt_ctx {
    const struct cli_scored *s;
    int col;                    /* session column */
    double risk;
    double show_rate;           /* observed, whole file: extras' rate */
    double *buf;                /* scratch, 2 x (rows + 2) */
};

/* Orders row indexes by their session category (qsort_r). */
static int by_session(const void *a, const void *b, void *arg)
{
    const struct bt_ctx *c = arg;
    uint32_t x = c->s->t->cat[c->col][*(const size_t *)a];
    uint32_t y = c->s->t->cat[c->col][*(const size_t *)b];

    return (x > y) - (x < y);
}

/* What the advice for one session of n booked rows (slots = n) would
 * have done, given who really came. */
static enum ns_err session(const struct bt_ctx *c, const size_t *rows,
                           size_t n, struct bt_day *d, struct ns_error *err)
{
    const struct table *t = c->s->t;
    double *risk = c->buf, *pmf = c->buf + n + 1;
    double mean = 0.0;
    size_t shows = 0;
    struct overbook_advice a;
    enum ns_err rc;

    for (size_t i = 0; i < n; i++) {
        risk[i] = c->s->p[rows[i]];
        mean += risk[i] / (double)n;
        shows += t->label[rows[i]] == 0;
    }
    rc = overbook_advise(risk, n, n, mean, c->risk, n, &a, err);
    if (rc != NS_OK)
        return rc;

    /* Extras come independently at the file's show rate: X ~ Bin(e, q). */
    for (size_t i = 0; i < a.extra; i++)
        risk[i] = c->show_rate;
    rc = overbook_pmf(risk, a.extra, pmf, err);
    if (rc != NS_OK)
        return rc;
    d->sessions++;
    d->extra += a.extra;
    d->idle_before += (double)(n - shows);
    for (size_t x = 0; x <= a.extra; x++) {
        double come = (double)(shows + x);

        if (come < (double)n)
            d->idle_after += pmf[x] * ((double)n - come);
        else if (come > (double)n) {
            d->overflow_patients += pmf[x] * (come - (double)n);
            d->overflow_sessions += pmf[x];
        }
    }
    return NS_OK;
}

/* One day: the reminder lists, then each session's overbooking. */
static enum ns_err one_day(const struct bt_ctx *c, size_t *rows, size_t n,
                           struct bt_row *tmp, struct bt_day *d,
                           struct ns_error *err)
{
    const struct table *t = c->s->t;
    enum ns_err rc = NS_OK;

    d->n = n;
    for (size_t i = 0; i < n; i++)
        d->noshows += t->label[rows[i]] == 1;
    day_lists(c->s, rows, n, tmp, d);
    qsort_r(rows, n, sizeof(*rows), by_session, (void *)c);
    for (size_t i = 0; rc == NS_OK && i < n;) {
        size_t j = i;

        while (j < n && t->cat[c->col][rows[j]] == t->cat[c->col][rows[i]])
            j++;
        rc = session(c, rows + i, j - i, d, err);
        i = j;
    }
    return rc;
}

static int by_day(const void *a, const void *b, void *arg)
{
    const struct table *t = arg;
    int32_t x = t->appt_day[*(const size_t *)a];
    int32_t y = t->appt_day[*(const size_t *)b];

    return (x > y) - (x < y);
}

/* Every labelled day of the file, in date order. *days: caller frees
 * with free(). */
static enum ns_err run_days(struct bt_ctx *c, struct bt_day **days,
                            size_t *ndays, struct ns_error *err)
{
    const struct table *t = c->s->t;
    size_t n = 0, m = t->nrows ? t->nrows : 1, shows = 0;
    size_t *rows = malloc(m * sizeof(*rows));
    struct bt_row *tmp = malloc(m * sizeof(*tmp));
    enum ns_err rc = NS_OK;

    *ndays = 0;
    *days = calloc(m, sizeof(**days));
    c->buf = malloc(2 * (m + 2) * sizeof(double));
    if (rows == NULL || tmp == NULL || *days == NULL || c->buf == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        if (t->label[i] < 0)
            continue;
        rows[n++] = i;
        shows += t->label[i] == 0;
    }
    if (n == 0) {
        rc = ns_error_set(err, NS_ERR_INVALID, "no row has a known "
                          "outcome; a backtest needs labelled rows");
        goto out;
    }
    c->show_rate = (double)shows / (double)n;
    qsort_r(rows, n, sizeof(*rows), by_day, (void *)t);
    for (size_t i = 0; rc == NS_OK && i < n;) {
        size_t j = i;
        struct bt_day *d = &(*days)[(*ndays)++];

        while (j < n && t->appt_day[rows[j]] == t->appt_day[rows[i]])
            j++;
        d->day = t->appt_day[rows[i]];
        rc = one_day(c, rows + i, j - i, tmp, d, err);
        i = j;
    }
out:
    free(rows);
    free(tmp);
    free(c->buf);
    c->buf = NULL;
    return rc;
}

static void cap_name(double c, char *out, size_t n)
{
    if (c >= 1.0)
        snprintf(out, n, "%.0f a day", c);
    else
        snprintf(out, n, "%.0f%% of the day", 100.0 * c);
}

/* Sums of the days: calls, reached and overbooking totals. */
static void totals(const struct bt_day *days, size_t nd, struct bt_day *tot,
                   double calls[BT_NCAP])
{
    memset(tot, 0, sizeof(*tot));
    for (size_t c = 0; c < BT_NCAP; c++)
        calls[c] = 0.0;
    for (size_t i = 0; i < nd; i++) {
        const struct bt_day *d = &days[i];

        tot->n += d->n;
        tot->noshows += d->noshows;
        for (size_t c = 0; c < BT_NCAP; c++) {
            calls[c] += (double)capacity(caps[c], d->n);
            tot->model[c] += d->model[c];
            tot->lead[c] += d->lead[c];
            tot->random[c] += d->random[c];
        }
        tot->sessions += d->sessions;
        tot->extra += d->extra;
        tot->idle_before += d->idle_before;
        tot->idle_after += d->idle_after;
        tot->overflow_patients += d->overflow_patients;
        tot->overflow_sessions += d->overflow_sessions;
    }
}

static int print_text(const struct bt_day *days, size_t nd, double risk)
{
    struct bt_day tot;
    double calls[BT_NCAP];
    char name[32], day[11];

    totals(days, nd, &tot, calls);
    printf("%zu days, %zu appointments, %zu no-shows\n\n", nd, tot.n,
           tot.noshows);
    printf("real no-shows reached by the reminder list (sum over days)\n");
    printf("  %-16s %7s %8s %8s %8s %13s\n", "capacity", "calls", "model",
           "lead", "random", "model/random");
    for (size_t c = 0; c < BT_NCAP; c++) {
        cap_name(caps[c], name, sizeof(name));
        printf("  %-16s %7.0f %8.1f %8.1f %8.1f %13.2f\n", name, calls[c],
               tot.model[c], tot.lead[c], tot.random[c],
               tot.random[c] > 0 ? tot.model[c] / tot.random[c] : NAN);
    }
    printf("\nper day: 25 calls, and overbooking at risk %.2f\n", risk);
    printf("  %-10s %6s %8s %6s %6s %6s %8s %6s %7s %7s %8s %8s\n", "day",
           "appts", "no-shows", "model", "lead", "random", "sessions",
           "extra", "idle", "idle+", "overflow", "P-sess");
    for (size_t i = 0; i <= nd; i++) {
        const struct bt_day *d = i < nd ? &days[i] : &tot;

        if (i < nd)
            ns_format_date(d->day, day);
        printf("  %-10s %6zu %8zu %6.1f %6.1f %6.1f %8zu %6zu %7.0f %7.1f "
               "%8.1f %8.1f\n", i < nd ? day : "total", d->n, d->noshows,
               d->model[1], d->lead[1], d->random[1], d->sessions,
               d->extra, d->idle_before, d->idle_after,
               d->overflow_patients, d->overflow_sessions);
    }
    printf("\nidle: slots left empty as it happened; idle+: expected with "
           "the extra\nbookings; overflow: expected patients beyond the "
           "slots; P-sess: expected\nsessions that overflow.\n");
    return CLI_EXIT_OK;
}

static json_t *day_json(const struct bt_day *d, const char *label)
{
    json_t *lists = json_array();
    json_t *j;

    for (size_t c = 0; lists && c < BT_NCAP; c++)
        json_array_append_new(lists, json_pack(
            "{s:f, s:I, s:f, s:f, s:f}", "capacity", caps[c], "calls",
            (json_int_t)capacity(caps[c], d->n), "model", d->model[c],
            "lead_time", d->lead[c], "random", d->random[c]));
    j = json_pack("{s:s, s:I, s:I, s:o*, s:{s:I, s:I, s:f, s:f, s:f, s:f}}",
                  "day", label, "appointments", (json_int_t)d->n,
                  "noshows", (json_int_t)d->noshows, "reminders", lists,
                  "overbooking", "sessions", (json_int_t)d->sessions,
                  "extra", (json_int_t)d->extra, "idle_before",
                  d->idle_before, "idle_after", d->idle_after,
                  "overflow_patients", d->overflow_patients,
                  "overflow_sessions", d->overflow_sessions);
    return j;
}

static int print_json(const struct bt_day *days, size_t nd, double risk,
                      double show_rate)
{
    json_t *arr = json_array();
    json_t *j;
    struct bt_day tot;
    double calls[BT_NCAP];
    char day[11];

    totals(days, nd, &tot, calls);
    for (size_t i = 0; arr && i < nd; i++) {
        ns_format_date(days[i].day, day);
        json_array_append_new(arr, day_json(&days[i], day));
    }
    j = json_pack("{s:f, s:f, s:o*, s:o*}", "risk", risk,
                  "extra_show_rate", show_rate, "days", arr, "total",
                  day_json(&tot, "total"));
    return cli_emit_json(j);
}

int cmd_backtest(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *past = NULL;
    const char *col = "Neighbourhood";
    struct cli_scored s = {0};
    struct bt_ctx c = {.risk = 0.1};
    struct bt_day *days = NULL;
    struct ns_error err = {0};
    size_t nd = 0;
    bool json = false;
    int code;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--history") == 0 && i + 1 < argc) {
            past = argv[++i];
        } else if (strcmp(argv[i], "--session-column") == 0 &&
                   i + 1 < argc) {
            col = argv[++i];
        } else if (strcmp(argv[i], "--risk") == 0 && i + 1 < argc) {
            if (!cli_parse_double(argv[++i], 1e-9, 1.0 - 1e-9, &c.risk))
                return cli_usage_error("backtest", "--risk: '%s'; expected "
                                       "a probability strictly between 0 "
                                       "and 1", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("backtest", "unknown option '%s' (or "
                                   "its value is missing)", argv[i]);
        } else if (model == NULL) {
            model = argv[i];
        } else if (data == NULL) {
            data = argv[i];
        } else {
            return cli_usage_error("backtest", "unexpected argument '%s'",
                                   argv[i]);
        }
    }
    if (data == NULL)
        return cli_usage_error("backtest", "needs MODEL and DATA.csv");
    c.s = &s;
    if (cli_scored_load(model, data, past, &s, &err) != NS_OK ||
        cli_scored_column(&s, col, &c.col, &err) != NS_OK ||
        run_days(&c, &days, &nd, &err) != NS_OK)
        code = cli_fail(&err);
    else if (json)
        code = print_json(days, nd, c.risk, c.show_rate);
    else
        code = print_text(days, nd, c.risk);
    free(days);
    cli_scored_free(&s);
    return code;
}
