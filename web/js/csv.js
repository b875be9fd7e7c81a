// RFC 4180 CSV: quoted fields may hold separators, quotes ("") and line
// breaks. Each row keeps the line where it starts, for error messages.

export function detectSeparator(text) {
    const nl = text.indexOf('\n');
    const first = nl > 0 ? text.slice(0, nl) : text;
    const counts = [',', ';', '\t'].map((s) => [s, first.split(s).length]);

    counts.sort((a, b) => b[1] - a[1]);
    return counts[0][0];
}

export function parseCsv(text, sep = detectSeparator(text)) {
    const rows = [];
    let row = [];
    let field = '';
    let quoted = false;
    let line = 1;
    let rowLine = 1;
    let i = 0;

    if (text.charCodeAt(0) === 0xfeff) {
        i = 1;
    }
    for (; i < text.length; i++) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') {
                field += '"';
                i++;
            } else if (c === '"') {
                quoted = false;
            } else {
                if (c === '\n') {
                    line++;
                }
                field += c;
            }
        } else if (c === '"' && field === '') {
            quoted = true;
        } else if (c === sep) {
            row.push(field);
            field = '';
        } else if (c === '\n' || c === '\r') {
            if (c === '\r' && text[i + 1] === '\n') {
                i++;
            }
            row.push(field);
            if (row.length > 1 || row[0] !== '') {
                rows.push({ line: rowLine, fields: row });
            }
            row = [];
            field = '';
            line++;
            rowLine = line;
        } else {
            field += c;
        }
    }
    if (field !== '' || row.length > 0) {
        row.push(field);
        rows.push({ line: rowLine, fields: row });
    }
    return rows;
}

function quote(v) {
    const s = v === null || v === undefined ? '' : String(v);

    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header, rows) {
    const out = [header.map(quote).join(',')];

    for (const r of rows) {
        out.push(r.map(quote).join(','));
    }
    return out.join('\r\n') + '\r\n';
}
