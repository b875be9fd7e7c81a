// Field access on appointments as GET /appointments returns them: the
// feature columns may sit at the top level or under "record"/"features".

export function field(a, name) {
    if (!a || !name) {
        return undefined;
    }
    return a[name] ?? a.record?.[name] ?? a.features?.[name] ??
        a.input?.[name];
}

export function apptDate(a) {
    return a.appointment_at ?? a.appointment_day ?? a.appt_at ??
        a.appointment_date ?? '';
}

export function bookedAt(a) {
    return a.booked_at ?? a.scheduled_at ?? '';
}

export function patientRef(a) {
    return a.patient_ref ?? a.patient ?? a.patient_id ?? '';
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
