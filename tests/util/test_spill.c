/* Spilled buckets: records come back whole and in order, through the
 * temporary file as well as from memory, a loaded bucket starts again
 * empty, and a temporary directory that cannot be written is an error
 * naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/spill.h"

struct rec {
    uint32_t bucket;
    uint32_t seq;
    char pad[5];
};

static void add_many(struct ns_spill *s, size_t nb, uint32_t n)
{
    struct ns_error err = {0};

    for (uint32_t i = 0; i < n; i++) {
        struct rec r;

        memset(&r, 0, sizeof(r));
        r.bucket = (uint32_t)((i * 2654435761u) % nb);
        r.seq = i;
        memset(r.pad, (int)(i & 0x7f), sizeof(r.pad));
        assert_int_equal(ns_spill_add(s, r.bucket, &r, &err), NS_OK);
    }
}

/* Every record of every bucket, in the order added; counts add up. */
static void check_buckets(struct ns_spill *s, size_t nb, uint32_t n)
{
    struct ns_error err = {0};
    size_t total = 0;

    for (size_t b = 0; b < nb; b++) {
        struct ns_buf to = NS_BUF_INIT;
        struct rec *r;
        size_t m;
        uint32_t last = 0;

        assert_int_equal(ns_spill_load(s, b, &to, &m, &err), NS_OK);
        r = (struct rec *)(void *)to.data;
        for (size_t i = 0; i < m; i++) {
            assert_int_equal(r[i].bucket, b);
            if (i > 0)
                assert_true(r[i].seq > last);
            last = r[i].seq;
            assert_int_equal(r[i].pad[4], (char)(r[i].seq & 0x7f));
        }
        total += m;
        assert_int_equal(ns_spill_count(s, b), 0);
        ns_buf_free(&to);
    }
    assert_int_equal(total, n);
}

static void test_spill_small_stays_in_memory(void **state)
{
    struct ns_spill *s;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(ns_spill_new(4, sizeof(struct rec), 4096, &s, &err),
                     NS_OK);
    add_many(s, 4, 100);
    assert_int_equal(ns_spill_count(s, 0) + ns_spill_count(s, 1) +
                     ns_spill_count(s, 2) + ns_spill_count(s, 3), 100);
    assert_int_equal(ns_spill_disk_bytes(s), 0);
    check_buckets(s, 4, 100);
    ns_spill_free(s);
}

static void test_spill_large_goes_to_disk_and_back(void **state)
{
    struct ns_spill *s;
    struct ns_error err = {0};

    (void)state;
    /* Buffers of 3 records: nearly everything passes through the file. */
    assert_int_equal(ns_spill_new(7, sizeof(struct rec),
                                  3 * sizeof(struct rec), &s, &err), NS_OK);
    add_many(s, 7, 50000);
    assert_true(ns_spill_disk_bytes(s) > 40000 * sizeof(struct rec));
    check_buckets(s, 7, 50000);
    ns_spill_free(s);
}

static void test_spill_bucket_refills_after_load(void **state)
{
    struct ns_spill *s;
    struct ns_error err = {0};
    struct rec r = {0, 0, {0}};
    struct ns_buf to = NS_BUF_INIT;
    size_t m;

    (void)state;
    assert_int_equal(ns_spill_new(1, sizeof(r), 1, &s, &err), NS_OK);
    for (r.seq = 0; r.seq < 5; r.seq++)
        assert_int_equal(ns_spill_add(s, 0, &r, &err), NS_OK);
    assert_int_equal(ns_spill_load(s, 0, &to, &m, &err), NS_OK);
    assert_int_equal(m, 5);
    for (r.seq = 10; r.seq < 12; r.seq++)
        assert_int_equal(ns_spill_add(s, 0, &r, &err), NS_OK);
    assert_int_equal(ns_spill_load(s, 0, &to, &m, &err), NS_OK);
    assert_int_equal(m, 2);
    assert_int_equal(((struct rec *)(void *)to.data)[0].seq, 10);
    assert_int_equal(((struct rec *)(void *)to.data)[1].seq, 11);
    assert_int_equal(ns_spill_load(s, 0, &to, &m, &err), NS_OK);
    assert_int_equal(m, 0);
    assert_int_equal(to.len, 0);
    ns_buf_free(&to);
    ns_spill_free(s);
}

static void test_spill_bad_tmpdir_is_named(void **state)
{
    struct ns_spill *s;
    struct ns_error err = {0};
    struct rec r = {0, 0, {0}};
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    enum ns_err rc = NS_OK;

    (void)state;
    setenv("TMPDIR", "/nonexistent/noshow-spill", 1);
    assert_int_equal(ns_spill_new(1, sizeof(r), 1, &s, &err), NS_OK);
    for (int i = 0; i < 3 && rc == NS_OK; i++)
        rc = ns_spill_add(s, 0, &r, &err);
    assert_int_equal(rc, NS_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/noshow-spill"));
    ns_spill_free(s);
    if (old) {
        setenv("TMPDIR", old, 1);
        free(old);
    } else {
        unsetenv("TMPDIR");
    }
}

static void test_spill_refuses_zero_sizes(void **state)
{
    struct ns_spill *s;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(ns_spill_new(0, 8, 64, &s, &err), NS_ERR_INVALID);
    assert_null(s);
    assert_int_equal(ns_spill_new(2, 0, 64, &s, &err), NS_ERR_INVALID);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spill_small_stays_in_memory),
        cmocka_unit_test(test_spill_large_goes_to_disk_and_back),
        cmocka_unit_test(test_spill_bucket_refills_after_load),
        cmocka_unit_test(test_spill_bad_tmpdir_is_named),
        cmocka_unit_test(test_spill_refuses_zero_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
