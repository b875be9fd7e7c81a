/* The train, evaluate and predict commands run as a user would: exit
 * codes and messages on bad input, evaluate reproducing train's test
 * metrics from the two halves of a file, and predict's probabilities
 * equal to the one-row scoring path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "data/table.h"
#include "model/bundle.h"
#include "support/synth.h"

static char dir[64];
static char out_text[8192];

static const char *bin(void)
{
    const char *b = getenv("NOSHOW_BUILD");
    static char path[256];

    snprintf(path, sizeof(path), "%s/noshow", b ? b : "build");
    return path;
}

/* Runs "noshow ARGS" with OMP passive; stderr lands in out_text. */
static int run(const char *fmt, ...)
{
    char args[1024], cmd[2048], errf[128];
    va_list ap;
    FILE *f;
    size_t n;
    int st;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(errf, sizeof(errf), "%s/stderr", dir);
    snprintf(cmd, sizeof(cmd), "OMP_WAIT_POLICY=passive %s %s 2>%s", bin(),
             args, errf);
    st = system(cmd);
    f = fopen(errf, "r");
    n = f ? fread(out_text, 1, sizeof(out_text) - 1, f) : 0;
    out_text[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(int code, const char *want, int got)
{
    if (got != code || strstr(out_text, want) == NULL)
        fail_msg("expected exit %d and '%s', got exit %d: %s", code, want,
                 got, out_text);
}

static int setup(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ns_cli_%d", getpid());
    snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "%s/all.csv", dir);
    if (synth_write(cmd, 1500, 5, 0) != 0)
        return -1;
    /* The two halves of one file, split on the appointment day. */
    snprintf(cmd, sizeof(cmd), "cd %s && head -1 all.csv > past.csv && "
             "cp past.csv later.csv && awk -F, 'NR>1 && substr($5,1,10) < "
             "\"2016-05-21\"' all.csv >> past.csv && awk -F, 'NR>1 && "
             "substr($5,1,10) >= \"2016-05-21\"' all.csv >> later.csv", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_train_cli_one_class_exits_1(void **state)
{
    char p[128];

    (void)state;
    snprintf(p, sizeof(p), "%s/one.csv", dir);
    assert_int_equal(synth_write(p, 100, 1, 1), 0);
    expect(1, "one class", run("train %s -o %s/m.json", p, dir));
}

static void test_train_cli_all_labels_misspelt_exits_1(void **state)
{
    char p[128];

    (void)state;
    snprintf(p, sizeof(p), "%s/bad.csv", dir);
    assert_int_equal(synth_write(p, 100, 1, 2), 0);
    expect(1, "label", run("train %s -o %s/m.json", p, dir));
}

static void test_train_cli_more_folds_than_rows_exits_1(void **state)
{
    (void)state;
    expect(1, "--folds", run("train %s/all.csv -o %s/m.json --search "
                             "--folds 100000", dir, dir));
}

static void test_train_cli_test_from_outside_names_range(void **state)
{
    (void)state;
    expect(1, "2016-04-29 to 2016-05-31",
           run("train %s/all.csv -o %s/m.json --test-from 2015-01-01", dir,
               dir));
}

/* --holdout-days: stored in the bundle when it fits, named when not. */
static void test_train_cli_holdout_days(void **state)
{
    static char text[1 << 22];  /* the whole bundle (a few hundred kB) */
    char p[160];
    FILE *f;
    size_t n;

    (void)state;
    expect(2, "--holdout-days", run("train %s/all.csv -o %s/m.json "
                                    "--test-from 2016-05-21 "
                                    "--holdout-days -3", dir, dir));
    expect(1, "--holdout-days 7", run("train %s/all.csv -o %s/m.json "
                                      "--holdout-days 7", dir, dir));
    expect(0, "", run("train %s/all.csv -o %s/h.json --test-from "
                      "2016-05-21 --holdout-days 7 --trees 20 "
                      "--threads 1", dir, dir));
    snprintf(p, sizeof(p), "%s/h.json", dir);
    f = fopen(p, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_true(n < sizeof(text) - 1);
    if (strstr(text, "\"holdout_days\": 7") == NULL &&
        strstr(text, "\"holdout_days\":7") == NULL)
        fail_msg("bundle does not record holdout_days 7");
}

static void test_train_cli_bad_option_value_exits_2(void **state)
{
    (void)state;
    expect(2, "--imbalance", run("train %s/all.csv -o %s/m.json "
                                 "--imbalance lots", dir, dir));
}

static void test_train_cli_constant_column_warns(void **state)
{
    (void)state;
    expect(0, "one value", run("train %s/all.csv -o %s/m.json --trees 20 "
                               "--threads 1 > /dev/null", dir, dir));
}

static double json_num(const char *path, const char *key)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    double v;

    if (j == NULL)
        fail_msg("%s: %s", path, je.text);
    v = json_number_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

/* evaluate on the later half with the earlier half as history gives
 * exactly train's test metrics on the whole file. */
static void test_evaluate_halves_reproduce_train_metrics(void **state)
{
    char a[128], b[128];
    static const char *const keys[] = {"auc", "pr_auc", "brier",
                                       "log_loss", "f1", "threshold"};

    (void)state;
    snprintf(a, sizeof(a), "%s/train.json", dir);
    snprintf(b, sizeof(b), "%s/eval.json", dir);
    expect(0, "", run("train %s/all.csv -o %s/m.json --test-from 2016-05-21"
                      " --trees 30 --threads 1 --json > %s", dir, dir, a));
    expect(0, "", run("evaluate %s/m.json %s/later.csv --history "
                      "%s/past.csv --json > %s", dir, dir, dir, b));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (json_num(a, keys[i]) != json_num(b, keys[i]))
            fail_msg("%s: train %.17g, evaluate %.17g", keys[i],
                     json_num(a, keys[i]), json_num(b, keys[i]));
    }
}

static void check_predictions(const struct bundle *m, const struct table *t,
                              struct history_index *h, const char *path,
                              double *sum)
{
    struct history_source src = history_index_source(h);
    struct record *r = record_new(t->schema);
    char line[4096], want[32];
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    for (size_t i = 0; i < t->nrows; i++) {
        struct bundle_score s;
        char *prob;

        assert_non_null(fgets(line, sizeof(line), f));
        table_row(t, i, r);
        assert_int_equal(bundle_score_record(m, r, &src, &s, NULL, NULL),
                         NS_OK);
        *sum += s.probability;
        snprintf(want, sizeof(want), ",%.6f,", s.probability);
        prob = strstr(line, want);
        if (prob == NULL)
            fail_msg("row %zu: predict wrote '%s', one-row path gives %s", i,
                     line, want);
    }
    record_free(r);
    fclose(f);
}

/* predict's probabilities equal bundle_score_record's for each row, and
 * their mean equals evaluate's mean prediction. */
static void test_predict_equals_record_path_and_evaluate(void **state)
{
    struct table_load_opts lo = {.need_label = true, .dedup = true};
    struct clean_report rep;
    struct bundle *m = NULL;
    struct table *past = NULL, *later = NULL;
    struct history_index *h = history_index_new();
    char p[128];
    double sum = 0;

    (void)state;
    expect(0, "scored", run("predict %s/m.json %s/later.csv --history "
                            "%s/past.csv -o %s/pred.csv", dir, dir, dir,
                            dir));
    snprintf(p, sizeof(p), "%s/m.json", dir);
    assert_int_equal(bundle_load(p, &m, NULL), NS_OK);
    snprintf(p, sizeof(p), "%s/past.csv", dir);
    assert_int_equal(table_load_csv(p, bundle_schema(m), &lo, &past, NULL,
                                    &rep, NULL), NS_OK);
    snprintf(p, sizeof(p), "%s/later.csv", dir);
    assert_int_equal(table_load_csv(p, bundle_schema(m), &lo, &later, NULL,
                                    &rep, NULL), NS_OK);
    for (int k = 0; k < 2; k++) {
        const struct table *t = k ? later : past;

        for (size_t i = 0; i < t->nrows; i++)
            assert_int_equal(history_index_add(h, table_str(t, t->patient[i]),
                                               t->booked_at[i],
                                               t->appt_day[i], t->label[i]),
                             NS_OK);
    }
    assert_int_equal(history_index_finish(h), NS_OK);
    snprintf(p, sizeof(p), "%s/pred.csv", dir);
    check_predictions(m, later, h, p, &sum);
    snprintf(p, sizeof(p), "%s/eval.json", dir);
    if (fabs(sum / (double)later->nrows - json_num(p, "mean_predicted")) >
        1e-9)
        fail_msg("predict mean %.12f, evaluate mean %.12f",
                 sum / (double)later->nrows, json_num(p, "mean_predicted"));
    history_index_free(h);
    table_free(past);
    table_free(later);
    bundle_free(m);
}

static void test_predict_missing_feature_column_named(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof(cmd), "cut -d, -f1-6,8- %s/later.csv > "
             "%s/nohood.csv", dir, dir);
    assert_int_equal(system(cmd), 0);
    expect(1, "Neighbourhood", run("predict %s/m.json %s/nohood.csv -o "
                                   "%s/x.csv", dir, dir, dir));
}

/* A spreadsheet output holds the same rows as the CSV one, identifiers as
 * text, numbers and probabilities as numbers, under a frozen header; a
 * failed run leaves no spreadsheet behind. */
static void test_predict_xlsx_matches_csv_output(void **state)
{
    char cmd[512], line[512];
    FILE *f;
    int rows = 0, id_text = 0, prob_num = 0, frozen = 0;

    (void)state;
    expect(0, "scored", run("predict %s/m.json %s/later.csv -o %s/p.xlsx",
                            dir, dir, dir));
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/report/read_xlsx.py "
             "%s/p.xlsx", dir);
    f = popen(cmd, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "sheet ", 6) == 0)
            sscanf(line, "sheet %*s rows %d", &rows);
        id_text += strncmp(line, "cell A2 str ", 12) == 0;
        frozen += strcmp(line, "freeze A2\n") == 0;
        prob_num += strstr(line, " num ") != NULL &&
                    strstr(line, "fmt=0.0%") != NULL;
    }
    assert_int_equal(pclose(f), 0);
    snprintf(cmd, sizeof(cmd), "test $(wc -l < %s/later.csv) -eq %d", dir,
             rows);
    if (system(cmd) != 0)
        fail_msg("workbook has %d rows, the CSV input a different count",
                 rows);
    assert_int_equal(id_text, 1);
    assert_int_equal(frozen, 1);
    assert_true(prob_num > 0);

    expect(1, "nohood.csv", run("predict %s/m.json %s/nohood.csv -o "
                                "%s/bad.xlsx", dir, dir, dir));
    snprintf(cmd, sizeof(cmd), "ls %s | grep -c xlsx | grep -qx 1", dir);
    if (system(cmd) != 0)
        fail_msg("a failed run left a spreadsheet or a temporary file");
}

