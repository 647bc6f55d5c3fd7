# Matchpoint — the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/matchpoint_test

.PHONY: run test test-sqlite test-postgres install lock audit chromium lint bench vendor clean

## make install: exactly the versions in requirements.lock (the ones `make audit` checks)
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

## make lock: after changing pyproject.toml, install what it asks for and pin all of it again.
## To move one pin (say, a version pip-audit reports): .venv/bin/pip install -U NAME, then make lock.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	$(BIN)/python .ci/lock.py $(LOCK)

## make audit: known vulnerabilities in the locked versions, from PyPI's advisory data.
## A vulnerability found fails it. Where PyPI's per-version JSON is out of reach (this
## sandbox and its CI reach only the package index), every pin is listed as "could not be
## audited" and the run passes: say AUDIT_STRICT=--strict where the data is reachable.
AUDIT_STRICT ?=
audit: install
	$(BIN)/pip-audit --requirement $(LOCK) --no-deps --disable-pip $(AUDIT_STRICT) \
	  --vulnerability-service pypi --progress-spinner off

## make run: install, migrate the SQLite database, demo data if empty, model, first admin, serve on :5000
run: install
	$(BIN)/matchpoint migrate
	$(BIN)/matchpoint demo --if-empty
	$(BIN)/matchpoint bootstrap
	$(BIN)/flask --app 'app:create_app()' run --host 127.0.0.1 --port 5000

## Debian's Chromium for the browser tests (never Playwright's own download)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## make test: the whole suite on SQLite, then the database-facing suite on PostgreSQL
test: install chromium
	$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('host=127.0.0.1 port=5432 dbname=postgres user=postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL at 127.0.0.1:5432 is not reachable: PostgreSQL suite skipped"; fi

test-sqlite: install
	MATCHPOINT_TEST_DATABASE=sqlite $(BIN)/pytest -q

test-postgres: install
	MATCHPOINT_TEST_DATABASE=postgres MATCHPOINT_TEST_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/pytest -q tests/app tests/browser

lint: install
	$(BIN)/ruff check app classifier tests bench

bench: install
	$(BIN)/python -m bench

## Refresh the vendored front-end assets from the npm registry (pinned versions)
vendor:
	cd /tmp && rm -rf mp-vendor && mkdir mp-vendor && cd mp-vendor && npm init -y >/dev/null && \
	  npm install --silent htmx.org@2.0.11 @picocss/pico@2.1.1
	cp /tmp/mp-vendor/node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx-2.0.11.min.js
	cp /tmp/mp-vendor/node_modules/@picocss/pico/css/pico.jade.min.css app/static/vendor/pico-2.1.1.jade.min.css

clean:
	rm -rf $(VENV) instance .pytest_cache
