#!/usr/bin/env bash
# Builds the staff web app into web/dist/, which `noshow serve --web-dir`
# serves at /. Installs the npm packages (chart.js, write-excel-file) with
# `npm ci` when node_modules is missing or older than package-lock.json,
# then copies the app and the libraries' browser builds. Nothing is
# fetched at run time: the pages load these local copies only.
# Idempotent: running it twice gives the same dist/.
set -euo pipefail

cd "$(dirname "$0")/../web"

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "web-build: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
fi

rm -rf dist.tmp
mkdir -p dist.tmp/vendor
cp index.html favicon.svg dist.tmp/
cp -r css js dist.tmp/
cp node_modules/chart.js/dist/chart.umd.min.js dist.tmp/vendor/
cp node_modules/write-excel-file/bundle/write-excel-file.min.js \
    dist.tmp/vendor/
rm -rf dist
mv dist.tmp dist
echo "web-build: $(find dist -type f | wc -l) files in web/dist"
