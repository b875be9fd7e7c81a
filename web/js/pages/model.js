// The model in force: version, threshold, metrics, ROC, precision-recall
// and calibration curves, global importance (all from GET /model).

import { barChart, chartFigure, curveChart } from '../charts.js';
import { h } from '../dom.js';
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
}
