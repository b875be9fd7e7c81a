/* The string map: short keys kept in the slot, long ones allocated,
 * growth, overwrite and iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/hmap.h"

/* Keys of 1 to 45 bytes, so both sides of the in-slot limit (15 bytes)
 * are used: i % 41 letters, then the digits of i. */
static size_t make_key(size_t i, char *out, size_t cap)
{
    size_t len = i % 41;

    for (size_t k = 0; k < len && k + 1 < cap; k++)
        out[k] = (char)('a' + k % 26);
    return len + (size_t)snprintf(out + len, cap - len, "%zu", i);
}

static void test_keys_of_every_length_survive_growth(void **state)
{
    struct ns_hmap *m = ns_hmap_new(4);
    char key[96];
    uint64_t v;

    (void)state;
    assert_non_null(m);
    for (size_t i = 0; i < 5000; i++) {
        size_t len = make_key(i, key, sizeof(key));

        assert_int_equal(ns_hmap_put(m, key, len, i * 3), NS_OK);
    }
    assert_int_equal(ns_hmap_count(m), 5000);
    for (size_t i = 0; i < 5000; i++) {
        size_t len = make_key(i, key, sizeof(key));

        assert_true(ns_hmap_get(m, key, len, &v));
        assert_int_equal(v, i * 3);
        /* The same length with the last byte changed is absent. */
        key[len - 1] = '#';
        assert_false(ns_hmap_get(m, key, len, NULL));
    }
    ns_hmap_free(m);
}

static void test_overwrite_keeps_one_entry(void **state)
{
    struct ns_hmap *m = ns_hmap_new(0);
    const char *lng = "a key longer than fifteen bytes";
    uint64_t v;

    (void)state;
    assert_non_null(m);
    assert_int_equal(ns_hmap_put(m, "123456789012345", 15, 1), NS_OK);
    assert_int_equal(ns_hmap_put(m, "123456789012345", 15, 2), NS_OK);
    assert_int_equal(ns_hmap_put(m, lng, strlen(lng), 3), NS_OK);
    assert_int_equal(ns_hmap_put(m, lng, strlen(lng), 4), NS_OK);
    assert_int_equal(ns_hmap_put(m, "", 0, 5), NS_OK);
    assert_int_equal(ns_hmap_count(m), 3);
    assert_true(ns_hmap_get(m, "123456789012345", 15, &v));
    assert_int_equal(v, 2);
    assert_true(ns_hmap_get(m, lng, strlen(lng), &v));
    assert_int_equal(v, 4);
    assert_true(ns_hmap_get(m, "", 0, &v));
    assert_int_equal(v, 5);
    assert_false(ns_hmap_get(m, "1234567890123456", 16, NULL));
    ns_hmap_free(m);
}

static void test_iteration_gives_terminated_keys_once(void **state)
{
    struct ns_hmap *m = ns_hmap_new(2);
    const char *keys[] = {"F", "M", "JARDIM DA PENHA", "SANTA MARTHA "
                          "AND A NAME PAST THE SLOT"};
    int seen[4] = {0};
    const char *k;
    size_t len, pos = 0;
    uint64_t v;

    (void)state;
    assert_non_null(m);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ns_hmap_put(m, keys[i], strlen(keys[i]), i),
                         NS_OK);
    while (ns_hmap_next(m, &pos, &k, &len, &v)) {
        assert_true(v < 4);
        assert_int_equal(len, strlen(keys[v]));
        assert_string_equal(k, keys[v]);
        seen[v]++;
    }
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(seen[i], 1);
    ns_hmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_of_every_length_survive_growth),
        cmocka_unit_test(test_overwrite_keeps_one_entry),
        cmocka_unit_test(test_iteration_gives_terminated_keys_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
