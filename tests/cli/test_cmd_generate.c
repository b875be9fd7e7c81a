/* noshow generate as a user runs it: usage errors and standard output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/clirun.h"

static void test_generate_bad_flags_are_usage_errors(void **state)
{
    struct result res;

    (void)state;
    run("generate --rows ten --seed 1 -o -", &res);
    expect(&res, 2, "--rows: 'ten' is not a whole number");
    run("generate --rows 10 -o -", &res);
    expect(&res, 2, "missing --seed S");
    run("generate --rows 10 --seed 1", &res);
    expect(&res, 2, "missing -o FILE");
    run("generate --rows 10 --seed 1 -o - --start 2024-13-01", &res);
    expect(&res, 2, "--start: '2024-13-01' is not a date");
    run("generate --rows 10 --seed 1 -o - --days 0", &res);
    expect(&res, 2, "--days: '0' is not a whole number from 1");
    run("generate --rows 10 --seed 1 -o - --colour red", &res);
    expect(&res, 2, "unknown option '--colour'");
}

static void test_generate_dash_writes_to_stdout(void **state)
{
    struct result res;

    (void)state;
    run("generate --rows 2 --seed 9 -o -", &res);
    expect(&res, 0, "Patient_Id,Appointment_Id,");
    expect(&res, 0, "\n100000000,10000002,");
}

static void test_generate_unwritable_output_fails(void **state)
{
    struct result res;

    (void)state;
    run("generate --rows 2 --seed 9 -o /nonexistent-dir/x.csv", &res);
    expect(&res, 1, "/nonexistent-dir/x.csv: cannot create");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_bad_flags_are_usage_errors),
        cmocka_unit_test(test_generate_dash_writes_to_stdout),
        cmocka_unit_test(test_generate_unwritable_output_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
