// The model in force: version, threshold, metrics, ROC, precision-recall
// and calibration curves, global importance (all from GET /model); then
// its monitoring on real outcomes: performance per model version and
// week, and input drift of the serving model (GET /monitoring).

import { api } from '../api.js';
import { barChart, chartFigure, curveChart } from '../charts.js';
import { h, put } from '../dom.js';
import { thresholdOf } from '../schema.js';
import { fmtDate, fmtNumber, fmtPercent, t } from '../i18n.js';

// Shown only when a model is loaded (main.js).
export const needsModel = true;

// A curve may come as parallel arrays ({fpr: [], tpr: []}), as a list of
// objects ([{fpr, tpr}]) or as pairs ([[x, y]]).
function toPoints(curve, xNames, yNames) {
    if (!curve) {
        return [];
    }
    const pick = (o, names) => names.map((n) => o[n]).find((v) =>
        v !== undefined);
    if (Array.isArray(curve)) {
        return curve.map((p) => Array.isArray(p) ? { x: p[0], y: p[1] }
            : { x: pick(p, xNames), y: pick(p, yNames) })
            .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    }
    const xs = pick(curve, xNames) ?? [];
    const ys = pick(curve, yNames) ?? [];
    return xs.map((x, i) => ({ x, y: ys[i] })).filter((p) =>
        Number.isFinite(p.x) && Number.isFinite(p.y));
}

function flatMetrics(m, prefix = '', out = []) {
    for (const [k, v] of Object.entries(m ?? {})) {
        if (k === 'curves' || k === 'roc' || k === 'pr' ||
                k === 'calibration') {
            continue;
        }
        if (typeof v === 'number') {
            out.push([prefix + k, v]);
        } else if (v && typeof v === 'object' && !Array.isArray(v)) {
            flatMetrics(v, `${prefix}${k}.`, out);
        }
    }
    return out;
}

// The curves may sit at the top of the metrics or one level down (per
// evaluation set, such as "test"): the first object holding "roc" wins.
function findCurves(o, depth = 0) {
    if (!o || typeof o !== 'object' || Array.isArray(o) || depth > 3) {
        return null;
    }
    if (o.roc || o.pr || o.calibration) {
        return o;
    }
    for (const v of Object.values(o)) {
        const c = findCurves(v, depth + 1);
        if (c) {
            return c;
        }
    }
    return null;
}

// Global importance: a list of {name|column|feature, value}, the
// service's {groups: [{name, mean_abs}], features: [...]} (groups are the
// input columns staff know), or an object of name: value.
function importanceOf(model) {
    let imp = model.importance ?? model.metrics?.importance ?? [];

    if (!Array.isArray(imp) && Array.isArray(imp.groups ?? imp.features)) {
        imp = (imp.groups ?? imp.features).map((g) => ({ name: g.name,
            value: g.mean_abs ?? g.value }));
    }
    if (Array.isArray(imp)) {
        return imp.map((x) => [x.column ?? x.feature ?? x.name,
            Number(x.value ?? x.importance ?? x.mean_abs_shap ?? 0)]);
    }
    return Object.entries(imp).map(([k, v]) => [k, Number(v)]);
}

// The band limits, {low_below, high_from}, as one line.
function bandsFact(bands) {
    const lo = Number(bands?.low_below);
    const hi = Number(bands?.high_from);

    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
        return null;
    }
    return [h('dt', {}, t('bands')), h('dd', {}, t('bands_text', {
        lo: fmtPercent(lo), hi: fmtPercent(hi) }))];
}

// Performance rows of GET /monitoring: one per model version, each
// followed by its weeks ({version, week, rows, auc, brier, observed,
// predicted}); week is null on a version's total row.
export function performanceRows(mon) {
    const out = [];
    const row = (version, week, g) => ({ version, week, rows: g.rows ?? 0,
        auc: g.roc_auc ?? null, brier: g.brier ?? null,
        observed: g.observed_rate ?? null,
        predicted: g.predicted_rate ?? null });

    for (const v of mon?.performance?.versions ?? []) {
        out.push(row(v.model_version, null, v));
        for (const w of v.weeks ?? []) {
            out.push(row(v.model_version, w.week, w));
        }
    }
    return out;
}

// Drift rows of GET /monitoring, the drifting inputs first, then by PSI
// (inputs without a PSI yet, below the minimum rows, last).
export function driftRows(mon) {
    const feats = mon?.drift?.features ?? [];
    const key = (f) => f.psi ?? -1;

    return feats.map((f) => ({ name: f.name, psi: f.psi ?? null,
        warning: Boolean(f.warning) }))
        .sort((a, b) => Number(b.warning) - Number(a.warning) ||
            key(b) - key(a));
}

const num = (x, d) => (x === null ? '—' : fmtNumber(x, d));
const pct = (x) => (x === null ? '—' : fmtPercent(x));

function performanceTable(rows) {
    if (!rows.length) {
        return h('p', { class: 'hint', id: 'monitoring-perf' },
            t('mon_no_outcomes'));
    }
    const cols = ['version', 'mon_week', 'mon_rows', 'mon_auc', 'mon_brier',
        'mon_observed', 'mon_predicted'];
    return h('table', { class: 'data compact', id: 'monitoring-perf' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' },
            t(c))))),
        h('tbody', {}, rows.map((r) => h('tr', {
            class: r.week ? null : 'total' },
        h('td', {}, r.version), h('td', {}, r.week ? fmtDate(r.week)
            : t('mon_all_weeks')),
        h('td', { class: 'num' }, fmtNumber(r.rows, 0)),
        h('td', { class: 'num' }, num(r.auc, 3)),
        h('td', { class: 'num' }, num(r.brier, 4)),
        h('td', { class: 'num' }, pct(r.observed)),
        h('td', { class: 'num' }, pct(r.predicted))))));
}

