/* Cleaning: one test per drop reason, the missing-value policies, the
 * duplicate set, the rejects file, the report, and the real data set
 * end to end. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/clean.h"
#include "data/testutil.h"
#include "util/timeutil.h"

#define HEADER                                                             \
    "PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,"      \
    "Neighbourhood,Scholarship,Hipertension,Diabetes,Alcoholism,Handcap,"  \
    "SMS_received,No-show"
#define GOOD_HEAD "11,22,F,2016-04-29T18:38:08Z,"

struct fixture {
    struct schema *s;
    struct schema_binding *b;
    struct record *r;
    struct trow header;
    struct trow row;
    enum clean_reason why;
    struct ns_error err;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct ns_error err;

    if (f == NULL || schema_builtin("kaggle-noshow", &f->s, &err) != NS_OK)
        return -1;
    trow_make(&f->header, 1, HEADER);
    if (schema_bind(f->s, &f->header.row, "t.csv", &f->b, &err) != NS_OK)
        return -1;
    f->r = record_new(f->s);
    *state = f;
    return f->r ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    record_free(f->r);
    schema_binding_free(f->b);
    schema_free(f->s);
    free(f);
    return 0;
}

static enum ns_err clean(struct fixture *f, const char *csv)
{
    f->why = CLEAN_OK;
    memset(&f->err, 0, sizeof(f->err));
    return clean_csv_row(f->s, f->b, "t.csv", trow_make(&f->row, 7, csv),
                         true, f->r, &f->why, &f->err);
}

static double num(struct fixture *f, const char *col)
{
    return f->r->num[schema_find_name(f->s, col)];
}

static void test_clean_good_row_fills_record(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02T00:00:00Z,62,JARDIM,"
                           "0,1,yes,TRUE,2,1,Yes"), NS_OK);
    assert_int_equal(f->why, CLEAN_OK);
    assert_int_equal(f->r->line, 7);
    assert_string_equal(f->r->patient, "11");
    assert_string_equal(f->r->appt_id, "22");
    assert_int_equal(f->r->booked_at,
                     16920LL * 86400 + 18 * 3600 + 38 * 60 + 8);
    assert_int_equal(f->r->appt_day, 16923);
    assert_int_equal(f->r->appt_time, -1);
    assert_int_equal(f->r->label, 1);
    assert_true(num(f, "Age") == 62);
    assert_true(num(f, "Hipertension") == 1);
    assert_true(num(f, "Diabetes") == 1);
    assert_true(num(f, "Alcoholism") == 1);
    assert_true(num(f, "Handcap") == 2);
    assert_string_equal(f->r->text[schema_find_name(f->s, "Gender")], "F");
    assert_null(f->r->text[schema_find_name(f->s, "Age")]);
}

static void test_clean_blanks_around_numbers_are_ignored(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, " 11 ,22,F ,2016-04-29 ,2016-05-02, 62 ,X,"
                           " 0,1 ,0,0,0,0, Yes "), NS_OK);
    assert_true(num(f, "Age") == 62);
    assert_int_equal(f->r->label, 1);
    /* Identifiers and categories are kept as written (a limitation). */
    assert_string_equal(f->r->patient, " 11 ");
    assert_string_equal(f->r->text[schema_find_name(f->s, "Gender")], "F ");
}

static void test_clean_ages_over_100_are_kept(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,115,X,0,0,0,0,0,0,No"),
                     NS_OK);
    assert_true(num(f, "Age") == 115);
    assert_int_equal(f->r->label, 0);
}

static void test_clean_not_a_number_message_is_exact(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,abc,X,0,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_BAD_VALUE);
    assert_string_equal(f->err.field, "Age");
    assert_string_equal(f->err.msg, "t.csv:7:6: column 'Age': value 'abc' "
                        "is not a number; expected an integer from 0 to "
                        "115");
}

