/* The schema language, the built-in schemas, detection from a header and
 * binding to a header. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "data/schema.h"
#include "data/testutil.h"

#define KAGGLE_HEADER                                                      \
    "PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,"      \
    "Neighbourhood,Scholarship,Hipertension,Diabetes,Alcoholism,Handcap,"  \
    "SMS_received,No-show"

#define DOCTOLIB_HEADER                                                    \
    "Appointment_Booking_Date,Appointment_Date,Appointment_Time,"          \
    "Days_Between_Scheduling_and_Appointment,Scholarship,Hypertension,"    \
    "Diabetes,Alcoholism,Disability,Hospital_Area,Specialty,"              \
    "Facility_Type,Type_of_Care,Social_Status,Weather_Conditions,Gender,"  \
    "Distance_km,Previously_Treated,Age,SMS_Received,"                     \
    "Consultations_Last_12_Months,Waiting_Time_Minutes,Hospital_Rating,"   \
    "Average_Fee,Appointment_Status"

/* Parses text that must fail and returns the message. */
static const char *parse_fails(const char *text, struct ns_error *err)
{
    struct schema *s = NULL;

    assert_int_equal(schema_parse(text, strlen(text), "my.schema", &s, err),
                     NS_ERR_PARSE);
    assert_null(s);
    return err->msg;
}

static void test_schema_builtin_kaggle_has_every_role(void **state)
{
    struct schema *s = NULL;
    struct ns_error err;
    const struct schema_column *age, *target;

    (void)state;
    assert_int_equal(schema_builtin("kaggle-noshow", &s, &err), NS_OK);
    assert_string_equal(s->name, "kaggle-noshow");
    assert_int_equal(s->ncols, 14);
    assert_int_equal(schema_find_role(s, ROLE_PATIENT_ID),
                     schema_find_name(s, "PatientId"));
    assert_int_equal(schema_find_role(s, ROLE_BOOKED_AT),
                     schema_find_name(s, "ScheduledDay"));
    assert_int_equal(schema_find_role(s, ROLE_APPT_DATE),
                     schema_find_name(s, "AppointmentDay"));
    assert_int_equal(schema_find_role(s, ROLE_APPT_TIME), -1);
    age = &s->cols[schema_find_name(s, "Age")];
    assert_true(age->integer);
    assert_true(age->min == 0 && age->max == 115);
    assert_string_equal(age->label, "age");
    target = &s->cols[schema_find_role(s, ROLE_TARGET)];
    assert_string_equal(target->name, "No-show");
    assert_string_equal(target->positive[0], "Yes");
    assert_string_equal(target->negative[0], "No");
    assert_false(target->required);
    assert_string_equal(
        s->cols[schema_find_name(s, "SMS_received")].label,
        "SMS reminder received");
    assert_non_null(strstr(s->text, "schema kaggle-noshow"));
    schema_free(s);
}

static void test_schema_builtin_doctolib_ignores_lead_days(void **state)
{
    struct schema *s = NULL;
    struct ns_error err;
    int i;

    (void)state;
    assert_int_equal(schema_builtin("doctolib", &s, &err), NS_OK);
    i = schema_find_name(s, "Days_Between_Scheduling_and_Appointment");
    assert_true(i >= 0);
    assert_int_equal(s->cols[i].role, ROLE_IGNORE);
    assert_false(s->cols[i].required);
    i = schema_find_name(s, "Patient_Id");
    assert_int_equal(s->cols[i].role, ROLE_PATIENT_ID);
    assert_false(s->cols[i].required);
    i = schema_find_name(s, "Hospital_Rating");
    assert_true(s->cols[i].integer && s->cols[i].min == 1 &&
                s->cols[i].max == 5);
    i = schema_find_name(s, "Distance_km");
    assert_true(s->cols[i].min == 0 && isnan(s->cols[i].max));
    assert_int_equal(schema_find_role(s, ROLE_APPT_TIME),
                     schema_find_name(s, "Appointment_Time"));
    i = schema_find_role(s, ROLE_TARGET);
    assert_string_equal(s->cols[i].name, "Appointment_Status");
    assert_string_equal(s->cols[i].positive[0], "1");
    schema_free(s);
}

