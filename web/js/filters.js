// Form fields the list and decision pages share.

import { h } from './dom.js';
import { t } from './i18n.js';
import { findColumn } from './schema.js';

// The day both decision pages work on: today until staff pick another,
// then that one for the rest of the tab's life, so moving between the
// reminders and the overbooking pages keeps the day.
export function dayInput(id) {
    return h('input', { id, type: 'date', required: true,
        value: sessionStorage.getItem('noshow.day') ||
            new Date().toISOString().slice(0, 10),
        onchange: (ev) => {
            if (ev.target.value) {
                sessionStorage.setItem('noshow.day', ev.target.value);
            }
        } });
}

// The specialty filter of a page: col, the schema's categorical specialty
// column (null when it has none); input, a list of its categories (or
// free text when the schema names none) whose value is '' for all; and
// fields, its label and input for a form (null without the column, so
// input.value then stays '').
export function specialtyFilter(schema, id) {
    const col = findColumn(schema, /special/i, ['categorical']);
    const cats = col?.categories;
    const input = Array.isArray(cats) ? h('select', { id },
        h('option', { value: '' }, t('all')),
        cats.map((c) => h('option', { value: c }, c)))
        : h('input', { id, type: 'text' });

    return { col, input,
        fields: col ? [h('label', { for: id }, t('specialty')), input]
            : null };
}
