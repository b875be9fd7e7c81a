/* Tests of the exploratory data report: statistics against numbers
 * counted by hand on the rows of tests/fixtures/report/small.csv, and the
 * HTML page (sections present, well formed, offline, data escaped). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "data/clean.h"
#include "data/record.h"
#include "data/schema.h"
#include "data/table.h"
#include "report/eda_html.h"
#include "report/eda_stats.h"
#include "util/timeutil.h"

enum {
    C_PATIENT, C_APPT, C_GENDER, C_BOOKED, C_DAY, C_AGE, C_HOOD, C_SCH,
    C_HIP, C_DIA, C_ALC, C_HAND, C_SMS, C_LABEL, NCOLS
};

static struct schema_column cols[NCOLS] = {
    {.name = "PatientId", .role = ROLE_PATIENT_ID},
    {.name = "AppointmentID", .role = ROLE_APPT_ID},
    {.name = "Gender", .role = ROLE_CATEGORICAL},
    {.name = "ScheduledDay", .role = ROLE_BOOKED_AT},
    {.name = "AppointmentDay", .role = ROLE_APPT_DATE},
    {.name = "Age", .role = ROLE_NUMERIC, .integer = true},
    {.name = "Neighbourhood", .role = ROLE_CATEGORICAL},
    {.name = "Scholarship", .role = ROLE_BINARY},
    {.name = "Hipertension", .role = ROLE_BINARY},
    {.name = "Diabetes", .role = ROLE_BINARY},
    {.name = "Alcoholism", .role = ROLE_BINARY},
    {.name = "Handcap", .role = ROLE_NUMERIC, .integer = true},
    {.name = "SMS_received", .role = ROLE_BINARY},
    {.name = "No-show", .role = ROLE_TARGET},
};

static struct schema schema = {
    .name = "kaggle-noshow", .ncols = NCOLS, .cols = cols,
};

/* The 20 valid rows of tests/fixtures/report/small.csv. */
struct row {
    const char *patient, *appt, *gender, *booked, *day;
    double age;
    const char *hood;
    int sch, hip, dia, alc, hand, sms, noshow;
};

