// Page 3: pending appointments riskiest first, filtered by date,
// specialty and band; notify one, a selection or all above a threshold;
// statuses refresh by polling; an outcome can be recorded.

import { api, fetchAll } from '../api.js';
import { h, clear, announce, put } from '../dom.js';
import { bandLabel, fmtClock, fmtDate, fmtPercent, statusLabel, t }
    from '../i18n.js';
import { bandBadge, bandOf, probabilityOf } from '../result.js';
import { thresholdOf } from '../schema.js';
import { apptDate, apptRef, eventOf, field } from '../appt.js';
import { specialtyFilter } from '../filters.js';

const POLL_MS = 5000;
const MAX_LISTED = 1000;
const OUTCOMES = ['honored', 'cancelled', 'no_show'];
const STATUSES = ['pending', 'pending_confirmation', 'confirmed'];

function select(id, options) {
    return h('select', { id }, options.map(([value, label]) =>
        h('option', { value }, label)));
}

class PendingPage {
    constructor(ctx) {
        this.canAct = ctx.role !== 'reader';
        this.spec = specialtyFilter(ctx.schema, 'f-spec');
        this.specCol = this.spec.col;
        this.items = [];
        this.selected = new Set();
        this.status = h('div', { id: 'auto-status', role: 'status',
            'aria-live': 'polite' });
        this.updated = h('p', { class: 'hint', id: 'auto-updated' });
        this.tableSlot = h('div', { class: 'table-wrap' });
        this.detail = h('div', { id: 'auto-detail' });
        this.bulk = h('div', { class: 'buttons', id: 'bulk' });
        this.thr = h('input', { id: 'notify-thr', type: 'number', min: 0,
            max: 100, step: 1, value: Math.round(100 *
                (thresholdOf(ctx.model) || 0.5)) });
    }

    filterForm() {
        const all = [['', t('all')]];

        this.from = h('input', { id: 'f-from', type: 'date' });
        this.to = h('input', { id: 'f-to', type: 'date' });
        this.band = select('f-band', [...all, ...['high', 'medium', 'low']
            .map((b) => [b, bandLabel(b)])]);
        this.statusSel = select('f-status', [['pending,pending_confirmation',
            `${statusLabel('pending')} + ${statusLabel(
                'pending_confirmation')}`],
        ...STATUSES.map((s) => [s, statusLabel(s)])]);
        return h('form', { class: 'filters card', onsubmit: (ev) => {
            ev.preventDefault();
            this.refresh();
        } },
        h('label', { for: 'f-from' }, t('from')), this.from,
        h('label', { for: 'f-to' }, t('to')), this.to,
        // Only a schema with a specialty column can filter on it.
        this.spec.fields,
        h('label', { for: 'f-band' }, t('band')), this.band,
        h('label', { for: 'f-status' }, t('status')), this.statusSel,
        h('button', { type: 'submit' }, t('apply')));
    }

    async load() {
        const lists = [];

        for (const status of this.statusSel.value.split(',')) {
            const q = { status, limit: '500' };
            if (this.from.value) {
                q.from = this.from.value;
            }
            if (this.to.value) {
                q.to = this.to.value;
            }
            if (this.spec.input.value) {
                q.specialty = this.spec.input.value;
            }
            lists.push(...await fetchAll('/appointments', q, MAX_LISTED));
        }
        return lists.filter((a) => !this.band.value ||
            bandOf(a) === this.band.value)
            .sort((a, b) => probabilityOf(b) - probabilityOf(a));
    }

    // Only the latest refresh draws: a poll that was on its way when the
    // filters changed must not bring the old list back.
    async refresh() {
        const mine = this.asked = (this.asked ?? 0) + 1;

        try {
            const items = await this.load();
            if (mine !== this.asked) {
                return;
            }
            this.items = items;
            this.drawTable();
            this.updated.textContent = t('last_update',
                { time: fmtClock(new Date()) });
        } catch (e) {
            if (mine === this.asked) {
                announce(this.status, t('error', { detail: e.message }),
                    'error');
            }
        }
    }

    async notify(list) {
        let n = 0;

        try {
            for (const a of list) {
                await api('POST', `/appointments/${a.id}/notify`, {
                    message: t('default_message', {
                        date: fmtDate(apptDate(a), 'auto') }),
                });
                n++;
                this.selected.delete(String(a.id));
            }
            announce(this.status, t('notified', { n }), 'ok');
        } catch (e) {
            announce(this.status, t('error', { detail: e.message }), 'error');
        }
        await this.refresh();
    }

    async outcome(a, value) {
        try {
            await api('PUT', `/appointments/${a.id}/outcome`, {
                outcome: value, at: new Date().toISOString() });
            announce(this.status, t('outcome_saved'), 'ok');
        } catch (e) {
            announce(this.status, t('error', { detail: e.message }), 'error');
        }
        await this.refresh();
    }