static void test_schema_unknown_builtin_is_not_found(void **state)
{
    struct schema *s = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_builtin("nope", &s, &err), NS_ERR_NOT_FOUND);
    assert_contains(err.msg, "'nope'");
    assert_contains(err.msg, "kaggle-noshow");
    assert_string_equal(schema_builtin_names()[0], "kaggle-noshow");
    assert_null(schema_builtin_names()[2]);
}

static void test_schema_full_language_parses(void **state)
{
    static const char text[] =
        "# a clinic export\n"
        "schema clinic\n"
        "\n"
        "column \"Appt Day\" appointment_date\n"
        "column Booked booked_at   # comment after words\n"
        "column Visits numeric integer=yes min=-1.5 max=1e3\n"
        "      missing=impute impute=0 label=\"visits \\\"so far\\\"\"\n"
        "column Area categorical missing=keep required=no\n"
        "column Missed target positive=Y,yes,1 negative=N,no,0\n";
    struct schema *s = NULL;
    struct ns_error err;
    const struct schema_column *c;

    (void)state;
    assert_int_equal(schema_parse(text, strlen(text), "c.schema", &s, &err),
                     NS_OK);
    assert_string_equal(s->name, "clinic");
    assert_int_equal(s->ncols, 5);
    assert_string_equal(s->cols[0].name, "Appt Day");
    assert_string_equal(s->cols[0].label, "Appt Day");
    c = &s->cols[2];
    assert_true(c->integer);
    assert_true(c->min == -1.5 && c->max == 1000);
    assert_int_equal(c->missing, MISSING_IMPUTE);
    assert_true(c->impute_num == 0);
    assert_string_equal(c->label, "visits \"so far\"");
    assert_int_equal(s->cols[3].missing, MISSING_KEEP);
    assert_false(s->cols[3].required);
    assert_true(s->cols[1].required);
    c = &s->cols[4];
    assert_int_equal(c->npositive, 3);
    assert_string_equal(c->positive[1], "yes");
    assert_string_equal(c->negative[2], "0");
    assert_string_equal(schema_role_name(c->role), "target");
    schema_free(s);
}

static void test_schema_unknown_role_lists_roles(void **state)
{
    struct ns_error err;
    const char *m;

    (void)state;
    m = parse_fails("schema x\ncolumn Age numerc\n", &err);
    assert_contains(m, "my.schema:2:");
    assert_contains(m, "unknown role 'numerc' for column 'Age'");
    assert_contains(m, "expected one of ignore, target");
}

static void test_schema_bad_options_name_token(void **state)
{
    struct ns_error err;

    (void)state;
    assert_contains(parse_fails("schema x\ncolumn A numeric colour=red\n",
                                &err),
                    "my.schema:2: unknown option 'colour=' for column 'A'");
    assert_contains(err.msg, "expected one of required=");
    assert_contains(parse_fails("schema x\ncolumn A numeric min=ten\n",
                                &err), "min=ten for column 'A' is not a "
                    "number");
    assert_contains(parse_fails("schema x\ncolumn A binary min=0\n", &err),
                    "expected it only on numeric columns");
    assert_contains(parse_fails("schema x\ncolumn A numeric positive=1\n",
                                &err), "only on the target column");
    assert_contains(parse_fails("schema x\ncolumn A numeric required=maybe"
                                "\n", &err),
                    "required=maybe for column 'A'; expected yes or no");
    assert_contains(parse_fails("schema x\ncolumn A numeric missing=skip\n",
                                &err),
                    "missing=skip for column 'A'; expected drop, impute or "
                    "keep");
    assert_contains(parse_fails("schema x\ncolumn A numeric fast\n", &err),
                    "unknown option 'fast'");
    assert_contains(parse_fails("schema x\ncolumn A patient_id impute=1\n",
                                &err), "impute= on column 'A'");
}

