// The web app's CSV reader and writer, under node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectSeparator, parseCsv, toCsv }
    from '../../web/js/csv.js';

test('csv_quoted_separator_quote_and_newline_stay_in_field', () => {
    const rows = parseCsv('a,b\n"x,1","say ""hi""\nthere"\n3,4\n');
    assert.equal(rows.length, 3, 'header and two records');
    assert.deepEqual(rows[1].fields, ['x,1', 'say "hi"\nthere']);
    assert.equal(rows[2].line, 4, 'the record after a quoted line break ' +
        'starts on line 4');
});

test('csv_crlf_bom_and_blank_lines_are_ignored', () => {
    const rows = parseCsv('\ufeffa,b\r\n1,2\r\n\r\n3,4');
    assert.deepEqual(rows.map((r) => r.fields), [['a', 'b'], ['1', '2'],
        ['3', '4']]);
    assert.deepEqual(rows.map((r) => r.line), [1, 2, 4]);
});

test('csv_semicolon_separator_is_detected', () => {
    assert.equal(detectSeparator('a;b;c\n1;2;3\n'), ';');
    assert.deepEqual(parseCsv('a;b\n1,5;2\n')[1].fields, ['1,5', '2']);
});

test('csv_writer_round_trips_through_reader', () => {
    const text = toCsv(['id', 'note'], [[1, 'a,b'], [2, 'x "y"\nz']]);
    const rows = parseCsv(text);
    assert.deepEqual(rows.map((r) => r.fields), [['id', 'note'],
        ['1', 'a,b'], ['2', 'x "y"\nz']]);
});