static void test_clean_out_of_range_and_fraction(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,-1,X,0,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_OUT_OF_RANGE);
    assert_contains(f->err.msg, "value '-1' is out of range; expected an "
                    "integer from 0 to 115");
    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,3.5,X,0,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_BAD_VALUE);
    assert_contains(f->err.msg, "'3.5' is not an integer");
    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,1,X,0,0,0,0,5,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_OUT_OF_RANGE);
    assert_contains(f->err.msg, "t.csv:7:12: column 'Handcap': value '5'");
    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,0x1,X,0,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_BAD_VALUE);
}

static void test_clean_bad_binary_and_date(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,1,X,2,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_BAD_VALUE);
    assert_contains(f->err.msg, "t.csv:7:8: column 'Scholarship': value "
                    "'2' is not binary; expected 0 or 1");
    assert_int_equal(clean(f, GOOD_HEAD "2016-02-30,1,X,0,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_BAD_VALUE);
    assert_string_equal(f->err.field, "AppointmentDay");
    assert_contains(f->err.msg, "t.csv:7:5: column 'AppointmentDay': value "
                    "'2016-02-30' is not a date; expected YYYY-MM-DD");
    assert_int_equal(clean(f, "11,22,F,yesterday,2016-05-02,1,X,0,0,0,0,0,"
                           "0,No"), NS_ERR_INVALID);
    assert_contains(f->err.msg, "t.csv:7:4: column 'ScheduledDay': value "
                    "'yesterday' is not a date-time");
}

static void test_clean_negative_lead_names_both_days(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, "11,22,F,2016-05-04T08:00:00Z,2016-05-03,1,X,"
                           "0,0,0,0,0,0,No"), NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_NEGATIVE_LEAD);
    assert_string_equal(f->err.field, "AppointmentDay");
    assert_contains(f->err.msg, "t.csv:7:5: column 'AppointmentDay': "
                    "appointment day 2016-05-03 is before the booking day "
                    "2016-05-04");
    /* Booked late on the day itself: lead 0, kept. */
    assert_int_equal(clean(f, "11,22,F,2016-05-03T23:59:00Z,2016-05-03,1,X,"
                           "0,0,0,0,0,0,No"), NS_OK);
}

static void test_clean_labels_exact_then_any_case(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,1,X,0,0,0,0,0,0,yes"),
                     NS_OK);
    assert_int_equal(f->r->label, 1);
    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,1,X,0,0,0,0,0,0,NO"),
                     NS_OK);
    assert_int_equal(f->r->label, 0);
    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,1,X,0,0,0,0,0,0,Maybe"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_BAD_LABEL);
    assert_contains(f->err.msg, "t.csv:7:14: column 'No-show': value "
                    "'Maybe' is not a known outcome; expected Yes (positive)"
                    " or No (negative)");
}

static void test_clean_empty_values_follow_policy(void **state)
{
    struct fixture *f = *state;
    struct csv_field vals[14];
    enum clean_reason why;
    struct ns_error err;

    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,,X,0,0,0,0,0,0,No"),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_MISSING);
    assert_contains(f->err.msg, "t.csv:7:6: column 'Age': value '' is "
                    "empty");
    assert_int_equal(clean(f, GOOD_HEAD "2016-05-02,1,X,0,0,0,0,0,0, "),
                     NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_MISSING);
    /* Scoring: no outcome needed, and an absent column is no error. */
    trow_make(&f->row, 3, GOOD_HEAD "2016-05-02,1,X,0,0,0,0,0,0,No");
    for (size_t i = 0; i < 14; i++)
        vals[i] = f->row.f[f->b->field_of_col[i]];
    vals[13].ptr = NULL;
    assert_int_equal(clean_values(f->s, vals, false, f->r, &why, &err),
                     NS_OK);
    assert_int_equal(f->r->label, -1);
    assert_int_equal(clean_values(f->s, vals, true, f->r, &why, &err),
                     NS_ERR_INVALID);
    assert_int_equal(why, CLEAN_MISSING);
    assert_string_equal(err.field, "No-show");
}