static const struct row rows[] = {
    {"1001", "5001", "F", "2016-05-02", "2016-05-02", 5, "JARDIM",
     0, 0, 0, 0, 0, 0, 0},
    {"1002", "5002", "M", "2016-05-02", "2016-05-02", 34, "CENTRO",
     0, 0, 0, 0, 0, 0, 0},
    {"1003", "5003", "F", "2016-05-01", "2016-05-02", 62, "JARDIM",
     0, 1, 0, 0, 0, 0, 0},
    {"1004", "5004", "F", "2016-04-30", "2016-05-02", 71, "CENTRO",
     0, 1, 1, 0, 0, 0, 1},
    {"1005", "5005", "M", "2016-04-27", "2016-05-03", 17, "PRAIA",
     1, 0, 0, 0, 0, 1, 1},
    {"1001", "5006", "F", "2016-04-28", "2016-05-03", 5, "JARDIM",
     0, 0, 0, 0, 0, 1, 0},
    {"1006", "5007", "F", "2016-04-26", "2016-05-03", 45,
     "<script>alert(1)</script>", 0, 0, 0, 1, 0, 0, 1},
    {"1007", "5008", "M", "2016-04-22", "2016-05-04", 28, "CENTRO",
     0, 0, 0, 0, 1, 1, 0},
    {"1008", "5009", "F", "2016-04-20", "2016-05-04", 19, "PRAIA",
     1, 0, 0, 0, 0, 1, 1},
    {"1009", "5010", "F", "2016-04-19", "2016-05-04", 88, "JARDIM",
     0, 1, 1, 0, 2, 0, 0},
    {"1010", "5011", "M", "2016-04-06", "2016-05-04", 52, "CENTRO",
     0, 1, 0, 0, 0, 1, 1},
    {"1011", "5012", "F", "2016-04-04", "2016-05-04", 9, "JARDIM",
     0, 0, 0, 0, 0, 1, 0},
    {"1012", "5013", "F", "2016-04-01", "2016-05-06", 23, "PRAIA",
     1, 0, 0, 0, 0, 1, 1},
    {"1013", "5014", "M", "2016-03-11", "2016-05-06", 66, "CENTRO",
     0, 1, 1, 0, 0, 1, 0},
    {"1014", "5015", "F", "2016-03-06", "2016-05-06", 95, "JARDIM",
     0, 1, 0, 0, 1, 0, 0},
    {"1015", "5016", "F", "2016-02-15", "2016-05-06", 40, "CENTRO",
     0, 0, 0, 0, 0, 1, 1},
    {"1002", "5017", "M", "2016-05-02", "2016-05-06", 34, "CENTRO",
     0, 0, 0, 0, 0, 0, 0},
    {"1016", "5018", "F", "2016-05-05", "2016-05-06", 0, "PRAIA",
     0, 0, 0, 0, 0, 0, 0},
    {"1017", "5019", "M", "2016-05-06", "2016-05-06", 77, "JARDIM",
     0, 1, 1, 0, 0, 0, 0},
    {"1018", "5020", "F", "2016-05-03", "2016-05-06", 13, "JARDIM",
     1, 0, 0, 0, 0, 0, 1},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int32_t day(const char *s)
{
    int32_t d = NS_DAY_NONE;

    assert_int_equal(ns_parse_date(s, strlen(s), &d), NS_OK);
    return d;
}

static void fill(struct record *r, const struct row *w)
{
    record_reset(r);
    r->patient = w->patient;
    r->appt_id = w->appt;
    r->booked_at = (int64_t)day(w->booked) * 86400 + 3600;
    r->appt_day = day(w->day);
    r->label = w->noshow;
    r->text[C_GENDER] = w->gender;
    r->text[C_HOOD] = w->hood;
    r->num[C_AGE] = w->age;
    r->num[C_SCH] = w->sch;
    r->num[C_HIP] = w->hip;
    r->num[C_DIA] = w->dia;
    r->num[C_ALC] = w->alc;
    r->num[C_HAND] = w->hand;
    r->num[C_SMS] = w->sms;
}

/* Statistics of the 20 rows, plus extra_missing rows that lack their age,
 * gender and outcome. */
static struct eda_stats *stats_of_rows(int extra_missing)
{
    struct eda_stats *st = NULL;
    struct record *r = record_new(&schema);
    struct ns_error err = {0};

    assert_non_null(r);
    assert_int_equal(eda_stats_new(&schema, &st, &err), NS_OK);
    for (size_t i = 0; i < NROWS; i++) {
        fill(r, &rows[i]);
        assert_int_equal(eda_stats_add(st, r, &err), NS_OK);
    }
    for (int i = 0; i < extra_missing; i++) {
        fill(r, &rows[0]);
        r->num[C_AGE] = NAN;
        r->text[C_GENDER] = NULL;
        r->label = -1;
        assert_int_equal(eda_stats_add(st, r, &err), NS_OK);
    }
    assert_int_equal(eda_stats_finish(st, &err), NS_OK);
    record_free(r);
    return st;
}

/* The statistics the hand counts are checked against: from the records
 * above, or (when *state says so) from small.csv through the data layer. */
static const char fixture[] = "tests/fixtures/report/small.csv";

/* Loads small.csv as the eda command does; its three bad rows (a copy of
 * line 14, an age "abc", a booking after the appointment) are dropped. */
static struct eda_stats *stats_of_csv(struct clean_report *rep)
{
    struct table_load_opts o = {.schema_name = "kaggle-noshow",
                                .dedup = true};
    struct table *t = NULL;
    struct schema *s = NULL;
    struct record *view;
    struct eda_stats *st = NULL;
    struct ns_error err = {0};

    memset(rep, 0, sizeof(*rep));
    if (table_load_csv(fixture, NULL, &o, &t, &s, rep, &err) != NS_OK)
        fail_msg("loading %s failed: %s", fixture, err.msg);
    view = record_new(s);
    assert_non_null(view);
    assert_int_equal(eda_stats_new(s, &st, &err), NS_OK);
    for (size_t i = 0; i < t->nrows; i++) {
        table_row(t, i, view);
        assert_int_equal(eda_stats_add(st, view, &err), NS_OK);
    }
    assert_int_equal(eda_stats_finish(st, &err), NS_OK);
    record_free(view);
    table_free(t);
    schema_free(s);
    return st;
}

static int from_csv = 1;

static struct eda_stats *hand_stats(void **state)
{
    struct clean_report rep;

    if (*state == &from_csv)
        return stats_of_csv(&rep);
    return stats_of_rows(0);
}

static const struct eda_column *col(const struct eda_stats *st,
                                    const char *name)
{
    for (size_t i = 0; i < st->ncols; i++) {
        if (strcmp(st->cols[i].name, name) == 0)
            return &st->cols[i];
    }
    fail_msg("the statistics have no column named '%s'", name);
    return NULL;
}

static void check_group(const struct eda_group *g, const char *what,
                        size_t n, size_t positive)
{
    if (g->n != n || g->positive != positive || g->labelled != n)
        fail_msg("group %s: expected %zu rows and %zu no-shows, got %zu "
                 "rows (%zu labelled) and %zu no-shows", what, n, positive,
                 g->n, g->labelled, g->positive);
}

static void check_near(double got, double want, const char *what)
{
    if (!(fabs(got - want) < 1e-9))
        fail_msg("%s: expected %.9g, got %.9g", what, want, got);
}

static void test_eda_stats_class_balance_matches_hand_count(void **state)
{
    struct eda_stats *st = hand_stats(state);

    if (st->rows != 20 || st->labelled != 20 || st->positive != 8)
        fail_msg("expected 20 rows, 20 labelled, 8 no-shows; got %zu, "
                 "%zu, %zu", st->rows, st->labelled, st->positive);
    if (st->patients != 18 || st->repeat_appt_ids != 0)
        fail_msg("expected 18 patients and no repeated appointment id; "
                 "got %zu and %zu", st->patients, st->repeat_appt_ids);
    eda_stats_free(st);
}

static void test_eda_stats_lead_buckets_match_hand_count(void **state)
{
    static const size_t n[EDA_NLEAD_BUCKETS] = {3, 3, 5, 2, 3, 2, 2};
    static const size_t pos[EDA_NLEAD_BUCKETS] = {0, 1, 3, 1, 1, 1, 1};
    struct eda_stats *st = hand_stats(state);
    const struct eda_column *lead = &st->cols[st->lead_col];

    for (int i = 0; i < EDA_NLEAD_BUCKETS; i++)
        check_group(&st->lead[i], eda_lead_bucket_name(i), n[i], pos[i]);
    check_near(lead->mean, 18.05, "mean lead days");
    check_near(lead->median, 6.5, "median lead days");
    check_near(lead->max, 81, "longest lead");
    assert_int_equal(st->lead_unknown, 0);
    eda_stats_free(st);
}

static void test_eda_lead_bucket_edges_follow_bucket_names(void **state)
{
    static const long days[] = {-1, 0, 1, 2, 3, 7, 8, 14, 15, 30, 31,
                                60, 61, 400};
    static const int want[] = {-1, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6};

    (void)state;
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        if (eda_lead_bucket(days[i]) != want[i])
            fail_msg("lead %ld days: expected bucket %d, got %d", days[i],
                     want[i], eda_lead_bucket(days[i]));
    }
}

