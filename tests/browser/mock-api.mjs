// Stand-in for `noshow serve` while the service's API routes are being
// written: the same routes and JSON shapes the web app expects (issue 5's
// planned API plus the /session routes of src/server/session.c), kept in
// memory. Its model is a fixed logistic score over a few columns of the
// kaggle-noshow schema, whose exact per-column contributions serve as
// reasons, and whose curves are computed on the bundled data. It exists
// so that the web app can be exercised in a browser; run.sh uses it only
// when build/noshow has no `serve` command.
//
//   node mock-api.mjs --port P --web-dir DIR --data CSV \
//       --key reader=K1 --key clinic=K2

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const args = process.argv.slice(2);
const opt = (name) => args[args.indexOf(name) + 1];
const keys = new Map();
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--key') {
        const [role, key] = args[i + 1].split('=');
        keys.set(key, role);
    }
}
const webDir = opt('--web-dir');
const ROLES = { reader: 1, clinic: 2, admin: 3 };

const NEIGHBOURHOODS = [];
const COLUMNS = [
    { name: 'PatientId', role: 'patient_id', required: true },
    { name: 'AppointmentID', role: 'appointment_id' },
    { name: 'Gender', role: 'categorical', categories: ['F', 'M'],
        label: 'gender' },
    { name: 'ScheduledDay', role: 'booked_at', required: true,
        label: 'booking date' },
    { name: 'AppointmentDay', role: 'appointment_date', required: true,
        label: 'appointment date' },
    { name: 'Age', role: 'numeric', min: 0, max: 115, integer: true,
        required: true, label: 'age' },
    { name: 'Neighbourhood', role: 'categorical',
        categories: NEIGHBOURHOODS, label: 'neighbourhood' },
    { name: 'Scholarship', role: 'binary', label: 'welfare programme' },
    { name: 'Hipertension', role: 'binary', label: 'hypertension' },
    { name: 'Diabetes', role: 'binary', label: 'diabetes' },
    { name: 'Alcoholism', role: 'binary', label: 'alcoholism' },
    { name: 'Handcap', role: 'numeric', min: 0, max: 4, integer: true,
        label: 'disability' },
    { name: 'SMS_received', role: 'binary', label: 'SMS received' },
    { name: 'No-show', role: 'target' },
];

// Fixed logistic score: weight times (value - reference) per column.
const WEIGHTS = {
    lead: [0.045, 10], Age: [-0.012, 37], Scholarship: [0.25, 0.1],
    SMS_received: [0.3, 0.3], Alcoholism: [0.1, 0.03],
    Hipertension: [-0.1, 0.2],
};
const BIAS = -1.35;

function day(s) {
    return Math.floor(Date.parse(String(s).slice(0, 10) + 'T00:00:00Z') /
        86400000);
}

function score(rec) {
    const x = { ...rec, lead: Math.max(0, day(rec.AppointmentDay) -
        day(rec.ScheduledDay)) };
    const reasons = Object.entries(WEIGHTS).map(([k, [w, ref]]) => {
        const group = k === 'lead' ? 'lead time' :
            COLUMNS.find((c) => c.name === k).label;
        const c = w * (Number(x[k] ?? ref) - ref);
        const dir = c >= 0 ? 'raises' : 'lowers';
        return { group, value: x[k] ?? null, contribution: c,
            direction: dir, text: `${group} ${x[k]}: ${dir} risk (${
                c >= 0 ? '+' : ''}${c.toFixed(2)})` };
    }).sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    const margin = BIAS + reasons.reduce((s, r) => s + r.contribution, 0);
    const p = 1 / (1 + Math.exp(-margin));
    const unknown = rec.Neighbourhood && NEIGHBOURHOODS.length &&
        !NEIGHBOURHOODS.includes(rec.Neighbourhood) ?
        ['Neighbourhood'] : [];
    return {
        probability: p,
        band: p >= 0.35 ? 'high' : p >= 0.2 ? 'medium' : 'low',
        label: p >= THRESHOLD ? 1 : 0,
        model_version: 'mock-1',
        unknown_categories: unknown,
        reasons: reasons.slice(0, 5),
    };
}
const THRESHOLD = 0.3;

