// Page 2: a CSV file read in the browser, checked against the schema,
// sent to POST /predict in chunks, shown as a sortable and filterable
// table, and downloadable as CSV or XLSX with the scores added.

import { api, ApiError } from '../api.js';
import { h, clear, announce, download } from '../dom.js';
import { bandLabel, fmtPercent, t } from '../i18n.js';
import { bandBadge, bandOf, probabilityOf, reasonsOf } from '../result.js';
import { buildRecord, errorMessage, inputColumns, parseErrorField }
    from '../schema.js';
import { parseCsv, toCsv } from '../csv.js';

// Shown only when a model is loaded (main.js).
export const needsModel = true;

const CHUNK = 500;
const SHOWN = 300;
const MAX_ERRORS_LISTED = 100;

// Checks every row locally so that the user sees all problems at once,
// with their line numbers, before anything is sent.
function checkRows(schema, parsed) {
    const header = parsed[0].fields.map((s) => s.trim());
    const cols = inputColumns(schema);
    const missing = cols.filter((c) => c.required &&
        !header.includes(c.name)).map((c) => c.name);
    const good = [];
    const bad = [];

    if (missing.length) {
        return { header, missing, good, bad };
    }
    for (const row of parsed.slice(1)) {
        const raw = {};
        header.forEach((name, i) => {
            raw[name] = row.fields[i];
        });
        const { record, errors } = buildRecord(schema, raw);
        if (errors.length) {
            bad.push({ line: row.line, reason: errors.map((e) =>
                `${e.field}: ${e.message}`).join(' ; ') });
        } else {
            good.push({ line: row.line, fields: row.fields, record });
        }
    }
    return { header, missing, good, bad };
}

function scoresOf(resp) {
    if (Array.isArray(resp)) {
        return resp;
    }
    return resp?.predictions ?? resp?.results ?? resp?.items ?? [resp];
}

function refusal(e) {
    return e.fieldErrors.length ? e.fieldErrors.map((x) =>
        `${parseErrorField(x).field}: ${errorMessage(x)}`).join(' ; ')
        : e.message;
}

// Rows of a refused chunk named by the answer's errors ("[3].Age"), with
// their reasons; null when the errors name no row.
function rowsNamed(e, chunk) {
    const named = new Map();

    for (const x of e.fieldErrors) {
        const { index, field } = parseErrorField(x);
        if (index === null || index >= chunk.length) {
            return null;
        }
        named.set(index, [...(named.get(index) ?? []),
            `${field}: ${errorMessage(x)}`]);
    }
    return named.size ? named : null;
}

async function scoreChunk(chunk, done) {
    const scores = scoresOf(await api('POST', '/predict',
        chunk.map((r) => r.record)));

    chunk.forEach((r, k) => done.push({ ...r, score: scores[k] }));
}

function fatal(e) {
    return !(e instanceof ApiError) || e.status >= 500 || e.status === 401 ||
        e.status === 403;
}

// Scores rows in one call. When the service refuses them, the rows its
// errors name are set aside with their reasons and the others sent again;
// errors that name no row make the rows go one by one, so that one bad
// row never sinks its neighbours. Each round removes a row: it ends.
async function scoreRows(chunk, done, bad) {
    try {
        await scoreChunk(chunk, done);
    } catch (e) {
        if (fatal(e)) {
            throw e;
        }
        const named = chunk.length > 1 ? rowsNamed(e, chunk) : null;
        if (named) {
            named.forEach((why, k) => bad.push({ line: chunk[k].line,
                reason: why.join(' ; ') }));
            const rest = chunk.filter((_, k) => !named.has(k));
            if (rest.length) {
                await scoreRows(rest, done, bad);
            }
        } else if (chunk.length > 1) {
            for (const r of chunk) {
                await scoreRows([r], done, bad);
            }
        } else {
            bad.push({ line: chunk[0].line, reason: refusal(e) });
        }
    }
}

async function scoreAll(rows, bad, progress) {
    const done = [];

    for (let i = 0; i < rows.length; i += CHUNK) {
        await scoreRows(rows.slice(i, i + CHUNK), done, bad);
        progress(Math.min(i + CHUNK, rows.length), rows.length);
    }
    bad.sort((x, y) => x.line - y.line);
    return done.sort((x, y) => x.line - y.line);
}

