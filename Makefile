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

.PHONY: run test conformance bench loadtest faults lint format install migrate demo messages static clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo --if-empty

messages: install
	$(BIN)/python manage.py compilemessages --ignore=$(VENV) -v0

static: install
	$(BIN)/python manage.py collectstatic --no-input -v0

## run: install, migrate SQLite under var/, load the demo networks, serve with the worker
run: demo messages static
	@echo "Boîte: http://localhost:$(PORT)/  and  http://caen.localhost:$(PORT)/  (Ctrl-C stops)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py run_huey --quiet & \
	$(BIN)/gunicorn boite.wsgi --bind 127.0.0.1:$(PORT) --workers $(WEB_WORKERS) --threads $(WEB_THREADS) \
	  --access-logfile - --graceful-timeout 5 & \
	wait

## lint: ruff (check and format), migrations up to date, Django's checks
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## test: lint, compile the catalogues, then the whole pytest suite
test: lint messages
	$(BIN)/python -m playwright --version >/dev/null
	$(BIN)/pytest

## conformance: real third-party files and messages (FIELD_SAMPLES, default ../shared/data/field-samples)
conformance: messages
	$(BIN)/pytest conformance -p no:cacheprovider

## bench: the performance figures of the issues, printed and saved in var/bench/latest.json
bench: messages static
	$(BIN)/python -m bench

## loadtest: gunicorn on PostgreSQL + Redis under 200 locust users for 60 s; var/bench/loadtest.json
loadtest: install
	LOADTEST_WORKERS=$(WEB_WORKERS) LOADTEST_THREADS=$(WEB_THREADS) $(BIN)/python -m bench.loadtest

## faults: fault drills (PostgreSQL, SMTP, SIP2, worker) on PostgreSQL + Redis; exit 1 if anything is lost
faults: install
	$(BIN)/python -m bench.faults

clean:
	rm -rf var/staticfiles .pytest_cache .ruff_cache
