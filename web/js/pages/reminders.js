// Today's reminders: the day's action list of GET /actions (the rows
// listed before keep their place with their status now, the capacity
// left is filled with pending appointments by expected gain), one-click
// notify per row or for every row still pending, statuses refreshed by
// polling, and the measured effect of reminders (GET /actions/effect).
// Control-group rows get no notify button: leaving them alone is what
// makes the effect measurable.

import { api } from '../api.js';
import { h, clear, announce, put } from '../dom.js';
import { deliveryLabel, fmtClock, fmtDate, fmtNumber, fmtPercent,
    intlLocale, statusLabel, t } from '../i18n.js';
import { bandBadge, bandOf } from '../result.js';
import { apptDate, apptRef } from '../appt.js';
import { dayInput, specialtyFilter } from '../filters.js';

const POLL_MS = 5000;
const DEFAULT_CAPACITY = 40;
// Statuses that no longer change by themselves: their rows stop polling.
const SETTLED = new Set(['honored', 'cancelled', 'no_show']);
// Status requests in flight at once while polling a long list.
const POLL_BATCH = 8;

// The effect panel: no-show rate of acted-on and control appointments,
// the difference with its 95% interval, and what it means in words.
export function effectSentence(e) {
    const [lo, hi] = Array.isArray(e?.ci95) ? e.ci95 : [null, null];

    if (e?.difference === null || e?.difference === undefined ||
            lo === null || hi === null) {
        return t('effect_none');
    }
    if (lo > 0) {
        return t('effect_fewer');
    }
    if (hi < 0) {
        return t('effect_more');
    }
    return t('effect_unclear');
}

// The rows of a GET /actions answer, each with its status and latest
// delivery state as the service gave them (a row it did not describe
// reads as pending, with no delivery).
export function actionRows(answer) {
    return (answer?.items ?? []).map((it) => ({ ...it,
        status: it.status ?? 'pending',
        delivery: it.delivery?.state ?? null }));
}

// Whether staff should still remind this row: acted-on group, never
// notified. A row notified before, even by another tab or an earlier
// visit, is not offered again.
export function canNotify(r) {
    return r.group !== 'control' && r.status === 'pending';
}

// The status cell's text: the status, then the reminder's delivery
// state when there is one ("awaiting confirmation · delivered").
export function statusText(r) {
    const st = statusLabel(r.status);

    return r.delivery ? `${st} · ${deliveryLabel(r.delivery)}` : st;
}

function groupRow(label, g) {
    return h('tr', {},
        h('th', { scope: 'row' }, label),
        h('td', { class: 'num' }, fmtNumber(g?.appointments ?? 0, 0)),
        h('td', { class: 'num' }, fmtNumber(g?.noshows ?? 0, 0)),
        h('td', { class: 'num' }, fmtPercent(g?.noshow_rate)));
}

// Percentage points, signed, in the chosen locale.
function points(x) {
    if (x === null || x === undefined) {
        return '—';
    }
    return t('points', { n: new Intl.NumberFormat(intlLocale(), {
        maximumFractionDigits: 1, signDisplay: 'exceptZero' })
        .format(100 * x) });
}

export async function drawEffect(slot) {
    const e = await api('GET', '/actions/effect');
    const [lo, hi] = Array.isArray(e.ci95) ? e.ci95 : [null, null];

    clear(slot).append(
        h('h2', { id: 'effect-h' }, t('effect_title')),
        h('p', { class: 'hint' }, t('effect_intro')),
        h('table', { class: 'data compact', id: 'effect-table' },
            h('thead', {}, h('tr', {},
                ['effect_group', 'effect_with_outcome', 'effect_noshows',
                    'rate'].map((k) => h('th', { scope: 'col' }, t(k))))),
            h('tbody', {}, groupRow(t('effect_acted'), e.acted),
                groupRow(t('effect_control'), e.control))),
        h('p', { id: 'effect-diff' }, t('effect_diff', {
            d: points(e.difference), lo: points(lo), hi: points(hi) })),
        h('p', { id: 'effect-sentence', class: 'notice notice-info' },
            effectSentence(e)));
}