function topReason(score) {
    const r = reasonsOf(score)[0];
    return r ? `${r.label} (${r.contribution >= 0 ? '+' : ''}${
        r.contribution.toFixed(3)})` : '';
}

function exportRows(header, rows) {
    const head = [...header, 'probability', 'band', 'label', 'top_reason'];
    const body = rows.map((r) => [...header.map((_, i) => r.fields[i] ?? ''),
        probabilityOf(r.score), bandOf(r.score),
        r.score?.label ?? '', topReason(r.score)]);

    return { head, body };
}

function xlsxCell(v, isNumber) {
    if (isNumber && v !== '' && Number.isFinite(Number(v))) {
        return { type: Number, value: Number(v) };
    }
    return { type: String, value: String(v ?? '') };
}

async function downloadXlsx(header, rows) {
    /* global writeXlsxFile */
    const { head, body } = exportRows(header, rows);
    const data = [head.map((x) => ({ value: x, fontWeight: 'bold' })),
        ...body.map((r) => r.map((v, i) => xlsxCell(v,
            i === header.length || i === header.length + 2)))];
    const blob = await writeXlsxFile(data, {});

    download('noshow-scores.xlsx', blob);
}

function downloadCsv(header, rows) {
    const { head, body } = exportRows(header, rows);

    download('noshow-scores.csv', new Blob([toCsv(head, body)],
        { type: 'text/csv;charset=utf-8' }));
}

function resultsTable(header, rows) {
    const state = { key: 'probability', dir: -1, text: '', band: '' };
    const shownCols = header.slice(0, 8);
    const body = h('tbody', {});
    const headRow = h('tr', {});
    const count = h('p', { class: 'hint', 'aria-live': 'polite' });
    const keys = ['line', 'probability', 'band', ...shownCols];

    function value(r, key) {
        if (key === 'line') {
            return r.line;
        }
        if (key === 'probability') {
            return probabilityOf(r.score);
        }
        if (key === 'band') {
            return bandOf(r.score);
        }
        return r.fields[header.indexOf(key)] ?? '';
    }

    function draw() {
        const txt = state.text.toLowerCase();
        const list = rows.filter((r) => (!state.band ||
            bandOf(r.score) === state.band) && (!txt ||
            r.fields.some((f) => String(f).toLowerCase().includes(txt))));
        list.sort((a, b) => {
            const x = value(a, state.key);
            const y = value(b, state.key);
            const nx = Number(x);
            const ny = Number(y);
            const c = Number.isFinite(nx) && Number.isFinite(ny) &&
                x !== '' && y !== '' ? nx - ny : String(x).localeCompare(y);
            return c * state.dir;
        });
        clear(body);
        for (const r of list.slice(0, SHOWN)) {
            const band = bandOf(r.score);
            body.appendChild(h('tr', { class: `row-${band}` },
                h('td', {}, r.line),
                h('td', { class: 'num' }, fmtPercent(probabilityOf(r.score))),
                h('td', {}, bandBadge(band)),
                shownCols.map((c, i) => h('td', {}, r.fields[i] ?? ''))));
        }
        count.textContent = `${Math.min(list.length, SHOWN)} / ${list.length}`;
        for (const th of headRow.children) {
            th.setAttribute('aria-sort', th.dataset.key === state.key ?
                (state.dir > 0 ? 'ascending' : 'descending') : 'none');
        }
    }

    for (const key of keys) {
        const label = key === 'line' ? t('line') : key === 'probability' ?
            t('probability') : key === 'band' ? t('band') : key;
        headRow.appendChild(h('th', { scope: 'col', dataset: { key } },
            h('button', { type: 'button', class: 'sort',
                title: t('sort_by', { col: label }), onclick: () => {
                    state.dir = state.key === key ? -state.dir : -1;
                    state.key = key;
                    draw();
                } }, label)));
    }
    const filter = h('input', { id: 'batch-filter', type: 'search',
        oninput: (ev) => {
            state.text = ev.target.value;
            draw();
        } });
    const bandSel = h('select', { id: 'batch-band', onchange: (ev) => {
        state.band = ev.target.value;
        draw();
    } }, h('option', { value: '' }, t('all')),
    ['high', 'medium', 'low'].map((b) => h('option', { value: b },
        bandLabel(b))));
    const wrap = h('div', {},
        h('div', { class: 'filters' },
            h('label', { for: 'batch-filter' }, t('filter')), filter,
            h('label', { for: 'batch-band' }, t('filter_band')), bandSel,
            count),
        h('div', { class: 'table-wrap' }, h('table', { class: 'data',
            id: 'batch-table' }, h('thead', {}, headRow), body)));

    draw();
    return wrap;
}

