// Field access on appointments as GET /appointments returns them: the
// feature columns may sit at the top level or under "record"/"features".

export function field(a, name) {
    if (!a || !name) {
        return undefined;
    }
    return a[name] ?? a.record?.[name] ?? a.features?.[name] ??
        a.input?.[name];
}

// Instants may come as ISO text, as epoch seconds (booked_at) or as a
// count of days since 1970-01-01 (appointment days).
function iso(v, unitMs) {
    if (typeof v === 'number' && Number.isFinite(v)) {
        return new Date(v * unitMs).toISOString();
    }
    return v ?? '';
}

export function apptDate(a) {
    return iso(a.appointment_at ?? a.appointment_day ?? a.appt_at ??
        a.appointment_date ?? a.appt_day, 86400000);
}

export function bookedAt(a) {
    return iso(a.booked_at ?? a.scheduled_at, 1000);
}

// An event of an appointment's trace: {kind|type, at|at_ms, actor}.
export function eventOf(ev) {
    const at = ev.at ?? ev.time ?? (typeof ev.at_ms === 'number' ?
        new Date(ev.at_ms).toISOString() : '');
    return { kind: ev.kind ?? ev.type ?? '', at, actor: ev.actor ?? '' };
}

// The booking platform's own id when it gave one, else ours. Patient
// identifiers are not shown: the service keeps only pseudonyms.
export function apptRef(a) {
    return a.ext_id ?? a.appointment_id ?? `#${a.id}`;
}

export function leadDays(a) {
    const b = Date.parse(bookedAt(a));
    const d = Date.parse(apptDate(a));

    if (!Number.isFinite(b) || !Number.isFinite(d)) {
        return null;
    }
    // Whole calendar days, as the model counts lead time.
    return Math.max(0, Math.floor(d / 86400000) - Math.floor(b / 86400000));
}
