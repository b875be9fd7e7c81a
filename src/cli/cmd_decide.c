/* noshow policy, actions and overbook: the decision-support commands.
 * policy turns stated costs into a threshold and its expected yield per
 * 1,000 appointments; actions lists whom to remind on a day, cut at a
 * capacity, with a recorded random control group; overbook says how many
 * extra bookings a session can take at an accepted overflow risk. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"
#include "cli/cli_scored.h"
#include "decide/overbook.h"
#include "decide/policy.h"
#include "util/timeutil.h"

/* Which options a command accepts. */
enum {
    OPT_COSTS = 1 << 0,
    OPT_DAY = 1 << 1,
    OPT_ACTIONS = 1 << 2,
    OPT_OVERBOOK = 1 << 3
};

struct decide_opts {
    const char *cmd;
    const char *model, *data, *past;
    bool json;
    struct policy_costs costs;
    const char *date_arg;
    int32_t day;
    const char *specialty;
    const char *specialty_col;
    long capacity;              /* -1: not given */
    double control_share;
    long seed;
    double threshold;           /* NaN: break-even */
    long slots;                 /* -1: not given */
    double risk;                /* NaN: not given */
};

static const char usage_policy[] =
    "usage: noshow policy MODEL DATA.csv --cost-slot X --cost-call Y\n"
    "                     --reminder-effect Z [--history PAST.csv] "
    "[--json]\n"
    "\n"
    "The threshold above which a reminder pays: acting on an appointment\n"
    "of no-show probability p gains p x Z x X - Y. Prints the break-even\n"
    "threshold Y / (Z x X) and, per 1,000 appointments of DATA.csv, the\n"
    "reminders sent, no-shows avoided, their cost and the net gain; on\n"
    "rows with known outcomes also the threshold that did best.\n"
    "  --cost-slot X        cost of an empty slot (> 0)\n"
    "  --cost-call Y        cost of one reminder or call (> 0)\n"
    "  --reminder-effect Z  share of no-shows a reminder prevents, "
    "(0, 1]\n";

static const char usage_actions[] =
    "usage: noshow actions MODEL DATA.csv --date YYYY-MM-DD --capacity N\n"
    "                      [--specialty S [--specialty-column COL]]\n"
    "                      [--control-share F] [--seed N] "
    "[--threshold P]\n"
    "                      [--cost-slot X] [--cost-call Y] "
    "[--reminder-effect Z]\n"
    "                      [--history PAST.csv] [--json]\n"
    "\n"
    "The day's appointments worth a reminder (p at or above the threshold,\n"
    "by default the break-even of the costs), highest expected gain first,\n"
    "at most N of them. A share F (default 0.1) of the list is held back\n"
    "as a control group, drawn from a hash of the appointment id and the\n"
    "seed, so the same appointment always gets the same draw. Costs\n"
    "default to 50 per empty slot, 2 per call and an effect of 0.25.\n"
    "--specialty keeps the rows whose column Specialty (or COL) is S.\n";

static const char usage_overbook[] =
    "usage: noshow overbook MODEL DATA.csv --date YYYY-MM-DD --slots N\n"
    "                       --risk R [--specialty S "
    "[--specialty-column COL]]\n"
    "                       [--history PAST.csv] [--json]\n"
    "\n"
    "For the session of that day (and specialty) with N slots: the exact\n"
    "distribution of the number of patients who come (Poisson-binomial\n"
    "over the booked appointments' probabilities) and the number of\n"
    "extra bookings that keeps P(more patients than slots) at most R,\n"
    "R in (0, 1). Extras are assumed to miss as often as the session's\n"
    "mean predicted risk. Expected idle slots are given before and "
    "after.\n";

/* Reads one option with a value; 1 when argv[*i] was it, 0 when not,
 * -1 (usage printed) when its value is bad. */
