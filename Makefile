# partyaffairs — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
VENDOR := static/vendor

.PHONY: run test setup deps static migrate seed lint messages bench-data bench clean

setup: deps static migrate

deps: $(VENV)/.installed node_modules/.installed $(VENDOR)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end packages come from npm and are served by the app (no CDN at run time). Bootstrap's
# source maps go too: its files name them, and collectstatic with DEBUG off (manifest storage) fails
# on a named file that is missing. The Dockerfile repeats these copies; keep the two in step.
$(VENDOR)/.installed: node_modules/.installed scripts/vendor.sh
	sh scripts/vendor.sh $(VENDOR)
	touch $@

static: deps
	$(PY) manage.py collectstatic --noinput --verbosity 0

migrate: deps
	$(PY) manage.py migrate --noinput --verbosity 0

seed: migrate
	$(PY) manage.py seed_demo

run: setup seed
	@echo "partyaffairs: http://127.0.0.1:$(PORT)/"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The suite runs on parallel workers (pytest-xdist; one per CPU, each file's tests on one worker):
# PYTEST_XDIST="-n 4 --dist loadfile" for another count, PYTEST_XDIST= for one process;
# PYTEST_ARGS passes anything else to pytest (a path, -k, -x …).
PYTEST_XDIST ?= -n auto --dist loadfile
test: deps static
	$(VENV)/bin/ruff check --quiet .
	$(PY) manage.py makemigrations --check --dry-run --verbosity 0
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Refresh locale/en/LC_MESSAGES/django.po from the source strings, then compile django.mo
# (translate new entries in the .po and run it again; both files are committed).
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=node_modules --ignore=static --ignore=staticfiles --ignore=tests --no-location --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

bench-data: migrate
	$(PY) manage.py generate_scale_data --tier $${TIER:-S}

# Benchmarks (not part of `make test`; needs PostgreSQL at BENCH_PG): TIER=S or TIER=M for one tier,
# both by default. Data goes into its own databases (BENCH_DB_s, BENCH_DB_m; generated when absent,
# reused otherwise); results into docs/benchmarks.md and docs/benchmarks.json. wrk comes from Debian.
BENCH_TIERS = $(if $(TIER),$(TIER),S M)
bench: deps static
	@command -v wrk >/dev/null || { echo "bench: installing wrk (apt-get install wrk)"; \
	  { apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; } >/dev/null; } \
	  || { echo "bench: wrk is missing and could not be installed: run apt-get install wrk"; exit 1; }
	$(PY) -m scripts.bench --tiers $(BENCH_TIERS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles db.sqlite3
