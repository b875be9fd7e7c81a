/* The fairness audit in 'noshow evaluate': JSON key "fairness" with
 * gender, age band and every --audit column, and a clear refusal of a
 * column the schema does not have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "support/model_fixture.h"
#include "support/run_cmd.h"

static int setup(void **state)
{
    struct model_fixture *f = calloc(1, sizeof(*f));

    *state = f;
    if (f == NULL)
        return -1;
    return model_fixture_setup(f, "audit", 600, 5);
}

static int teardown(void **state)
{
    model_fixture_teardown(*state);
    free(*state);
    return 0;
}

/* Attributes named in the groups of the audit. */
static bool has_attribute(const json_t *groups, const char *name)
{
    size_t k;
    json_t *g;

    json_array_foreach(groups, k, g) {
        if (strcmp(json_string_value(json_object_get(g, "attribute")),
                   name) == 0)
            return true;
    }
    return false;
}

static void test_evaluate_json_has_fairness_groups(void **state)
{
    struct model_fixture *f = *state;
    json_error_t jerr;
    json_t *j, *fair;

    assert_int_equal(run_cmd(cmd_evaluate, "evaluate", f->out, f->errf, 5,
                             f->model, f->csv, "--audit", "Neighbourhood",
                             "--json"), CLI_EXIT_OK);
    j = json_loads(run_cmd_slurp(f->out), 0, &jerr);
    if (j == NULL)
        fail_msg("evaluate --json is not JSON: %s", jerr.text);
    fair = json_object_get(j, "fairness");
    if (!json_is_object(fair))
        fail_msg("no \"fairness\" object in %s", run_cmd_slurp(f->out));
    assert_true(has_attribute(json_object_get(fair, "groups"), "gender"));
    assert_true(has_attribute(json_object_get(fair, "groups"), "age band"));
    assert_true(has_attribute(json_object_get(fair, "groups"),
                              "Neighbourhood"));
    assert_true(json_is_array(json_object_get(fair, "gaps")));
    json_decref(j);
}

static void test_evaluate_audit_unknown_column_is_named(void **state)
{
    struct model_fixture *f = *state;

    assert_int_equal(run_cmd(cmd_evaluate, "evaluate", f->out, f->errf, 4,
                             f->model, f->csv, "--audit", "Area"),
                     CLI_EXIT_FAIL);
    if (strstr(run_cmd_slurp(f->errf), "audit column 'Area' is not in "
                                        "schema") == NULL)
        fail_msg("unexpected message: %s", run_cmd_slurp(f->errf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluate_json_has_fairness_groups),
        cmocka_unit_test(test_evaluate_audit_unknown_column_is_named),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
