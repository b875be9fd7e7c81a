// Page 3: pending appointments riskiest first, filtered by date,
// specialty and band; notify one, a selection or all above a threshold;
// statuses refresh by polling; an outcome can be recorded.

import { api } from '../api.js';
import { h, clear, announce, put } from '../dom.js';
import { bandLabel, fmtClock, fmtDate, fmtPercent, statusLabel, t }
    from '../i18n.js';
import { bandBadge, bandOf, probabilityOf } from '../result.js';
import { findColumn } from '../schema.js';
import { apptDate, apptRef, eventOf, field } from '../appt.js';

const POLL_MS = 5000;
const OUTCOMES = ['honored', 'cancelled', 'no_show'];

async function load(filters) {
    const lists = [];

    for (const status of filters.statuses) {
        const q = new URLSearchParams({ status, limit: '200' });
        for (const k of ['from', 'to', 'specialty']) {
            if (filters[k]) {
                q.set(k, filters[k]);
            }
        }
        const data = await api('GET', `/appointments?${q}`);
        lists.push(...(Array.isArray(data) ? data : data?.items ?? []));
    }
    return lists.filter((a) => !filters.band || bandOf(a) === filters.band)
        .sort((a, b) => probabilityOf(b) - probabilityOf(a));
}

function dateInput(id, label) {
    return [h('label', { for: id }, label), h('input', { id, type: 'date' })];
}