static void test_clean_impute_keep_and_time_of_day(void **state)
{
    static const char text[] =
        "schema t\n"
        "column B booked_at\n"
        "column D appointment_date\n"
        "column N numeric missing=impute impute=4\n"
        "column K numeric missing=keep\n"
        "column C categorical missing=impute impute=other\n"
        "column Y target positive=1 negative=0\n";
    struct schema *s = NULL;
    struct record *r;
    struct csv_field v[6] = {
        {"2016-05-01 10:00", 16}, {"2016-05-02T14:30:00Z", 20}, {"", 0},
        {" ", 1}, {"", 0}, {"0", 1},
    };
    enum clean_reason why;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_parse(text, strlen(text), "t", &s, &err), NS_OK);
    r = record_new(s);
    assert_non_null(r);
    assert_int_equal(clean_values(s, v, true, r, &why, &err), NS_OK);
    assert_true(r->num[2] == 4);
    assert_true(isnan(r->num[3]));
    assert_string_equal(r->text[4], "other");
    assert_int_equal(r->appt_time, 14 * 3600 + 30 * 60);
    assert_int_equal(r->appt_day, 16923);
    record_free(r);
    schema_free(s);
}

static void test_clean_time_column_wins_over_date_time(void **state)
{
    struct schema *s = NULL;
    struct record *r;
    struct csv_field v[27] = {{0}};
    enum clean_reason why;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_builtin("doctolib", &s, &err), NS_OK);
    r = record_new(s);
    assert_non_null(r);
    v[schema_find_name(s, "Appointment_Booking_Date")] =
        (struct csv_field){"2016-05-01", 10};
    v[schema_find_name(s, "Appointment_Date")] =
        (struct csv_field){"2016-05-02 16:00", 16};
    v[schema_find_name(s, "Appointment_Time")] =
        (struct csv_field){"09:15", 5};
    v[schema_find_name(s, "Distance_km")] = (struct csv_field){"2,5", 3};
    assert_int_equal(clean_values(s, v, false, r, &why, &err), NS_OK);
    assert_int_equal(r->appt_time, 9 * 3600 + 15 * 60);
    assert_true(r->num[schema_find_name(s, "Distance_km")] == 2.5);
    v[schema_find_name(s, "Appointment_Time")] =
        (struct csv_field){"9h15", 4};
    assert_int_equal(clean_values(s, v, false, r, &why, &err),
                     NS_ERR_INVALID);
    assert_contains(err.msg, "is not a time of day; expected HH:MM");
    record_free(r);
    schema_free(s);
}

/* Plain decimals are read without strtod; every one must give strtod's
 * double to the bit, for 1 to 18 digits with the point anywhere. */
static void test_clean_decimals_read_as_strtod_does(void **state)
{
    struct schema *s = NULL;
    struct record *r;
    struct csv_field v[27] = {{0}};
    enum clean_reason why;
    struct ns_error err;
    int fee;
    uint64_t x = 88172645463325252ULL;

    (void)state;
    assert_int_equal(schema_builtin("doctolib", &s, &err), NS_OK);
    r = record_new(s);
    assert_non_null(r);
    fee = schema_find_name(s, "Average_Fee");
    for (int i = 0; i < 20000; i++) {
        char text[32];
        size_t n = 0, digits;
        double want, got;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        digits = 1 + x % 18;
        for (size_t k = 0; k < digits; k++) {
            if (k == (x >> 8) % (digits + 1) && i % 7 != 0)
                text[n++] = '.';
            text[n++] = (char)('0' + (x >> (k * 3 % 60)) % 10);
        }
        if (i % 11 == 0 && memchr(text, '.', n) == NULL)
            text[n++] = '.';
        text[n] = '\0';
        want = strtod(text, NULL);
        v[fee] = (struct csv_field){text, n};
        if (clean_values(s, v, false, r, &why, &err) != NS_OK)
            fail_msg("'%s': %s", text, err.msg);
        got = r->num[fee];
        if (memcmp(&got, &want, sizeof(got)) != 0)
            fail_msg("'%s': read %.17g, strtod %.17g", text, got, want);
    }
    record_free(r);
    schema_free(s);
}