function validate(rec, prefix) {
    const errors = [];
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        return [{ field: prefix || '/', value: rec,
            expected: 'an object with the schema columns' }];
    }
    for (const k of Object.keys(rec)) {
        if (!COLUMNS.some((c) => c.name === k)) {
            errors.push({ field: prefix + k, value: rec[k],
                expected: 'a column of the schema' });
        }
    }
    for (const c of COLUMNS) {
        const v = rec[c.name];
        if (v === undefined || v === null || v === '') {
            if (c.required) {
                errors.push({ field: prefix + c.name, value: null,
                    expected: 'a value (required)' });
            }
            continue;
        }
        if ((c.role === 'numeric' || c.role === 'binary') &&
                typeof v !== 'number') {
            errors.push({ field: prefix + c.name, value: v,
                expected: 'a number' });
        } else if (c.role === 'numeric' && (v < c.min || v > c.max)) {
            errors.push({ field: prefix + c.name, value: v,
                expected: `a number from ${c.min} to ${c.max}` });
        } else if ((c.role === 'booked_at' || c.role === 'appointment_date')
                && !Number.isFinite(day(v))) {
            errors.push({ field: prefix + c.name, value: v,
                expected: 'a date YYYY-MM-DD' });
        }
    }
    if (!errors.length && day(rec.AppointmentDay) < day(rec.ScheduledDay)) {
        errors.push({ field: prefix + 'AppointmentDay',
            value: rec.AppointmentDay, expected: 'a day on or after ' +
            'ScheduledDay' });
    }
    return errors;
}

// Curves of the mock score on the bundled data.
function curves(rows) {
    const pts = rows.map((r) => [score(r).probability, r.y])
        .sort((a, b) => b[0] - a[0]);
    const pos = pts.filter((p) => p[1]).length;
    const neg = pts.length - pos;
    const roc = { fpr: [0], tpr: [0], threshold: [null] };
    const pr = { recall: [], precision: [], threshold: [] };
    let tp = 0;
    let fp = 0;
    let auc = 0;
    pts.forEach(([, y], i) => {
        if (y) {
            tp++;
        } else {
            fp++;
            auc += tp;
        }
        if (i % 50 === 49 || i === pts.length - 1) {
            roc.fpr.push(fp / neg);
            roc.tpr.push(tp / pos);
            roc.threshold.push(pts[i][0]);
            pr.recall.push(tp / pos);
            pr.precision.push(tp / (tp + fp));
            pr.threshold.push(pts[i][0]);
        }
    });
    // As the service's metrics give it: ten bins, null when empty.
    const cal = { mean_predicted: [], observed_rate: [], count: [] };
    for (let b = 0; b < 10; b++) {
        const inBin = pts.filter(([p]) => p >= b / 10 && p < (b + 1) / 10);
        const n = inBin.length;
        cal.mean_predicted.push(n ? inBin.reduce((s, p) => s + p[0], 0) / n
            : null);
        cal.observed_rate.push(n ? inBin.filter((p) => p[1]).length / n
            : null);
        cal.count.push(n);
    }
    return { auc: auc / (pos * neg), curves: { roc, pr, calibration: cal },
        rows: pts.length, positives: pos };
}

function loadData(path) {
    const lines = readFileSync(path, 'utf8').split('\n').slice(1, 20001);
    const rows = [];
    const hoods = new Set();
    for (const l of lines) {
        const f = l.split(',');
        if (f.length < 14) {
            continue;
        }
        hoods.add(f[6]);
        rows.push({ ScheduledDay: f[3], AppointmentDay: f[4],
            Age: Number(f[5]), Scholarship: Number(f[7]),
            Hipertension: Number(f[8]), Alcoholism: Number(f[10]),
            SMS_received: Number(f[12]), y: f[13].trim() === 'Yes' });
    }
    NEIGHBOURHOODS.push(...[...hoods].sort());
    return rows;
}

const perf = curves(loadData(opt('--data')));
// The schema travels as its own text, as the service's bundle gives it.
function schemaText() {
    const lines = ['schema kaggle-noshow'];
    for (const c of COLUMNS) {
        const opts = [c.integer ? 'integer' : '', c.min !== undefined ?
            `min=${c.min}` : '', c.max !== undefined ? `max=${c.max}` : '',
        c.required ? '' : 'required=no', c.label ? `label="${c.label}"`
            : ''].filter(Boolean);
        lines.push(`column ${c.name} ${c.role} ${opts.join(' ')}`.trim());
    }
    return lines.join('\n') + '\n';
}