function driftSection(mon) {
    const d = mon?.drift;
    const rows = driftRows(mon);
    const warned = rows.filter((r) => r.warning).map((r) => r.name);

    if (!d) {
        return h('p', { class: 'hint', id: 'monitoring-drift' },
            t('no_data'));
    }
    return [
        h('p', { class: 'hint' }, t('mon_drift_intro', { n: d.rows ?? 0,
            warn: fmtNumber(d.warn_above ?? 0.2, 2),
            min: d.min_rows ?? 100 })),
        warned.length ? h('p', { class: 'notice notice-warn',
            id: 'drift-warning', role: 'status' }, t('mon_drift_warn',
            { names: warned.join(', ') })) : null,
        h('table', { class: 'data compact', id: 'monitoring-drift' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' },
                t('mon_input')), h('th', { scope: 'col' }, 'PSI'),
            h('th', { scope: 'col' }, t('mon_state')))),
            h('tbody', {}, rows.map((r) => h('tr', {},
                h('td', {}, r.name), h('td', { class: 'num' },
                    num(r.psi, 3)),
                h('td', { class: r.warning ? 'band-high' : null },
                    r.psi === null ? t('mon_too_few') : r.warning
                        ? t('mon_drifting') : t('mon_stable')))))),
    ];
}

// Fills the monitoring section once GET /monitoring answers; a failure
// is shown in place, the rest of the page stays.
async function loadMonitoring(slot) {
    try {
        const mon = await api('GET', '/monitoring');
        slot.replaceChildren();
        put(slot, h('h3', {}, t('mon_performance')),
            performanceTable(performanceRows(mon)),
            h('h3', {}, t('mon_drift')), driftSection(mon));
    } catch (e) {
        slot.replaceChildren(h('p', { class: 'notice notice-error' },
            t('mon_failed', { detail: e.message })));
    }
}

export function render(main, ctx) {
    const m = ctx.model;
    const metrics = m.metrics ?? {};
    const curves = findCurves(m.curves) ?? findCurves(metrics) ?? {};
    const grid = h('div', { class: 'chart-grid', id: 'model-grid' });
    const thr = thresholdOf(m);
    const rows = flatMetrics(metrics);
    const labels = new Map(ctx.schema.columns.map((c) => [c.name, c.label]));
    const imp = importanceOf(m).sort((a, b) => b[1] - a[1]).slice(0, 20)
        .map(([k, v]) => [labels.get(k) ?? k, v]);

    main.append(h('h1', {}, t('model_title')),
        h('dl', { class: 'facts card' },
            h('dt', {}, t('version')), h('dd', { id: 'model-version' },
                m.version ?? '—'),
            h('dt', {}, t('created')), h('dd', {}, fmtDate(m.created ??
                m.created_at, true)),
            h('dt', {}, t('schema_name')), h('dd', {}, ctx.schema.name),
            h('dt', {}, t('threshold_in_force')), h('dd', {
                id: 'model-threshold' }, fmtPercent(thr),
            m.threshold?.rule ? ` (${t('rule')} ${m.threshold.rule})` : ''),
            bandsFact(m.bands)),
        h('h2', {}, t('metrics')),
        h('table', { class: 'data compact', id: 'metrics-table' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('metric')),
                h('th', { scope: 'col' }, t('value')))),
            h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('td', {}, k),
                h('td', { class: 'num' }, fmtNumber(v, 4)))))),
        grid);

    const specs = [
        [t('roc'), toPoints(curves.roc, ['fpr', 'x'], ['tpr', 'y']),
            { xLabel: t('fpr'), yLabel: t('tpr'), diagonal: true }],
        [t('pr'), toPoints(curves.pr, ['recall', 'x'], ['precision', 'y']),
            { xLabel: t('recall'), yLabel: t('precision') }],
        [t('calibration'), toPoints(curves.calibration,
            ['predicted', 'mean_predicted', 'x'],
            ['observed_rate', 'observed', 'fraction_positive', 'y']),
        { xLabel: t('predicted'), yLabel: t('observed'), diagonal: true,
            pointRadius: 3 }],
    ];
    for (const [title, pts, opts] of specs) {
        const { fig, canvas } = chartFigure(title);
        grid.appendChild(fig);
        if (pts.length) {
            curveChart(canvas, pts, { label: title, diagonalLabel: t('ideal'),
                ...opts });
        } else {
            fig.querySelector('.chart-box').replaceWith(h('p',
                { class: 'hint' }, t('no_data')));
        }
    }
    const units = m.importance?.units;
    const { fig, canvas } = chartFigure(units ? `${t('importance')} (${
        units})` : t('importance'));
    fig.classList.add('chart-wide');
    grid.appendChild(fig);
    if (imp.length) {
        barChart(canvas, imp.map((x) => x[0]), imp.map((x) => x[1]),
            { horizontal: true, label: t('importance') });
    } else {
        fig.querySelector('.chart-box').replaceWith(h('p',
            { class: 'hint' }, t('no_data')));
    }
    const slot = h('section', { id: 'monitoring', 'aria-live': 'polite' },
        h('p', { class: 'hint' }, t('loading')));
    main.append(h('h2', {}, t('mon_title')), slot);
    loadMonitoring(slot);
}