static void test_schema_structure_errors_name_line(void **state)
{
    struct ns_error err;

    (void)state;
    assert_contains(parse_fails("column A numeric\n", &err),
                    "my.schema:1: 'column' before the schema name");
    assert_contains(parse_fails("# only\n\n", &err),
                    "no 'schema NAME' line");
    assert_contains(parse_fails("schema x\n", &err), "my.schema:1: no "
                    "column");
    assert_contains(parse_fails("schema x\ncolumn A\n", &err),
                    "my.schema:2: 'column' needs a name and a role");
    assert_contains(parse_fails("schema x\ncolumn A numeric\nschema y\n",
                                &err), "my.schema:3: a second 'schema'");
    assert_contains(parse_fails("schema x\nrow A numeric\n", &err),
                    "unknown statement 'row'");
    assert_contains(parse_fails("schema x\n  min=1\n", &err),
                    "my.schema:2: indented line 'min=1' continues no "
                    "column");
    assert_contains(parse_fails("schema x\ncolumn A numeric label=\"open\n",
                                &err), "my.schema:2: unterminated quote");
    assert_contains(parse_fails("schema x\ncolumn A numeric\n"
                                "column A binary\n", &err),
                    "my.schema:3: column 'A' is declared twice");
}

static void test_schema_whole_column_checks_name_line(void **state)
{
    struct ns_error err;

    (void)state;
    assert_contains(parse_fails("schema x\ncolumn A numeric\n"
                                "column T target positive=1\n", &err),
                    "my.schema:3: target column 'T' needs both positive= "
                    "and negative=");
    assert_contains(parse_fails("schema x\ncolumn A numeric min=5 max=1\n",
                                &err), "my.schema:2: column 'A' has min=5 "
                    "above max=1");
    assert_contains(parse_fails("schema x\ncolumn A numeric missing=impute"
                                "\n", &err), "missing=impute but no "
                    "impute=");
    assert_contains(parse_fails("schema x\ncolumn A numeric max=3 "
                                "impute=9\n", &err), "imputes 9");
    assert_contains(parse_fails("schema x\ncolumn A booked_at\n"
                                "column B booked_at\n", &err),
                    "my.schema:3: column 'B' has role booked_at, already "
                    "given to 'A'");
}

static void test_schema_file_loads_and_names_errors(void **state)
{
    struct schema *s = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_load_file("tests/fixtures/data/clinic.schema",
                                      &s, &err), NS_OK);
    assert_string_equal(s->name, "clinic");
    assert_int_equal(s->ncols, 5);
    schema_free(s);
    assert_int_equal(schema_load_file("tests/fixtures/data/bad.schema", &s,
                                      &err), NS_ERR_PARSE);
    assert_contains(err.msg, "tests/fixtures/data/bad.schema:4: unknown "
                    "role 'date'");
    assert_int_equal(schema_load_file("tests/fixtures/data/none.schema", &s,
                                      &err), NS_ERR_IO);
    assert_contains(err.msg, "none.schema: cannot open");
}

static void test_schema_detect_picks_each_builtin(void **state)
{
    struct trow t;
    struct schema *s = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_detect(trow_make(&t, 1, KAGGLE_HEADER), &s,
                                   &err), NS_OK);
    assert_string_equal(s->name, "kaggle-noshow");
    schema_free(s);
    assert_int_equal(schema_detect(trow_make(&t, 1, DOCTOLIB_HEADER), &s,
                                   &err), NS_OK);
    assert_string_equal(s->name, "doctolib");
    schema_free(s);
    /* Without the outcome (a file to score) the schema still fits. */
    assert_int_equal(schema_detect(trow_make(&t, 1, "PatientId,"
        "AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,"
        "Neighbourhood,Scholarship,Hipertension,Diabetes,Alcoholism,"
        "Handcap,SMS_received,Extra"), &s, &err), NS_OK);
    assert_string_equal(s->name, "kaggle-noshow");
    schema_free(s);
}