const MODEL = {
    version: 'mock-1',
    created: '2026-12-01T00:00:00Z',
    threshold: { value: THRESHOLD, rule: 'f1' },
    schema_name: 'kaggle-noshow',
    schema: schemaText(),
    encoders: { Gender: ['F', 'M'], Neighbourhood: NEIGHBOURHOODS },
    bands: { low_below: 0.2, high_from: 0.35 },
    features: Object.keys(WEIGHTS),
    metrics: { test: { auc: perf.auc, rows: perf.rows,
        positives: perf.positives, curves: perf.curves } },
    importance: { units: 'mean |contribution| (log-odds)',
        groups: Object.entries(WEIGHTS).map(([k, [w]]) => ({ name: k ===
            'lead' ? 'lead time' : COLUMNS.find((c) => c.name === k).label,
        mean_abs: Math.abs(w) })) },
};

const appts = [];
const sessions = new Map();

function problem(res, status, detail, errors) {
    const body = { type: 'about:blank', title: String(status), status,
        detail };
    if (errors) {
        body.errors = errors;
    }
    res.writeHead(status, { 'Content-Type': 'application/problem+json' });
    res.end(JSON.stringify(body));
}

function json(res, status, body, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json',
        ...headers });
    res.end(JSON.stringify(body));
}

function cookieOf(req) {
    const m = (req.headers.cookie || '').match(/noshow_session=([^;]+)/);
    return m ? m[1] : null;
}

// Bearer key or cookie (plus CSRF token on writes), as the service does.
function authorise(req, res, need) {
    const h = req.headers.authorization;
    let role = null;
    if (h && h.startsWith('Bearer ')) {
        role = keys.get(h.slice(7));
    } else if (cookieOf(req) && sessions.has(cookieOf(req))) {
        const s = sessions.get(cookieOf(req));
        if (req.method !== 'GET' &&
                req.headers['x-csrf-token'] !== s.csrf) {
            problem(res, 403, 'missing or wrong X-CSRF-Token');
            return false;
        }
        role = s.role;
    }
    if (!role) {
        problem(res, 401, 'this route needs an API key or a session');
        return false;
    }
    if (ROLES[role] < ROLES[need]) {
        problem(res, 403, `this route needs the role '${need}'`);
        return false;
    }
    return true;
}

function publicAppt(a, withEvents) {
    const { events, ...rest } = a;
    return withEvents ? { ...rest, events } : rest;
}

function listAppts(q) {
    let list = appts.filter((a) => (!q.get('status') ||
        a.status === q.get('status')) &&
        (!q.get('from') || a.appointment_day >= q.get('from')) &&
        (!q.get('to') || a.appointment_day <= q.get('to')) &&
        (!q.get('min_risk') || a.risk >= Number(q.get('min_risk'))));
    list = list.sort((x, y) => y.risk - x.risk || x.id - y.id);
    const start = Number(q.get('cursor') || 0);
    const limit = Math.min(1000, Number(q.get('limit') || 100));
    const page = list.slice(start, start + limit);
    return { items: page.map((a) => publicAppt(a, false)),
        next_cursor: start + limit < list.length ? String(start + limit)
            : null };
}

