/* The model bundle: save, load and score bit-identically; damaged,
 * truncated, foreign and newer files refused with clear messages; the
 * file loads in Python's xgboost with the same margins. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/table.h"
#include "model/bundle.h"
#include "model/train.h"
#include "support/synth.h"

struct fixture {
    char csv[64];
    char path[64];
    struct table *t;
    struct schema *s;
    struct train_result res;
    float *X;
    size_t nf;
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct table_load_opts lo = {.schema_name = "kaggle-noshow",
                                 .need_label = true};
    struct train_opts o;
    struct clean_report rep = {0};

    if (f == NULL)
        return -1;
    snprintf(f->csv, sizeof(f->csv), "/tmp/ns_bundle_%d.csv", getpid());
    snprintf(f->path, sizeof(f->path), "/tmp/ns_bundle_%d.json", getpid());
    if (synth_write(f->csv, 1500, 7, 0) != 0 ||
        table_load_csv(f->csv, NULL, &lo, &f->t, &f->s, &rep, NULL) != NS_OK)
        return -1;
    train_opts_default(&o);
    o.xgb.n_trees = 30;
    o.xgb.nthread = 1;
    o.calibrate = TRAIN_CAL_PLATT;
    if (train_run(f->t, &o, &f->res, NULL) != NS_OK)
        return -1;
    f->nf = pipeline_nfeatures(bundle_pipeline(f->res.bundle));
    f->X = malloc(f->t->nrows * f->nf * sizeof(float));
    if (f->X == NULL ||
        pipeline_table(bundle_pipeline(f->res.bundle), f->t, NULL, 0, NULL,
                       f->X, NULL, NULL) != NS_OK ||
        bundle_save(f->res.bundle, f->path, NULL) != NS_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->csv);
    unlink(f->path);
    free(f->X);
    train_result_free(&f->res);
    table_free(f->t);
    schema_free(f->s);
    free(f);
    return 0;
}

static void test_bundle_save_load_scores_bit_identical(void **state)
{
    struct fixture *f = *state;
    size_t n = f->t->nrows;
    struct bundle_score *a = calloc(n, sizeof(*a));
    struct bundle_score *b = calloc(n, sizeof(*b));
    struct bundle *loaded = NULL;
    struct ns_error err = {0};

    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(bundle_load(f->path, &loaded, &err), NS_OK);
    assert_string_equal(bundle_version(loaded),
                        bundle_version(f->res.bundle));
    assert_true(bundle_threshold(loaded) == bundle_threshold(f->res.bundle));
    assert_int_equal(bundle_score_matrix(f->res.bundle, f->X, n, a, &err),
                     NS_OK);
    assert_int_equal(bundle_score_matrix(loaded, f->X, n, b, &err), NS_OK);
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&a[i].probability, &b[i].probability,
                   sizeof(double)) != 0 || a[i].band != b[i].band)
            fail_msg("row %zu: %.17g before saving, %.17g after loading",
                     i, a[i].probability, b[i].probability);
    }
    bundle_free(loaded);
    free(a);
    free(b);
}

static void test_bundle_score_record_equals_matrix(void **state)
{
    struct fixture *f = *state;
    struct record *r = record_new(f->t->schema);
    struct bundle_score one, many[8];
    struct ns_error err = {0};

    assert_non_null(r);
    assert_int_equal(bundle_score_matrix(f->res.bundle, f->X, 8, many,
                                         &err), NS_OK);
    for (size_t i = 0; i < 8; i++) {
        table_row(f->t, i, r);
        assert_int_equal(bundle_score_record(f->res.bundle, r, NULL, &one,
                                             NULL, &err), NS_OK);
        if (one.probability != many[i].probability)
            fail_msg("row %zu: one-row path %.17g, batch path %.17g", i,
                     one.probability, many[i].probability);
    }
    record_free(r);
}

/* Loads path expecting code, and a message containing want. */
static void expect_refused(const char *path, enum ns_err code,
                           const char *want)
{
    struct bundle *b = NULL;
    struct ns_error err = {0};
    enum ns_err rc = bundle_load(path, &b, &err);

    if (rc != code || strstr(err.msg, want) == NULL)
        fail_msg("expected %s with '%s', got %s: %s", ns_err_str(code), want,
                 ns_err_str(rc), err.msg);
    assert_null(b);
}