static void test_schema_detect_failure_lists_what_lacks(void **state)
{
    struct trow t;
    struct schema *s = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_detect(trow_make(&t, 1, "PatientId,Age,When"),
                                   &s, &err), NS_ERR_INVALID);
    assert_null(s);
    assert_contains(err.msg, "no built-in schema fits");
    assert_contains(err.msg, "columns found: 'PatientId', 'Age', 'When'");
    assert_contains(err.msg, "kaggle-noshow lacks 'AppointmentID', "
                    "'Gender', 'ScheduledDay'");
    assert_contains(err.msg, "doctolib lacks 'Appointment_Booking_Date'");
    assert_contains(err.msg, "--schema FILE");
}

static void test_schema_duplicate_header_names_refused(void **state)
{
    struct trow t;
    struct schema *s = NULL;
    struct schema_binding *b = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_detect(trow_make(&t, 1, "a,Age,b,Age"), &s,
                                   &err), NS_ERR_INVALID);
    assert_contains(err.msg, "column 'Age' appears twice in the header "
                    "(fields 2 and 4)");
    assert_int_equal(schema_builtin("kaggle-noshow", &s, &err), NS_OK);
    assert_int_equal(schema_bind(s, &t.row, "f.csv", &b, &err),
                     NS_ERR_INVALID);
    assert_null(b);
    assert_contains(err.msg, "f.csv:1:4: column 'Age' appears twice");
    schema_free(s);
}

static void test_schema_bind_maps_and_reports_missing(void **state)
{
    struct trow t;
    struct schema *s = NULL;
    struct schema_binding *b = NULL;
    struct ns_error err;

    (void)state;
    assert_int_equal(schema_builtin("doctolib", &s, &err), NS_OK);
    assert_int_equal(schema_bind(s, trow_make(&t, 1, "Extra,"
                                              DOCTOLIB_HEADER), "d.csv",
                                 &b, &err), NS_OK);
    assert_int_equal(b->nfields, 26);
    assert_int_equal(b->field_of_col[schema_find_name(s, "Patient_Id")],
                     -1);
    assert_int_equal(
        b->field_of_col[schema_find_name(s, "Appointment_Booking_Date")],
        1);
    schema_binding_free(b);
    assert_int_equal(schema_bind(s, trow_make(&t, 1, "Gender,Age,Foo"),
                                 "d.csv", &b, &err), NS_ERR_INVALID);
    assert_contains(err.msg, "d.csv:1: missing required column(s) "
                    "'Appointment_Booking_Date', 'Appointment_Date'");
    assert_contains(err.msg, "of schema doctolib; columns found: 'Gender', "
                    "'Age', 'Foo'");
    schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_builtin_kaggle_has_every_role),
        cmocka_unit_test(test_schema_builtin_doctolib_ignores_lead_days),
        cmocka_unit_test(test_schema_unknown_builtin_is_not_found),
        cmocka_unit_test(test_schema_full_language_parses),
        cmocka_unit_test(test_schema_unknown_role_lists_roles),
        cmocka_unit_test(test_schema_bad_options_name_token),
        cmocka_unit_test(test_schema_structure_errors_name_line),
        cmocka_unit_test(test_schema_whole_column_checks_name_line),
        cmocka_unit_test(test_schema_file_loads_and_names_errors),
        cmocka_unit_test(test_schema_detect_picks_each_builtin),
        cmocka_unit_test(test_schema_detect_failure_lists_what_lacks),
        cmocka_unit_test(test_schema_duplicate_header_names_refused),
        cmocka_unit_test(test_schema_bind_maps_and_reports_missing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
