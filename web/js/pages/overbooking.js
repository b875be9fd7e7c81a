// Overbooking advice for a session (GET /overbooking): how many extra
// bookings keep the chance of more patients than slots under the chosen
// risk, the distribution of the number of patients who come (before and
// after the extra bookings, slot count marked) and the expected idle
// slots and overflow before and after.

import { api } from '../api.js';
import { chartFigure, COLORS, destroyCharts, makeChart }
    from '../charts.js';
import { h, clear, announce, put } from '../dom.js';
import { fmtNumber, fmtPercent, t } from '../i18n.js';
import { dayInput, specialtyFilter } from '../filters.js';

const DEFAULT_SLOTS = 20;
const DEFAULT_RISK_PCT = 10;

// Draws a dashed vertical line after the bar of `slots` patients, with
// its label, so the reader sees which bars mean an overflow.
function slotLine(slots, label) {
    return {
        id: 'slotLine',
        afterDatasetsDraw(chart) {
            const x = chart.scales.x;
            const { top, bottom } = chart.chartArea;
            const last = chart.data.labels.length - 1;
            const a = x.getPixelForValue(Math.min(slots, last));
            const b = slots < last ? x.getPixelForValue(slots + 1)
                : a + (a - x.getPixelForValue(Math.max(0, last - 1)));
            const at = (a + b) / 2;
            const c = chart.ctx;

            c.save();
            c.strokeStyle = COLORS.high;
            c.fillStyle = COLORS.high;
            c.lineWidth = 2;
            c.setLineDash([6, 4]);
            c.beginPath();
            c.moveTo(at, top);
            c.lineTo(at, bottom);
            c.stroke();
            c.setLineDash([]);
            c.font = '600 12px system-ui, sans-serif';
            c.textAlign = at > (chart.chartArea.left +
                chart.chartArea.right) / 2 ? 'right' : 'left';
            c.fillText(label, at + (c.textAlign === 'right' ? -4 : 4),
                top + 12);
            c.restore();
        },
    };
}

function distChart(canvas, adv, slots) {
    const before = adv.show_distribution_before ?? [];
    const after = adv.show_distribution_after ?? [];
    const n = Math.max(before.length, after.length);
    const labels = Array.from({ length: n }, (_, k) => String(k));
    const over = (k) => k > slots;

    return makeChart(canvas, {
        type: 'bar',
        data: {
            labels,
            datasets: [{
                label: t('ob_before'),
                data: labels.map((_, k) => before[k] ?? 0),
                backgroundColor: COLORS.grey,
            }, {
                label: t('ob_after', { n: adv.extra }),
                data: labels.map((_, k) => after[k] ?? 0),
                backgroundColor: labels.map((_, k) => over(k) ?
                    COLORS.high : COLORS.bar),
            }],
        },
        options: {
            plugins: { legend: { position: 'bottom' },
                tooltip: { callbacks: { label: (c) =>
                    `${c.dataset.label}: ${fmtPercent(c.parsed.y)}` } } },
            scales: {
                x: { title: { display: true, text: t('ob_patients') } },
                y: { beginAtZero: true, title: { display: true,
                    text: t('probability_short') },
                ticks: { callback: (v) => fmtPercent(v, 0) } },
            },
        },
        plugins: [slotLine(slots, t('ob_slots_mark', { n: slots }))],
    });
}

function facts(ans) {
    const a = ans.advice;
    const pair = (key, before, after, fmt) => h('tr', {},
        h('th', { scope: 'row' }, t(key)),
        h('td', { class: 'num' }, fmt(before)),
        h('td', { class: 'num' }, fmt(after)));
    const num = (x) => fmtNumber(x, 1);

    return h('table', { class: 'data compact', id: 'ob-facts' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('ob_what')),
            h('th', { scope: 'col' }, t('ob_now')),
            h('th', { scope: 'col' }, t('ob_with_extra', { n: a.extra })))),
        h('tbody', {},
            pair('ob_booked', ans.booked, ans.booked + a.extra,
                (x) => fmtNumber(x, 0)),
            pair('ob_expected', a.expected_shows_before,
                a.expected_shows_after, num),
            pair('ob_idle', a.idle_before, a.idle_after, num),
            pair('ob_overflow', a.overflow_before, a.overflow_after,
                (x) => fmtPercent(x))));
}

function drawAdvice(slot, ans) {
    const a = ans.advice;

    // One chart per answer: the one of the previous question goes.
    destroyCharts();
    clear(slot);
    if (!a) {
        slot.appendChild(h('p', { class: 'notice notice-info',
            id: 'ob-none' }, t('ob_none')));
        return;
    }
    const { fig, canvas } = chartFigure(t('ob_dist_title'),
        t('ob_dist_desc', { slots: ans.slots, n: ans.booked + a.extra,
            p: fmtPercent(a.overflow_after) }));
    fig.classList.add('chart-wide');
    put(slot, h('section', { class: 'card result', id: 'ob-result',
        'aria-labelledby': 'ob-extra' },
    h('h2', { id: 'ob-extra' }, t('ob_advice')),
    h('p', { class: 'big', id: 'ob-extra-n' }, `+${a.extra}`),
    h('p', {}, t('ob_advice_text', { n: a.extra, slots: ans.slots,
        risk: fmtPercent(ans.risk, 0), p: fmtPercent(a.overflow_after),
        show: fmtPercent(a.extra_show_probability) })),
    ans.unscored ? h('p', { class: 'notice notice-warn' },
        t('ob_unscored', { n: ans.unscored })) : null,
    facts(ans)), h('div', { class: 'chart-grid', id: 'ob-grid' }, fig));
    distChart(canvas, a, ans.slots);
}

export async function render(main, ctx) {
    const spec = specialtyFilter(ctx.schema, 'ob-spec');
    const status = h('div', { id: 'ob-status', role: 'status',
        'aria-live': 'polite' });
    const out = h('div', { id: 'ob-out' });
    const date = dayInput('ob-date');
    const slots = h('input', { id: 'ob-slots', type: 'number', min: 1,
        max: 1000, step: 1, required: true, value: DEFAULT_SLOTS });
    const risk = h('input', { id: 'ob-risk', type: 'number', min: 1,
        max: 99, step: 1, required: true, value: DEFAULT_RISK_PCT });

    // Only the latest question's answer is drawn: the one asked on
    // opening the page may come back after the user's own.
    let asked = 0;
    const ask = async () => {
        const mine = ++asked;
        const q = new URLSearchParams({ date: date.value, slots: slots.value,
            risk: String(Number(risk.value) / 100) });
        if (spec.input.value) {
            q.set('specialty', spec.input.value);
        }
        try {
            announce(status, '', 'info');
            const ans = await api('GET', `/overbooking?${q}`);
            if (mine === asked) {
                drawAdvice(out, ans);
            }
        } catch (e) {
            if (mine === asked) {
                clear(out);
                announce(status, t('error', { detail: e.message }), 'error');
            }
        }
    };

    put(main, h('h1', {}, t('ob_title')), h('p', {}, t('ob_intro')),
        h('form', { class: 'filters card', id: 'ob-form', onsubmit: (ev) => {
            ev.preventDefault();
            ask();
        } },
        h('label', { for: 'ob-date' }, t('date')), date,
        spec.fields,
        h('label', { for: 'ob-slots' }, t('ob_slots')), slots,
        h('label', { for: 'ob-risk' }, t('ob_risk')), risk,
        h('button', { type: 'submit', class: 'primary', id: 'ob-go' },
            t('ob_go'))),
        status, out);
    await ask();
    return null;
}