class RemindersPage {
    constructor(ctx) {
        this.canAct = ctx.role !== 'reader';
        this.spec = specialtyFilter(ctx.schema, 'rem-spec');
        this.specCol = this.spec.col;
        this.rows = [];
        this.answer = null;
        this.busy = false;
        this.status = h('div', { id: 'rem-status', role: 'status',
            'aria-live': 'polite' });
        this.summary = h('p', { id: 'rem-summary' });
        this.updated = h('p', { class: 'hint', id: 'rem-updated' });
        this.bulk = h('div', { class: 'buttons', id: 'rem-bulk' });
        this.tableSlot = h('div', { class: 'table-wrap' });
        this.effect = h('section', { class: 'card', id: 'effect',
            'aria-labelledby': 'effect-h' });
    }

    form() {
        this.date = dayInput('rem-date');
        this.capacity = h('input', { id: 'rem-capacity', type: 'number',
            min: 0, max: 1000, step: 1, required: true,
            value: DEFAULT_CAPACITY });
        return h('form', { class: 'filters card', id: 'rem-form',
            onsubmit: (ev) => {
                ev.preventDefault();
                this.load();
            } },
        h('label', { for: 'rem-date' }, t('date')), this.date,
        this.spec.fields,
        h('label', { for: 'rem-capacity' }, t('capacity')), this.capacity,
        h('button', { type: 'submit', class: 'primary', id: 'rem-show' },
            t('show_list')));
    }

    async load() {
        const q = new URLSearchParams({ date: this.date.value,
            capacity: this.capacity.value });

        if (this.spec.input.value) {
            q.set('specialty', this.spec.input.value);
        }
        // Only the latest question's answer is drawn.
        const mine = this.asked = (this.asked ?? 0) + 1;
        try {
            const answer = await api('GET', `/actions?${q.toString()}`);
            if (mine !== this.asked) {
                return;
            }
            this.answer = answer;
            this.rows = actionRows(this.answer);
            announce(this.status, '', 'info');
            this.drawSummary();
            this.drawTable();
            await this.poll();
        } catch (e) {
            if (mine === this.asked) {
                announce(this.status, t('error', { detail: e.message }),
                    'error');
            }
        }
    }

    drawSummary() {
        const a = this.answer;
        const control = this.rows.filter((r) => r.group === 'control');

        this.summary.textContent = t('rem_summary', {
            n: this.rows.length, control: control.length,
            kept: a.listed_before ?? 0,
            thr: fmtPercent(a.threshold), cap: a.capacity,
            skipped: a.skipped_recent_contact ?? 0,
            days: a.no_contact_days ?? 0 });
    }

    // Status, delivery, band and day of every listed appointment that may
    // still change. The list itself stays as it was asked for; asking
    // again (or reloading the page) brings back the same rows with their
    // status, since GET /actions keeps the day's list.
    // LIMITATION: one GET /appointments/{id} per open row and poll (eight
    // at a time), so a list of several hundred rows makes several hundred
    // requests every 5 s. The daily capacities this page is meant for
    // (tens of calls) keep it small. Polling GET /actions itself would
    // not do: each call may list new appointments into free capacity. A
    // fix needs a status lookup for a list of ids.
    async poll() {
        const open = this.rows.filter((r) => !SETTLED.has(r.status));

        for (let i = 0; i < open.length; i += POLL_BATCH) {
            await Promise.all(open.slice(i, i + POLL_BATCH).map(async (r) => {
                const d = await api('GET', `/appointments/${r.id}`);
                const jobs = d.notifications ?? [];

                Object.assign(r, { status: d.status, band: bandOf(d),
                    day: apptDate(d),
                    delivery: jobs.at(-1)?.state ?? r.delivery });
            }));
        }
        this.drawTable();
        await drawEffect(this.effect);
        this.updated.textContent = t('last_update',
            { time: fmtClock(new Date()) });
    }

