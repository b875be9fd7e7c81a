/* The synthetic data generator: determinism, the doctolib header, and
 * the seeded effects it documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/clean.h"
#include "data/csv.h"
#include "data/generate.h"
#include "data/record.h"
#include "data/schema.h"
#include "util/timeutil.h"

/* Generates rows with seed into a malloc'ed string; *len gets its size. */
static char *generate_text(uint64_t seed, uint64_t rows, size_t *len)
{
    struct generate_opts o;
    struct ns_error err = {0};
    char *data = NULL;
    FILE *f = open_memstream(&data, len);

    assert_non_null(f);
    generate_opts_default(&o);
    o.seed = seed;
    o.rows = rows;
    if (generate_write_csv(&o, f, "memory", &err) != NS_OK)
        fail_msg("generate_write_csv failed: %s", err.msg);
    assert_int_equal(fclose(f), 0);
    return data;
}

static void test_generate_same_seed_gives_identical_bytes(void **state)
{
    size_t n1, n2;
    char *a = generate_text(42, 1000, &n1);
    char *b = generate_text(42, 1000, &n2);

    (void)state;
    if (n1 != n2 || memcmp(a, b, n1) != 0)
        fail_msg("two runs with seed 42 differ (%zu vs %zu bytes)", n1, n2);
    free(a);
    free(b);
}

static void test_generate_other_seed_gives_other_rows(void **state)
{
    size_t n1, n2;
    char *a = generate_text(42, 1000, &n1);
    char *b = generate_text(43, 1000, &n2);

    (void)state;
    if (n1 == n2 && memcmp(a, b, n1) == 0)
        fail_msg("seeds 42 and 43 produced the same 1,000 rows");
    free(a);
    free(b);
}

static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

static void test_generate_header_and_rows_have_27_columns(void **state)
{
    size_t n;
    char *text = generate_text(7, 200, &n);
    char *line = text;
    size_t lines = 0;
    const char *want =
        "Patient_Id,Appointment_Id,Appointment_Booking_Date,"
        "Appointment_Date,Appointment_Time,Scholarship,Hypertension,"
        "Diabetes,Alcoholism,Disability,"
        "Days_Between_Scheduling_and_Appointment,Hospital_Area,Specialty,"
        "Facility_Type,Distance_km,Type_of_Care,Previously_Treated,Age,"
        "Social_Status,SMS_Received,Weather_Conditions,Gender,"
        "Consultations_Last_12_Months,Waiting_Time_Minutes,"
        "Hospital_Rating,Average_Fee,Appointment_Status\n";

    (void)state;
    if (strncmp(text, want, strlen(want)) != 0)
        fail_msg("header differs from the doctolib column order");
    while (line < text + n) {
        char *end = memchr(line, '\n', (size_t)(text + n - line));

        assert_non_null(end);
        if (count_char(line, (size_t)(end - line), ',') != 26)
            fail_msg("line %zu has %zu commas, expected 26", lines + 1,
                     count_char(line, (size_t)(end - line), ','));
        lines++;
        line = end + 1;
    }
    assert_int_equal(lines, 201);
    free(text);
}

/* Rows are valid by construction: leads match the dates, same-day
 * bookings come before the appointment, ranges hold. */
static void test_generate_rows_are_consistent(void **state)
{
    struct generate_opts o;
    struct generate *g = NULL;
    struct generate_row r;

    (void)state;
    generate_opts_default(&o);
    assert_int_equal(generate_new(&o, &g, NULL), NS_OK);
    for (int i = 0; i < 20000; i++) {
        generate_next(g, &r);
        if (ns_day_of(r.booked_at) + r.lead_days != r.appt_day)
            fail_msg("row %d: booking day + lead != appointment day", i);
        if (r.lead_days == 0 &&
            ns_second_of_day(r.booked_at) >= r.appt_time)
            fail_msg("row %d: same-day booking after the appointment", i);
        if (r.rating < 1 || r.rating > 5 || r.age < 0 || r.age > 95)
            fail_msg("row %d: rating %d or age %d out of range", i,
                     r.rating, r.age);
        if (r.appt_day < o.start_day || r.appt_day >= o.start_day + o.days)
            fail_msg("row %d: appointment day outside the span", i);
        if (r.lead_days == 0 && r.sms)
            fail_msg("row %d: SMS sent for a same-day booking", i);
    }
    generate_free(g);
}

struct rate {
    double missed;
    double n;
};

static double rate_of(const struct rate *r)
{
    return r->n > 0 ? r->missed / r->n : -1.0;
}

static void add(struct rate *r, int status)
{
    r->missed += status;
    r->n += 1;
}

