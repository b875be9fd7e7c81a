#!/usr/bin/env bash
# Installs the npm packages of web/ (the chart library that the EDA report
# inlines and the staff web app serves) exactly as package-lock.json pins
# them. Idempotent: does nothing when web/node_modules was installed after
# the last change to package.json and package-lock.json. Offline-tolerant:
# when npm cannot reach the registry but a previous install is present, it
# warns and keeps that install.
set -euo pipefail
cd "$(dirname "$0")/../web"

stamp=node_modules/.package-lock.json

if [ -f "$stamp" ] && [ "$stamp" -nt package.json ] &&
        [ "$stamp" -nt package-lock.json ]; then
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
echo "web-deps: ${cmd[*]} in web/"
if "${cmd[@]}" --no-audit --no-fund --prefer-offline --loglevel=error; then
    touch "$stamp"
    exit 0
fi
if [ -f "$stamp" ]; then
    echo "web-deps: npm failed; keeping the packages already in" \
        "web/node_modules" >&2
    touch "$stamp"
    exit 0
fi
echo "web-deps: npm failed and web/node_modules is empty" >&2
exit 1