static int number_opt(struct decide_opts *o, int argc, char **argv, int *i,
                      const char *name, double *out)
{
    if (strcmp(argv[*i], name) != 0)
        return 0;
    if (*i + 1 >= argc || !cli_parse_double(argv[*i + 1], -HUGE_VAL,
                                            HUGE_VAL, out)) {
        cli_usage_error(o->cmd, "%s: '%s' is not a number", name,
                        *i + 1 < argc ? argv[*i + 1] : "(missing)");
        return -1;
    }
    (*i)++;
    return 1;
}

static int count_opt(struct decide_opts *o, int argc, char **argv, int *i,
                     const char *name, long min, long *out)
{
    if (strcmp(argv[*i], name) != 0)
        return 0;
    if (*i + 1 >= argc || !cli_parse_long(argv[*i + 1], min, 1000000000L,
                                          out)) {
        cli_usage_error(o->cmd, "%s: '%s' is not a whole number of at "
                        "least %ld", name,
                        *i + 1 < argc ? argv[*i + 1] : "(missing)", min);
        return -1;
    }
    (*i)++;
    return 1;
}

static int text_opt(int argc, char **argv, int *i, const char *name,
                    const char **out)
{
    if (strcmp(argv[*i], name) != 0 || *i + 1 >= argc)
        return 0;
    *out = argv[++(*i)];
    return 1;
}

/* One option of the set allowed; 1 taken, 0 unknown, -1 bad value. */
static int one_opt(struct decide_opts *o, unsigned allowed, int argc,
                   char **argv, int *i)
{
    int r = 0;

    if (allowed & OPT_COSTS) {
        if ((r = number_opt(o, argc, argv, i, "--cost-slot",
                            &o->costs.slot)) != 0 ||
            (r = number_opt(o, argc, argv, i, "--cost-call",
                            &o->costs.call)) != 0 ||
            (r = number_opt(o, argc, argv, i, "--reminder-effect",
                            &o->costs.effect)) != 0)
            return r;
    }
    if (allowed & OPT_DAY) {
        if (text_opt(argc, argv, i, "--date", &o->date_arg) ||
            text_opt(argc, argv, i, "--specialty", &o->specialty) ||
            text_opt(argc, argv, i, "--specialty-column", &o->specialty_col))
            return 1;
    }
    if (allowed & OPT_ACTIONS) {
        if ((r = count_opt(o, argc, argv, i, "--capacity", 0,
                           &o->capacity)) != 0 ||
            (r = number_opt(o, argc, argv, i, "--control-share",
                            &o->control_share)) != 0 ||
            (r = number_opt(o, argc, argv, i, "--threshold",
                            &o->threshold)) != 0 ||
            (r = count_opt(o, argc, argv, i, "--seed", 0, &o->seed)) != 0)
            return r;
    }
    if (allowed & OPT_OVERBOOK) {
        if ((r = count_opt(o, argc, argv, i, "--slots", 1, &o->slots)) != 0
            || (r = number_opt(o, argc, argv, i, "--risk", &o->risk)) != 0)
            return r;
    }
    return 0;
}

/* The option name behind a policy_check() field ("cost_slot" ->
 * "--cost-slot"). */
static void option_of(const char *field, char *out, size_t n)
{
    size_t k = 2;

    snprintf(out, n, "--");
    for (; *field && k + 1 < n; field++)
        out[k++] = *field == '_' ? '-' : *field;
    out[k] = '\0';
}