static void test_generate_base_rate_and_effects_hold(void **state)
{
    struct generate_opts o;
    struct generate *g = NULL;
    struct generate_row r;
    struct rate all = {0, 0}, sms = {0, 0}, nosms = {0, 0};
    struct rate short_lead = {0, 0}, long_lead = {0, 0};
    struct rate sunny = {0, 0}, stormy = {0, 0};

    (void)state;
    generate_opts_default(&o);
    o.seed = 2016;
    assert_int_equal(generate_new(&o, &g, NULL), NS_OK);
    for (int i = 0; i < 50000; i++) {
        generate_next(g, &r);
        add(&all, r.status);
        /* Compare SMS within one lead band, since SMS needs lead >= 2. */
        if (r.lead_days >= 7 && r.lead_days <= 30)
            add(r.sms ? &sms : &nosms, r.status);
        if (!r.sms && r.lead_days >= 1 && r.lead_days <= 3)
            add(&short_lead, r.status);
        if (!r.sms && r.lead_days >= 30)
            add(&long_lead, r.status);
        if (strcmp(r.weather, "Sunny") == 0)
            add(&sunny, r.status);
        else if (strcmp(r.weather, "Stormy") == 0)
            add(&stormy, r.status);
    }
    generate_free(g);
    if (rate_of(&all) < 0.17 || rate_of(&all) > 0.23)
        fail_msg("missed rate %.3f, expected about 0.20", rate_of(&all));
    if (!(rate_of(&sms) < rate_of(&nosms) - 0.03))
        fail_msg("SMS should lower the rate: with %.3f, without %.3f",
                 rate_of(&sms), rate_of(&nosms));
    if (!(rate_of(&long_lead) > rate_of(&short_lead) + 0.05))
        fail_msg("lead >= 30 days should raise the rate: %.3f vs %.3f",
                 rate_of(&long_lead), rate_of(&short_lead));
    if (!(rate_of(&stormy) > rate_of(&sunny) + 0.05))
        fail_msg("stormy weather should raise the rate: %.3f vs %.3f",
                 rate_of(&stormy), rate_of(&sunny));
}

/* Same patient id, same traits: the history signal depends on it. */
static void test_generate_patient_keeps_traits(void **state)
{
    struct generate_opts o;
    struct generate *g = NULL;
    struct generate_row r;
    struct generate_row first[50];
    int seen[50] = {0};
    int repeats = 0;

    (void)state;
    generate_opts_default(&o);
    o.patients = 50;
    assert_int_equal(generate_new(&o, &g, NULL), NS_OK);
    for (int i = 0; i < 2000; i++) {
        size_t k;

        generate_next(g, &r);
        k = (size_t)(r.patient_id - 100000000ULL);
        assert_true(k < 50);
        if (!seen[k]) {
            first[k] = r;
            seen[k] = 1;
            continue;
        }
        repeats++;
        if (first[k].age != r.age || first[k].gender != r.gender ||
            first[k].propensity != r.propensity)
            fail_msg("patient %zu changed age, gender or propensity", k);
    }
    generate_free(g);
    assert_true(repeats > 1000);
}

/* Every column of the doctolib schema is found in the generated header,
 * and every generated row passes cleaning. */
static void test_generate_binds_doctolib_and_rows_clean(void **state)
{
    size_t n;
    char *text = generate_text(11, 500, &n);
    struct ns_error err = {0};
    struct csv_reader *rd = NULL;
    struct schema *s = NULL;
    struct schema_binding *b = NULL;
    struct record *rec = NULL;
    const struct csv_row *row;
    enum clean_reason reason;
    size_t kept = 0;

    (void)state;
    assert_int_equal(csv_reader_open_mem(text, n, "gen", NULL, &rd, &err),
                     NS_OK);
    assert_int_equal(csv_reader_next(rd, &row, &err), NS_OK);
    if (schema_builtin("doctolib", &s, &err) != NS_OK ||
        schema_bind(s, row, "gen", &b, &err) != NS_OK)
        fail_msg("doctolib does not bind: %s", err.msg);
    for (size_t c = 0; c < s->ncols; c++) {
        if (b->field_of_col[c] < 0)
            fail_msg("column %s is missing", s->cols[c].name);
    }
    rec = record_new(s);
    assert_non_null(rec);
    while (csv_reader_next(rd, &row, &err) == NS_OK) {
        if (clean_csv_row(s, b, "gen", row, true, rec, &reason, &err) !=
            NS_OK)
            fail_msg("generated row dropped: %s", err.msg);
        kept++;
    }
    assert_int_equal(kept, 500);
    record_free(rec);
    schema_binding_free(b);
    schema_free(s);
    csv_reader_close(rd);
    free(text);
}

static void test_generate_rejects_zero_days(void **state)
{
    struct generate_opts o;
    struct generate *g = NULL;
    struct ns_error err = {0};

    (void)state;
    generate_opts_default(&o);
    o.days = 0;
    assert_int_equal(generate_new(&o, &g, &err), NS_ERR_INVALID);
    assert_null(g);
    if (strstr(err.msg, "days") == NULL)
        fail_msg("message should name days: %s", err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_same_seed_gives_identical_bytes),
        cmocka_unit_test(test_generate_other_seed_gives_other_rows),
        cmocka_unit_test(test_generate_header_and_rows_have_27_columns),
        cmocka_unit_test(test_generate_rows_are_consistent),
        cmocka_unit_test(test_generate_base_rate_and_effects_hold),
        cmocka_unit_test(test_generate_patient_keeps_traits),
        cmocka_unit_test(test_generate_binds_doctolib_and_rows_clean),
        cmocka_unit_test(test_generate_rejects_zero_days),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
