/* The ordered pipeline: every batch worked once and collected in the
 * order filled, with more batches than fit in flight; a failing collect
 * stops the filling and is the error finish reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/stages.h"

#define NB 4
#define ROUNDS 5000

struct item {
    long seq;
    long squared;
    size_t worker;
};

struct ctx {
    long next;          /* the sequence number collect expects */
    long fail_at;       /* -1: never */
    size_t by_worker[2];
};

static void work(void *ctx, size_t k, void *batch)
{
    struct item *it = batch;

    (void)ctx;
    it->squared = it->seq * it->seq;
    it->worker = k;
}

static enum ns_err collect(void *ctx, void *batch, struct ns_error *err)
{
    struct ctx *c = ctx;
    struct item *it = batch;

    if (it->seq != c->next || it->squared != it->seq * it->seq)
        return ns_error_set(err, NS_ERR_INVALID, "batch %ld out of order "
                            "or not worked", it->seq);
    c->by_worker[it->worker]++;
    c->next++;
    if (it->seq == c->fail_at)
        return ns_error_set(err, NS_ERR_IO, "collect failed at %ld",
                            it->seq);
    return NS_OK;
}

static long run(struct ctx *c, struct ns_error *err, enum ns_err *rc)
{
    struct item items[NB];
    void *batches[NB];
    struct ns_stages_ops ops = {c, work, collect};
    struct ns_stages *s;
    long filled = 0;

    for (int i = 0; i < NB; i++)
        batches[i] = &items[i];
    assert_int_equal(ns_stages_start(&ops, 2, batches, NB, &s, err), NS_OK);
    for (; filled < ROUNDS; filled++) {
        struct item *it = ns_stages_next(s);

        if (it == NULL)
            break;
        memset(it, 0, sizeof(*it));
        it->seq = filled;
        ns_stages_submit(s, it);
    }
    *rc = ns_stages_finish(s, err);
    return filled;
}

static void test_stages_collects_in_order(void **state)
{
    struct ctx c = {0, -1, {0, 0}};
    struct ns_error err = {0};
    enum ns_err rc;

    (void)state;
    assert_int_equal(run(&c, &err, &rc), ROUNDS);
    assert_int_equal(rc, NS_OK);
    assert_int_equal(c.next, ROUNDS);
    /* Both workers took their turn. */
    assert_int_equal(c.by_worker[0], ROUNDS / 2);
    assert_int_equal(c.by_worker[1], ROUNDS / 2);
}

static void test_stages_failure_stops_filling(void **state)
{
    struct ctx c = {0, 100, {0, 0}};
    struct ns_error err = {0};
    enum ns_err rc;
    long filled;

    (void)state;
    filled = run(&c, &err, &rc);
    assert_int_equal(rc, NS_ERR_IO);
    assert_string_equal(err.msg, "collect failed at 100");
    /* Nothing after the failure was collected, and the filling stopped
     * within the batches in flight. */
    assert_int_equal(c.next, 101);
    assert_true(filled <= 101 + NB);
}

static void test_stages_refuses_zero_workers(void **state)
{
    struct ctx c = {0, -1, {0, 0}};
    struct ns_stages_ops ops = {&c, work, collect};
    struct item it;
    void *b = &it;
    struct ns_stages *s;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(ns_stages_start(&ops, 0, &b, 1, &s, &err),
                     NS_ERR_INVALID);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_collects_in_order),
        cmocka_unit_test(test_stages_failure_stops_filling),
        cmocka_unit_test(test_stages_refuses_zero_workers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