/* Checks what every command needs; -1 when fine, else the exit code. */
static int check_opts(struct decide_opts *o, unsigned allowed)
{
    struct ns_error err = {0};
    char opt[64];

    if (o->data == NULL)
        return cli_usage_error(o->cmd, "needs MODEL and DATA.csv");
    if (isnan(o->costs.slot) || isnan(o->costs.call) ||
        isnan(o->costs.effect))
        return cli_usage_error(o->cmd, "--cost-slot X, --cost-call Y and "
                               "--reminder-effect Z are all required");
    if (policy_check(&o->costs, &err) != NS_OK) {
        option_of(err.field, opt, sizeof(opt));
        return cli_usage_error(o->cmd, "%s: %s", opt, err.msg);
    }
    if (!(allowed & OPT_DAY))
        return -1;
    if (o->date_arg == NULL ||
        ns_parse_date(o->date_arg, strlen(o->date_arg), &o->day) != NS_OK)
        return cli_usage_error(o->cmd, "--date: '%s' is not a date; "
                               "expected YYYY-MM-DD",
                               o->date_arg ? o->date_arg : "(missing)");
    if (o->specialty_col && o->specialty == NULL)
        return cli_usage_error(o->cmd, "--specialty-column needs "
                               "--specialty S");
    if ((allowed & OPT_ACTIONS) && o->capacity < 0)
        return cli_usage_error(o->cmd, "--capacity N is required (the "
                               "number of reminders or calls staff can "
                               "make that day)");
    if ((allowed & OPT_ACTIONS) &&
        !(o->control_share >= 0.0 && o->control_share < 1.0))
        return cli_usage_error(o->cmd, "--control-share: %g; expected a "
                               "share from 0 up to (not including) 1",
                               o->control_share);
    if ((allowed & OPT_ACTIONS) && !isnan(o->threshold) &&
        !(o->threshold >= 0.0 && o->threshold <= 1.0))
        return cli_usage_error(o->cmd, "--threshold: %g; expected a "
                               "probability from 0 to 1", o->threshold);
    if ((allowed & OPT_OVERBOOK) && o->slots < 1)
        return cli_usage_error(o->cmd, "--slots N is required (the "
                               "session's number of slots, at least 1)");
    if ((allowed & OPT_OVERBOOK) && isnan(o->risk))
        return cli_usage_error(o->cmd, "--risk R is required (the accepted "
                               "chance of more patients than slots)");
    if ((allowed & OPT_OVERBOOK) && !(o->risk > 0.0 && o->risk < 1.0))
        return cli_usage_error(o->cmd, "--risk: %g; expected a "
                               "probability strictly between 0 and 1 "
                               "(e.g. 0.1)", o->risk);
    return -1;
}

/* Parses argv; -1 when the command should run, else its exit code. */
static int parse(struct decide_opts *o, unsigned allowed, const char *usage,
                 int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            o->json = true;
        } else if (text_opt(argc, argv, &i, "--history", &o->past)) {
            continue;
        } else if ((r = one_opt(o, allowed, argc, argv, &i)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error(o->cmd, "unknown option '%s' (or its "
                                   "value is missing)", argv[i]);
        } else if (o->model == NULL) {
            o->model = argv[i];
        } else if (o->data == NULL) {
            o->data = argv[i];
        } else {
            return cli_usage_error(o->cmd, "unexpected argument '%s'",
                                   argv[i]);
        }
    }
    return check_opts(o, allowed);
}

static void opts_init(struct decide_opts *o, const char *cmd)
{
    *o = (struct decide_opts){
        .cmd = cmd,
        .costs = {POLICY_DEFAULT_SLOT, POLICY_DEFAULT_CALL,
                  POLICY_DEFAULT_EFFECT},
        .capacity = -1, .control_share = POLICY_DEFAULT_CONTROL,
        .seed = 1, .threshold = NAN, .slots = -1, .risk = NAN,
    };
}

/* A threshold as JSON: null when acting on no appointment. */
static json_t *threshold_json(double t)
{
    return isfinite(t) ? json_real(t) : json_null();
}

static json_t *eval_json(const struct policy_eval *e)
{
    return json_pack("{s:o, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
                     "threshold", threshold_json(e->threshold), "rows",
                     (json_int_t)e->rows, "acted", (json_int_t)e->acted,
                     "noshows_avoided", e->noshows_avoided, "cost", e->cost,
                     "net_gain", e->net_gain, "per1000_acted",
                     e->per1000_acted, "per1000_avoided",
                     e->per1000_avoided, "per1000_cost", e->per1000_cost,
                     "per1000_net", e->per1000_net);
}