static void test_clean_field_count_names_row(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(clean(f, "1,2,3"), NS_ERR_INVALID);
    assert_int_equal(f->why, CLEAN_FIELD_COUNT);
    assert_string_equal(f->err.msg, "t.csv:7:4: row has 3 fields; expected "
                        "14 as in the header");
}

static void test_clean_dedup_spots_exact_copies(void **state)
{
    struct clean_dedup *d = clean_dedup_new();
    struct trow t;
    bool dup;

    (void)state;
    assert_non_null(d);
    assert_int_equal(clean_dedup_check(d, trow_make(&t, 2, "a,bc"), &dup),
                     NS_OK);
    assert_false(dup);
    assert_int_equal(clean_dedup_check(d, trow_make(&t, 3, "ab,c"), &dup),
                     NS_OK);
    assert_false(dup);
    assert_int_equal(clean_dedup_check(d, trow_make(&t, 4, "a,bc"), &dup),
                     NS_OK);
    assert_true(dup);
    /* Enough rows to grow the table several times. */
    for (int i = 0; i < 5000; i++) {
        char s[32];

        snprintf(s, sizeof(s), "%d,x", i);
        assert_int_equal(clean_dedup_check(d, trow_make(&t, 5, s), &dup),
                         NS_OK);
        assert_false(dup);
    }
    assert_int_equal(clean_dedup_check(d, trow_make(&t, 6, "4321,x"), &dup),
                     NS_OK);
    assert_true(dup);
    /* Values longer than a word that differ only in their last bytes:
     * the tail past the last whole word counts. */
    static const char *const longer[] = {
        "2016-04-29T18:38:08Z,x", "2016-04-29T18:38:09Z,x",
        "JARDIM DA PENHA,1", "JARDIM DA PENHB,1", "12345678,y",
        "123456789,y", "1234567,y"};
    for (size_t i = 0; i < sizeof(longer) / sizeof(longer[0]); i++) {
        assert_int_equal(clean_dedup_check(d, trow_make(&t, 7, longer[i]),
                                           &dup), NS_OK);
        assert_false(dup);
    }
    assert_int_equal(clean_dedup_check(d, trow_make(&t, 8, longer[3]),
                                       &dup), NS_OK);
    assert_true(dup);
    clean_dedup_free(d);
    clean_dedup_free(NULL);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 4096);

    if (f && buf)
        (void)!fread(buf, 1, 4095, f);
    if (f)
        fclose(f);
    return buf;
}

static void test_clean_rejects_file_has_reason_columns(void **state)
{
    char path[] = "/tmp/noshow-test-rejects-XXXXXX";
    int fd = mkstemp(path);
    struct clean_rejects *rj = NULL;
    struct ns_error err;
    struct trow h, r;
    char *text;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(clean_rejects_open(path, trow_make(&h, 1, "a,b"), ',',
                                        &rj, &err), NS_OK);
    assert_int_equal(clean_rejects_write(rj, trow_make(&r, 4, "1,x"),
                                         CLEAN_OUT_OF_RANGE,
                                         "column 'a': value, quoted"),
                     NS_OK);
    assert_int_equal(clean_rejects_write(rj, trow_make(&r, 9, "only"),
                                         CLEAN_FIELD_COUNT, "short"),
                     NS_OK);
    assert_int_equal(clean_rejects_close(rj, true), NS_OK);
    text = slurp(path);
    unlink(path);
    assert_string_equal(text,
                        "a,b,reject_line,reject_reason,reject_detail\n"
                        "1,x,4,out_of_range,\"column 'a': value, quoted\"\n"
                        "only,,9,field_count,short\n");
    free(text);
    assert_int_equal(clean_rejects_open("/nonexistent/dir/r.csv", &h.row,
                                        ',', &rj, &err), NS_ERR_IO);
    assert_contains(err.msg, "/nonexistent/dir/r.csv: cannot create");
}

