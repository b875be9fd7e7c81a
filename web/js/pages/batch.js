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
    const scores = scoresOf(await api('POST', '/predict?reasons=true',
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

const FIXED_COLS = ['line', 'probability', 'band'];

// The scored rows: sortable by any column (header buttons), filtered by
// text and band, band-coloured; shows at most SHOWN rows at once.
class ResultsTable {
    constructor(header, rows) {
        this.header = header;
        this.rows = rows;
        this.shownCols = header.slice(0, 8);
        this.state = { key: 'probability', dir: -1, text: '', band: '' };
        this.body = h('tbody', {});
        this.headRow = h('tr', {});
        this.count = h('p', { class: 'hint', 'aria-live': 'polite' });
    }

    value(r, key) {
        if (key === 'line') {
            return r.line;
        }
        if (key === 'probability') {
            return probabilityOf(r.score);
        }
        if (key === 'band') {
            return bandOf(r.score);
        }
        return r.fields[this.header.indexOf(key)] ?? '';
    }

    compare(a, b) {
        const x = this.value(a, this.state.key);
        const y = this.value(b, this.state.key);
        const numeric = x !== '' && y !== '' && Number.isFinite(Number(x)) &&
            Number.isFinite(Number(y));

        return (numeric ? Number(x) - Number(y) :
            String(x).localeCompare(String(y))) * this.state.dir;
    }

    visible() {
        const txt = this.state.text.toLowerCase();

        return this.rows.filter((r) => (!this.state.band ||
            bandOf(r.score) === this.state.band) && (!txt ||
            r.fields.some((f) => String(f).toLowerCase().includes(txt))))
            .sort((a, b) => this.compare(a, b));
    }

    draw() {
        const list = this.visible();

        clear(this.body);
        for (const r of list.slice(0, SHOWN)) {
            const band = bandOf(r.score);
            this.body.appendChild(h('tr', { class: `row-${band}` },
                h('td', {}, r.line),
                h('td', { class: 'num' }, fmtPercent(probabilityOf(r.score))),
                h('td', {}, bandBadge(band)),
                this.shownCols.map((c, i) => h('td', {}, r.fields[i] ?? ''))));
        }
        this.count.textContent = `${Math.min(list.length, SHOWN)} / ${
            list.length}`;
        for (const th of this.headRow.children) {
            th.setAttribute('aria-sort', th.dataset.key !== this.state.key ?
                'none' : this.state.dir > 0 ? 'ascending' : 'descending');
        }
    }

    sortButton(key) {
        const label = { line: t('line'), probability: t('probability'),
            band: t('band') }[key] ?? key;

        return h('th', { scope: 'col', dataset: { key } },
            h('button', { type: 'button', class: 'sort',
                title: t('sort_by', { col: label }), onclick: () => {
                    this.state.dir = this.state.key === key ?
                        -this.state.dir : -1;
                    this.state.key = key;
                    this.draw();
                } }, label));
    }

    element() {
        const set = (k) => (ev) => {
            this.state[k] = ev.target.value;
            this.draw();
        };

        for (const key of [...FIXED_COLS, ...this.shownCols]) {
            this.headRow.appendChild(this.sortButton(key));
        }
        this.draw();
        return h('div', {},
            h('div', { class: 'filters' },
                h('label', { for: 'batch-filter' }, t('filter')),
                h('input', { id: 'batch-filter', type: 'search',
                    oninput: set('text') }),
                h('label', { for: 'batch-band' }, t('filter_band')),
                h('select', { id: 'batch-band', onchange: set('band') },
                    h('option', { value: '' }, t('all')),
                    ['high', 'medium', 'low'].map((b) => h('option',
                        { value: b }, bandLabel(b)))),
                this.count),
            h('div', { class: 'table-wrap' }, h('table', { class: 'data',
                id: 'batch-table' }, h('thead', {}, this.headRow),
            this.body)));
    }
}

// The page: a drop zone (or file picker), the list of bad lines, the
// button that scores the good ones, then downloads and the table.
class BatchPage {
    constructor(ctx) {
        this.schema = ctx.schema;
        this.status = h('div', { id: 'batch-status', role: 'status',
            'aria-live': 'polite' });
        this.report = h('div', { id: 'batch-report' });
        this.results = h('div', { id: 'batch-results' });
    }

    dropZone() {
        const input = h('input', { id: 'csv-file', type: 'file',
            accept: '.csv,text/csv', class: 'sr-only', onchange: () => {
                if (input.files[0]) {
                    this.run(input.files[0]);
                }
            } });
        const zone = h('div', { class: 'dropzone', id: 'dropzone',
            ondragover: (ev) => {
                ev.preventDefault();
                zone.classList.add('over');
            },
            ondragleave: () => zone.classList.remove('over'),
            ondrop: (ev) => {
                ev.preventDefault();
                zone.classList.remove('over');
                if (ev.dataTransfer.files[0]) {
                    this.run(ev.dataTransfer.files[0]);
                }
            } },
        h('p', {}, t('drop_here')),
        h('label', { for: 'csv-file', class: 'button' }, t('browse')),
        input);

        return zone;
    }

    async run(file) {
        clear(this.report);
        clear(this.results);
        announce(this.status, t('loading'));
        const parsed = parseCsv(await file.text());
        if (parsed.length < 2) {
            announce(this.status, t('no_rows'), 'error');
            return;
        }
        const chk = checkRows(this.schema, parsed);
        if (chk.missing.length) {
            announce(this.status, t('missing_columns',
                { list: chk.missing.join(', ') }), 'error');
            return;
        }
        announce(this.status, t('rows_read', { n: parsed.length - 1,
            file: file.name }), 'ok');
        if (!chk.bad.length) {
            await this.score(chk);
            return;
        }
        // Scoring the good rows of a file with errors is the user's call.
        this.showBad(chk.bad);
        this.report.appendChild(h('button', { type: 'button',
            class: 'primary', id: 'score-good', onclick: (ev) => {
                ev.target.disabled = true;
                this.score(chk);
            } }, t('score_good', { n: chk.good.length })));
    }

    showBad(bad) {
        const old = this.report.querySelector('#batch-errors-box');

        if (old) {
            old.remove();
        }
        this.report.prepend(h('div', { class: 'notice notice-warn',
            id: 'batch-errors-box' },
        h('p', {}, t('rows_bad', { n: bad.length })),
        h('ul', { class: 'errors', id: 'batch-errors' },
            bad.slice(0, MAX_ERRORS_LISTED).map((b) => h('li', {},
                t('line_reason', { line: b.line, reason: b.reason })))),
        bad.length > MAX_ERRORS_LISTED ? h('p', {}, '…') : null));
    }

    async score(chk) {
        try {
            const before = chk.bad.length;
            const rows = await scoreAll(chk.good, chk.bad, (d, n) =>
                announce(this.status, t('scoring', { done: d, total: n })));
            if (chk.bad.length !== before) {
                this.showBad(chk.bad);
            }
            announce(this.status, t('scored', { n: rows.length }), 'ok');
            this.results.append(h('div', { class: 'buttons' },
                h('button', { type: 'button', id: 'dl-csv', onclick: () =>
                    downloadCsv(chk.header, rows) }, t('download_csv')),
                h('button', { type: 'button', id: 'dl-xlsx', onclick: () =>
                    downloadXlsx(chk.header, rows) }, t('download_xlsx'))),
            new ResultsTable(chk.header, rows).element());
        } catch (e) {
            announce(this.status, t('error', { detail: e.message }),
                'error');
        }
    }
}

export function render(main, ctx) {
    if (ctx.role === 'reader') {
        main.append(h('h1', {}, t('batch_title')), h('p', {
            class: 'notice notice-info' }, t('reader_no_predict')));
        return;
    }
    const p = new BatchPage(ctx);
    main.append(h('h1', {}, t('batch_title')), h('p', {}, t('batch_intro')),
        p.dropZone(), p.status, p.report, p.results);
}