static void test_eda_stats_weekday_and_age_match_hand_count(void **state)
{
    static const size_t wn[EDA_NWEEKDAYS] = {4, 3, 5, 0, 8, 0, 0};
    static const size_t wp[EDA_NWEEKDAYS] = {1, 2, 2, 0, 3, 0, 0};
    static const size_t an[EDA_NAGE_BANDS] = {4, 3, 2, 2, 2, 1, 2, 2, 1, 1};
    static const size_t ap[EDA_NAGE_BANDS] = {0, 3, 1, 0, 2, 1, 0, 1, 0, 0};
    struct eda_stats *st = hand_stats(state);

    for (int i = 0; i < EDA_NWEEKDAYS; i++)
        check_group(&st->weekday[i], eda_weekday_name(i), wn[i], wp[i]);
    for (int i = 0; i < EDA_NAGE_BANDS; i++)
        check_group(&st->age[i], eda_age_band_name(i), an[i], ap[i]);
    eda_stats_free(st);
}

static void test_eda_stats_age_summary_matches_hand_count(void **state)
{
    struct eda_stats *st = hand_stats(state);
    const struct eda_column *age = col(st, "Age");

    assert_int_equal(age->present, 20);
    assert_int_equal(age->missing, 0);
    assert_int_equal(age->distinct, 18);
    check_near(age->min, 0, "youngest");
    check_near(age->max, 95, "oldest");
    check_near(age->mean, 39.15, "mean age");
    check_near(age->q1, 16, "first quartile of age");
    check_near(age->median, 34, "median age");
    check_near(age->q3, 63, "third quartile of age");
    assert_true(age->nbins > 0 && age->integer_bins);
    eda_stats_free(st);
}

