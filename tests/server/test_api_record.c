/* JSON records -> typed records through the one cleaning path: types
 * accepted per column, unknown and missing fields, ranges, and error
 * entries that name the field, the value and what was expected. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/api_int.h"
#include "util/timeutil.h"

static const char *const good =
    "{\"PatientId\": \"29872499824296\", \"AppointmentID\": 5642903,"
    " \"Gender\": \"F\", \"ScheduledDay\": \"2016-04-29T18:38:08Z\","
    " \"AppointmentDay\": \"2016-04-29T00:00:00Z\", \"Age\": 62,"
    " \"Neighbourhood\": \"JARDIM DA PENHA\", \"Scholarship\": 0,"
    " \"Hipertension\": 1, \"Diabetes\": 0, \"Alcoholism\": 0,"
    " \"Handcap\": 0, \"SMS_received\": false}";

static int setup(void **state)
{
    struct schema *s = NULL;

    if (schema_builtin("kaggle-noshow", &s, NULL) != NS_OK)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    schema_free(*state);
    return 0;
}

/* Parses text with one member replaced (or added, or removed when value
 * is NULL); returns the result and keeps errors for the caller. */
static enum ns_err parse_with(const struct schema *s, const char *field,
                              json_t *value, struct api_rec *r,
                              json_t **errors, struct ns_error *err)
{
    json_t *obj = json_loads(good, 0, NULL);
    enum ns_err rc;

    assert_non_null(obj);
    if (field && value)
        json_object_set_new(obj, field, value);
    else if (field)
        json_object_del(obj, field);
    rc = api_rec_parse(s, obj, "", r, errors, err);
    json_decref(obj);
    return rc;
}

static const char *entry(const json_t *errors, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(errors, i),
                                             key));
}

static void test_api_rec_valid_record_is_typed(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;
    int age = schema_find_name(s, "Age");
    int sms = schema_find_name(s, "SMS_received");
    int gender = schema_find_name(s, "Gender");

    assert_int_equal(parse_with(s, NULL, NULL, &r, &errors, &err), NS_OK);
    assert_null(errors);
    assert_true(r.rec->num[age] == 62.0);
    assert_true(r.rec->num[sms] == 0.0);
    assert_string_equal(r.rec->text[gender], "F");
    assert_string_equal(r.rec->patient, "29872499824296");
    assert_int_equal(r.rec->appt_day, ns_days_from_civil(2016, 4, 29));
    api_rec_free(&r);
}

static void test_api_rec_number_as_string_is_accepted(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;

    assert_int_equal(parse_with(s, "Age", json_string("30"), &r, &errors,
                                &err), NS_OK);
    assert_true(r.rec->num[schema_find_name(s, "Age")] == 30.0);
    api_rec_free(&r);
}

static void test_api_rec_wrong_type_names_field_and_expected(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;

    assert_int_equal(parse_with(s, "Age", json_pack("[i]", 1), &r, &errors,
                                &err), NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "Age");
    assert_non_null(strstr(entry(errors, 0, "expected"), "integer"));
    assert_true(json_is_array(json_object_get(json_array_get(errors, 0),
                                              "value")));
    json_decref(errors);
    api_rec_free(&r);
}

static void test_api_rec_unknown_field_is_reported(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;

    assert_int_equal(parse_with(s, "Colour", json_string("blue"), &r,
                                &errors, &err), NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "Colour");
    assert_string_equal(entry(errors, 0, "value"), "blue");
    assert_non_null(strstr(err.msg, "Colour"));
    json_decref(errors);
    api_rec_free(&r);
}

static void test_api_rec_missing_required_field_is_named(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;

    assert_int_equal(parse_with(s, "Age", NULL, &r, &errors, &err),
                     NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "Age");
    json_decref(errors);
    api_rec_free(&r);
}

static void test_api_rec_out_of_range_names_value_and_range(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;

    assert_int_equal(parse_with(s, "Age", json_integer(300), &r, &errors,
                                &err), NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "Age");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(errors, 0), "value")), 300);
    assert_non_null(strstr(entry(errors, 0, "expected"), "0 to 115"));
    assert_non_null(strstr(err.msg, "300"));
    json_decref(errors);
    api_rec_free(&r);
}

static void test_api_rec_not_an_object_is_refused(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;
    json_t *v = json_integer(3);

    assert_int_equal(api_rec_parse(s, v, "[2].", &r, &errors, &err),
                     NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "[2].");
    json_decref(errors);
    json_decref(v);
    api_rec_free(&r);
}

static void test_api_rec_list_prefix_reaches_field_names(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;
    json_t *obj = json_loads(good, 0, NULL);

    json_object_set_new(obj, "Gender", json_true());
    assert_int_equal(api_rec_parse(s, obj, "[4].", &r, &errors, &err),
                     NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "[4].Gender");
    json_decref(errors);
    json_decref(obj);
    api_rec_free(&r);
}

/* An appointment day before the booking day was reported as needing "a
 * date such as 2016-04-29"; both fields and both days must be named. */
static void test_api_rec_appointment_before_booking_names_both(void **state)
{
    const struct schema *s = *state;
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;
    const char *exp;

    assert_int_equal(parse_with(s, "AppointmentDay",
                                json_string("2016-04-27T00:00:00Z"), &r,
                                &errors, &err), NS_ERR_INVALID);
    assert_string_equal(entry(errors, 0, "field"), "AppointmentDay");
    assert_string_equal(entry(errors, 0, "value"), "2016-04-27T00:00:00Z");
    exp = entry(errors, 0, "expected");
    if (!strstr(exp, "2016-04-29") || !strstr(exp, "ScheduledDay"))
        fail_msg("expected text '%s' names neither the booking day nor "
                 "its field", exp);
    if (!strstr(err.msg, "AppointmentDay") || !strstr(err.msg,
                                                      "ScheduledDay")
        || !strstr(err.msg, "2016-04-27") || !strstr(err.msg, "2016-04-29")
        || !strstr(err.msg, "before the booking day"))
        fail_msg("message does not name both fields and days: %s",
                 err.msg);
    json_decref(errors);
    api_rec_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_rec_valid_record_is_typed),
        cmocka_unit_test(test_api_rec_number_as_string_is_accepted),
        cmocka_unit_test(test_api_rec_wrong_type_names_field_and_expected),
        cmocka_unit_test(test_api_rec_unknown_field_is_reported),
        cmocka_unit_test(test_api_rec_missing_required_field_is_named),
        cmocka_unit_test(test_api_rec_out_of_range_names_value_and_range),
        cmocka_unit_test(test_api_rec_not_an_object_is_refused),
        cmocka_unit_test(test_api_rec_list_prefix_reaches_field_names),
        cmocka_unit_test(test_api_rec_appointment_before_booking_names_both),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
