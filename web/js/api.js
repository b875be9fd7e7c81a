// JSON calls to the noshow service on the same origin. The session lives
// in an HttpOnly cookie the page cannot read; mutating calls carry the
// CSRF token the service returned at login in the X-CSRF-Token header.

let csrfToken = null;
let onUnauthorized = null;

export class ApiError extends Error {
    constructor(status, problem) {
        const p = problem && typeof problem === 'object' ? problem : {};
        super(p.detail || p.title || (typeof problem === 'string' &&
            problem) || `HTTP ${status}`);
        this.status = status;
        this.problem = p;
    }

    // Field errors of a problem+json answer: [{field, value, detail}].
    get fieldErrors() {
        const errs = this.problem.errors;
        return Array.isArray(errs) ? errs : [];
    }
}

export function setCsrf(token) {
    csrfToken = token || null;
}

export function setUnauthorizedHandler(fn) {
    onUnauthorized = fn;
}

export async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin' };

    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrfToken) {
        headers['X-CSRF-Token'] = csrfToken;
    }

    const res = await fetch(path, init);
    const type = res.headers.get('content-type') || '';
    let data = null;

    if (res.status !== 204) {
        data = type.includes('json') ? await res.json().catch(() => null)
            : await res.text();
    }
    if (!res.ok) {
        if (res.status === 401 && onUnauthorized && path !== '/session') {
            onUnauthorized();
        }
        throw new ApiError(res.status, data);
    }
    return data;
}

// Lists come back either as a bare array or as {items, next_cursor}.
export function itemsOf(data) {
    if (Array.isArray(data)) {
        return { items: data, next: null };
    }
    const items = data?.items ?? data?.appointments ?? data?.predictions ??
        [];
    return { items, next: data?.next_cursor ?? data?.cursor ?? null };
}

// Follows the cursor until max items or the end of the list.
export async function fetchAll(path, params, max = 5000) {
    const all = [];
    let cursor = null;

    do {
        const q = new URLSearchParams(params);
        if (cursor) {
            q.set('cursor', cursor);
        }
        const { items, next } = itemsOf(await api('GET',
            `${path}?${q.toString()}`));
        all.push(...items);
        cursor = next;
    } while (cursor && all.length < max);
    return all.slice(0, max);
}
