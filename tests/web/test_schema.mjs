// The web app's schema handling: roles, value conversion and checks,
// error field names from problem+json answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

// i18n.js keeps the language in localStorage, absent under node.
globalThis.localStorage = { getItem: () => 'en', setItem: () => {} };
globalThis.document = { documentElement: {} };
const { buildRecord, convert, errorMessage, normalizeSchema,
    parseErrorField, parseSchemaText, roleKind, thresholdOf } =
    await import('../../web/js/schema.js');

const schema = normalizeSchema({ schema: { name: 's', columns: [
    { name: 'PatientId', role: 'patient_id', required: true },
    { name: 'AppointmentDay', role: 'appointment_date', required: true },
    { name: 'Age', role: 'numeric', min: 0, max: 115, integer: true,
        missing: 'drop' },
    { name: 'SMS_received', role: 'binary', missing: 'keep' },
    { name: 'Neighbourhood', role: 'categorical', categories: ['A', 'B'],
        required: 'no' },
    { name: 'No-show', role: 'target' },
] } });

test('schema_roles_map_to_input_kinds', () => {
    assert.equal(roleKind('booked_at'), 'booked_at');
    assert.equal(roleKind('appointment_time'), 'appt_time');
    assert.equal(roleKind('appointment_date'), 'appt_date');
    assert.equal(roleKind('target'), 'target');
    assert.equal(roleKind('binary'), 'binary');
    assert.equal(roleKind('something else'), 'ignore');
});

test('schema_convert_checks_range_integer_and_yes_no', () => {
    const age = schema.columns[2];
    const sms = schema.columns[3];
    assert.deepEqual(convert(age, '42'), { value: 42 });
    assert.match(convert(age, '200').error, /between 0 and 115/);
    assert.match(convert(age, '4.5').error, /whole number/);
    assert.match(convert(age, '').error, /Required/);
    assert.deepEqual(convert(sms, 'oui'), { value: 1 });
    assert.deepEqual(convert(sms, 'No'), { value: 0 });
    assert.match(convert(sms, 'maybe').error, /yes\/no/);
    assert.deepEqual(convert(schema.columns[4], 'Z'), { value: 'Z' },
        'unknown categories go to the service, which flags them');
});

test('schema_build_record_skips_target_and_lists_errors', () => {
    const r = buildRecord(schema, { PatientId: '7', AppointmentDay:
        '2016-05-02', Age: '30', 'No-show': 'Yes' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.record, { PatientId: '7', AppointmentDay:
        '2016-05-02', Age: 30 });
    const bad = buildRecord(schema, { PatientId: '', AppointmentDay: 'x',
        Age: '30' });
    assert.deepEqual(bad.errors.map((e) => e.field), ['PatientId',
        'AppointmentDay']);
});

test('schema_error_message_names_value_and_expectation', () => {
    assert.equal(errorMessage({ field: 'Age', value: 200,
        expected: 'a number from 0 to 115' }),
    'Got 200; expected a number from 0 to 115.');
    assert.equal(errorMessage({ field: 'Age', value: null,
        expected: 'a value' }), 'Expected a value.');
    assert.equal(errorMessage({ field: 'Age', detail: 'too old' }),
        'too old');
});

test('schema_error_fields_of_lists_and_pointers_are_split', () => {
    assert.deepEqual(parseErrorField({ field: '[3].Age' }),
        { index: 3, field: 'Age' });
    assert.deepEqual(parseErrorField({ field: '/3/Age' }),
        { index: 3, field: 'Age' });
    assert.deepEqual(parseErrorField({ field: 'Age' }),
        { index: null, field: 'Age' });
    assert.deepEqual(parseErrorField({ field: 'Age', index: 2 }),
        { index: 2, field: 'Age' });
});

test('schema_text_is_read_with_continuations_and_quotes', () => {
    const text = [
        'schema kaggle-noshow',
        '# a comment line',
        'column PatientId      patient_id       label="patient"',
        'column Age            numeric integer min=0 max=115 label="age"',
        'column Handcap        numeric integer min=0 max=4',
        '       label="disability level"',
        'column Neighbourhood  categorical required=no',
        'column No-show        target  positive=Yes negative=No',
    ].join('\n');
    const s = parseSchemaText(text);
    assert.equal(s.name, 'kaggle-noshow');
    assert.deepEqual(s.columns.map((c) => c.name), ['PatientId', 'Age',
        'Handcap', 'Neighbourhood', 'No-show']);
    assert.equal(s.columns[2].label, 'disability level',
        'an indented line continues the column above');
    assert.equal(s.columns[1].max, '115');
    assert.equal(s.columns[1].integer, true);
    const n = normalizeSchema({ schema: { name: 'k', text } });
    assert.equal(n.name, 'k');
    const age = n.columns[1];
    assert.deepEqual([age.kind, age.min, age.max, age.integer, age.label],
        ['numeric', 0, 115, true, 'Age']);
    assert.equal(n.columns[3].required, false, 'required=no');
    assert.equal(n.columns[2].required, true, 'missing values dropped');
    assert.equal(normalizeSchema({ schema: text }).columns.length, 5);
});

test('schema_text_beside_a_schema_name_and_threshold_forms', () => {
    const n = normalizeSchema({ schema: 'k', schema_text:
        'schema x\ncolumn Age numeric min=0\n' });
    assert.equal(n.name, 'k');
    assert.deepEqual(n.columns.map((c) => c.name), ['Age']);
    assert.equal(thresholdOf({ threshold: 0.3 }), 0.3);
    assert.equal(thresholdOf({ threshold: { value: 0.25, rule: 'f1' } }),
        0.25);
    assert.ok(Number.isNaN(thresholdOf({})));
});