    async notify(list) {
        let n = 0;

        // A second click while reminders are being sent would send them
        // twice: the buttons wait for the first round.
        if (this.busy) {
            return;
        }
        this.busy = true;
        this.drawButtons();
        try {
            for (const r of list) {
                const res = await api('POST', `/appointments/${r.id}/notify`,
                    { message: t('default_message', {
                        date: fmtDate(r.day || this.answer.date, 'auto') }) });
                r.status = res?.status ?? 'pending_confirmation';
                n++;
            }
            announce(this.status, t('notified', { n }), 'ok');
        } catch (e) {
            announce(this.status, t('error', { detail: e.message }), 'error');
        }
        this.busy = false;
        this.drawTable();
    }

    // Rows staff should still remind: acted-on group, not yet notified.
    toNotify() {
        return this.rows.filter(canNotify);
    }

    row(r, rank) {
        const control = r.group === 'control';

        return h('tr', { class: `row-${r.band || 'none'}${control ?
            ' row-control' : ''}`, dataset: { id: r.id, group: r.group } },
        h('td', { class: 'num' }, String(rank)),
        h('td', { class: 'num' }, fmtPercent(r.risk)),
        h('td', {}, bandBadge(r.band)),
        h('td', { class: 'num' }, fmtNumber(r.gain, 2)),
        h('td', {}, apptRef(r)),
        this.specCol ? h('td', {}, r.specialty ?? '') : null,
        h('td', {}, control ? h('span', { class: 'group-control' },
            t('group_control')) : t('group_act')),
        h('td', { class: 'status', dataset: { status: r.status } },
            statusText(r)),
        this.canAct ? h('td', {}, canNotify(r) ?
            h('button', { type: 'button', class: 'notify-btn',
                'aria-label': `${t('notify')} ${apptRef(r)}`,
                onclick: () => this.notify([r]) }, t('notify'))
            : control ? h('span', { class: 'hint' }, t('control_no_call'))
                : null) : null);
    }

    drawTable() {
        const heads = ['rank', 'risk', 'band', 'gain', 'reference',
            this.specCol ? 'specialty' : null, 'group', 'status',
            this.canAct ? 'actions' : null].filter(Boolean);

        clear(this.tableSlot);
        if (!this.rows.length) {
            this.tableSlot.appendChild(h('p', { id: 'rem-empty' },
                this.answer ? t('rem_none') : ''));
        } else {
            this.tableSlot.appendChild(h('table', { class: 'data',
                id: 'rem-table' },
            h('thead', {}, h('tr', {}, heads.map((k) =>
                h('th', { scope: 'col' }, t(k))))),
            h('tbody', {}, this.rows.map((r, i) => this.row(r, i + 1)))));
        }
        this.drawButtons();
    }

    drawButtons() {
        const todo = this.toNotify();

        clear(this.bulk);
        if (this.canAct && this.rows.length) {
            this.bulk.appendChild(h('button', { type: 'button',
                id: 'rem-notify-all', disabled: todo.length === 0 ||
                    this.busy,
                onclick: () => this.notify(todo) },
            t('notify_all_shown', { n: todo.length })));
        }
    }
}

function controlExplained() {
    return h('details', { class: 'card', id: 'control-why' },
        h('summary', {}, t('control_why_title')),
        h('p', {}, t('control_why')));
}

export async function render(main, ctx) {
    const p = new RemindersPage(ctx);

    put(main, h('h1', {}, t('rem_title')),
        h('p', {}, t('rem_intro', { s: POLL_MS / 1000 })));
    if (!p.canAct) {
        // GET /actions records each listed appointment's group, so it
        // needs the clinic role; readers still see the measured effect.
        put(main, h('p', { class: 'notice notice-info', id: 'rem-reader' },
            t('reader_no_actions')), p.effect);
        await drawEffect(p.effect);
        return null;
    }
    put(main, p.form(), controlExplained(), p.summary, p.bulk, p.status,
        p.updated, p.tableSlot, p.effect);
    await p.load();
    const timer = setInterval(() => {
        if (!document.hidden) {
            p.poll().catch((e) => announce(p.status, t('error',
                { detail: e.message }), 'error'));
        }
    }, POLL_MS);
    return () => clearInterval(timer);
}
