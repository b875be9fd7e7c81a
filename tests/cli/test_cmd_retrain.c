/* noshow retrain, models and export on the command line: a round on a
 * historical file with an empty database, the registry listing and moves,
 * and the messages of the usual mistakes. */
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
#include "support/model_fixture.h"
#include "support/run_cmd.h"

struct rfx {
    struct model_fixture m;
    char db[96];
    char url[128];
};

static int setup(void **state)
{
    struct rfx *f = calloc(1, sizeof(*f));

    if (f == NULL || model_fixture_setup(&f->m, "retrain", 500, 3) != 0)
        return -1;
    snprintf(f->db, sizeof(f->db), "/tmp/ns_retrain_%d.db", getpid());
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->db);
    unlink(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct rfx *f = *state;
    char side[128];

    model_fixture_teardown(&f->m);
    unlink(f->db);
    snprintf(side, sizeof(side), "%s.pseudonym-key", f->db);
    unlink(side);
    free(f);
    return 0;
}

static void expect_err(const struct rfx *f, const char *what)
{
    const char *text = run_cmd_slurp(f->m.errf);

    if (strstr(text, what) == NULL)
        fail_msg("stderr lacks \"%s\": %s", what, text);
}

static void test_retrain_without_champion_names_both_sources(void **state)
{
    struct rfx *f = *state;

    assert_int_equal(run_cmd(cmd_retrain, "retrain", f->m.out, f->m.errf,
                             4, "--db", f->url, "--also", f->m.csv), 1);
    expect_err(f, "no --model was given");
}

static void test_retrain_also_file_registers_both_versions(void **state)
{
    struct rfx *f = *state;
    json_t *j;
    const char *champ, *chall;

    assert_int_equal(run_cmd(cmd_retrain, "retrain", f->m.out, f->m.errf,
                             9, "--db", f->url, "--also", f->m.csv,
                             "--model", f->m.model, "--threads", "1",
                             "--json"), 0);
    j = json_loads(run_cmd_slurp(f->m.out), 0, NULL);
    if (j == NULL)
        fail_msg("retrain --json printed no JSON: %s",
                 run_cmd_slurp(f->m.out));
    assert_true(json_is_boolean(json_object_get(j, "promoted")));
    assert_true(json_integer_value(json_object_get(
                    json_object_get(j, "rows"), "csv")) > 400);
    champ = json_string_value(json_object_get(json_object_get(j,
                                                              "champion"),
                                              "version"));
    chall = json_string_value(json_object_get(json_object_get(
                                                  j, "challenger"),
                                              "version"));
    assert_non_null(champ);
    assert_non_null(chall);
    assert_int_equal(run_cmd(cmd_models, "models", f->m.out, f->m.errf, 3,
                             "list", "--db", f->url), 0);
    if (strstr(run_cmd_slurp(f->m.out), champ) == NULL
        || strstr(run_cmd_slurp(f->m.out), chall) == NULL)
        fail_msg("models list lacks %s or %s: %s", champ, chall,
                 run_cmd_slurp(f->m.out));
    /* Promote the challenger by name, then roll back to its parent. */
    assert_int_equal(run_cmd(cmd_models, "models", f->m.out, f->m.errf, 4,
                             "promote", chall, "--db", f->url), 0);
    assert_int_equal(run_cmd(cmd_models, "models", f->m.out, f->m.errf, 3,
                             "rollback", "--db", f->url), 0);
    if (strstr(run_cmd_slurp(f->m.out), champ) == NULL)
        fail_msg("rollback did not restore %s: %s", champ,
                 run_cmd_slurp(f->m.out));
    assert_int_equal(run_cmd(cmd_models, "models", f->m.out, f->m.errf, 4,
                             "show", chall, "--db", f->url), 0);
    if (strstr(run_cmd_slurp(f->m.out), "\"evaluation\"") == NULL)
        fail_msg("models show lacks the evaluation: %s",
                 run_cmd_slurp(f->m.out));
    json_decref(j);
}

static void test_models_show_unknown_version_named(void **state)
{
    struct rfx *f = *state;

    assert_int_equal(run_cmd(cmd_models, "models", f->m.out, f->m.errf, 4,
                             "show", "v-nope", "--db", f->url), 1);
    expect_err(f, "'v-nope'");
    assert_int_equal(run_cmd(cmd_models, "models", f->m.out, f->m.errf, 3,
                             "demote", "--db", f->url), 2);
    expect_err(f, "unknown action 'demote'");
}

static void test_export_bad_format_and_date_are_usage_errors(void **state)
{
    struct rfx *f = *state;

    assert_int_equal(run_cmd(cmd_export, "export", f->m.out, f->m.errf, 6,
                             "--db", f->url, "--since", "2016-01-01",
                             "--format", "xml"), 2);
    expect_err(f, "--format 'xml'");
    assert_int_equal(run_cmd(cmd_export, "export", f->m.out, f->m.errf, 4,
                             "--db", f->url, "--since", "yesterday"), 2);
    expect_err(f, "--since 'yesterday'");
}

/* Counts are whole numbers: a fraction is refused, not truncated. */
static void test_retrain_fractional_counts_are_usage_errors(void **state)
{
    struct rfx *f = *state;

    assert_int_equal(run_cmd(cmd_retrain, "retrain", f->m.out, f->m.errf, 4,
                             "--db", f->url, "--holdout-days", "2.5"), 2);
    expect_err(f, "--holdout-days '2.5' is not a whole number");
    assert_int_equal(run_cmd(cmd_retrain, "retrain", f->m.out, f->m.errf, 4,
                             "--db", f->url, "--threads", "1.5"), 2);
    expect_err(f, "--threads '1.5'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retrain_without_champion_names_both_sources),
        cmocka_unit_test(test_retrain_also_file_registers_both_versions),
        cmocka_unit_test(test_models_show_unknown_version_named),
        cmocka_unit_test(test_export_bad_format_and_date_are_usage_errors),
        cmocka_unit_test(test_retrain_fractional_counts_are_usage_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