export function render(main, ctx) {
    const status = h('div', { id: 'batch-status', role: 'status',
        'aria-live': 'polite' });
    const report = h('div', { id: 'batch-report' });
    const results = h('div', { id: 'batch-results' });
    const fileInput = h('input', { id: 'csv-file', type: 'file',
        accept: '.csv,text/csv', class: 'sr-only' });
    const zone = h('div', { class: 'dropzone', id: 'dropzone' },
        h('p', {}, t('drop_here')),
        h('label', { for: 'csv-file', class: 'button' }, t('browse')),
        fileInput);

    async function run(file) {
        clear(report);
        clear(results);
        announce(status, t('loading'));
        const parsed = parseCsv(await file.text());
        if (parsed.length < 2) {
            announce(status, t('no_rows'), 'error');
            return;
        }
        const chk = checkRows(ctx.schema, parsed);
        if (chk.missing.length) {
            announce(status, t('missing_columns',
                { list: chk.missing.join(', ') }), 'error');
            return;
        }
        announce(status, t('rows_read', { n: parsed.length - 1,
            file: file.name }), 'ok');
        if (chk.bad.length) {
            showBad(chk.bad);
            report.appendChild(h('button', { type: 'button',
                class: 'primary', id: 'score-good', onclick: (ev) => {
                    ev.target.disabled = true;
                    score(chk);
                } }, t('score_good', { n: chk.good.length })));
        } else {
            score(chk);
        }
    }

    function showBad(bad) {
        const list = h('ul', { class: 'errors', id: 'batch-errors' },
            bad.slice(0, MAX_ERRORS_LISTED).map((b) => h('li', {},
                t('line_reason', { line: b.line, reason: b.reason }))));
        const old = document.getElementById('batch-errors-box');
        if (old) {
            old.remove();
        }
        report.prepend(h('div', { class: 'notice notice-warn',
            id: 'batch-errors-box' },
        h('p', {}, t('rows_bad', { n: bad.length })), list,
        bad.length > MAX_ERRORS_LISTED ? h('p', {}, '…') : null));
    }

    async function score(chk) {
        try {
            const before = chk.bad.length;
            const rows = await scoreAll(chk.good, chk.bad, (d, n) =>
                announce(status, t('scoring', { done: d, total: n })));
            if (chk.bad.length !== before) {
                showBad(chk.bad);
            }
            announce(status, t('scored', { n: rows.length }), 'ok');
            results.append(h('div', { class: 'buttons' },
                h('button', { type: 'button', id: 'dl-csv', onclick: () =>
                    downloadCsv(chk.header, rows) }, t('download_csv')),
                h('button', { type: 'button', id: 'dl-xlsx', onclick: () =>
                    downloadXlsx(chk.header, rows) }, t('download_xlsx'))),
            resultsTable(chk.header, rows));
        } catch (e) {
            announce(status, t('error', { detail: e.message }), 'error');
        }
    }

    fileInput.addEventListener('change', () => {
        if (fileInput.files[0]) {
            run(fileInput.files[0]);
        }
    });
    zone.addEventListener('dragover', (ev) => {
        ev.preventDefault();
        zone.classList.add('over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (ev) => {
        ev.preventDefault();
        zone.classList.remove('over');
        if (ev.dataTransfer.files[0]) {
            run(ev.dataTransfer.files[0]);
        }
    });
    if (ctx.role === 'reader') {
        main.append(h('h1', {}, t('batch_title')), h('p', {
            class: 'notice notice-info' }, t('reader_no_predict')));
        return;
    }
    main.append(h('h1', {}, t('batch_title')), h('p', {}, t('batch_intro')),
        zone, status, report, results);
}
