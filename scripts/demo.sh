#!/usr/bin/env bash
# The main job on a fresh machine: install, build, train a model on the
# bundled data and print its evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
make -j2
