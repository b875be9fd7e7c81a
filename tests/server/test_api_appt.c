/* The JSON of a reminder's delivery state: fields, and URL credentials
 * kept out of the stored error text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/api_int.h"

static void expect_redacted(const char *in, const char *want)
{
    char *got = api_redact_credentials(in);

    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("redacting \"%s\" gave \"%s\", expected \"%s\"", in, got,
                 want);
    free(got);
}

static void test_redact_credentials_hides_user_and_password(void **state)
{
    (void)state;
    expect_redacted("POST https://bob:s3cret@hooks.example/x failed",
                    "POST https://***@hooks.example/x failed");
    expect_redacted("a://x@h and http://u:p@h2:80/", "a://***@h and "
                    "http://***@h2:80/");
    expect_redacted("http://host/path?to=a@b", "http://host/path?to=a@b");
    expect_redacted("webhook answered HTTP 500",
                    "webhook answered HTTP 500");
    expect_redacted("", "");
}

static void test_delivery_json_pending_names_next_attempt(void **state)
{
    struct store_outbox_info j = {7, STORE_OUTBOX_PENDING, 2,
                                  1462183200000, 1462183100000, NULL};
    char err[] = "webhook: https://ann:pw@h.example/ refused";
    json_t *o;

    (void)state;
    j.last_error = err;
    o = api_delivery_json(&j);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "outbox_id")),
                     7);
    assert_string_equal(json_string_value(json_object_get(o, "state")),
                        "pending");
    assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            o, "next_attempt_at")), "2016-05-02T10:00:00Z");
    assert_string_equal(json_string_value(json_object_get(o, "last_error")),
                        "webhook: https://***@h.example/ refused");
    json_decref(o);
    j.state = STORE_OUTBOX_DELIVERED;
    j.last_error = NULL;
    o = api_delivery_json(&j);
    assert_true(json_is_null(json_object_get(o, "next_attempt_at")));
    assert_true(json_is_null(json_object_get(o, "last_error")));
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_credentials_hides_user_and_password),
        cmocka_unit_test(test_delivery_json_pending_names_next_attempt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