export async function render(main, ctx) {
    const canAct = ctx.role !== 'reader';
    const specCol = findColumn(ctx.schema, /special/i,
        ['categorical']);
    const status = h('div', { id: 'auto-status', role: 'status',
        'aria-live': 'polite' });
    const updated = h('p', { class: 'hint', id: 'auto-updated' });
    const tableSlot = h('div', { class: 'table-wrap' });
    const detail = h('div', { id: 'auto-detail' });
    const selected = new Set();
    const thrInput = h('input', { id: 'notify-thr', type: 'number',
        min: 0, max: 100, step: 1, value: Math.round(100 *
        Number(ctx.model?.threshold ?? 0.5)) });
    const statusSel = h('select', { id: 'f-status' },
        h('option', { value: 'pending,pending_confirmation' },
            `${statusLabel('pending')} + ${statusLabel(
                'pending_confirmation')}`),
        ['pending', 'pending_confirmation', 'confirmed'].map((s) =>
            h('option', { value: s }, statusLabel(s))));
    const bandSel = h('select', { id: 'f-band' },
        h('option', { value: '' }, t('all')),
        ['high', 'medium', 'low'].map((b) => h('option', { value: b },
            bandLabel(b))));
    const specInput = specCol && Array.isArray(specCol.categories) ?
        h('select', { id: 'f-spec' }, h('option', { value: '' }, t('all')),
            specCol.categories.map((c) => h('option', { value: c }, c)))
        : h('input', { id: 'f-spec', type: 'text' });
    let items = [];
    let timer = null;

    function filters() {
        return {
            statuses: statusSel.value.split(','),
            from: document.getElementById('f-from').value,
            to: document.getElementById('f-to').value,
            specialty: specCol ? specInput.value : '',
            band: bandSel.value,
        };
    }

    async function refresh() {
        try {
            items = await load(filters());
            drawTable();
            updated.textContent = t('last_update', { time: fmtClock(
                new Date()) });
        } catch (e) {
            announce(status, t('error', { detail: e.message }), 'error');
        }
    }

    async function notify(list) {
        let n = 0;
        try {
            for (const a of list) {
                await api('POST', `/appointments/${a.id}/notify`, {
                    message: t('default_message', {
                        date: fmtDate(apptDate(a), true) }),
                });
                n++;
                selected.delete(String(a.id));
            }
            announce(status, t('notified', { n }), 'ok');
        } catch (e) {
            announce(status, t('error', { detail: e.message }), 'error');
        }
        await refresh();
    }

    async function outcome(a, value) {
        try {
            await api('PUT', `/appointments/${a.id}/outcome`, {
                outcome: value, at: new Date().toISOString() });
            announce(status, t('outcome_saved'), 'ok');
        } catch (e) {
            announce(status, t('error', { detail: e.message }), 'error');
        }
        await refresh();
    }

    async function showDetail(a) {
        try {
            const d = await api('GET', `/appointments/${a.id}`);
            const events = d.events ?? [];
            clear(detail).appendChild(h('section', { class: 'card',
                'aria-labelledby': 'detail-h' },
            h('h2', { id: 'detail-h', tabindex: '-1' },
                `${t('appointment')} ${d.id}`),
            h('p', {}, `${t('status')} : ${statusLabel(d.status)}`),
            d.notification_message ? h('p', {}, `${t('message')} : ${
                d.notification_message}`) : null,
            h('h3', {}, t('events')),
            h('ol', { class: 'events' }, events.map(eventOf).map((ev) =>
                h('li', {}, `${fmtDate(ev.at, true)} — ${ev.kind}${
                    ev.actor ? ` (${ev.actor})` : ''}`))),
            h('button', { type: 'button', onclick: () => clear(detail) },
                t('close'))));
            detail.querySelector('h2').focus();
        } catch (e) {
            announce(status, t('error', { detail: e.message }), 'error');
        }
    }

    function rowActions(a) {
        const outSel = h('select', { 'aria-label': `${t('outcome')} ${a.id}` },
            OUTCOMES.map((o) => h('option', { value: o }, statusLabel(o))));
        return h('td', {}, h('div', { class: 'actions' },
            canAct && (a.status === 'pending') ? h('button', {
                type: 'button', class: 'notify-btn', onclick: () =>
                    notify([a]) }, t('notify')) : null,
            canAct ? h('span', { class: 'outcome' }, outSel, h('button', {
                type: 'button', class: 'outcome-btn', onclick: () =>
                    outcome(a, outSel.value) }, t('record_outcome'))) : null,
            h('button', { type: 'button', class: 'link-btn', onclick: () =>
                showDetail(a) }, t('details'))));
    }

    function drawTable() {
        if (!items.length) {
            clear(tableSlot).appendChild(h('p', {}, t('none_pending')));
            return;
        }
        const body = h('tbody', {}, items.map((a) => h('tr', {
            class: `row-${bandOf(a)}`, dataset: { id: a.id } },
        canAct ? h('td', {}, h('input', { type: 'checkbox',
            'aria-label': `${t('select')} ${a.id}`,
            checked: selected.has(String(a.id)), onchange: (ev) => {
                if (ev.target.checked) {
                    selected.add(String(a.id));
                } else {
                    selected.delete(String(a.id));
                }
                drawButtons();
            } })) : null,
        h('td', { class: 'num' }, fmtPercent(probabilityOf(a))),
        h('td', {}, bandBadge(bandOf(a))),
        h('td', {}, fmtDate(apptDate(a), 'auto')),
        h('td', {}, apptRef(a)),
        specCol ? h('td', {}, field(a, specCol.name) ?? '') : null,
        h('td', { class: 'status' }, statusLabel(a.status)),
        rowActions(a))));
        clear(tableSlot).appendChild(h('table', { class: 'data',
            id: 'auto-table' },
        h('thead', {}, h('tr', {},
            canAct ? h('th', { scope: 'col' }, t('select')) : null,
            h('th', { scope: 'col' }, t('risk')),
            h('th', { scope: 'col' }, t('band')),
            h('th', { scope: 'col' }, t('date')),
            h('th', { scope: 'col' }, t('reference')),
            specCol ? h('th', { scope: 'col' }, t('specialty')) : null,
            h('th', { scope: 'col' }, t('status')),
            h('th', { scope: 'col' }, t('actions')))), body));
        drawButtons();
    }

    const bulk = h('div', { class: 'buttons', id: 'bulk' });
    function drawButtons() {
        if (!canAct) {
            return;
        }
        const chosen = items.filter((a) => selected.has(String(a.id)));
        clear(bulk).append(
            h('button', { type: 'button', id: 'notify-selected',
                disabled: chosen.length === 0, onclick: () =>
                    notify(chosen) }, t('notify_selected',
                { n: chosen.length })),
            h('label', { for: 'notify-thr' }, `${t('notify_above')} (%)`),
            thrInput,
            h('button', { type: 'button', id: 'notify-above', onclick: () =>
                notify(items.filter((a) => a.status === 'pending' &&
                    probabilityOf(a) * 100 >= Number(thrInput.value))) },
            t('notify')));
    }

    const form = h('form', { class: 'filters card', onsubmit: (ev) => {
        ev.preventDefault();
        refresh();
    } },
    dateInput('f-from', t('from')), dateInput('f-to', t('to')),
    specCol ? [h('label', { for: 'f-spec' }, t('specialty')), specInput]
        : null,
    h('label', { for: 'f-band' }, t('band')), bandSel,
    h('label', { for: 'f-status' }, t('status')), statusSel,
    h('button', { type: 'submit' }, t('apply')));

    put(main, h('h1', {}, t('auto_title')),
        h('p', {}, t('auto_intro', { s: POLL_MS / 1000 })),
        canAct ? null : h('p', { class: 'notice notice-info' },
            t('reader_no_notify')),
        form, bulk, status, updated, tableSlot, detail);
    await refresh();
    timer = setInterval(() => {
        if (!document.hidden) {
            refresh();
        }
    }, POLL_MS);
    return () => clearInterval(timer);
}
