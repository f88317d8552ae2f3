# Medical editorial review. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run on the real stack: PostgreSQL and Redis on this machine, unless told otherwise.
# When nothing answers there, bin/test-stack starts throwaway ones for the run.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/medreview
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# pytest-xdist workers, each with a test database of its own (0: one process, no xdist).
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

.PHONY: install
install: $(BIN)/.installed ## Create .venv and install the pinned requirements

.PHONY: migrate
migrate: install ## Apply migrations to the configured database
	$(BIN)/python manage.py migrate --noinput

.PHONY: demo
demo: migrate ## Load the demo board and publish the baclofen article (safe twice)
	$(BIN)/python manage.py load_demo

.PHONY: run
run: demo ## Set up everything, then serve the site with a Celery worker and beat
	HOST=$(HOST) PORT=$(PORT) bin/run-dev

.PHONY: test-packages
test-packages: ## Install Chromium, redis-server, nginx, Graphviz and Java if missing (as root; otherwise name the command)
	@bin/need-packages /usr/bin/chromium=chromium redis-server=redis-server /usr/sbin/nginx=nginx /usr/bin/dot=graphviz /usr/bin/java=default-jre-headless

.PHONY: test
test: test-packages install ## Run the whole suite on PostgreSQL and Redis (throwaway ones if none answer)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) bin/test-stack \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff check, format check, and the layers contract (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

BENCH := cd bench && ../$(BIN)/python

.PHONY: bench-packages
bench-packages: ## Install wrk (the reader benchmark's load generator) if missing
	@bin/need-packages wrk=wrk

.PHONY: bench
bench: bench-packages install ## All benchmarks at full size (PostgreSQL, Redis, wrk); prints name: value lines
	$(BENCH) reader_throughput.py --seconds 10 --rounds 2
	$(BENCH) query_budget.py --references 5,50,500 --events 10,100,1000
	$(BENCH) reminder_sweep.py --assignments 100000
	$(BENCH) audit_verify.py --events 1000000 --articles 1000
	$(BENCH) admin_scale.py --events 1000000 --event-articles 1000 --articles 500
	$(BENCH) first_run.py

.PHONY: bench-quick
bench-quick: bench-packages install ## The benchmarks at small sizes (under two minutes; part of .ci/run)
	$(BENCH) reader_throughput.py --seconds 3 --rounds 1
	$(BENCH) query_budget.py --references 5,50 --events 10,100
	$(BENCH) reminder_sweep.py --assignments 10000
	$(BENCH) audit_verify.py --events 20000 --articles 20
	$(BENCH) admin_scale.py --events 20000 --event-articles 20 --articles 20

.PHONY: verify-audit
verify-audit: install ## Verify every audit chain
	$(BIN)/python manage.py verify_audit

.PHONY: reminders
reminders: install ## Run one reminder sweep now and print what it sent (mail: var/mail/)
	$(BIN)/python manage.py send_reminders