static void test_eda_stats_categories_most_frequent_first(void **state)
{
    struct eda_stats *st = hand_stats(state);
    const struct eda_column *g = col(st, "Gender");
    const struct eda_column *h = col(st, "Neighbourhood");

    assert_int_equal(g->ngroups, 2);
    assert_string_equal(g->groups[0].name, "F");
    check_group(&g->groups[0], "F", 13, 6);
    check_group(&g->groups[1], "M", 7, 2);
    assert_int_equal(h->distinct, 4);
    assert_int_equal(h->ngroups, 4);
    assert_string_equal(h->groups[0].name, "JARDIM");
    check_group(&h->groups[0], "JARDIM", 8, 1);
    assert_string_equal(h->groups[1].name, "CENTRO");
    check_group(&h->groups[1], "CENTRO", 7, 3);
    assert_string_equal(h->groups[2].name, "PRAIA");
    check_group(&h->groups[2], "PRAIA", 4, 3);
    check_group(&h->groups[3], "<script>", 1, 1);
    eda_stats_free(st);
}

static void test_eda_stats_binary_and_small_numbers_by_value(void **state)
{
    struct eda_stats *st = hand_stats(state);
    const struct eda_column *s = col(st, "Scholarship");
    const struct eda_column *h = col(st, "Handcap");

    assert_int_equal(s->ngroups, 2);
    assert_string_equal(s->groups[1].name, "1");
    check_group(&s->groups[0], "Scholarship 0", 16, 4);
    check_group(&s->groups[1], "Scholarship 1", 4, 4);
    assert_int_equal(h->ngroups, 3);
    check_group(&h->groups[0], "Handcap 0", 17, 8);
    check_group(&h->groups[1], "Handcap 1", 2, 0);
    check_group(&h->groups[2], "Handcap 2", 1, 0);
    eda_stats_free(st);
}

static void test_eda_stats_correlation_matches_phi(void **state)
{
    struct eda_stats *st = hand_stats(state);
    size_t k = st->ncorr, sch = k, lab = k;

    for (size_t i = 0; i < k; i++) {
        if (strcmp(eda_corr_name(st, i), "Scholarship") == 0)
            sch = i;
        if (strcmp(eda_corr_name(st, i), "no-show") == 0)
            lab = i;
    }
    assert_true(sch < k && lab < k);
    /* Phi of the 2x2 table (4, 0; 4, 12): 48 / sqrt(4 * 16 * 8 * 12). */
    check_near(st->corr[sch * k + lab], 48 / sqrt(6144.0),
               "correlation of Scholarship with no-show");
    check_near(st->corr[lab * k + sch], 48 / sqrt(6144.0),
               "the matrix is symmetric");
    check_near(st->corr[sch * k + sch], 1, "diagonal");
    eda_stats_free(st);
}

