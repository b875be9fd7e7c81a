// Page 1: a form generated from the active schema; the answer shows the
// probability, the band and the reasons. Field errors, from the checks
// below or from the service's problem+json "errors", appear next to the
// field they concern.

import { api, ApiError } from '../api.js';
import { destroyCharts } from '../charts.js';
import { h, clear, announce, put } from '../dom.js';
import { t } from '../i18n.js';
import { resultPanel } from '../result.js';
import { buildRecord, errorMessage, inputColumns, parseErrorField }
    from '../schema.js';

// Shown only when a model is loaded (main.js).
export const needsModel = true;

function today() {
    return new Date().toISOString().slice(0, 10);
}

function inputFor(col, id, describedBy) {
    const common = { id, name: col.name, 'aria-describedby': describedBy,
        required: col.required || null };

    switch (col.kind) {
    case 'binary':
        return h('select', common, h('option', { value: '' }, t('choose')),
            h('option', { value: '1' }, t('yes')),
            h('option', { value: '0', selected: true }, t('no')));
    case 'categorical':
        if (Array.isArray(col.categories) && col.categories.length) {
            return h('select', common,
                h('option', { value: '' }, t('choose')),
                col.categories.map((c) => h('option', { value: c }, c)));
        }
        return h('input', { ...common, type: 'text' });
    case 'numeric':
        return h('input', { ...common, type: 'number', inputmode: 'decimal',
            min: col.min ?? null, max: col.max ?? null,
            step: col.integer ? '1' : 'any' });
    case 'appt_date':
        return h('input', { ...common, type: 'date', value: today() });
    case 'booked_at':
        return h('input', { ...common, type: 'datetime-local',
            value: new Date().toISOString().slice(0, 16) });
    case 'appt_time':
        return h('input', { ...common, type: 'time', value: '09:00' });
    default:
        return h('input', { ...common, type: 'text' });
    }
}

function hintFor(col) {
    if (col.kind !== 'numeric') {
        return '';
    }
    if (col.min !== null && col.max !== null) {
        return `${col.min} – ${col.max}`;
    }
    return col.min !== null ? `≥ ${col.min}` : col.max !== null ?
        `≤ ${col.max}` : '';
}

// LIMITATION: datetime-local gives wall time without a zone and the form
// sends it as UTC, the zone the service works in. A clinic in another zone
// sees booking times shifted by its offset in the stored record; lead
// days are off by one only for bookings made within that offset of
// midnight. A fix needs the clinic's zone in the schema or the session.
function rawValue(col, el) {
    if (col.kind === 'booked_at' && el.value.length === 16) {
        return `${el.value}:00Z`;
    }
    return el.value;
}

function showErrors(fields, errors) {
    for (const f of Object.values(fields)) {
        f.error.textContent = '';
        f.input.removeAttribute('aria-invalid');
    }
    let first = null;
    for (const e of errors) {
        const f = fields[e.field];
        if (!f) {
            continue;
        }
        f.error.textContent = e.message;
        f.input.setAttribute('aria-invalid', 'true');
        first = first || f.input;
    }
    if (first) {
        first.focus();
    }
    return first !== null;
}

export function render(main, ctx) {
    const fields = {};
    const status = h('div', { role: 'status', 'aria-live': 'polite' });
    const out = h('div', { class: 'result-slot' });
    const grid = h('div', { class: 'form-grid' });
    const canBook = ctx.role !== 'reader';

    for (const col of inputColumns(ctx.schema)) {
        const id = `f-${col.name.replace(/\W/g, '_')}`;
        const errId = `${id}-err`;
        const hint = hintFor(col);
        const input = inputFor(col, id, errId);
        const error = h('span', { class: 'field-error', id: errId });
        grid.appendChild(h('div', { class: 'field' },
            h('label', { for: id }, col.label,
                col.required ? h('span', { 'aria-hidden': 'true' }, ' *')
                    : null,
                hint ? h('span', { class: 'hint' }, ` (${hint})`) : null),
            input, error));
        fields[col.name] = { col, input, error };
    }

    async function submit(path) {
        const raw = {};
        for (const [name, f] of Object.entries(fields)) {
            raw[name] = rawValue(f.col, f.input);
        }
        const { record, errors } = buildRecord(ctx.schema, raw);
        if (showErrors(fields, errors)) {
            destroyCharts();
            clear(out);
            announce(status, t('fix_fields'), 'error');
            return;
        }
        announce(status, t('loading'));
        try {
            const r = await api('POST', path, record);
            const res = Array.isArray(r) ? r[0] : r;
            destroyCharts();
            const { panel, draw } = resultPanel(res, ctx);
            clear(out).appendChild(panel);
            draw();
            announce(status, path === '/appointments' && res.id !== undefined
                ? t('booked', { id: res.id }) : '', 'ok');
        } catch (e) {
            const errs = e instanceof ApiError ? e.fieldErrors.map((x) =>
                ({ field: parseErrorField(x).field,
                    message: errorMessage(x) })) : [];
            // A stale answer next to a refused form would mislead.
            destroyCharts();
            clear(out);
            announce(status, showErrors(fields, errs) ? t('fix_fields')
                : t('error', { detail: e.message }), 'error');
        }
    }

    const form = h('form', { class: 'card', novalidate: true,
        'aria-labelledby': 'predict-h', onsubmit: (ev) => {
            ev.preventDefault();
            submit('/predict?reasons=true');
        } },
    grid,
    h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary', id: 'predict-btn' },
            t('predict_submit')),
        canBook ? h('button', { type: 'button', id: 'book-btn',
            onclick: () => submit('/appointments') }, t('book_submit'))
            : null),
    status);

    if (!canBook) {
        form.querySelector('#predict-btn').disabled = true;
    }
    put(main, h('h1', { id: 'predict-h' }, t('predict_title')),
        h('p', {}, t('predict_intro')),
        canBook ? null : h('p', { class: 'notice notice-info' },
            t('reader_no_predict')),
        h('div', { class: 'two-col' }, form, out));
}
