// The active schema as GET /model describes it, reduced to what the pages
// need: which columns a user fills in, of which kind, with which range or
// categories, and how a raw text value (a form field or a CSV cell)
// becomes the JSON value the service expects.

import { t } from './i18n.js';

const ROLE_KINDS = [
    [/target|label|outcome/, 'target'],
    [/appt_id|appointment_id|^id$/, 'appt_id'],
    [/patient/, 'patient_id'],
    [/booked|scheduled/, 'booked_at'],
    [/time/, 'appt_time'],
    [/date|day/, 'appt_date'],
    [/binary|bool/, 'binary'],
    [/numeric|number|integer/, 'numeric'],
    [/categ/, 'categorical'],
];

export function roleKind(role) {
    const r = String(role || '').toLowerCase();

    for (const [re, kind] of ROLE_KINDS) {
        if (re.test(r)) {
            return kind;
        }
    }
    return 'ignore';
}

function capitalise(s) {
    return s.charAt(0).toUpperCase() + s.slice(1);
}

function num(x) {
    if (x === null || x === undefined || x === '') {
        return null;
    }
    const v = Number(x);
    return Number.isFinite(v) ? v : null;
}

// Reads the schema language (docs/schema.md): "schema NAME", then one
// "column NAME ROLE [integer] [key=value | key=\"text\"]..." statement per
// column, continued on indented lines; "#" starts a comment.
export function parseSchemaText(text) {
    const out = { name: '', columns: [] };
    const token = /([^\s=]+)="((?:[^"\\]|\\.)*)"|(\S+)/g;

    for (const raw of String(text).split('\n')) {
        const line = raw.replace(/(^|\s)#.*$/, '');
        const words = [...line.matchAll(token)].map((m) =>
            m[1] !== undefined ? [m[1], m[2]] : m[3]);
        let col = out.columns[out.columns.length - 1];

        if (!words.length) {
            continue;
        }
        if (words[0] === 'schema') {
            out.name = words[1] ?? '';
            continue;
        }
        if (words[0] === 'column') {
            col = { name: words[1], role: words[2] };
            out.columns.push(col);
            words.splice(0, 3);
        } else if (!/^\s/.test(raw) || !col) {
            continue;
        }
        for (const w of words) {
            if (Array.isArray(w)) {
                col[w[0]] = w[1];
            } else if (w === 'integer') {
                col.integer = true;
            } else if (w.includes('=')) {
                const at = w.indexOf('=');
                col[w.slice(0, at)] = w.slice(at + 1);
            }
        }
    }
    return out;
}

// The decision threshold of GET /model: a number, or {value, rule}.
export function thresholdOf(model) {
    const t = model?.threshold;

    return Number(t !== null && typeof t === 'object' ? t.value : t);
}

// The schema of GET /model: a {name, columns} object, a list of columns,
// or the schema's own text (alone, as "text" beside "name", or as
// "schema_text" beside a "schema" that names it).
function schemaOf(model) {
    const s = model?.schema ?? {};

    if (typeof model?.schema_text === 'string') {
        return { ...parseSchemaText(model.schema_text),
            ...(typeof s === 'string' ? { name: s } : {}) };
    }
    if (typeof s === 'string') {
        return parseSchemaText(s);
    }
    if (!Array.isArray(s) && !s.columns && typeof s.text === 'string') {
        return { ...parseSchemaText(s.text), name: s.name ??
            parseSchemaText(s.text).name };
    }
    return s;
}

export function normalizeSchema(model) {
    const s = schemaOf(model);
    const cols = Array.isArray(s) ? s : (s.columns ?? []);
    // Category lists: the fitted encoders of the bundle, or "categories".
    const cats = model?.encoders ?? model?.categories ?? {};

    return {
        name: s.name ?? model?.schema_name ?? '',
        columns: cols.map((c) => ({
            name: c.name,
            label: capitalise(c.label || c.name),
            kind: roleKind(c.role),
            // A value is needed unless the column is optional or its
            // missing values are kept or imputed (the default is drop).
            required: c.required === true || (c.required !== 'no' &&
                c.required !== false && (c.missing ?? 'drop') === 'drop'),
            integer: Boolean(c.integer),
            min: num(c.min),
            max: num(c.max),
            categories: c.categories ?? c.values ?? c.levels ??
                (Array.isArray(cats[c.name]) ? cats[c.name] : null),
        })),
    };
}