static void test_bundle_corrupted_byte_refused(void **state)
{
    struct fixture *f = *state;
    size_t len;
    char *buf = slurp(f->path, &len);
    char *leaf = buf ? strstr(buf, "\"base_weights\":[") : NULL;
    char *d;

    assert_non_null(leaf);
    d = leaf + strlen("\"base_weights\":[");
    while (*d < '1' || *d > '8')
        d++;
    (*d)++;
    spit(f->path, buf, len);
    expect_refused(f->path, NS_ERR_INVALID, "checksum mismatch");
    free(buf);
    assert_int_equal(bundle_save(f->res.bundle, f->path, NULL), NS_OK);
}

static void test_bundle_truncated_refused(void **state)
{
    struct fixture *f = *state;
    size_t len;
    char *buf = slurp(f->path, &len);

    assert_non_null(buf);
    spit(f->path, buf, len / 2);
    expect_refused(f->path, NS_ERR_PARSE, "truncated");
    spit(f->path, buf, len);
    free(buf);
}

static void test_bundle_newer_format_refused(void **state)
{
    struct fixture *f = *state;
    size_t len;
    char *buf = slurp(f->path, &len);
    char *v = buf ? strstr(buf, "\"format_version\":1") : NULL;

    assert_non_null(v);
    v[strlen("\"format_version\":")] = '9';
    spit(f->path, buf, len);
    expect_refused(f->path, NS_ERR_UNSUPPORTED, "newer");
    v[strlen("\"format_version\":")] = '1';
    spit(f->path, buf, len);
    free(buf);
}

static void test_bundle_plain_xgboost_model_refused(void **state)
{
    struct fixture *f = *state;
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(xgb_save_json(bundle_model(f->res.bundle), &text, &len,
                                   NULL), NS_OK);
    spit(f->path, text, len);
    expect_refused(f->path, NS_ERR_PARSE, "not a noshow model bundle");
    free(text);
    assert_int_equal(bundle_save(f->res.bundle, f->path, NULL), NS_OK);
}

static void test_bundle_python_xgboost_same_margins(void **state)
{
    struct fixture *f = *state;
    char xpath[64], cmd[512];
    size_t n = 50;
    double m[50];
    FILE *p;

    if (system("/usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1")) {
        fprintf(stderr, "SKIPPED LOUDLY: /usr/bin/python3 has no xgboost "
                "(Debian python3-xgboost): the bundle was not checked "
                "against Python\n");
        skip();
    }
    snprintf(xpath, sizeof(xpath), "/tmp/ns_bundle_%d.x", getpid());
    spit(xpath, (const char *)f->X, n * f->nf * sizeof(float));
    assert_int_equal(xgb_predict_margin(bundle_model(f->res.bundle), f->X,
                                        n, f->nf, 1, m, NULL), NS_OK);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c \"import numpy as np,"
             "xgboost as x; b=x.Booster(model_file='%s'); X=np.fromfile("
             "'%s',dtype=np.float32).reshape(%zu,%zu); [print(repr(float(v)"
             ")) for v in b.predict(x.DMatrix(X,missing=np.nan),"
             "output_margin=True)]\"", f->path, xpath, n, f->nf);
    p = popen(cmd, "r");
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        double v;

        if (fscanf(p, "%lf", &v) != 1)
            fail_msg("python printed fewer than %zu margins", n);
        if (fabs(v - m[i]) > 1e-5)
            fail_msg("row %zu: python margin %.9g, ours %.9g", i, v, m[i]);
    }
    assert_int_equal(pclose(p), 0);
    unlink(xpath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_save_load_scores_bit_identical),
        cmocka_unit_test(test_bundle_score_record_equals_matrix),
        cmocka_unit_test(test_bundle_corrupted_byte_refused),
        cmocka_unit_test(test_bundle_truncated_refused),
        cmocka_unit_test(test_bundle_newer_format_refused),
        cmocka_unit_test(test_bundle_plain_xgboost_model_refused),
        cmocka_unit_test(test_bundle_python_xgboost_same_margins),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
