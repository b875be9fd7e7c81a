#!/usr/bin/env bash
# Installs the npm packages of web/ (the chart library that the EDA report
# inlines and the staff web app serves) exactly as package-lock.json pins
# them. Idempotent: does nothing when web/node_modules already holds the
# locked versions. Offline-tolerant: when npm cannot reach the registry,
# a previous install is put back and kept, with a warning.
set -euo pipefail
cd "$(dirname "$0")/../web"

stamp=node_modules/.package-lock.json

# True when every package of the lock is installed at its locked version
# (a fresh checkout or a touched package.json need no reinstall then).
installed_matches_lock() {
    [ -f package-lock.json ] && [ -f "$stamp" ] || return 1
    node -e '
        const want = require("./package-lock.json").packages || {};
        const have = require("./node_modules/.package-lock.json")
            .packages || {};
        for (const k of Object.keys(want)) {
            if (k && (!have[k] || have[k].version !== want[k].version))
                process.exit(1);
        }' 2>/dev/null
}

if [ -f "$stamp" ] && [ "$stamp" -nt package.json ] &&
        [ "$stamp" -nt package-lock.json ]; then
    exit 0
fi
if installed_matches_lock; then
    touch "$stamp"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "web-deps: npm not found; run scripts/setup.sh" >&2
    exit 1
fi
if [ -f package-lock.json ]; then
    cmd=(npm ci)
else
    cmd=(npm install)
fi
# npm ci empties node_modules before it downloads: keep the old one aside
# so that a failed download leaves a working install.
rm -rf node_modules.prev
[ -d node_modules ] && mv node_modules node_modules.prev
echo "web-deps: ${cmd[*]} in web/"
if "${cmd[@]}" --no-audit --no-fund --prefer-offline --loglevel=error; then
    rm -rf node_modules.prev
    touch "$stamp"
    exit 0
fi
if [ -d node_modules.prev ]; then
    rm -rf node_modules
    mv node_modules.prev node_modules
    echo "web-deps: npm failed; keeping the packages already in" \
        "web/node_modules" >&2
    touch "$stamp"
    exit 0
fi
echo "web-deps: npm failed and web/node_modules is empty" >&2
exit 1
