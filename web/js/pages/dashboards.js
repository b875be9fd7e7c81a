// Page 4: statistics over the stored appointments (GET /appointments):
// by specialty, by area, status distribution, ages, no-show rate by week
// and by lead time. A chart whose column the schema lacks says so.

import { fetchAll } from '../api.js';
import { barChart, chartFigure, COLORS, makeChart } from '../charts.js';
import { h } from '../dom.js';
import { fmtDate, fmtPercent, statusLabel, t } from '../i18n.js';
import { findColumn } from '../schema.js';
import { apptDate, field, leadDays } from '../appt.js';

// LIMITATION: the charts are computed in the browser over at most the
// MAX_ROWS riskiest stored appointments (GET /appointments pages). With
// more appointments than that the figures describe that subset only, and
// the page says over how many it computed. A fix needs aggregate routes
// in the service (counts and rates grouped by column, week, lead time).
const MAX_ROWS = 5000;
const LEAD_BINS = [[0, 0], [1, 2], [3, 7], [8, 14], [15, 30], [31, 60],
    [61, Infinity]];
const STATUS_COLORS = {
    pending: '#6b7280', pending_confirmation: '#b26a00',
    confirmed: '#1f5fa8', honored: '#2e7d32', cancelled: '#7b3fa0',
    no_show: '#c0392b',
};

function countBy(items, keyOf, top = 15) {
    const m = new Map();

    for (const a of items) {
        const k = keyOf(a);
        if (k !== undefined && k !== null && k !== '') {
            m.set(String(k), (m.get(String(k)) ?? 0) + 1);
        }
    }
    return [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, top);
}

// No-show rate among appointments whose outcome is known.
function rateBy(items, keyOf, order) {
    const m = new Map();

    for (const a of items) {
        if (a.status !== 'honored' && a.status !== 'no_show') {
            continue;
        }
        const k = keyOf(a);
        if (k === null || k === undefined) {
            continue;
        }
        const c = m.get(k) ?? { n: 0, miss: 0 };
        c.n++;
        c.miss += a.status === 'no_show' ? 1 : 0;
        m.set(k, c);
    }
    const keys = order ? order.filter((k) => m.has(k)) : [...m.keys()].sort();
    return keys.map((k) => [k, m.get(k).miss / m.get(k).n]);
}

function weekStart(iso) {
    const d = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);

    if (!Number.isFinite(d)) {
        return null;
    }
    const day = Math.floor(d / 86400000);
    // 1970-01-01 was a Thursday: shift so weeks start on Monday.
    const monday = day - ((day + 3) % 7);
    return new Date(monday * 86400000).toISOString().slice(0, 10);
}

function leadBin(a) {
    const d = leadDays(a);

    if (d === null) {
        return null;
    }
    const b = LEAD_BINS.find(([lo, hi]) => d >= lo && d <= hi);
    return b[1] === Infinity ? `${b[0]}+` : b[0] === b[1] ? `${b[0]}`
        : `${b[0]}–${b[1]}`;
}

function panel(grid, title, build) {
    const { fig, canvas } = chartFigure(title);
    const ok = build(canvas);

    if (ok !== true) {
        fig.querySelector('.chart-box').replaceWith(h('p', { class: 'hint' },
            typeof ok === 'string' ? ok : t('no_data')));
    }
    grid.appendChild(fig);
}

function countChart(canvas, pairs, label) {
    if (!pairs.length) {
        return false;
    }
    barChart(canvas, pairs.map((p) => p[0]), pairs.map((p) => p[1]),
        { label });
    return true;
}

export async function render(main, ctx) {
    const items = await fetchAll('/appointments', { limit: '1000' },
        MAX_ROWS);
    const spec = findColumn(ctx.schema, /special/i, ['categorical']);
    const area = findColumn(ctx.schema,
        /area|neighbou?rhood|district|region|bairro/i, ['categorical']);
    const age = findColumn(ctx.schema, /^age$|age/i, ['numeric']);
    const grid = h('div', { class: 'chart-grid', id: 'dash-grid' });
    const leadOrder = LEAD_BINS.map(([lo, hi]) => hi === Infinity ?
        `${lo}+` : lo === hi ? `${lo}` : `${lo}–${hi}`);

    main.append(h('h1', {}, t('dash_title')),
        h('p', {}, t('dash_intro', { n: items.length })), grid);

    panel(grid, t('by_specialty'), (c) => spec ? countChart(c,
        countBy(items, (a) => field(a, spec.name)), t('count'))
        : t('not_in_schema', { what: t('specialty') }));
    panel(grid, t('by_area'), (c) => area ? countChart(c,
        countBy(items, (a) => field(a, area.name)), t('count'))
        : t('not_in_schema', { what: t('by_area') }));
    panel(grid, t('status_dist'), (c) => {
        const pairs = countBy(items, (a) => a.status);
        if (!pairs.length) {
            return false;
        }
        makeChart(c, { type: 'doughnut', data: {
            labels: pairs.map((p) => statusLabel(p[0])),
            datasets: [{ data: pairs.map((p) => p[1]),
                backgroundColor: pairs.map((p) => STATUS_COLORS[p[0]] ??
                    COLORS.grey) }],
        }, options: { plugins: { legend: { position: 'bottom' } } } });
        return true;
    });
    panel(grid, t('age_hist'), (c) => {
        if (!age) {
            return t('not_in_schema', { what: 'age' });
        }
        const bins = new Array(12).fill(0);
        let n = 0;
        for (const a of items) {
            const v = Number(field(a, age.name));
            if (Number.isFinite(v) && field(a, age.name) !== null) {
                bins[Math.min(11, Math.max(0, Math.floor(v / 10)))]++;
                n++;
            }
        }
        if (!n) {
            return false;
        }
        barChart(c, bins.map((_, i) => i === 11 ? '110+' :
            `${i * 10}–${i * 10 + 9}`), bins, { label: t('count') });
        return true;
    });
    panel(grid, t('rate_time'), (c) => {
        const pairs = rateBy(items, (a) => weekStart(String(apptDate(a))));
        if (!pairs.length) {
            return false;
        }
        makeChart(c, { type: 'line', data: {
            labels: pairs.map((p) => fmtDate(p[0])),
            datasets: [{ label: t('rate'), data: pairs.map((p) => p[1]),
                borderColor: COLORS.line, backgroundColor: COLORS.line }],
        }, options: { plugins: { legend: { display: false } },
            scales: { y: { beginAtZero: true, suggestedMax: 0.5,
                ticks: { callback: (v) => fmtPercent(v, 0) } } } } });
        return true;
    });
    panel(grid, t('rate_lead'), (c) => {
        const pairs = rateBy(items, leadBin, leadOrder);
        if (!pairs.length) {
            return false;
        }
        barChart(c, pairs.map((p) => p[0]), pairs.map((p) => p[1]),
            { label: t('rate'), percent: true });
        return true;
    });
}