static void test_clean_report_counts_and_prints(void **state)
{
    struct clean_report rep = {0};
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);

    (void)state;
    clean_report_add(&rep, CLEAN_OK);
    clean_report_add(&rep, CLEAN_OK);
    clean_report_add(&rep, CLEAN_DUPLICATE);
    clean_report_add(&rep, CLEAN_NEGATIVE_LEAD);
    clean_report_print(&rep, m);
    fclose(m);
    assert_string_equal(out, "kept 2 of 4 rows; dropped: duplicate=1 "
                        "field_count=0 missing=0 bad_value=0 "
                        "out_of_range=0 negative_lead=1 bad_label=0\n");
    assert_string_equal(clean_reason_key(CLEAN_BAD_LABEL), "bad_label");
    free(out);
}

/* The real Vitoria file: counts checked against pandas (84,076 rows,
 * 5 booked after the day, 17,432 no-shows among the rows kept). */
static void test_clean_real_file_counts_match(void **state)
{
    const char *path = "data/noshow-vitoria-2016-until-may.csv";
    struct csv_reader *rd = NULL;
    struct schema *s = NULL;
    struct schema_binding *b = NULL;
    struct record *r = NULL;
    struct clean_dedup *d = clean_dedup_new();
    struct clean_report rep = {0};
    const struct csv_row *row;
    struct ns_error err, rowerr;
    size_t old = 0, yes = 0;
    enum ns_err rc;

    (void)state;
    assert_int_equal(csv_reader_open(path, NULL, &rd, &err), NS_OK);
    assert_int_equal(csv_reader_next(rd, &row, &err), NS_OK);
    assert_int_equal(schema_detect(row, &s, &err), NS_OK);
    assert_string_equal(s->name, "kaggle-noshow");
    assert_int_equal(schema_bind(s, row, path, &b, &err), NS_OK);
    r = record_new(s);
    while ((rc = csv_reader_next(rd, &row, &err)) == NS_OK) {
        enum clean_reason why = CLEAN_OK;
        bool dup;

        assert_int_equal(clean_dedup_check(d, row, &dup), NS_OK);
        if (dup)
            why = CLEAN_DUPLICATE;
        else
            (void)!clean_csv_row(s, b, path, row, true, r, &why, &rowerr);
        clean_report_add(&rep, why);
        if (why == CLEAN_OK && r->num[schema_find_name(s, "Age")] > 100)
            old++;
        if (why == CLEAN_OK)
            yes += r->label == 1;
    }
    assert_int_equal(rc, NS_DONE);
    assert_int_equal(rep.rows_read, 84076);
    assert_int_equal(rep.dropped[CLEAN_NEGATIVE_LEAD], 5);
    assert_int_equal(rep.dropped[CLEAN_DUPLICATE], 0);
    assert_int_equal(rep.rows_kept, 84071);
    assert_int_equal(old, 5);
    assert_int_equal(yes, 17432);
    record_free(r);
    clean_dedup_free(d);
    schema_binding_free(b);
    schema_free(s);
    csv_reader_close(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_good_row_fills_record,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_clean_blanks_around_numbers_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_ages_over_100_are_kept,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_clean_not_a_number_message_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_clean_out_of_range_and_fraction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_bad_binary_and_date,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_clean_negative_lead_names_both_days, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_clean_labels_exact_then_any_case, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_clean_empty_values_follow_policy, setup, teardown),
        cmocka_unit_test(test_clean_impute_keep_and_time_of_day),
        cmocka_unit_test(test_clean_time_column_wins_over_date_time),
        cmocka_unit_test(test_clean_decimals_read_as_strtod_does),
        cmocka_unit_test_setup_teardown(test_clean_field_count_names_row,
                                        setup, teardown),
        cmocka_unit_test(test_clean_dedup_spots_exact_copies),
        cmocka_unit_test(test_clean_rejects_file_has_reason_columns),
        cmocka_unit_test(test_clean_report_counts_and_prints),
        cmocka_unit_test(test_clean_real_file_counts_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
