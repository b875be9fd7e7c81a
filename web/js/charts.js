// Chart.js (served from /vendor, loaded as a classic script before the
// modules) with the app's colours; every chart is destroyed before its
// page is left so that polling pages do not leak canvases.

import { h } from './dom.js';
import { fmtNumber, fmtPercent, intlLocale } from './i18n.js';

export const COLORS = {
    raise: '#c0392b',
    lower: '#1f5fa8',
    bar: '#2f6f8f',
    line: '#7b3fa0',
    grey: '#6b7280',
    low: '#2e7d32',
    medium: '#b26a00',
    high: '#c0392b',
};

const live = new Set();

export function destroyCharts() {
    for (const c of live) {
        c.destroy();
    }
    live.clear();
}

// A figure with a title, a canvas and an accessible description.
export function chartFigure(title, description) {
    const canvas = h('canvas', { role: 'img', 'aria-label': description ||
        title });
    const fig = h('figure', { class: 'chart' },
        h('figcaption', {}, title), h('div', { class: 'chart-box' }, canvas));

    return { fig, canvas };
}

export function makeChart(canvas, config) {
    /* global Chart */
    config.options = Object.assign({
        locale: intlLocale(),
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
    }, config.options || {});
    const chart = new Chart(canvas, config);

    live.add(chart);
    return chart;
}

// Long category labels as lines of about max characters (Chart.js draws
// an array label on several lines instead of cutting it).
function wrap(label, max = 22) {
    const lines = [];
    let cur = '';

    for (const word of String(label).split(' ')) {
        if (cur && cur.length + word.length + 1 > max) {
            lines.push(cur);
            cur = word;
        } else {
            cur = cur ? `${cur} ${word}` : word;
        }
    }
    lines.push(cur);
    return lines.length > 1 ? lines : lines[0];
}

export function barChart(canvas, labels, values, opts = {}) {
    return makeChart(canvas, {
        type: 'bar',
        data: {
            labels: opts.horizontal ? labels.map((l) => wrap(l)) : labels,
            datasets: [{
                label: opts.label || '',
                data: values,
                backgroundColor: opts.colors || COLORS.bar,
            }],
        },
        options: {
            indexAxis: opts.horizontal ? 'y' : 'x',
            plugins: { legend: { display: false } },
            scales: opts.percent ? {
                [opts.horizontal ? 'x' : 'y']: {
                    ticks: { callback: (v) => fmtPercent(v, 0) },
                    beginAtZero: true,
                },
            } : {},
        },
    });
}

// A curve given as points {x, y}, with an optional reference line.
export function curveChart(canvas, points, opts) {
    const datasets = [{
        label: opts.label,
        data: points,
        borderColor: COLORS.line,
        backgroundColor: COLORS.line,
        pointRadius: opts.pointRadius ?? 0,
        showLine: true,
        borderWidth: 2,
    }];

    if (opts.diagonal) {
        datasets.push({
            label: opts.diagonalLabel,
            data: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
            borderColor: COLORS.grey,
            borderDash: [6, 4],
            pointRadius: 0,
            showLine: true,
            borderWidth: 1,
        });
    }
    return makeChart(canvas, {
        type: 'scatter',
        data: { datasets },
        options: {
            scales: {
                x: { min: 0, max: 1, title: { display: true,
                    text: opts.xLabel } },
                y: { min: 0, max: 1, title: { display: true,
                    text: opts.yLabel } },
            },
            plugins: {
                tooltip: { callbacks: { label: (c) =>
                    `${fmtNumber(c.parsed.x, 3)} ; ${fmtNumber(c.parsed.y, 3)}`,
                } },
            },
        },
    });
}

// True when a canvas has at least one non-transparent pixel.
export function canvasDrawn(canvas) {
    const ctx = canvas.getContext('2d');
    const { width, height } = canvas;

    if (!ctx || width === 0 || height === 0) {
        return false;
    }
    const data = ctx.getImageData(0, 0, width, height).data;
    for (let i = 3; i < data.length; i += 4) {
        if (data[i] !== 0) {
            return true;
        }
    }
    return false;
}