static void test_eda_stats_missing_values_counted_apart(void **state)
{
    struct eda_stats *st = stats_of_rows(2);
    const struct eda_column *age = col(st, "Age");
    const struct eda_column *g = col(st, "Gender");

    (void)state;
    assert_int_equal(st->rows, 22);
    assert_int_equal(st->labelled, 20);
    assert_int_equal(age->missing, 2);
    check_near(age->mean, 39.15, "mean age ignores missing ages");
    assert_int_equal(g->missing, 2);
    assert_string_equal(g->groups[g->ngroups - 1].name, "(missing)");
    assert_int_equal(g->groups[g->ngroups - 1].n, 2);
    assert_int_equal(g->groups[g->ngroups - 1].labelled, 0);
    eda_stats_free(st);
}

/* Statistics of rows that differ from the first fixture row only by
 * their age. */
static struct eda_stats *stats_of_ages(const double *ages, size_t n)
{
    struct eda_stats *st = NULL;
    struct record *r = record_new(&schema);
    struct ns_error err = {0};

    assert_non_null(r);
    assert_int_equal(eda_stats_new(&schema, &st, &err), NS_OK);
    for (size_t i = 0; i < n; i++) {
        fill(r, &rows[0]);
        r->num[C_AGE] = ages[i];
        assert_int_equal(eda_stats_add(st, r, &err), NS_OK);
    }
    assert_int_equal(eda_stats_finish(st, &err), NS_OK);
    record_free(r);
    return st;
}

/* 400 ages from 0 to 49 and two of 500: the bars stop after 49 and one
 * last bar holds the two. */
static void test_eda_stats_long_tail_gets_one_bar(void **state)
{
    double ages[402];
    struct eda_stats *st;
    const struct eda_column *age;

    (void)state;
    for (int i = 0; i < 402; i++)
        ages[i] = i < 400 ? i % 50 : 500;
    st = stats_of_ages(ages, 402);
    age = col(st, "Age");
    assert_true(age->tail_bin);
    assert_int_equal(age->nbins, 26);
    check_near(age->edges[25], 50, "start of the tail bar");
    assert_int_equal(age->counts[25], 2);
    assert_int_equal(age->counts[0], 16);
    eda_stats_free(st);
}

/* Ages 0.5, 1.7 and 29.9: 30 bars one unit wide, from 0. */
static void test_eda_stats_fractional_values_get_round_bars(void **state)
{
    static const double ages[] = {0.5, 1.7, 29.9};
    struct eda_stats *st = stats_of_ages(ages, 3);
    const struct eda_column *age = col(st, "Age");

    (void)state;
    assert_false(age->integer_bins);
    assert_int_equal(age->nbins, 30);
    check_near(age->edges[0], 0, "first bar edge");
    check_near(age->edges[1], 1, "bar width");
    assert_int_equal(age->counts[0], 1);
    assert_int_equal(age->counts[1], 1);
    assert_int_equal(age->counts[29], 1);
    eda_stats_free(st);
}

static void test_eda_stats_add_after_finish_is_refused(void **state)
{
    struct eda_stats *st = stats_of_rows(0);
    struct record *r = record_new(&schema);
    struct ns_error err = {0};

    (void)state;
    fill(r, &rows[0]);
    assert_int_equal(eda_stats_add(st, r, &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "finished"));
    record_free(r);
    eda_stats_free(st);
}