/* A row that cannot be scored keeps every column: the three score
 * columns stay empty and the error column names the cell, so the CSV
 * stays rectangular and the spreadsheet can still be written. */
static void test_predict_unscorable_row_keeps_its_columns(void **state)
{
    char cmd[768];

    (void)state;
    snprintf(cmd, sizeof(cmd), "head -n 3 %s/later.csv > %s/badage.csv && "
             "sed -n 4p %s/later.csv | awk -F, -v OFS=, '{$6 = \"abc\";"
             " print}' >> %s/badage.csv", dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    expect(0, "could not be scored", run("predict %s/m.json %s/badage.csv "
                                         "-o %s/badage.out.csv", dir, dir,
                                         dir));
    snprintf(cmd, sizeof(cmd), "awk -F, 'NF != 18 { bad = 1 } END "
             "{ exit bad }' %s/badage.out.csv && tail -n 1 "
             "%s/badage.out.csv | grep -q ',abc,.*,,,,.*badage.csv:4:6:'",
             dir, dir);
    if (system(cmd) != 0)
        fail_msg("an unscorable row lost a column or its error");
    expect(0, "could not be scored", run("predict %s/m.json %s/badage.csv "
                                         "-o %s/badage.xlsx", dir, dir,
                                         dir));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_cli_one_class_exits_1),
        cmocka_unit_test(test_train_cli_all_labels_misspelt_exits_1),
        cmocka_unit_test(test_train_cli_more_folds_than_rows_exits_1),
        cmocka_unit_test(test_train_cli_test_from_outside_names_range),
        cmocka_unit_test(test_train_cli_bad_option_value_exits_2),
        cmocka_unit_test(test_train_cli_holdout_days),
        cmocka_unit_test(test_train_cli_constant_column_warns),
        cmocka_unit_test(test_evaluate_halves_reproduce_train_metrics),
        cmocka_unit_test(test_predict_equals_record_path_and_evaluate),
        cmocka_unit_test(test_predict_missing_feature_column_named),
        cmocka_unit_test(test_predict_xlsx_matches_csv_output),
        cmocka_unit_test(test_predict_unscorable_row_keeps_its_columns),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
