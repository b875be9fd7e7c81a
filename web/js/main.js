// Shell of the app: login, navigation between the pages (hash routes),
// language switch. Each page module exports render(main, ctx) and may
// return a function that stops its timers when the page is left.

import { api, ApiError, setCsrf, setUnauthorizedHandler } from './api.js';
import { destroyCharts } from './charts.js';
import { h, clear } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { normalizeSchema } from './schema.js';
import * as predict from './pages/predict.js';
import * as batch from './pages/batch.js';
import * as auto from './pages/auto.js';
import * as reminders from './pages/reminders.js';
import * as overbooking from './pages/overbooking.js';
import * as dashboards from './pages/dashboards.js';
import * as modelPage from './pages/model.js';

const ROUTES = [
    ['predict', 'nav_predict', predict],
    ['batch', 'nav_batch', batch],
    ['auto', 'nav_auto', auto],
    ['reminders', 'nav_reminders', reminders],
    ['overbooking', 'nav_overbooking', overbooking],
    ['dashboards', 'nav_dash', dashboards],
    ['model', 'nav_model', modelPage],
];

const ctx = { role: null, model: null, schema: null, noModel: null };
let stopPage = null;

function $(id) {
    return document.getElementById(id);
}

function currentRoute() {
    const name = location.hash.replace(/^#\/?/, '');
    return ROUTES.find((r) => r[0] === name) ?? ROUTES[0];
}

function renderChrome() {
    const nav = clear($('nav'));
    const cur = currentRoute()[0];
    const list = h('ul', {});

    document.title = `${t(currentRoute()[1])} — ${t('app_title')}`;
    $('skip-link').textContent = t('skip');
    nav.setAttribute('aria-label', getLang() === 'fr' ? 'Menu principal'
        : 'Main menu');
    for (const [name, key] of ROUTES) {
        list.appendChild(h('li', {}, h('a', {
            href: `#/${name}`,
            'aria-current': name === cur ? 'page' : null,
        }, t(key))));
    }
    nav.appendChild(list);
    $('lang-btn').textContent = t('lang_switch');
    $('lang-btn').setAttribute('aria-label', t('lang_switch_label'));
    $('logout-btn').textContent = t('logout');
    $('role-badge').textContent = t('role', { role: ctx.role });
}

// The service answers 503 while no model is loaded: the pages that need
// none (pending list, dashboards) still work, and the next page change
// asks again.
async function loadModel() {
    try {
        ctx.model = await api('GET', '/model');
        ctx.schema = normalizeSchema(ctx.model);
        ctx.noModel = null;
    } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 503) {
            throw e;
        }
        ctx.model = null;
        ctx.schema = { name: '', columns: [] };
        ctx.noModel = e.message;
    }
}

async function showPage(moveFocus = false) {
    const main = $('main');
    const [, , page] = currentRoute();

    if (stopPage) {
        stopPage();
        stopPage = null;
    }
    destroyCharts();
    renderChrome();
    clear(main);
    try {
        if (!ctx.model) {
            await loadModel();
        }
        if (ctx.noModel) {
            main.appendChild(h('p', { class: 'notice notice-warn',
                id: 'no-model' }, t('no_model', { detail: ctx.noModel })));
            if (page.needsModel) {
                return;
            }
        }
        stopPage = (await page.render(main, ctx)) || null;
        if (moveFocus) {
            // After a menu choice, screen readers start at the new title.
            const title = main.querySelector('h1');
            if (title) {
                title.tabIndex = -1;
                title.focus();
            }
        }
    } catch (e) {
        main.appendChild(h('p', { class: 'notice notice-error',
            role: 'alert' }, t('error', { detail: e.message })));
    }
}

function showLogin(message) {
    const main = clear($('main'));
    const input = h('input', { id: 'api-key', type: 'password',
        autocomplete: 'current-password', required: true });
    const out = h('p', { id: 'login-msg', class: 'notice', role: 'alert' });

    if (stopPage) {
        stopPage();
        stopPage = null;
    }
    destroyCharts();
    ctx.role = null;
    ctx.model = null;
    $('top').hidden = true;
    document.title = t('app_title');
    if (message) {
        out.textContent = message;
        out.className = 'notice notice-error';
    }
    const form = h('form', { class: 'login card', onsubmit: async (ev) => {
        ev.preventDefault();
        try {
            const s = await api('POST', '/session', { api_key: input.value });
            startSession(s);
        } catch (e) {
            out.className = 'notice notice-error';
            out.textContent = t('login_failed', { detail: e.message });
        }
    } },
    h('h1', {}, t('login_title')),
    h('p', {}, t('login_intro')),
    h('label', { for: 'api-key' }, t('api_key')),
    input,
    h('button', { type: 'submit', class: 'primary' }, t('login')),
    h('button', { type: 'button', class: 'link-btn', onclick: () => {
        setLang(getLang() === 'fr' ? 'en' : 'fr');
        showLogin();
    } }, t('lang_switch')),
    out);
    main.appendChild(form);
    input.focus();
}

function startSession(s) {
    ctx.role = s.role;
    setCsrf(s.csrf_token);
    document.body.dataset.role = s.role;
    $('top').hidden = false;
    showPage();
}

async function boot() {
    setLang(getLang());
    setUnauthorizedHandler(() => showLogin());
    $('lang-btn').addEventListener('click', () => {
        setLang(getLang() === 'fr' ? 'en' : 'fr');
        showPage();
    });
    $('logout-btn').addEventListener('click', async () => {
        try {
            await api('DELETE', '/session');
        } catch (e) {
            // The cookie may already have expired: the login screen is
            // the right place to land either way.
        }
        setCsrf(null);
        showLogin();
    });
    window.addEventListener('hashchange', () => {
        if (ctx.role) {
            showPage(true);
        }
    });
    try {
        startSession(await api('GET', '/session'));
    } catch (e) {
        showLogin(e instanceof ApiError && e.status === 401 ? null
            : t('error', { detail: e.message }));
    }
}

boot();
