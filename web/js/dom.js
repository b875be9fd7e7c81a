// Small DOM builder: h('tag', {attrs}, children...). Text children are
// inserted as text nodes, never as HTML, so data from files or the API
// cannot inject markup.

export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);

    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) {
            continue;
        }
        if (k.startsWith('on') && typeof v === 'function') {
            el.addEventListener(k.slice(2).toLowerCase(), v);
        } else if (k === 'class') {
            el.className = v;
        } else if (k === 'dataset') {
            Object.assign(el.dataset, v);
        } else if (k === 'value' || k === 'checked' || k === 'selected') {
            el[k] = v;
        } else {
            el.setAttribute(k, v === true ? '' : String(v));
        }
    }
    append(el, children);
    return el;
}

export function put(el, ...children) {
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        if (Array.isArray(c)) {
            append(el, c);
        } else if (c instanceof Node) {
            el.appendChild(c);
        } else {
            el.appendChild(document.createTextNode(String(c)));
        }
    }
}

export function clear(el) {
    while (el.firstChild) {
        el.removeChild(el.firstChild);
    }
    return el;
}

let uid = 0;

export function newId(prefix) {
    uid += 1;
    return `${prefix}-${uid}`;
}

// A polite live region reads status messages to screen reader users.
export function announce(el, text, kind = 'info') {
    clear(el);
    el.className = `notice notice-${kind}`;
    el.textContent = text;
}

export function download(name, blob) {
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name });

    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}
