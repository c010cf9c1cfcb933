# Boîte — the four doors: run, test, bench, lint.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Two processes of four threads each: a request waiting on the database or a provider
# leaves the core to another (load test: p95 1200 ms → 260 ms against 3 sync workers).
WEB_WORKERS ?= 2
WEB_THREADS ?= 4
export DJANGO_SETTINGS_MODULE := boite.settings

VAR := $(or $(BOITE_VAR_DIR),var)
# pip says nothing but its errors (no root-user warning, no new-release notice).
PIP := PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip --quiet --quiet

.PHONY: run test browser conformance bench loadtest faults lint format install install-runtime migrate demo messages static clean

# $(call stage,what,command): one line « == what … 12.3 s »; the command speaks only to fail.
define stage
	@start=$${EPOCHREALTIME/[.,]/}; printf '== %s … ' "$(1)"; \
	$(2) || { echo "== failed: $(1)" >&2; exit 1; }; \
	tenths=$$(( ($${EPOCHREALTIME/[.,]/} - start) / 100000 )); \
	printf '%d.%d s\n' $$((tenths / 10)) $$((tenths % 10))
endef

$(BIN)/python:
	$(call stage,Creating the virtual environment $(VENV),$(PYTHON) -m venv $(VENV) && $(PIP) install --upgrade pip)

# The portal's packages alone: what `make run` needs (the development tools come with
# `make test`, `make lint` or `make bench`). Nothing to do when either stamp is newer.
install-runtime: | $(BIN)/python
	@if [ ! $(VENV)/.installed -nt requirements.txt ] && [ ! $(VENV)/.installed-runtime -nt requirements.txt ]; then \
	  $(MAKE) --no-print-directory $(VENV)/.installed-runtime; fi

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(call stage,Installing the portal's packages (requirements.txt),$(PIP) install -r requirements.txt)
	@touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(call stage,Installing the packages and the development tools (requirements-dev.txt),$(PIP) install -r requirements-dev.txt)
	@touch $@

install: $(VENV)/.installed

migrate: install-runtime
	$(BIN)/python manage.py migrate --no-input

## demo: migrate, then load the demo networks on an empty database (one process)
demo: install-runtime
	@$(BIN)/python manage.py load_demo --migrate --if-empty

# The catalogues, compiled by GNU gettext's msgfmt (what compilemessages runs) when a .po
# is newer than its .mo: no Django start-up for nothing.
PO = $(patsubst ./%,%,$(shell find . -path ./$(VENV) -prune -o -name '*.po' -print))
messages:
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: sudo apt-get install gettext" >&2; exit 1; }
	@stale=$$(for po in $(PO); do [ "$${po%.po}.mo" -nt "$$po" ] || echo "$$po"; done); \
	if [ -n "$$stale" ]; then \
	  printf '== Compiling the catalogues: %s\n' "$$(echo $$stale)"; \
	  for po in $$stale; do msgfmt --check-format -o "$${po%.po}.mo" "$$po" || exit 1; done; \
	fi

# collectstatic (hashing and compressing every file: seconds) only when a static file or
# the packages changed since the last collection.
STATIC_STAMP := $(VAR)/staticfiles/.collected
$(STATIC_STAMP): $(shell find static -type f) requirements.txt | install-runtime
	$(call stage,Collecting the static files into $(VAR)/staticfiles,$(BIN)/python manage.py collectstatic --no-input -v0)
	@touch $@

static: $(STATIC_STAMP)

## run: install, migrate SQLite under var/, load the demo networks, serve with the worker
run: export BOITE_RUN_STARTED := $(shell date +%s.%N)
run: messages demo static
	@exec $(BIN)/python bin/run --port $(PORT) --workers $(WEB_WORKERS) --threads $(WEB_THREADS)

## lint: ruff (check and format), migrations up to date, Django's checks
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## browser: Chromium for the browser tests (CHROMIUM, default /usr/bin/chromium), installed when missing
browser:
	@bin/ensure-browser

## test: the browser first (installed if missing), lint, the catalogues, then the whole pytest suite
test: browser lint messages
	$(BIN)/python -m playwright --version >/dev/null
	$(BIN)/pytest

## conformance: real third-party files and messages (FIELD_SAMPLES, default ../shared/data/field-samples)
conformance: install messages
	$(BIN)/pytest conformance -p no:cacheprovider

## bench: the performance figures of the issues, printed and saved in var/bench/latest.json
bench: install messages static
	$(BIN)/python -m bench

## loadtest: gunicorn on PostgreSQL + Redis under 200 locust users for 60 s; var/bench/loadtest.json
loadtest: install
	LOADTEST_WORKERS=$(WEB_WORKERS) LOADTEST_THREADS=$(WEB_THREADS) $(BIN)/python -m bench.loadtest

## faults: fault drills (PostgreSQL, SMTP, SIP2, worker) on PostgreSQL + Redis; exit 1 if anything is lost
faults: install
	$(BIN)/python -m bench.faults

clean:
	rm -rf var/staticfiles .pytest_cache .ruff_cache