async function api(req, res, url, body) {
    const p = url.pathname;
    const m = p.match(/^\/appointments\/(\d+)(\/(notify|outcome))?$/);
    const now = new Date().toISOString();

    if (p === '/session') {
        if (req.method === 'POST') {
            const role = keys.get(body?.api_key);
            if (!role) {
                return problem(res, 401, 'the API key is unknown or revoked');
            }
            const id = randomBytes(24).toString('hex');
            const s = { role, csrf: randomBytes(32).toString('hex') };
            sessions.set(id, s);
            return json(res, 200, { role, csrf_token: s.csrf }, {
                'Set-Cookie': `noshow_session=${id}; Path=/; HttpOnly; ` +
                    'SameSite=Strict' });
        }
        if (req.method === 'DELETE') {
            sessions.delete(cookieOf(req));
            res.writeHead(204, { 'Set-Cookie':
                'noshow_session=; Path=/; Max-Age=0' });
            return res.end();
        }
        const s = sessions.get(cookieOf(req));
        return s ? json(res, 200, { role: s.role, csrf_token: s.csrf })
            : problem(res, 401, 'no session');
    }
    if (p === '/model' && req.method === 'GET') {
        return authorise(req, res, 'reader') && json(res, 200, MODEL);
    }
    if (p === '/predict' && req.method === 'POST') {
        if (!authorise(req, res, 'clinic')) {
            return;
        }
        const list = Array.isArray(body) ? body : [body];
        const errors = list.flatMap((r, i) => validate(r,
            Array.isArray(body) ? `[${i}].` : ''));
        if (errors.length) {
            return problem(res, 422, 'invalid record', errors);
        }
        // Reasons cost a TreeSHAP pass in the service: only on request.
        const out = list.map(score).map((s) => url.searchParams.get(
            'reasons') === 'true' ? s : { ...s, reasons: [] });
        return json(res, 200, Array.isArray(body) ? out : out[0]);
    }
    if (p === '/appointments' && req.method === 'POST') {
        if (!authorise(req, res, 'clinic')) {
            return;
        }
        const errors = validate(body, '');
        if (errors.length) {
            return problem(res, 422, 'invalid record', errors);
        }
        const s = score(body);
        const { PatientId, ...input } = body;
        const a = { id: appts.length + 1, ext_id: body.AppointmentID ?? null,
            booked_at: body.ScheduledDay,
            appointment_day: String(body.AppointmentDay).slice(0, 10),
            appointment_time: null, specialty: null, status: 'pending',
            risk: s.probability, band: s.band, model_version: s.model_version,
            reasons: s.reasons, notification_message: null, outcome_at: null,
            input, events: [
                { id: 1, at_ms: Date.now(), kind: 'booked', actor: 'key:2' },
                { id: 2, at_ms: Date.now(), kind: 'scored', actor: null }] };
        void PatientId;
        appts.push(a);
        return json(res, 201, { ...s, id: a.id, status: 'pending' });
    }
    if (p === '/appointments' && req.method === 'GET') {
        return authorise(req, res, 'reader') &&
            json(res, 200, listAppts(url.searchParams));
    }
    if (m) {
        const a = appts[Number(m[1]) - 1];
        if (!a) {
            return problem(res, 404, `no appointment ${m[1]}`);
        }
        if (!m[3] && req.method === 'GET') {
            return authorise(req, res, 'reader') &&
                json(res, 200, publicAppt(a, true));
        }
        if (!authorise(req, res, 'clinic')) {
            return;
        }
        if (m[3] === 'notify' && req.method === 'POST') {
            a.status = 'pending_confirmation';
            a.notification_message = body?.message ?? '';
            a.events.push({ id: a.events.length + 1, at_ms: Date.now(),
                kind: 'notified', actor: 'key:2' });
            return json(res, 202, { id: a.id, status: a.status,
                outbox_id: a.id, delivery: 'not delivered: no webhook ' +
                'configured' });
        }
        if (m[3] === 'outcome' && req.method === 'PUT') {
            const o = body?.outcome;
            if (!['honored', 'cancelled', 'no_show'].includes(o)) {
                return problem(res, 422, 'bad outcome', [{ field: 'outcome',
                    value: o, expected: 'honored, cancelled or no_show' }]);
            }
            a.status = o;
            a.outcome_at = body.at ?? now;
            a.events.push({ id: a.events.length + 1, at_ms: Date.now(),
                kind: 'outcome', actor: 'key:2' });
            return json(res, 200, { id: a.id, status: o,
                outcome_at: a.outcome_at, repeat: false });
        }
    }
    return problem(res, 404, `no route ${req.method} ${p}`);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js':
    'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

function serveStatic(res, path) {
    let file = normalize(join(webDir, path));
    if (!file.startsWith(normalize(webDir))) {
        return problem(res, 404, 'not found');
    }
    if (existsSync(file) && statSync(file).isDirectory()) {
        file = join(file, 'index.html');
    }
    if (!existsSync(file)) {
        return problem(res, 404, 'not found');
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ??
        'application/octet-stream' });
    res.end(readFileSync(file));
}

const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const url = new URL(req.url, 'http://x');
        let body = null;
        if (chunks.length) {
            try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch (e) {
                return problem(res, 400, `the body is not valid JSON: ${
                    e.message}`);
            }
        }
        const isApi = /^\/(session|model|predict|appointments)(\/|$)/
            .test(url.pathname);
        if (isApi) {
            api(req, res, url, body);
        } else {
            serveStatic(res, url.pathname);
        }
    });
});
server.listen(Number(opt('--port')), '127.0.0.1', () =>
    console.log(`mock-api: listening on ${server.address().port}`));
