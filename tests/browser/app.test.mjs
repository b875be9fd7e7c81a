// Browser tests of the staff web app in Debian's chromium, headless,
// driven by playwright-core, against a running service (run.sh starts it).
// Environment: BASE_URL, READER_KEY, CLINIC_KEY, DATA_CSV, SHOT_DIR.
// Last line: "N passed, N failed".

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

// The app's own schema reader, so that seeding reads GET /model the way
// the pages do (its i18n module wants a localStorage).
globalThis.localStorage = { getItem: () => 'fr', setItem: () => {} };
globalThis.document = { documentElement: {} };
const { normalizeSchema } = await import('../../web/js/schema.js');
const { apptDate } = await import('../../web/js/appt.js');

const BASE = process.env.BASE_URL;
const READER = process.env.READER_KEY;
const CLINIC = process.env.CLINIC_KEY;
const SHOTS = process.env.SHOT_DIR;
const TMP = mkdtempSync(join(tmpdir(), 'noshow-browser-'));
const SEED_ROWS = 120;
const BATCH_ROWS = 40;

let passed = 0;
let failed = 0;
const consoleErrors = [];
// Steps that provoke refusals on purpose (a wrong key, a request without
// its CSRF token) turn the error watch off while they run.
let expectRefusals = false;

function check(cond, message) {
    if (!cond) {
        throw new Error(message);
    }
}

async function test(name, fn) {
    const t0 = Date.now();

    try {
        await fn();
        passed++;
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    }
}

async function call(method, path, body, key = CLINIC) {
    const res = await fetch(BASE + path, {
        method,
        headers: { Authorization: `Bearer ${key}`,
            'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
        throw new Error(`${method} ${path}: ${res.status} ${text}`);
    }
    return text ? JSON.parse(text) : null;
}

// n CSV rows of the bundled data spread evenly over the file (so over
// its five weeks), as {column: text}.
function dataRows(n) {
    const lines = readFileSync(process.env.DATA_CSV, 'utf8').split('\n')
        .filter((l) => l.trim() !== '');
    const header = lines[0].split(',');
    const step = Math.floor((lines.length - 1) / n);
    return Array.from({ length: n }, (_, i) => lines[1 + i * step])
        .map((l) => {
        const f = l.split(',');
        return Object.fromEntries(header.map((h, i) => [h, f[i]]));
    });
}

// Converts a CSV row to a JSON record by the roles of the schema, the
// way a booking platform would send it.
function toRecord(columns, row) {
    const rec = {};
    for (const c of columns) {
        const v = row[c.name];
        if (v === undefined || v === '' || c.kind === 'target' ||
                c.kind === 'ignore') {
            continue;
        }
        rec[c.name] = c.kind === 'binary' || c.kind === 'numeric' ?
            Number(v) : v;
    }
    return rec;
}

// Books SEED_ROWS appointments through the API and records the real
// outcome of the first two thirds, so every page has data to show.
async function seed(model) {
    const { columns } = normalizeSchema(model);
    const rows = dataRows(SEED_ROWS);
    let booked = 0;
    for (const [i, row] of rows.entries()) {
        const a = await call('POST', '/appointments', toRecord(columns, row));
        booked++;
        if (i < (2 * SEED_ROWS) / 3) {
            await call('PUT', `/appointments/${a.id}/outcome`, {
                outcome: row['No-show'] === 'Yes' ? 'no_show' : 'honored',
                at: `${row.AppointmentDay.slice(0, 10)}T18:00:00Z`,
            });
        }
    }
    return booked;
}

// Appointments of the store (first 1,000) by day, as {day: [appt]}.
async function byDay(status) {
    const q = status ? `status=${status}&limit=1000` : 'limit=1000';
    const data = await call('GET', `/appointments?${q}`, undefined, READER);
    const days = {};
    for (const a of data.items ?? data) {
        const d = String(apptDate(a)).slice(0, 10);
        (days[d] = days[d] ?? []).push(a);
    }
    return days;
}

// The day whose action list has the most rows to remind plus a control
// one. The other days' listed appointments get an outcome, so that the
// effect panel has results to compare.
async function reminderDay() {
    const days = Object.entries(await byDay('pending'))
        .sort((x, y) => y[1].length - x[1].length).map((d) => d[0]);
    const lists = [];
    for (const d of days) {
        const r = await call('GET', `/actions?date=${d}&capacity=50`);
        const act = r.items.filter((i) => i.group === 'act').length;
        const ctl = r.items.length - act;
        lists.push({ d, items: r.items, score: act + (ctl ? 100 : 0) });
    }
    lists.sort((x, y) => y.score - x.score);
    check(lists.length && lists[0].items.length, 'no day has an action');
    for (const l of lists.slice(1)) {
        for (const [i, it] of l.items.entries()) {
            await call('PUT', `/appointments/${it.id}/outcome`, {
                outcome: i % 3 === 0 ? 'no_show' : 'honored',
                at: `${l.d}T18:00:00Z` });
        }
    }
    return lists[0];
}

async function shot(page, name) {
    await page.screenshot({ path: join(SHOTS, `${name}.png`),
        fullPage: true });
}

async function login(page, key) {
    await page.goto(BASE + '/');
    await page.fill('#api-key', key);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('#top:not([hidden])', { timeout: 10000 });
}

// Form controls with no accessible name (no label, no aria-label).
async function unlabelled(page) {
    return page.$$eval('input, select, textarea', (els) => els
        .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length)
            && !e.getAttribute('aria-label'))
        .map((e) => e.id || e.name || e.outerHTML.slice(0, 60)));
}