// Columns a person provides: everything but the outcome and ignored ones.
export function inputColumns(schema) {
    return schema.columns.filter((c) =>
        c.kind !== 'target' && c.kind !== 'ignore');
}

export function findColumn(schema, re, kinds) {
    return schema.columns.find((c) => re.test(c.name) &&
        (!kinds || kinds.includes(c.kind))) ?? null;
}

const YES = ['1', 'yes', 'y', 'true', 'oui', 'o', 'vrai'];
const NO = ['0', 'no', 'n', 'false', 'non', 'faux'];
const DATE_RE = /^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?|\d{2}\/\d{2}\/\d{4}( \d{2}:\d{2}(:\d{2})?)?)$/;
const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

// Converts one raw text value. Returns {value} (undefined when empty and
// allowed to be) or {error} with a message for the user.
export function convert(col, raw) {
    const text = raw === null || raw === undefined ? '' : String(raw).trim();

    if (text === '') {
        return col.required ? { error: t('required') } : { value: undefined };
    }
    switch (col.kind) {
    case 'binary': {
        const l = text.toLowerCase();
        if (YES.includes(l)) {
            return { value: 1 };
        }
        if (NO.includes(l)) {
            return { value: 0 };
        }
        return { error: t('bad_binary') };
    }
    case 'numeric':
        return convertNumber(col, text);
    case 'categorical':
        // Unknown categories are scored by the service and flagged, so
        // they are not rejected here.
        return { value: text };
    case 'booked_at':
    case 'appt_date':
        return DATE_RE.test(text) ? { value: text } : { error: t('bad_date') };
    case 'appt_time':
        return TIME_RE.test(text) ? { value: text } : { error: t('bad_time') };
    default:
        return { value: text };
    }
}

function convertNumber(col, text) {
    const v = Number(text.replace(',', '.'));

    if (!Number.isFinite(v)) {
        return { error: t('number') };
    }
    if (col.integer && !Number.isInteger(v)) {
        return { error: t('integer') };
    }
    const lo = col.min;
    const hi = col.max;
    if ((lo !== null && v < lo) || (hi !== null && v > hi)) {
        if (lo !== null && hi !== null) {
            return { error: t('range', { min: lo, max: hi }) };
        }
        return { error: lo !== null ? t('min_only', { min: lo })
            : t('max_only', { max: hi }) };
    }
    return { value: v };
}

// Builds a request object from {column name: raw text}. Returns
// {record, errors: [{field, message}]}.
export function buildRecord(schema, raw) {
    const record = {};
    const errors = [];

    for (const col of inputColumns(schema)) {
        const r = convert(col, raw[col.name]);
        if (r.error) {
            errors.push({ field: col.name, message: r.error });
        } else if (r.value !== undefined) {
            record[col.name] = r.value;
        }
    }
    return { record, errors };
}

// A field name from a problem+json error may be "Age", "/Age", "$.Age",
// "[3].Age" or "/3/Age": returns {index, field}.
export function parseErrorField(e) {
    const f = String(e.field ?? e.pointer ?? e.name ?? '');
    const m = f.match(/^[$/]*\[?(\d+)\]?[./]?(.*)$/);

    if (e.index !== undefined) {
        return { index: Number(e.index), field: f.replace(/^[$./]+/, '') };
    }
    if (m && m[2] !== undefined && /^\d+$/.test(m[1]) && f.match(/^\W*\d/)) {
        return { index: Number(m[1]), field: m[2] };
    }
    return { index: null, field: f.replace(/^[$./]+/, '') };
}

// The sentence shown next to a field for one problem+json error entry
// ({field, value, expected} or {field, detail}).
export function errorMessage(e) {
    if (e.expected !== undefined && e.expected !== null) {
        return e.value === undefined || e.value === null ?
            t('expected', { expected: e.expected }) :
            t('got_expected', { value: JSON.stringify(e.value),
                expected: e.expected });
    }
    return e.detail ?? e.message ?? e.title ?? '';
}
