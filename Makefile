# Renewal Desk: `make run` for the demo, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Tests always run against the local PostgreSQL and Redis, never SQLite.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/renewal_desk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
TEST_ENV := DEBUG=0 SECURE_HTTPS=0 STATIC_MANIFEST=0 EMAIL_URL=consolemail:// SMS_BACKEND=console \
	SECRET_KEY=test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL)
PYTEST_ARGS ?=
# The whole suite (no PYTEST_ARGS) starts from a freshly migrated test database: browser tests end
# with a flush, and a reused database would then lack the reference data the migrations seed.
# The whole suite runs in PYTEST_WORKERS processes (pytest-xdist), each with its own test database
# and Redis database (config/settings.py); the slowest tests are listed at the end.
PYTEST_WORKERS ?= 2
PYTEST_RUN_ARGS := $(if $(strip $(PYTEST_ARGS)),$(PYTEST_ARGS),--create-db -n $(PYTEST_WORKERS) --durations=15)

.PHONY: run test lint bench setup messages clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

messages: $(VENV)/.installed
	$(PY) scripts/compile_messages.py

setup: $(VENV)/.installed node_modules/.installed messages

run: setup
	@PORT=$(PORT) bash scripts/run.sh

test: setup
	@command -v chromium >/dev/null || echo "note: chromium is missing; browser tests need 'apt-get install -y chromium'"
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_RUN_ARGS)

BANDIT_PATHS := core customers renewals documents notifications campaigns analytics demo config

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r $(BANDIT_PATHS) -x '*/migrations/*' -b .bandit-baseline.json

bench: setup
	$(TEST_ENV) $(PY) bench/run.py

clean:
	rm -rf .run staticfiles db.sqlite3 db.sqlite3-*