// Text elements whose colour against their background is under WCAG
// AA's 4.5:1 (the background is the first opaque one up the tree).
async function lowContrast(page) {
    return page.evaluate(() => {
        const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => {
            const f = (c) => {
                const v = c / 255;
                return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const bg = (el) => {
            for (let e = el; e; e = e.parentElement) {
                const c = rgb(getComputedStyle(e).backgroundColor);
                if (c.length === 3 || c[3] > 0.99) {
                    return c;
                }
            }
            return [255, 255, 255];
        };
        const bad = [];
        const sel = 'h1, h2, p, label, a, button, th, td, .band, .notice, dt,' +
            ' dd, li, figcaption, summary';
        for (const el of document.querySelectorAll(sel)) {
            if (!el.offsetParent || !el.textContent.trim()) {
                continue;
            }
            const st = getComputedStyle(el);
            if (st.opacity !== '1' || el.disabled) {
                continue;
            }
            const a = lum(rgb(st.color));
            const b = lum(bg(el));
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            if (ratio < 4.5) {
                bad.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
            }
        }
        return [...new Set(bad)];
    });
}

async function chartsDrawn(page, selector) {
    return page.$$eval(`${selector} canvas`, (cs) => cs.map((c) => {
        const ctx = c.getContext('2d');
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) {
            if (d[i] !== 0) {
                return true;
            }
        }
        return false;
    }));
}

// BATCH_ROWS good rows and three bad ones: line 4 has a non-numeric age
// and line 7 an age out of range (both caught in the page); line 10 is an
// appointment before its booking, which only the service refuses.
function batchCsv() {
    const lines = readFileSync(process.env.DATA_CSV, 'utf8').split('\n');
    const good = lines.slice(2001, 2001 + BATCH_ROWS);
    const bad1 = good[5].split(',');
    bad1[5] = 'abc';
    const bad2 = good[9].split(',');
    bad2[5] = '300';
    const bad3 = good[12].split(',');
    bad3[4] = '2015-01-05T00:00:00Z';
    const out = [lines[0], ...good.slice(0, 2), bad1.join(','),
        ...good.slice(2, 4), bad2.join(','), ...good.slice(4, 6),
        bad3.join(','), ...good.slice(6)];
    const path = join(TMP, 'batch.csv');
    writeFileSync(path, out.join('\n') + '\n');
    return path;
}

async function main() {
    mkdirSync(SHOTS, { recursive: true });
    const model = await call('GET', '/model', undefined, READER);
    console.log(`seeded ${await seed(model)} appointments`);

    // playwright-core gives each launch a fresh, empty profile directory
    // of its own (it refuses a --user-data-dir argument).
    const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
            '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync',
            '--lang=fr-FR'],
    });
    try {
        await run(browser);
    } finally {
        await browser.close();
    }
}

