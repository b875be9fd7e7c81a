#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install the packages, build
# the binary and the web app, train a model on the bundled Vitória data
# (printing its evaluation), then run the service and the staff web app
# on SQLite until Ctrl-C. State lives in run/ (model, database, keys).
#   PORT=8080 (default)   LISTEN=127.0.0.1 (default)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
make -j2 -s
bash scripts/web-build.sh

mkdir -p run
data=data/noshow-vitoria-2016-until-may.csv
db="sqlite:run/noshow.db"

# Train on appointments up to 2016-05-20 and measure on the later ones
# (the file has no appointments from 05-21 to 05-23).
./build/noshow train "$data" --test-from 2016-05-21 -o run/model.json

for role in admin clinic reader; do
    if [ ! -s "run/$role.key" ]; then
        ./build/noshow keys add --db "$db" --role "$role" \
            --label "demo $role" > "run/$role.key"
        chmod 600 "run/$role.key"
    fi
done

listen="${LISTEN:-127.0.0.1}:${PORT:-8080}"
cat <<TXT

noshow is starting on http://$listen/
Sign in to the web app with one of these API keys:
  admin:  $(cat run/admin.key)
  clinic: $(cat run/clinic.key)
  reader: $(cat run/reader.key)
Stop with Ctrl-C.

TXT
exec ./build/noshow serve --model run/model.json --db "$db" \
    --listen "$listen" --web-dir web/dist
