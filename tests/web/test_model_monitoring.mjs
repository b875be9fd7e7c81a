// The model page's monitoring rows: performance per version then per
// week, and drift with the drifting inputs first, from GET /monitoring.
import assert from 'node:assert/strict';
import { test } from 'node:test';

// i18n.js keeps the language in localStorage, absent under node.
globalThis.localStorage = { getItem: () => 'en', setItem: () => {} };
globalThis.document = { documentElement: {} };
const { driftRows, performanceRows } =
    await import('../../web/js/pages/model.js');

const mon = {
    model_version: 'v2',
    performance: { versions: [
        { model_version: 'v1', rows: 30, roc_auc: 0.71, brier: 0.14,
            observed_rate: 0.2, predicted_rate: 0.18, weeks: [
                { week: '2016-05-02', rows: 10, roc_auc: null, brier: 0.1,
                    observed_rate: 0, predicted_rate: 0.1 },
                { week: '2016-05-09', rows: 20, roc_auc: 0.7, brier: 0.16,
                    observed_rate: 0.3, predicted_rate: 0.22 }] },
        { model_version: 'v2', rows: 5, roc_auc: 0.8, brier: 0.12,
            observed_rate: 0.2, predicted_rate: 0.25, weeks: [] }] },
    drift: { rows: 250, warn_above: 0.2, min_rows: 100, features: [
        { name: 'Gender', psi: 0.01, warning: false },
        { name: 'Neighbourhood', psi: null, warning: false },
        { name: 'Age', psi: 1.7, warning: true },
        { name: 'SMS_received', psi: 0.08, warning: false }] },
};

test('monitoring_performance_lists_each_version_then_its_weeks', () => {
    const rows = performanceRows(mon);

    assert.deepEqual(rows.map((r) => [r.version, r.week, r.rows]), [
        ['v1', null, 30], ['v1', '2016-05-02', 10], ['v1', '2016-05-09', 20],
        ['v2', null, 5]]);
    assert.equal(rows[1].auc, null);
    assert.equal(rows[2].observed, 0.3);
    assert.equal(rows[3].predicted, 0.25);
    assert.deepEqual(performanceRows({}), []);
});

test('monitoring_drift_puts_warnings_first_then_by_psi', () => {
    const rows = driftRows(mon);

    assert.deepEqual(rows.map((r) => r.name), ['Age', 'SMS_received',
        'Gender', 'Neighbourhood']);
    assert.deepEqual(rows.map((r) => r.warning), [true, false, false,
        false]);
    assert.equal(rows[3].psi, null);
    assert.deepEqual(driftRows({ drift: null }), []);
});
