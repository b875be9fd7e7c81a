// Shows one score: probability, coloured band, decision against the
// threshold, and the reasons as a horizontal SHAP bar chart.

import { barChart, chartFigure, COLORS } from './charts.js';
import { h } from './dom.js';
import { bandLabel, fmtNumber, fmtPercent, t } from './i18n.js';
import { thresholdOf } from './schema.js';

export function probabilityOf(r) {
    return Number(r?.probability ?? r?.risk ?? r?.score ?? NaN);
}

export function bandOf(r) {
    return String(r?.band ?? r?.risk_band ?? '').toLowerCase();
}

export function bandBadge(band) {
    return h('span', { class: `band band-${band || 'none'}` },
        bandLabel(band || '—'));
}

// Reasons in any of the spellings a score may use, largest effect first.
export function reasonsOf(r, schema) {
    const list = r?.reasons ?? r?.top_reasons ?? [];
    const labels = new Map((schema?.columns ?? []).map((c) =>
        [c.name, c.label]));

    return (Array.isArray(list) ? list : []).map((x) => {
        const name = x.group ?? x.column ?? x.feature ?? x.name ?? '';
        const label = x.label ?? labels.get(name) ?? name;
        // The service's sentence names the value in words ("age 62",
        // "neighbourhood JARDIM DA PENHA"); its part before the colon is
        // the best bar label. Without one: label = value.
        const said = typeof x.text === 'string' ? x.text.split(':')[0]
            : null;
        return {
            name,
            label,
            value: x.value,
            bar: said || (x.value === undefined || x.value === null ? label
                : `${label} = ${x.value}`),
            text: x.text ?? null,
            contribution: Number(x.contribution ?? x.shap ?? x.impact ?? 0),
        };
    }).sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}

export function reasonsChart(reasons) {
    const { fig, canvas } = chartFigure(t('reasons'), t('reasons_caption'));
    const labels = reasons.map((r) => r.bar);
    const values = reasons.map((r) => r.contribution);
    const colors = values.map((v) => v >= 0 ? COLORS.raise : COLORS.lower);

    fig.appendChild(h('p', { class: 'hint' }, t('reasons_caption')));
    fig.classList.add('chart-reasons');
    return { fig, draw: () => barChart(canvas, labels, values,
        { horizontal: true, colors, label: 'SHAP' }) };
}

// Unknown categories come as a count or as a list of {column, value}.
function unknownText(u) {
    if (typeof u === 'number') {
        return u > 0 ? t('unknown_count', { n: u }) : null;
    }
    if (!Array.isArray(u) || !u.length) {
        return null;
    }
    return t('unknown_categories', { list: u.map((x) => typeof x ===
        'string' ? x : `${x.column ?? x.field}=${x.value}`).join(', ') });
}

export function resultPanel(r, ctx) {
    const p = probabilityOf(r);
    const band = bandOf(r);
    const thr = thresholdOf(ctx.model);
    const reasons = reasonsOf(r, ctx.schema);
    const unknown = unknownText(r?.unknown_categories);
    const panel = h('section', { class: `result card band-edge-${band}`,
        'aria-live': 'polite', id: 'result' },
    h('h2', {}, t('probability')),
    h('p', { class: 'big', id: 'result-probability' }, fmtPercent(p)),
    h('p', {}, `${t('band')} : `, bandBadge(band)),
    Number.isFinite(thr) ? h('p', {}, (r.label ?? p >= thr) ?
        t('decision_yes', { threshold: fmtPercent(thr) })
        : t('decision_no', { threshold: fmtPercent(thr) })) : null,
    unknown ? h('p', { class: 'notice notice-warn' }, unknown) : null,
    r?.model_version ? h('p', { class: 'hint' },
        t('model_version', { version: r.model_version })) : null);
    let draw = () => {};

    if (reasons.length) {
        const chart = reasonsChart(reasons);
        panel.appendChild(chart.fig);
        const table = h('table', { class: 'data compact' },
            h('caption', { class: 'sr-only' }, t('reasons')),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' },
                t('feature')), h('th', { scope: 'col' }, t('value')),
            h('th', { scope: 'col' }, 'SHAP'))),
            h('tbody', {}, reasons.map((x) => h('tr', {},
                h('td', {}, x.text ?? x.label), h('td', {}, x.value ?? ''),
                h('td', { class: x.contribution >= 0 ? 'up' : 'down' },
                    (x.contribution >= 0 ? '+' : '') +
                    fmtNumber(x.contribution, 3))))));
        panel.appendChild(h('details', {}, h('summary', {}, t('details')),
            table));
        draw = chart.draw;
    } else {
        panel.appendChild(h('p', { class: 'hint' }, t('no_reasons')));
    }
    return { panel, draw };
}
