/* The background worker: the first step runs at once, a kick ends the
 * sleep early, the period brings the next step, stop joins the thread,
 * and a zero period is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "server/worker.h"
#include "util/timeutil.h"

static void count_step(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

/* Waits up to limit_ms for *n to reach want; the last value seen. */
static int wait_for(atomic_int *n, int want, int64_t limit_ms)
{
    int64_t end = ns_mono_ns() / 1000000 + limit_ms;
    struct timespec ms = {0, 1000000L};

    while (atomic_load(n) < want && ns_mono_ns() / 1000000 < end)
        nanosleep(&ms, NULL);
    return atomic_load(n);
}

static void test_kick_runs_the_next_step_before_the_period(void **state)
{
    struct worker w;
    struct ns_error err;
    atomic_int n = 0;

    (void)state;
    ns_error_clear(&err);
    /* A period of an hour: any step after the first came from a kick. */
    assert_int_equal(worker_start(&w, "test", 3600 * 1000, count_step, &n,
                                  &err), NS_OK);
    assert_int_equal(wait_for(&n, 1, 5000), 1);
    assert_false(worker_stopping(&w));
    worker_kick(&w);
    assert_int_equal(wait_for(&n, 2, 5000), 2);
    worker_stop(&w);
    assert_int_equal(atomic_load(&n), 2);
}

static void test_period_brings_the_next_step(void **state)
{
    struct worker w;
    struct ns_error err;
    atomic_int n = 0;

    (void)state;
    ns_error_clear(&err);
    assert_int_equal(worker_start(&w, "test", 5, count_step, &n, &err),
                     NS_OK);
    assert_true(wait_for(&n, 3, 5000) >= 3);
    worker_stop(&w);
}

static void test_zero_period_is_refused(void **state)
{
    struct worker w;
    struct ns_error err;
    atomic_int n = 0;

    (void)state;
    ns_error_clear(&err);
    assert_int_equal(worker_start(&w, "test", 0, count_step, &n, &err),
                     NS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "test thread"));
    assert_int_equal(atomic_load(&n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kick_runs_the_next_step_before_the_period),
        cmocka_unit_test(test_period_brings_the_next_step),
        cmocka_unit_test(test_zero_period_is_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