    async showDetail(a) {
        try {
            const d = await api('GET', `/appointments/${a.id}`);
            const events = (d.events ?? []).map(eventOf);
            clear(this.detail).appendChild(h('section', { class: 'card',
                'aria-labelledby': 'detail-h' },
            h('h2', { id: 'detail-h', tabindex: '-1' },
                `${t('appointment')} ${apptRef(d)}`),
            h('p', {}, `${t('status')} : ${statusLabel(d.status)}`),
            d.notification_message ? h('p', {}, `${t('message')} : ${
                d.notification_message}`) : null,
            h('h3', {}, t('events')),
            h('ol', { class: 'events' }, events.map((ev) => h('li', {},
                `${fmtDate(ev.at, true)} — ${ev.kind}${ev.actor ?
                    ` (${ev.actor})` : ''}`))),
            h('button', { type: 'button', onclick: () =>
                clear(this.detail) }, t('close'))));
            this.detail.querySelector('h2').focus();
        } catch (e) {
            announce(this.status, t('error', { detail: e.message }), 'error');
        }
    }

    actions(a) {
        const outSel = h('select', { 'aria-label': `${t('outcome')} ${
            apptRef(a)}` }, OUTCOMES.map((o) => h('option', { value: o },
            statusLabel(o))));

        return h('div', { class: 'actions' },
            this.canAct && a.status === 'pending' ? h('button', {
                type: 'button', class: 'notify-btn', onclick: () =>
                    this.notify([a]) }, t('notify')) : null,
            this.canAct ? h('span', { class: 'outcome' }, outSel,
                h('button', { type: 'button', class: 'outcome-btn',
                    onclick: () => this.outcome(a, outSel.value) },
                t('record_outcome'))) : null);
    }

    checkbox(a) {
        const id = String(a.id);

        return h('input', { type: 'checkbox', 'aria-label': `${t('select')} ${
            apptRef(a)}`, checked: this.selected.has(id), onchange: (ev) => {
            if (ev.target.checked) {
                this.selected.add(id);
            } else {
                this.selected.delete(id);
            }
            this.drawButtons();
        } });
    }

    row(a) {
        return h('tr', { class: `row-${bandOf(a)}`, dataset: { id: a.id } },
            this.canAct ? h('td', {}, this.checkbox(a)) : null,
            h('td', { class: 'num' }, fmtPercent(probabilityOf(a))),
            h('td', {}, bandBadge(bandOf(a))),
            h('td', { class: 'date' }, fmtDate(apptDate(a), 'auto')),
            // The reference opens the appointment's detail and history.
            h('td', {}, h('button', { type: 'button', class: 'link-btn',
                title: t('details'), 'aria-label': `${t('details')} ${
                    apptRef(a)}`, onclick: () => this.showDetail(a) },
            apptRef(a))),
            this.specCol ? h('td', {}, field(a, this.specCol.name) ?? '')
                : null,
            h('td', { class: 'status' }, statusLabel(a.status)),
            this.canAct ? h('td', {}, this.actions(a)) : null);
    }

    drawTable() {
        const heads = [this.canAct ? 'select' : null, 'risk', 'band', 'date',
            'reference', this.specCol ? 'specialty' : null, 'status',
            this.canAct ? 'actions' : null].filter(Boolean);

        clear(this.tableSlot);
        if (!this.items.length) {
            this.tableSlot.appendChild(h('p', {}, t('none_pending')));
        } else {
            this.tableSlot.appendChild(h('table', { class: 'data',
                id: 'auto-table' },
            h('thead', {}, h('tr', {}, heads.map((k) =>
                h('th', { scope: 'col' }, t(k))))),
            h('tbody', {}, this.items.map((a) => this.row(a)))));
        }
        this.drawButtons();
    }

    drawButtons() {
        if (!this.canAct) {
            return;
        }
        const chosen = this.items.filter((a) =>
            this.selected.has(String(a.id)));
        const above = () => this.items.filter((a) => a.status === 'pending'
            && probabilityOf(a) * 100 >= Number(this.thr.value));

        clear(this.bulk).append(
            h('button', { type: 'button', id: 'notify-selected',
                disabled: chosen.length === 0, onclick: () =>
                    this.notify(chosen) }, t('notify_selected',
                { n: chosen.length })),
            h('label', { for: 'notify-thr' }, `${t('notify_above')} (%)`),
            this.thr,
            h('button', { type: 'button', id: 'notify-above', onclick: () =>
                this.notify(above()) }, t('notify')));
    }
}

export async function render(main, ctx) {
    const p = new PendingPage(ctx);

    put(main, h('h1', {}, t('auto_title')),
        h('p', {}, t('auto_intro', { s: POLL_MS / 1000 })),
        p.canAct ? null : h('p', { class: 'notice notice-info' },
            t('reader_no_notify')),
        p.filterForm(), p.bulk, p.status, p.updated, p.tableSlot, p.detail);
    await p.refresh();
    const timer = setInterval(() => {
        if (!document.hidden) {
            p.refresh();
        }
    }, POLL_MS);
    return () => clearInterval(timer);
}