static void eval_line(const char *what, const struct policy_eval *e)
{
    char t[16];

    if (isfinite(e->threshold))
        snprintf(t, sizeof(t), "%.4f", e->threshold);
    else
        snprintf(t, sizeof(t), "none");
    printf("  %-28s %9s %10.1f %10.2f %10.2f %10.2f\n", what, t,
           e->per1000_acted, e->per1000_avoided, e->per1000_cost,
           e->per1000_net);
}

struct policy_result {
    struct policy_eval expected;    /* every row, expected no-shows */
    struct policy_eval observed;    /* labelled rows, real no-shows */
    struct policy_eval best;        /* best threshold on labelled rows */
    size_t labelled;
};

/* Evaluates the break-even threshold on every row (expected no-shows)
 * and, when outcomes are known, on the labelled rows with the real
 * outcomes, beside the threshold that did best there. */
static enum ns_err policy_run(const struct decide_opts *o,
                              const struct cli_scored *s,
                              struct policy_result *r, struct ns_error *err)
{
    const struct table *t = s->t;
    size_t n = s->labelled ? s->labelled : 1;
    double *p = malloc(n * sizeof(*p));
    int *y = malloc(n * sizeof(*y));
    double be = policy_breakeven(&o->costs);
    enum ns_err rc = NS_OK;
    size_t k = 0;