/* Reads a whole file into a NUL-terminated string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static char *write_report(char *path, size_t size)
{
    static const char *const header[] = {"Age", "reject_reason"};
    static const char *const cells[] = {"<script>x</script>", "bad_value"};
    static const struct eda_reason reasons[] = {{"bad_value", 1}};
    struct eda_source src = {
        .file = "small&.csv", .schema_name = "kaggle-noshow",
        .rows_read = 21, .rows_kept = 20, .nreasons = 1,
        .reasons = reasons, .nfields = 2, .reject_header = header,
        .nrejects = 1, .reject_cells = cells,
        .generated_at = "2026-12-03T00:00:00Z",
    };
    struct eda_stats *st = stats_of_rows(0);
    struct ns_error err = {0};
    int fd;

    snprintf(path, size, "/tmp/noshow-eda-XXXXXX.html");
    fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    close(fd);
    if (eda_html_write_file(path, st, &src, &err) != NS_OK)
        fail_msg("writing the report failed: %s", err.msg);
    eda_stats_free(st);
    return slurp(path);
}

static void test_eda_html_has_every_section(void **state)
{
    static const char *const ids[] = {
        "overview", "class-balance", "columns", "histograms",
        "rate-by-category", "rate-by-lead", "rate-by-weekday",
        "rate-by-age", "correlation", "data-quality",
    };
    char path[64], id[64];
    char *html = write_report(path, sizeof(path));

    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        snprintf(id, sizeof(id), "<section id=\"%s\">", ids[i]);
        if (strstr(html, id) == NULL)
            fail_msg("the report has no section %s", id);
    }
    assert_non_null(strstr(html, "Chart.js v4"));
    assert_non_null(strstr(html, "canvas id=\"chart-rate-by-lead\""));
    free(html);
    unlink(path);
}

static void test_eda_html_escapes_data_and_loads_nothing(void **state)
{
    char path[64];
    char *html = write_report(path, sizeof(path));

    (void)state;
    if (strstr(html, "<script>alert") || strstr(html, "<script>x"))
        fail_msg("a value from the data reached the page unescaped");
    assert_non_null(strstr(html, "\\u003cscript\\u003ealert(1)"));
    assert_non_null(strstr(html, "&lt;script&gt;x&lt;/script&gt;"));
    assert_non_null(strstr(html, "small&amp;.csv"));
    if (strstr(html, "<script src") || strstr(html, "<link"))
        fail_msg("the report loads a script or a style from elsewhere");
    free(html);
    unlink(path);
}

static void test_eda_html_is_well_formed(void **state)
{
    char path[64], cmd[160], out[512] = "";
    char *html = write_report(path, sizeof(path));
    FILE *p;
    size_t n;
    int status;

    (void)state;
    free(html);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 tests/report/check_html.py %s 2>&1", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    status = pclose(p);
    if (status != 0)
        fail_msg("the HTML checker found problems:\n%s", out);
    unlink(path);
}

static void test_eda_html_unfinished_stats_refused(void **state)
{
    struct eda_stats *st = NULL;
    struct eda_source src = {.file = "x.csv"};
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(eda_stats_new(&schema, &st, &err), NS_OK);
    assert_int_equal(eda_html_write(stdout, st, &src, &err), NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "eda_stats_finish"));
    eda_stats_free(st);
}

static void test_eda_csv_cleaning_counts_match_hand_count(void **state)
{
    struct clean_report rep;
    struct eda_stats *st = stats_of_csv(&rep);

    (void)state;
    if (rep.rows_read != 23 || rep.rows_kept != 20)
        fail_msg("%s: expected 23 rows read and 20 kept, got %zu and %zu",
                 fixture, rep.rows_read, rep.rows_kept);
    assert_int_equal(rep.dropped[CLEAN_DUPLICATE], 1);
    assert_int_equal(rep.dropped[CLEAN_BAD_VALUE], 1);
    assert_int_equal(rep.dropped[CLEAN_NEGATIVE_LEAD], 1);
    assert_int_equal(st->rows, 20);
    eda_stats_free(st);
}

/* Runs "noshow eda" with up to three arguments, as the shell would. */
static int run_eda(const char *a1, const char *a2, const char *a3)
{
    const char *args[] = {"eda", a1, a2, a3};
    char *argv[5] = {NULL};
    int argc = 0, code;

    for (size_t i = 0; i < 4 && args[i]; i++)
        argv[argc++] = strdup(args[i]);
    code = cmd_eda(argc, argv);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return code;
}

