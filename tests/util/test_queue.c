/* The bounded queue: order, bounds, closing, and a producer and a
 * consumer thread passing many items through a small ring. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/queue.h"

#define MANY 100000

static void test_queue_keeps_order_across_the_ring_end(void **state)
{
    struct ns_queue q;
    int v[5] = {0, 1, 2, 3, 4};
    void *got;

    (void)state;
    assert_int_equal(ns_queue_init(&q, 3), NS_OK);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3; i++)
            assert_true(ns_queue_push(&q, &v[(round + i) % 5]));
        for (int i = 0; i < 3; i++) {
            assert_true(ns_queue_pop(&q, &got));
            assert_ptr_equal(got, &v[(round + i) % 5]);
        }
    }
    ns_queue_destroy(&q);
}

static void test_queue_closed_drains_then_stops(void **state)
{
    struct ns_queue q;
    int a = 1, b = 2;
    void *got = NULL;

    (void)state;
    assert_int_equal(ns_queue_init(&q, 2), NS_OK);
    assert_true(ns_queue_push(&q, &a));
    ns_queue_close(&q);
    assert_false(ns_queue_push(&q, &b));
    assert_true(ns_queue_pop(&q, &got));
    assert_ptr_equal(got, &a);
    assert_false(ns_queue_pop(&q, &got));
    assert_ptr_equal(got, &a);
    ns_queue_destroy(&q);
}

struct stage {
    struct ns_queue *q;
    size_t n;           /* items pushed; read after the join */
};

static void *produce(void *arg)
{
    struct stage *s = arg;

    for (uintptr_t i = 1; i <= MANY; i++) {
        if (!ns_queue_push(s->q, (void *)i))
            break;
        s->n++;
    }
    ns_queue_close(s->q);
    return NULL;
}

/* Through a ring of 4, the consumer sees every item once, in order,
 * before the end. */
static void test_queue_two_threads_pass_every_item_in_order(void **state)
{
    struct ns_queue q;
    struct stage prod = {&q, 0};
    pthread_t t;
    uintptr_t want = 1;
    void *got;

    (void)state;
    assert_int_equal(ns_queue_init(&q, 4), NS_OK);
    assert_int_equal(pthread_create(&t, NULL, produce, &prod), 0);
    while (ns_queue_pop(&q, &got)) {
        assert_true((uintptr_t)got == want);
        want++;
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(want - 1, MANY);
    assert_int_equal(prod.n, MANY);
    ns_queue_destroy(&q);
}

static void *close_later(void *arg)
{
    ns_queue_close(arg);
    return NULL;
}

/* A producer on a full queue gives up when it closes, whether the close
 * comes before or during its wait. */
static void test_queue_close_wakes_a_blocked_producer(void **state)
{
    struct ns_queue q;
    int a = 1, b = 2;
    pthread_t t;

    (void)state;
    assert_int_equal(ns_queue_init(&q, 1), NS_OK);
    assert_true(ns_queue_push(&q, &a));
    assert_int_equal(pthread_create(&t, NULL, close_later, &q), 0);
    assert_false(ns_queue_push(&q, &b));
    assert_int_equal(pthread_join(t, NULL), 0);
    ns_queue_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_keeps_order_across_the_ring_end),
        cmocka_unit_test(test_queue_closed_drains_then_stops),
        cmocka_unit_test(test_queue_two_threads_pass_every_item_in_order),
        cmocka_unit_test(test_queue_close_wakes_a_blocked_producer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