    memset(r, 0, sizeof(*r));
    if (p == NULL || y == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    policy_evaluate(&o->costs, s->p, NULL, t->nrows, be, &r->expected);
    for (size_t i = 0; i < t->nrows; i++) {
        if (t->label[i] < 0)
            continue;
        p[k] = s->p[i];
        y[k++] = t->label[i];
    }
    r->labelled = k;
    if (k == 0)
        goto out;
    policy_evaluate(&o->costs, p, y, k, be, &r->observed);
    rc = policy_best_threshold(&o->costs, p, y, k, &r->best, err);
out:
    free(p);
    free(y);
    return rc;
}

static int policy_print(const struct decide_opts *o,
                        const struct cli_scored *s,
                        const struct policy_result *r)
{
    json_t *j;

    if (o->json) {
        j = json_pack("{s:s, s:s, s:I, s:I, s:{s:f, s:f, s:f}, s:f, s:o, "
                      "s:o*, s:o*}", "model", bundle_version(s->b), "data",
                      o->data, "rows", (json_int_t)s->t->nrows, "labelled",
                      (json_int_t)r->labelled, "costs", "slot",
                      o->costs.slot, "call", o->costs.call,
                      "reminder_effect", o->costs.effect, "breakeven",
                      policy_breakeven(&o->costs), "expected",
                      eval_json(&r->expected), "observed",
                      r->labelled ? eval_json(&r->observed) : NULL,
                      "best_observed",
                      r->labelled ? eval_json(&r->best) : NULL);
        return cli_emit_json(j);
    }
    printf("model %s on %s: %zu appointments, %zu with outcomes\n",
           bundle_version(s->b), o->data, s->t->nrows, r->labelled);
    printf("costs: empty slot %g, reminder %g; a reminder prevents %.0f%% "
           "of the no-shows it reaches\n", o->costs.slot, o->costs.call,
           100.0 * o->costs.effect);
    printf("break-even threshold %.4f: remind when p >= this\n\n",
           policy_breakeven(&o->costs));
    printf("  %-28s %9s %10s %10s %10s %10s\n", "per 1,000 appointments",
           "threshold", "reminders", "avoided", "cost", "net gain");
    eval_line("break-even, expected", &r->expected);
    if (r->labelled) {
        eval_line("break-even, real outcomes", &r->observed);
        eval_line("best on real outcomes", &r->best);
    }
    return CLI_EXIT_OK;
}

int cmd_policy(int argc, char **argv)
{
    struct decide_opts o;
    struct cli_scored s = {0};
    struct policy_result r;
    struct ns_error err = {0};
    int code;

    opts_init(&o, "policy");
    o.costs = (struct policy_costs){NAN, NAN, NAN};
    code = parse(&o, OPT_COSTS, usage_policy, argc, argv);
    if (code >= 0)
        return code;
    if (cli_scored_load(o.model, o.data, o.past, &s, &err) != NS_OK ||
        policy_run(&o, &s, &r, &err) != NS_OK)
        code = cli_fail(&err);
    else
        code = policy_print(&o, &s, &r);
    cli_scored_free(&s);
    return code;
}

/* The rows of the day asked (and specialty), or an error naming a
 * specialty column the model does not have. */
static enum ns_err day_rows(const struct decide_opts *o,
                           const struct cli_scored *s, size_t **rows,
                           size_t *n, struct ns_error *err)
{
    int col = -1;
    enum ns_err rc = NS_OK;

    if (o->specialty)
        rc = cli_scored_column(s, o->specialty_col ? o->specialty_col
                                                   : "Specialty", &col, err);
    if (rc == NS_OK)
        rc = cli_scored_day(s, o->day, col, o->specialty, rows, n, err);
    if (rc != NS_OK && o->specialty && err && err->field[0])
        ns_error_prefix(err, "--specialty");
    return rc;
}

static json_t *actions_json(const struct decide_opts *o,
                            const struct cli_scored *s, size_t nday,
                            double threshold, const struct policy_action *a,
                            size_t na)
{
    json_t *list = json_array();
    json_t *j;

    for (size_t k = 0; list && k < na; k++) {
        size_t i = a[k].index;

        if (json_array_append_new(list, json_pack(
                "{s:I, s:s, s:I, s:f, s:f, s:s}", "rank", (json_int_t)k + 1,
                "appointment_id", table_str(s->t, s->t->appt_id[i]),
                "line", (json_int_t)s->t->line[i], "probability", a[k].p,
                "gain", a[k].gain, "group",
                a[k].control ? "control" : "act")) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    j = json_pack("{s:s, s:s, s:s?, s:I, s:I, s:f, s:f, s:I, s:o*}",
                  "model", bundle_version(s->b), "date", o->date_arg,
                  "specialty", o->specialty, "appointments",
                  (json_int_t)nday, "capacity", (json_int_t)o->capacity,
                  "threshold", threshold, "control_share", o->control_share,
                  "seed", (json_int_t)o->seed, "actions", list);
    return j;
}

static int actions_print(const struct decide_opts *o,
                         const struct cli_scored *s, size_t nday,
                         double threshold, const struct policy_action *a,
                         size_t na)
{
    size_t nctl = 0;
    json_t *j;

    if (o->json) {
        j = actions_json(o, s, nday, threshold, a, na);
        return cli_emit_json(j);
    }
    for (size_t k = 0; k < na; k++)
        nctl += a[k].control != 0;
    printf("%s%s%s: %zu appointments, threshold %.4f, capacity %ld: "
           "%zu to remind, %zu held back as control\n", o->date_arg,
           o->specialty ? " " : "", o->specialty ? o->specialty : "", nday,
           threshold, o->capacity, na - nctl, nctl);
    if (na > 0)
        printf("%5s  %-16s %8s %11s %9s  %s\n", "rank", "appointment",
               "line", "probability", "gain", "group");
    for (size_t k = 0; k < na; k++)
        printf("%5zu  %-16s %8ld %11.4f %9.2f  %s\n", k + 1,
               table_str(s->t, s->t->appt_id[a[k].index]),
               s->t->line[a[k].index], a[k].p, a[k].gain,
               a[k].control ? "control" : "act");
    return CLI_EXIT_OK;
}

/* The day's action list: candidates in day order, keyed by appointment
 * id so the control draw is stable.
 * LIMITATION: a CSV file holds no record of earlier reminders, so this
 * command cannot leave off patients contacted in the last days, and the
 * control group is drawn again (identically) rather than recorded. Nor
 * does it know who was notified: a file exported after some reminders
 * lists other patients in their place, past the day's capacity. Lists
 * that must respect a no-contact period and stay within the capacity
 * come from the service's GET /actions, which keeps them in the store. */
static enum ns_err actions_run(const struct decide_opts *o,
                               const struct cli_scored *s, double threshold,
                               size_t *nday, struct policy_action **a,
                               size_t *na, struct ns_error *err)
{
    size_t *rows = NULL;
    double *p = NULL;
    uint64_t *key = NULL;
    enum ns_err rc = day_rows(o, s, &rows, nday, err);

    if (rc != NS_OK)
        goto out;
    p = malloc((*nday ? *nday : 1) * sizeof(*p));
    key = malloc((*nday ? *nday : 1) * sizeof(*key));
    if (p == NULL || key == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < *nday; k++) {
        p[k] = s->p[rows[k]];
        key[k] = cli_scored_key(s, rows[k]);
    }
    rc = policy_actions(&o->costs, p, key, NULL, *nday, threshold,
                        (size_t)o->capacity, o->control_share,
                        (uint64_t)o->seed, a, na, err);
    /* Back from day positions to table rows. */
    for (size_t k = 0; rc == NS_OK && k < *na; k++)
        (*a)[k].index = rows[(*a)[k].index];
out:
    free(rows);
    free(p);
    free(key);
    return rc;
}

int cmd_actions(int argc, char **argv)
{
    struct decide_opts o;
    struct cli_scored s = {0};
    struct policy_action *a = NULL;
    struct ns_error err = {0};
    size_t nday = 0, na = 0;
    double threshold;
    int code;

    opts_init(&o, "actions");
    code = parse(&o, OPT_COSTS | OPT_DAY | OPT_ACTIONS, usage_actions, argc,
                 argv);
    if (code >= 0)
        return code;
    threshold = isnan(o.threshold) ? policy_breakeven(&o.costs)
                                   : o.threshold;
    if (cli_scored_load(o.model, o.data, o.past, &s, &err) != NS_OK ||
        actions_run(&o, &s, threshold, &nday, &a, &na, &err) != NS_OK)
        code = cli_fail(&err);
    else
        code = actions_print(&o, &s, nday, threshold, a, na);
    free(a);
    cli_scored_free(&s);
    return code;
}

/* Shows at the q-quantile of a pmf over 0..n. */
static size_t quantile(const double *pmf, size_t n, double q)
{
    double c = 0.0;

    for (size_t k = 0; k <= n; k++) {
        c += pmf[k];
        if (c >= q)
            return k;
    }
    return n;
}

struct overbook_result {
    size_t booked;
    double mean_risk;
    double *pmf;                /* [booked + 1]: patients who come */
    struct overbook_advice adv;
};

/* LIMITATION: patients are taken to come or miss independently of one
 * another. Bad weather or a transport strike makes a whole session miss
 * together, so the real chance of overflow is higher than the one
 * printed (the backtest in docs/decision-support.md measured 17% of
 * sessions overflowing at an accepted 10%). A fix needs a model of the
 * day-level shared factor, e.g. a beta-binomial fitted per clinic. */
static enum ns_err overbook_run(const struct decide_opts *o,
                                const struct cli_scored *s,
                                struct overbook_result *r,
                                struct ns_error *err)
{
    size_t *rows = NULL;
    double *risk = NULL, *show = NULL;
    enum ns_err rc = day_rows(o, s, &rows, &r->booked, err);
    size_t n = r->booked;

    if (rc != NS_OK)
        goto out;
    risk = malloc((n ? n : 1) * sizeof(*risk));
    show = malloc((n ? n : 1) * sizeof(*show));
    r->pmf = malloc((n + 1) * sizeof(*r->pmf));
    if (risk == NULL || show == NULL || r->pmf == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        risk[k] = s->p[rows[k]];
        show[k] = 1.0 - risk[k];
        r->mean_risk += risk[k] / (double)n;
    }
    rc = overbook_pmf(show, n, r->pmf, err);
    if (rc == NS_OK && n > 0)
        rc = overbook_advise(risk, n, (size_t)o->slots, r->mean_risk,
                             o->risk, (size_t)o->slots, &r->adv, err);
out:
    free(rows);
    free(risk);
    free(show);
    return rc;
}

static json_t *advice_json(const struct overbook_advice *a)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "extra",
                     (json_int_t)a->extra, "extra_show_probability",
                     a->extra_show_prob, "overflow_before",
                     a->overflow_before, "overflow_after",
                     a->overflow_after, "idle_before", a->idle_before,
                     "idle_after", a->idle_after, "expected_shows_before",
                     a->expected_shows_before, "expected_shows_after",
                     a->expected_shows_after);
}

static int overbook_json(const struct decide_opts *o,
                         const struct cli_scored *s,
                         const struct overbook_result *r)
{
    json_t *dist = json_array();
    json_t *j;

    for (size_t k = 0; dist && k <= r->booked; k++)
        json_array_append_new(dist, json_real(r->pmf[k]));
    j = json_pack("{s:s, s:s, s:s?, s:I, s:f, s:I, s:f, s:o*, s:o*}",
                  "model", bundle_version(s->b), "date", o->date_arg,
                  "specialty", o->specialty, "slots", (json_int_t)o->slots,
                  "risk", o->risk, "booked", (json_int_t)r->booked,
                  "mean_noshow_probability", r->mean_risk,
                  "show_distribution", dist, "advice",
                  r->booked ? advice_json(&r->adv) : NULL);
    return cli_emit_json(j);
}

static int overbook_print(const struct decide_opts *o,
                          const struct cli_scored *s,
                          const struct overbook_result *r)
{
    const struct overbook_advice *a = &r->adv;

    if (o->json)
        return overbook_json(o, s, r);
    printf("%s%s%s: %ld slots, %zu booked", o->date_arg,
           o->specialty ? " " : "", o->specialty ? o->specialty : "",
           o->slots, r->booked);
    if (r->booked == 0) {
        printf(": no appointments, nothing to advise\n");
        return CLI_EXIT_OK;
    }
    printf(", mean no-show probability %.4f\n", r->mean_risk);
    printf("patients who come: 10%% %zu, median %zu, 90%% %zu (of %zu)\n",
           quantile(r->pmf, r->booked, 0.1),
           quantile(r->pmf, r->booked, 0.5),
           quantile(r->pmf, r->booked, 0.9), r->booked);
    printf("advice: book %zu more (accepted risk %.2f)\n", a->extra,
           o->risk);
    printf("  %-28s %10s %10s\n", "", "now", "with extra");
    printf("  %-28s %10.2f %10.2f\n", "expected patients",
           a->expected_shows_before, a->expected_shows_after);
    printf("  %-28s %10.2f %10.2f\n", "expected idle slots",
           a->idle_before, a->idle_after);
    printf("  %-28s %10.4f %10.4f\n", "P(more patients than slots)",
           a->overflow_before, a->overflow_after);
    return CLI_EXIT_OK;
}

int cmd_overbook(int argc, char **argv)
{
    struct decide_opts o;
    struct cli_scored s = {0};
    struct overbook_result r = {0};
    struct ns_error err = {0};
    int code;

    opts_init(&o, "overbook");
    code = parse(&o, OPT_DAY | OPT_OVERBOOK, usage_overbook, argc, argv);
    if (code >= 0)
        return code;
    if (cli_scored_load(o.model, o.data, o.past, &s, &err) != NS_OK ||
        overbook_run(&o, &s, &r, &err) != NS_OK)
        code = cli_fail(&err);
    else
        code = overbook_print(&o, &s, &r);
    free(r.pmf);
    cli_scored_free(&s);
    return code;
}
