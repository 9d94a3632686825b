#!/usr/bin/env bash
# Time the README's two commands on a fresh clone of HEAD: the set-up part of `make run`
# (everything before the server starts) and `make test`. Extra arguments go to `make test`'s
# environment, e.g. `scripts/measure_setup.sh CI=true DATABASE_URL=... REDIS_URL=...`.
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/partyaffairs"
cd "$work/partyaffairs"
start=$(date +%s)
make setup seed >/dev/null
echo "make run set-up (venv, npm ci, migrate, collectstatic, seed_demo): $(( $(date +%s) - start ))s"
start=$(date +%s)
env "$@" make test PYTEST_ARGS=-q | tail -1
echo "make test (on the same clone): $(( $(date +%s) - start ))s"
