// The reminders page's rows: status and delivery as GET /actions gives
// them, and notify offered only for acted-on rows never notified.
import assert from 'node:assert/strict';
import { test } from 'node:test';

// i18n.js keeps the language in localStorage, absent under node.
globalThis.localStorage = { getItem: () => 'en', setItem: () => {} };
globalThis.document = { documentElement: {} };
const { actionRows, canNotify, statusText } =
    await import('../../web/js/pages/reminders.js');

const answer = { listed_before: 2, items: [
    { id: 1, group: 'act', status: 'pending_confirmation',
        delivery: { state: 'delivered', attempts: 1 } },
    { id: 2, group: 'control', status: 'pending', delivery: null },
    { id: 3, group: 'act', status: 'pending', delivery: null },
    { id: 4, group: 'act', status: 'confirmed',
        delivery: { state: 'failed' } },
    { id: 5, group: 'act' },
] };

test('reminders_rows_keep_the_status_and_delivery_given', () => {
    const rows = actionRows(answer);

    assert.deepEqual(rows.map((r) => r.status), ['pending_confirmation',
        'pending', 'pending', 'confirmed', 'pending']);
    assert.deepEqual(rows.map((r) => r.delivery), ['delivered', null, null,
        'failed', null]);
    assert.deepEqual(actionRows({}), []);
});

test('reminders_notify_only_acted_on_rows_still_pending', () => {
    const offered = actionRows(answer).filter(canNotify).map((r) => r.id);

    assert.deepEqual(offered, [3, 5]);
});

test('reminders_status_cell_names_status_then_delivery', () => {
    const [notified, control] = actionRows(answer);

    assert.equal(statusText(notified), 'awaiting confirmation · delivered');
    assert.equal(statusText(control), 'pending');
    assert.equal(statusText({ status: 'confirmed', delivery: 'failed' }),
        'confirmed · delivery failed');
});