// Console errors, except the 401 of GET /session that tells the app at
// start that nobody is logged in yet.
function watch(page) {
    page.on('console', (m) => {
        const url = m.location()?.url ?? '';
        if (m.type() !== 'error' || expectRefusals ||
                (/\/session$/.test(url) && m.text().includes('401'))) {
            return;
        }
        consoleErrors.push(`${page.url()}: ${m.text()} (${url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${
        e.message}`));
}

async function run(browser) {
    const ctx = await browser.newContext({ acceptDownloads: true,
        locale: 'fr-FR', timezoneId: 'UTC',
        viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    watch(page);
    // File-chooser interception is switched on by the first listener and
    // the browser applies it asynchronously: a listener added just before
    // the key press can miss the dialog. One listener from the start
    // avoids that race.
    const choosers = [];
    page.on('filechooser', (c) => choosers.push(c));

    await test('login with a clinic key opens the app', async () => {
        await page.goto(BASE + '/');
        await shot(page, '00-login');
        expectRefusals = true;
        await page.fill('#api-key', 'not-a-key');
        await page.click('form.login button[type=submit]');
        await page.waitForSelector('#login-msg.notice-error');
        expectRefusals = false;
        await login(page, CLINIC);
        const cookies = await ctx.cookies();
        const c = cookies.find((x) => x.name === 'noshow_session');
        check(c && c.httpOnly && c.sameSite === 'Strict',
            'session cookie is not HttpOnly + SameSite=Strict');
        const seen = await page.evaluate(() => document.cookie);
        check(!seen.includes('noshow_session'), 'cookie readable by JS');
    });

    await test('mutating request without CSRF token is refused', async () => {
        expectRefusals = true;
        const status = await page.evaluate(async () => (await fetch(
            '/predict', { method: 'POST', headers: { 'Content-Type':
                'application/json' }, body: '{}' })).status);
        expectRefusals = false;
        check(status === 403, `expected 403, got ${status}`);
    });

    await test('prediction form shows probability, band and reasons',
        async () => {
            await page.goto(BASE + '/#/predict');
            await page.waitForSelector('#predict-btn');
            await fillForm(page);
            await page.click('#predict-btn');
            await page.waitForSelector('#result-probability');
            const p = await page.textContent('#result-probability');
            check(/\d/.test(p) && p.includes('%'), `probability '${p}'`);
            check(await page.$('#result .band') !== null, 'no band badge');
            const drawn = await chartsDrawn(page, '#result');
            check(drawn.length === 1 && drawn[0], 'reasons chart not drawn');
            await shot(page, '01-predict');
        });

    await test('invalid input is shown next to its field', async () => {
        const age = await page.$('input[type=number][max]');
        check(age !== null, 'no bounded number field');
        const max = Number(await age.getAttribute('max'));
        await age.fill(String(max + 100));
        await page.click('#predict-btn');
        const id = await age.getAttribute('id');
        await page.waitForSelector(`#${id}-err:not(:empty)`);
        check(await age.getAttribute('aria-invalid') === 'true',
            'field not marked invalid');
        await shot(page, '02-predict-invalid');
        await age.fill(String(max));
    });

    await test('an error found by the service is shown next to its field',
        async () => {
            // An appointment day before the booking day passes the form's
            // own checks; only the service knows it cannot be.
            const day = await page.$('input[type=date]');
            const id = await day.getAttribute('id');
            await day.fill('2000-01-03');
            expectRefusals = true;
            await page.click('#predict-btn');
            await page.waitForSelector(`#${id}-err:not(:empty)`);
            expectRefusals = false;
            await shot(page, '02-predict-service-error');
            check(await day.getAttribute('aria-invalid') === 'true',
                'date field not marked invalid');
            await day.fill(new Date().toISOString().slice(0, 10));
        });

    await test('CSV batch: bad lines listed, good rows scored, CSV and ' +
        'XLSX downloads hold the scores', async () => {
        await page.goto(BASE + '/#/batch');
        await page.setInputFiles('#csv-file', batchCsv());
        await page.waitForSelector('#batch-errors');
        const errs = await page.$$eval('#batch-errors li', (li) =>
            li.map((x) => x.textContent));
        check(errs.length === 2, `expected 2 bad lines, got ${errs.length}`);
        expectRefusals = true;
        check(errs[0].includes(' 4') && errs[1].includes(' 7'),
            `wrong lines: ${errs.join(' | ')}`);
        await page.click('#score-good');
        await page.waitForSelector('#batch-table tbody tr');
        const after = await page.$$eval('#batch-errors li', (li) =>
            li.map((x) => x.textContent));
        check(after.length === 3 && after[2].includes(' 10'),
            `refused by the service: ${after.slice(2).join(' | ')}`);
        expectRefusals = false;
        await page.click('#batch-table th[data-key=probability] button');
        await shot(page, '03-batch');

        const [csvDl] = await Promise.all([page.waitForEvent('download'),
            page.click('#dl-csv')]);
        const csvPath = join(TMP, 'out.csv');
        await csvDl.saveAs(csvPath);
        const csv = readFileSync(csvPath, 'utf8').trim().split(/\r?\n/);
        check(csv[0].includes('probability') && csv[0].includes('band'),
            `CSV header ${csv[0]}`);
        check(csv.length === BATCH_ROWS + 1,
            `CSV rows ${csv.length - 1}, expected ${BATCH_ROWS}`);
        const probCol = csv[0].split(',').indexOf('probability');
        check(csv.slice(1).every((l) => {
            const v = Number(l.split(',')[probCol]);
            return v >= 0 && v <= 1;
        }), 'a CSV probability is outside [0, 1]');

        const [xlDl] = await Promise.all([page.waitForEvent('download'),
            page.click('#dl-xlsx')]);
        const xlPath = join(TMP, 'out.xlsx');
        await xlDl.saveAs(xlPath);
        const info = JSON.parse(execFileSync('/usr/bin/python3', ['-c',
            'import json,sys,openpyxl\n' +
            'ws=openpyxl.load_workbook(sys.argv[1]).active\n' +
            'rows=list(ws.iter_rows(values_only=True))\n' +
            'h=list(rows[0]);i=h.index("probability")\n' +
            'print(json.dumps({"n":len(rows)-1,"h":h,' +
            '"p":[r[i] for r in rows[1:]]}))', xlPath]).toString());
        check(info.n === BATCH_ROWS, `XLSX rows ${info.n}`);
        check(info.h.includes('band'), 'XLSX has no band column');
        check(info.p.every((v) => typeof v === 'number' && v >= 0 &&
            v <= 1), 'an XLSX probability is not a number in [0, 1]');
    });

    await test('CSV dropped on the drop zone is read and scored', async () => {
        await page.goto(BASE + '/#/batch');
        await page.waitForSelector('#dropzone');
        const lines = readFileSync(process.env.DATA_CSV, 'utf8')
            .split('\n').slice(0, 4).join('\n');
        await page.evaluate((text) => {
            const dt = new DataTransfer();
            dt.items.add(new File([text], 'dropped.csv',
                { type: 'text/csv' }));
            document.getElementById('dropzone').dispatchEvent(
                new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
        }, lines);
        await page.waitForFunction(() => document.querySelectorAll(
            '#batch-table tbody tr').length === 3);
    });

    await test('notify the top pending appointment: status changes',
        async () => {
            await page.goto(BASE + '/#/auto');
            await page.waitForSelector('#auto-table tbody tr');
            await shot(page, '04-auto');
            const row = await page.$('#auto-table tbody tr');
            const id = await row.getAttribute('data-id');
            await row.$eval('.notify-btn', (b) => b.click());
            await page.waitForFunction((i) => {
                const r = document.querySelector(
                    `#auto-table tr[data-id="${i}"] .status`);
                return r && !r.textContent.includes('en attente') ||
                    r && r.textContent.includes('confirmation');
            }, id, { timeout: 10000 });
            const a = await call('GET', `/appointments/${id}`, undefined,
                READER);
            check(a.status === 'pending_confirmation',
                `status ${a.status} after notify`);
            await shot(page, '05-auto-notified');
        });

    await test('an appointment opens with its history', async () => {
        const ref = await page.$('#auto-table tbody tr td button.link-btn');
        await ref.click();
        await page.waitForSelector('#detail-h');
        const events = await page.$$eval('#auto-detail ol.events li',
            (li) => li.map((x) => x.textContent));
        check(events.length >= 2 && events.some((e) => e.includes('booked'))
            && events.some((e) => e.includes('notif')),
        `history: ${events.join(' | ')}`);
        await shot(page, '05-auto-detail');
    });

    await test('record an outcome from the list', async () => {
        const rows = await page.$$('#auto-table tbody tr');
        const row = rows[rows.length - 1];
        const id = await row.getAttribute('data-id');
        await row.$eval('.outcome select', (s) => {
            s.value = 'honored';
        });
        await row.$eval('.outcome-btn', (b) => b.click());
        await page.waitForSelector('#auto-status.notice-ok');
        const a = await call('GET', `/appointments/${id}`, undefined, READER);
        check(a.status === 'honored', `status ${a.status} after outcome`);
    });

    let remDay = null;
    await test('reminders: the day by expected gain, control rows marked ' +
        'and without a notify button', async () => {
        remDay = await reminderDay();
        await page.goto(BASE + '/#/reminders');
        await page.waitForSelector('#rem-form');
        await page.fill('#rem-date', remDay.d);
        await page.fill('#rem-capacity', '50');
        await page.click('#rem-show');
        await page.waitForFunction((n) => document.querySelectorAll(
            '#rem-table tbody tr').length === n, remDay.items.length);
        const ids = await page.$$eval('#rem-table tbody tr', (rs) =>
            rs.map((r) => r.dataset.id));
        check(ids.join() === remDay.items.map((i) => String(i.id)).join(),
            `rows ${ids} differ from GET /actions`);
        const gains = remDay.items.map((i) => i.gain);
        check(gains.every((g, i) => i === 0 || gains[i - 1] >= g),
            `gains not in order: ${gains}`);
        const control = await page.$$eval(
            '#rem-table tr[data-group=control]', (rs) => rs.map((r) => ({
                badge: r.querySelector('.group-control') !== null,
                button: r.querySelector('.notify-btn') !== null })));
        check(control.length === remDay.items.filter((i) =>
            i.group === 'control').length, 'control rows not all shown');
        check(control.every((c) => c.badge && !c.button),
            `control rows: ${JSON.stringify(control)}`);
        check((await page.textContent('#control-why')).length > 40,
            'no explanation of the control group');
        await page.click('#control-why summary');
        await page.waitForSelector('#effect-sentence');
        await shot(page, '11-reminders');
    });

    await test('reminders: notify the top action, then all shown; ' +
        'statuses change', async () => {
        const top = await page.$('#rem-table tbody tr:has(.notify-btn)');
        check(top !== null, 'no row to notify');
        const id = await top.getAttribute('data-id');
        await top.$eval('.notify-btn', (b) => b.click());
        await page.waitForFunction((i) => {
            const r = document.querySelector(
                `#rem-table tr[data-id="${i}"] .status`);
            return r && r.textContent.includes('confirmation');
        }, id, { timeout: 10000 });
        const a = await call('GET', `/appointments/${id}`, undefined,
            READER);
        check(a.status === 'pending_confirmation',
            `status ${a.status} after notify`);
        await shot(page, '12-reminders-notified');
        if (await page.$('#rem-table .notify-btn')) {
            await page.click('#rem-notify-all');
            await page.waitForFunction(() => !document.querySelector(
                '#rem-table .notify-btn'), undefined, { timeout: 10000 });
        }
        for (const it of remDay.items) {
            const b = await call('GET', `/appointments/${it.id}`, undefined,
                READER);
            const want = it.group === 'act' ? 'pending_confirmation'
                : 'pending';
            check(b.status === want, `${it.group} ${it.id}: ${b.status}`);
        }
    });

    await test('reminders: asked again, the list keeps its rows with ' +
        'their status and offers no second reminder', async () => {
        const again = await call('GET',
            `/actions?date=${remDay.d}&capacity=50`);
        const want = remDay.items.map((i) => String(i.id)).join();
        check(again.items.map((i) => String(i.id)).join() === want,
            `GET /actions refilled the list: ${again.items.map((i) =>
                i.id)} instead of ${want}`);
        check(again.listed_before === remDay.items.length,
            `listed_before ${again.listed_before}`);
        await page.click('#rem-show');
        await page.waitForFunction((n) => document.querySelectorAll(
            '#rem-table tbody tr').length === n, remDay.items.length);
        const rows = await page.$$eval('#rem-table tbody tr', (rs) =>
            rs.map((r) => ({ id: r.dataset.id, group: r.dataset.group,
                status: r.querySelector('.status').dataset.status,
                text: r.querySelector('.status').textContent,
                button: r.querySelector('.notify-btn') !== null })));
        check(rows.map((r) => r.id).join() === want,
            `rows ${rows.map((r) => r.id)} after asking again`);
        for (const r of rows) {
            const st = r.group === 'act' ? 'pending_confirmation'
                : 'pending';
            check(r.status === st && !r.button,
                `row ${r.id}: ${JSON.stringify(r)}`);
        }
        check(rows.some((r) => r.text.includes('confirmation')),
            'no row reads as awaiting confirmation');
        check(await page.isDisabled('#rem-notify-all'),
            'notify-all still offered for a list already notified');
        await shot(page, '12b-reminders-asked-again');
    });

    await test('reminder effect: rates of both groups, interval, sentence',
        async () => {
            const e = await call('GET', '/actions/effect', undefined, READER);
            const cells = await page.$$eval('#effect-table tbody tr',
                (rs) => rs.map((r) => r.cells[1].textContent));
            check(cells.length === 2, `effect rows ${cells.length}`);
            check(cells[0] === String(e.acted.appointments) &&
                cells[1] === String(e.control.appointments),
            `counts ${cells} vs ${e.acted.appointments}, ${
                e.control.appointments}`);
            const said = await page.textContent('#effect-sentence');
            const lo = e.ci95?.[0];
            const hi = e.ci95?.[1];
            const want = e.difference === null || lo === null ?
                'Pas encore' : lo > 0 || hi < 0 ? 'se distingue'
                    : 'distinguer l’écart de zéro';
            check(said.includes(want), `sentence '${said}' for ${
                JSON.stringify(e)}`);
        });

    await test('overbooking: advice, distribution chart with the slots ' +
        'marked, idle slots and overflow before and after', async () => {
        // The reminders' day, kept by the page: every appointment of it
        // is booked in the session.
        const day = remDay.d;
        const list = (await byDay())[day];
        await page.goto(BASE + '/#/overbooking');
        await page.waitForSelector('#ob-form');
        check(await page.inputValue('#ob-date') === day,
            `day ${await page.inputValue('#ob-date')}, expected ${day}`);
        await page.fill('#ob-slots', String(list.length));
        // The page asked once on opening, with its default slots: wait
        // for the answer to this question, then for it to be drawn.
        const answered = page.waitForResponse((r) =>
            r.url().includes('/overbooking?') &&
            r.url().includes(`slots=${list.length}&`));
        await page.click('#ob-go');
        await answered;
        const ans = await call('GET', `/overbooking?date=${day}&slots=${
            list.length}&risk=0.1`, undefined, READER);
        await page.waitForFunction((want) => document.querySelector(
            '#ob-extra-n')?.textContent === want, `+${ans.advice.extra}`,
        { timeout: 5000 }).catch(() => {});
        await page.waitForSelector('#ob-grid canvas');
        const shown = await page.textContent('#ob-extra-n');
        check(shown === `+${ans.advice.extra}`, `extra '${shown}' vs ${
            ans.advice.extra}`);
        const drawn = await chartsDrawn(page, '#ob-grid');
        check(drawn.length === 1 && drawn[0], 'distribution not drawn');
        check((await page.$$('#ob-facts tbody tr')).length === 4,
            'facts table incomplete');
        await shot(page, '13-overbooking');
    });

    await test('dashboards: every chart drawn', async () => {
        await page.goto(BASE + '/#/dashboards');
        await page.waitForSelector('#dash-grid canvas');
        await shot(page, '06-dashboards');
        const drawn = await chartsDrawn(page, '#dash-grid');
        check(drawn.length >= 4, `only ${drawn.length} charts`);
        check(drawn.every(Boolean), `blank charts: ${drawn}`);
    });

    await test('model page: curves, importance, metrics, threshold',
        async () => {
            await page.goto(BASE + '/#/model');
            await page.waitForSelector('#model-grid canvas');
            await shot(page, '07-model');
            const drawn = await chartsDrawn(page, '#model-grid');
            check(drawn.length === 4 && drawn.every(Boolean),
                `charts drawn: ${drawn}`);
            check((await page.$$('#metrics-table tbody tr')).length > 0,
                'no metrics');
            const thr = await page.textContent('#model-threshold');
            check(/\d/.test(thr), `threshold '${thr}'`);
            // Monitoring from GET /monitoring: the performance table (or
            // its "no outcome yet" line) and one drift row per input.
            await page.waitForSelector('#monitoring-perf');
            await page.waitForSelector('#monitoring-drift');
            const inputs = (await page.$$('#monitoring-drift tbody tr'))
                .length;
            check(inputs > 0, 'no drift row on the model page');
        });

    await test('English switch and tablet width', async () => {
        await page.click('#lang-btn');
        await page.waitForFunction(() => document.documentElement.lang ===
            'en');
        await page.setViewportSize({ width: 768, height: 1024 });
        const nav = await page.textContent('#nav');
        check(nav.includes('Dashboards'), `navigation '${nav}'`);
        for (const [route, name] of [['predict', '08-predict-en-768'],
            ['auto', '09-auto-en-768'], ['reminders', '09-reminders-en-768'],
            ['overbooking', '09-overbooking-en-768']]) {
            await page.goto(`${BASE}/#/${route}`);
            await page.waitForSelector('main > *');
            await page.waitForLoadState('networkidle');
            if (route === 'reminders') {
                // The day picked earlier is kept while the tab lives.
                check(await page.inputValue('#rem-date') === remDay?.d,
                    'the reminders page forgot the day');
                await page.waitForSelector('#rem-table');
            }
            const over = await page.evaluate(() =>
                document.documentElement.scrollWidth > window.innerWidth);
            check(!over, `${route} scrolls sideways at 768 px`);
            await shot(page, name);
        }
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.click('#lang-btn');
    });

    await test('keyboard: skip link and focus ring', async () => {
        await page.goto(BASE + '/#/predict');
        await page.reload();
        await page.waitForSelector('main > *');
        await page.keyboard.press('Tab');
        const first = await page.evaluate(() => document.activeElement.id);
        check(first === 'skip-link', `first tab stop '${first}'`);
        await page.keyboard.press('Tab');
        const outline = await page.evaluate(() => getComputedStyle(
            document.activeElement).outlineStyle);
        check(outline !== 'none', 'focused element has no outline');
    });

    await test('keyboard: menu and file picker', async () => {
        await page.goto(BASE + '/#/predict');
        await page.reload();
        await page.waitForSelector('main > *');
        let tabs = 0;
        while (tabs++ < 15 && !(await page.evaluate(() =>
            (document.activeElement.getAttribute('href') || '')
                .endsWith('/batch')))) {
            await page.keyboard.press('Tab');
        }
        await page.keyboard.press('Enter');
        await page.waitForSelector('#csv-file');
        check(await page.evaluate(() => document.activeElement.tagName) ===
            'H1', 'focus did not move to the new page title');
        await page.focus('#csv-file');
        choosers.length = 0;
        await page.keyboard.press('Space');
        for (let i = 0; i < 50 && choosers.length === 0; i++) {
            await page.waitForTimeout(100);
        }
        check(choosers.length === 1,
            `${choosers.length} file choosers opened by Space`);
    });

    await test('labels on every control, AA contrast on every page',
        async () => {
        const missing = [];
        const contrast = [];
        for (const route of ['predict', 'batch', 'auto', 'reminders',
            'overbooking', 'dashboards', 'model']) {
            await page.goto(`${BASE}/#/${route}`);
            await page.waitForSelector('main > *');
            await page.waitForLoadState('networkidle');
            missing.push(...(await unlabelled(page)).map((x) =>
                `${route}:${x}`));
            contrast.push(...(await lowContrast(page)).map((x) =>
                `${route}:${x}`));
        }
        check(missing.length === 0, `unlabelled: ${missing.join(', ')}`);
        check(contrast.length === 0, `contrast under 4.5: ${
            contrast.slice(0, 8).join(', ')}`);
    });

    await test('no console error on any page', async () => {
        check(consoleErrors.length === 0, consoleErrors.join(' | '));
    });

    await test('logout returns to the login screen', async () => {
        await page.click('#logout-btn');
        await page.waitForSelector('#api-key');
        expectRefusals = true;
        const status = await page.evaluate(async () =>
            (await fetch('/session')).status);
        expectRefusals = false;
        check(status === 401, `GET /session after logout: ${status}`);
    });
    await ctx.close();

    const rctx = await browser.newContext({ locale: 'fr-FR',
        viewport: { width: 1024,
        height: 800 } });
    const rpage = await rctx.newPage();
    watch(rpage);
    await test('reader sees no notify button', async () => {
        await login(rpage, READER);
        await rpage.goto(BASE + '/#/auto');
        await rpage.waitForSelector('#auto-updated:not(:empty)');
        check(await rpage.$('.notify-btn') === null, 'notify button shown');
        check(await rpage.$('#notify-above') === null,
            'bulk notify shown');
        await shot(rpage, '10-auto-reader');
        await rpage.goto(BASE + '/#/reminders');
        await rpage.waitForSelector('#effect-sentence');
        check(await rpage.$('#rem-reader') !== null, 'no read-only notice');
        check(await rpage.$('.notify-btn, #rem-notify-all') === null,
            'notify button on the reminders page');
        await shot(rpage, '14-reminders-reader');
        await rpage.goto(BASE + '/#/predict');
        await rpage.waitForSelector('#predict-btn');
        check(await rpage.$('#book-btn') === null, 'book button shown');
        check(await rpage.$eval('#predict-btn', (b) => b.disabled),
            'reader can submit a prediction');
    });
    await rctx.close();
}

// Fills every field with a valid value; numbers take their lower bound
// plus a little, selects their first real option.
async function fillForm(page) {
    for (const el of await page.$$('form .field select')) {
        const n = await el.$$eval('option', (o) => o.length);
        const v = await el.inputValue();
        if (v === '' && n > 1) {
            await el.selectOption({ index: 1 });
        }
    }
    for (const el of await page.$$('form .field input[type=number]')) {
        const min = Number(await el.getAttribute('min') ?? 0);
        const max = Number(await el.getAttribute('max') ?? min + 60);
        await el.fill(String(Math.round(min + Math.min(30, (max - min) / 2))));
    }
    for (const el of await page.$$('form .field input[type=text]')) {
        await el.fill('4242');
    }
}

const timer = setTimeout(() => {
    console.log('browser: timed out after 240 s');
    console.log(`browser: ${passed} passed, ${failed + 1} failed`);
    process.exit(1);
}, 240000);

main().catch((e) => {
    failed++;
    console.log(`FAIL setup: ${e.message}`);
}).finally(() => {
    clearTimeout(timer);
    console.log(`browser: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
});
