#!/usr/bin/env bash
# Installs every Debian package noshow needs to build, test and run.
# Idempotent: packages already present are left as they are, and the apt
# index is refreshed at most once per run.
set -euo pipefail

PKGS=(
    build-essential pkg-config make
    libxgboost-dev libcsv-dev libjansson-dev libmicrohttpd-dev
    libsqlite3-dev sqlite3 libmariadb-dev libmariadb-dev-compat
    liblinear-dev libxlsxwriter-dev libcmocka-dev libssl-dev
    libcurl4-openssl-dev libgnutls28-dev openssl
    clang libclang-rt-14-dev
    mariadb-server mariadb-client
    wrk chromium nginx
    python3 python3-xgboost python3-pandas python3-sklearn
    python3-fastapi python3-uvicorn python3-uvloop python3-httptools
    python3-joblib python3-openpyxl
    valgrind curl ca-certificates time systemd
)

missing=()
# The web app is built with npm. Some images ship Node.js outside Debian's
# packages, whose nodejs conflicts with Debian's npm: install Debian's pair
# only where no node is on the PATH.
if ! command -v node >/dev/null 2>&1; then
    PKGS+=(nodejs npm)
fi
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "setup: all ${#PKGS[@]} packages present"
fi
