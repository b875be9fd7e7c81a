/* The store operations behind the decision routes, on an in-memory
 * SQLite database: an action group is recorded once and then kept,
 * recent contact looks at other appointments within the period only,
 * the effect counts take listed appointments with an outcome, and the
 * listed appointments of a day come back in listing order whatever
 * their status. (The
 * API tests run the same operations on MariaDB.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "util/timeutil.h"

#define NOW 1700000000000LL
#define DAY_MS 86400000LL

static void ok(enum ns_err rc, const struct ns_error *e, const char *what)
{
    if (rc != NS_OK)
        fail_msg("%s: %s", what, e->msg);
}

static int64_t book_in(struct store *s, const char *patient, int32_t day,
                       const char *specialty, double risk)
{
    struct store_appt_new a = {0};
    struct store_book_result r = {0};
    struct ns_error e;

    a.patient_ref = patient;
    a.booked_at = 1461945600;
    a.appt_day = day;
    a.appt_time = -1;
    a.specialty = specialty;
    a.risk = risk;
    a.now_ms = NOW;
    ok(store_book(s, &a, NULL, NULL, NULL, &r, &e), &e, "store_book");
    store_book_result_free(&r);
    return r.id;
}

static int64_t book(struct store *s, const char *patient, int32_t day)
{
    return book_in(s, patient, day, NULL, 0.5);
}

static int setup(void **state)
{
    struct store *s = NULL;

    if (store_open("sqlite::memory:", &s, NULL) != NS_OK)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    store_close(*state);
    return 0;
}

static void test_action_assign_first_group_kept(void **state)
{
    struct store *s = *state;
    int64_t id = book(s, "p1", 16923);
    struct ns_error e;
    int group, is_new;

    ok(store_action_assign(s, id, 1, "t", NOW, &group, &is_new, &e), &e,
       "first assignment");
    assert_int_equal(group, 1);
    assert_int_equal(is_new, 1);
    ok(store_action_assign(s, id, 0, "t", NOW, &group, &is_new, &e), &e,
       "second assignment");
    if (group != 1 || is_new != 0)
        fail_msg("a second listing changed the group to %d (new %d)",
                 group, is_new);
}

static void test_action_assign_unknown_id_not_found(void **state)
{
    struct ns_error e;
    int group, is_new;

    assert_int_equal(store_action_assign(*state, 999999, 0, "t", NOW,
                                         &group, &is_new, &e),
                     NS_ERR_NOT_FOUND);
    assert_string_equal(e.field, "id");
}

static void test_contacted_other_appointment_within_period(void **state)
{
    struct store *s = *state;
    int64_t a = book(s, "p2", 16923), b = book(s, "p2", 16930);
    struct ns_error e;
    int64_t job;
    int c;

    ok(store_notify(s, a, "m", "{}", "t", NOW, &job, &e), &e, "notify");
    ok(store_contacted(s, "p2", b, NOW - 7 * DAY_MS, &c, &e), &e, "q1");
    assert_int_equal(c, 1);
    ok(store_contacted(s, "p2", b, NOW + 1, &c, &e), &e, "q2");
    if (c != 0)
        fail_msg("a contact before the period still counts");
    ok(store_contacted(s, "p2", a, NOW - 7 * DAY_MS, &c, &e), &e, "q3");
    if (c != 0)
        fail_msg("the appointment's own reminder counts as a contact");
    ok(store_contacted(s, NULL, b, 0, &c, &e), &e, "q4");
    assert_int_equal(c, 0);
}

static void test_action_counts_only_with_outcome(void **state)
{
    struct store *s = *state;
    struct store_action_counts before, after;
    int64_t ids[3];
    struct ns_error e;
    int g, n, rep;

    ok(store_action_counts(s, &before, &e), &e, "counts before");
    for (int i = 0; i < 3; i++) {
        ids[i] = book(s, "p3", 16940 + i);
        ok(store_action_assign(s, ids[i], i == 2, "t", NOW, &g, &n, &e),
           &e, "assign");
    }
    ok(store_set_outcome(s, ids[0], STORE_NO_SHOW, 1462000000, "t", NOW,
                         &rep, &e), &e, "outcome 0");
    ok(store_set_outcome(s, ids[2], STORE_HONORED, 1462000000, "t", NOW,
                         &rep, &e), &e, "outcome 2");
    ok(store_action_counts(s, &after, &e), &e, "counts after");
    /* ids[1] has no outcome yet: it is not counted. */
    assert_int_equal(after.acted - before.acted, 1);
    assert_int_equal(after.acted_noshows - before.acted_noshows, 1);
    assert_int_equal(after.control - before.control, 1);
    assert_int_equal(after.control_noshows - before.control_noshows, 0);
}

/* The listing order, not the risk, decides the place: a later listing of
 * a riskier appointment goes after the earlier ones. */
static void test_action_listed_order_status_and_specialty(void **state)
{
    struct store *s = *state;
    int32_t day = 16950;
    int64_t low = book_in(s, "p4", day, "eye", 0.3);
    int64_t high = book_in(s, "p5", day, "skin", 0.9);
    int64_t never = book_in(s, "p6", day, "eye", 0.8);
    int64_t other = book_in(s, "p7", day + 1, "eye", 0.7);
    struct store_listed l = {0};
    struct ns_error e;
    int64_t job;
    int g, n;

    (void)never;     /* on the day, never listed: must not come back */
    ok(store_action_listed(s, day, NULL, &l, &e), &e, "listed, none yet");
    assert_int_equal(l.n, 0);
    store_listed_free(&l);
    ok(store_action_assign(s, low, 0, "t", NOW, &g, &n, &e), &e, "low");
    ok(store_action_assign(s, high, 1, "t", NOW, &g, &n, &e), &e, "high");
    ok(store_action_assign(s, other, 0, "t", NOW, &g, &n, &e), &e, "other");
    ok(store_notify(s, low, "m", "{}", "t", NOW, &job, &e), &e, "notify");
    ok(store_action_listed(s, day, NULL, &l, &e), &e, "listed");
    if (l.n != 2 || l.items[0].appt.id != low || l.items[1].appt.id != high)
        fail_msg("expected appointments %lld then %lld listed, got %zu "
                 "rows", (long long)low, (long long)high, l.n);
    if (l.items[0].control != 0 || l.items[1].control != 1)
        fail_msg("groups %d, %d; expected act then control",
                 l.items[0].control, l.items[1].control);
    if (l.items[0].appt.status != STORE_PENDING_CONFIRMATION)
        fail_msg("the notified appointment reads as %s",
                 store_status_name(l.items[0].appt.status));
    assert_string_equal(l.items[1].appt.specialty, "skin");
    store_listed_free(&l);
    ok(store_action_listed(s, day, "eye", &l, &e), &e, "listed eye");
    if (l.n != 1 || l.items[0].appt.id != low)
        fail_msg("specialty eye: %zu rows, expected appointment %lld only",
                 l.n, (long long)low);
    store_listed_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_assign_first_group_kept),
        cmocka_unit_test(test_action_assign_unknown_id_not_found),
        cmocka_unit_test(test_contacted_other_appointment_within_period),
        cmocka_unit_test(test_action_counts_only_with_outcome),
        cmocka_unit_test(test_action_listed_order_status_and_specialty),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