static void test_eda_command_reports_fixture(void **state)
{
    char path[64];
    char *html;
    int fd;

    (void)state;
    snprintf(path, sizeof(path), "/tmp/noshow-eda-cmd-XXXXXX.html");
    fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(run_eda(fixture, "-o", path), CLI_EXIT_OK);
    html = slurp(path);
    assert_non_null(strstr(html, "<section id=\"data-quality\">"));
    assert_non_null(strstr(html, "dropped: duplicate</th><td>1<"));
    assert_non_null(strstr(html, "dropped: negative_lead</th><td>1<"));
    assert_non_null(strstr(html, "<h3>First 3 rejected rows</h3>"));
    assert_non_null(strstr(html, "<td class=\"t\">abc</td>"));
    if (strstr(html, "<script>alert"))
        fail_msg("a value from %s reached the page unescaped", fixture);
    free(html);
    unlink(path);
}

static void test_eda_command_bad_arguments_fail(void **state)
{
    (void)state;
    assert_int_equal(run_eda(fixture, NULL, NULL), CLI_EXIT_USAGE);
    assert_int_equal(run_eda(fixture, "--sep", "|"), CLI_EXIT_USAGE);
    assert_int_equal(run_eda("tests/fixtures/report/none.csv", "-o",
                             "/tmp/noshow-eda-none.html"), CLI_EXIT_FAIL);
}

int main(void)
{
#define FROM_CSV(f) {#f "_from_csv", f, NULL, NULL, &from_csv}
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eda_stats_class_balance_matches_hand_count),
        cmocka_unit_test(test_eda_stats_lead_buckets_match_hand_count),
        cmocka_unit_test(test_eda_lead_bucket_edges_follow_bucket_names),
        cmocka_unit_test(test_eda_stats_weekday_and_age_match_hand_count),
        cmocka_unit_test(test_eda_stats_age_summary_matches_hand_count),
        cmocka_unit_test(test_eda_stats_categories_most_frequent_first),
        cmocka_unit_test(test_eda_stats_binary_and_small_numbers_by_value),
        cmocka_unit_test(test_eda_stats_correlation_matches_phi),
        cmocka_unit_test(test_eda_stats_missing_values_counted_apart),
        cmocka_unit_test(test_eda_stats_long_tail_gets_one_bar),
        cmocka_unit_test(test_eda_stats_fractional_values_get_round_bars),
        cmocka_unit_test(test_eda_stats_add_after_finish_is_refused),
        cmocka_unit_test(test_eda_html_has_every_section),
        cmocka_unit_test(test_eda_html_escapes_data_and_loads_nothing),
        cmocka_unit_test(test_eda_html_is_well_formed),
        cmocka_unit_test(test_eda_html_unfinished_stats_refused),
        FROM_CSV(test_eda_stats_class_balance_matches_hand_count),
        FROM_CSV(test_eda_stats_lead_buckets_match_hand_count),
        FROM_CSV(test_eda_stats_weekday_and_age_match_hand_count),
        FROM_CSV(test_eda_stats_age_summary_matches_hand_count),
        FROM_CSV(test_eda_stats_categories_most_frequent_first),
        FROM_CSV(test_eda_stats_binary_and_small_numbers_by_value),
        FROM_CSV(test_eda_stats_correlation_matches_phi),
        cmocka_unit_test(test_eda_csv_cleaning_counts_match_hand_count),
        cmocka_unit_test(test_eda_command_reports_fixture),
        cmocka_unit_test(test_eda_command_bad_arguments_fail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
