# Collaborative — `make run` serves the seeded app, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# The first interpreter that is Python 3.12 or newer.
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate seed worker lint format check-python clean

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Collaborative needs Python 3.12 or newer; found: $$(python3 --version 2>&1 || echo none)." >&2; \
		echo "Install Python 3.12+ (or select it with pyenv: .python-version asks for 3.12) and run make again." >&2; \
		exit 1; \
	fi

$(BIN)/.installed: requirements.lock | check-python
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

install: check-python $(BIN)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo "Serving HTTP and WebSockets on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) collaborative.asgi:application

worker: migrate
	$(BIN)/python manage.py db_worker

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# Survey report timings over 100,000 answers on PostgreSQL (bench/README.md); options go in
# BENCH_ARGS, e.g. make bench-surveys BENCH_ARGS="--answers 10000 --runs 10".
.PHONY: bench-surveys
bench-surveys: install
	$(BIN)/python bench/survey_reports.py $(BENCH_ARGS)

# Server benchmarks on PostgreSQL and Redis with daphne processes (bench/README.md); options
# go in BENCH_ARGS, e.g. make bench-fanout BENCH_ARGS="--sizes 100,1000".
.PHONY: bench-pages bench-fanout bench-resume bench-held-sockets bench-two-processes bench-servers
bench-pages: install
	$(BIN)/python bench/load_pages.py $(BENCH_ARGS)

bench-fanout: install
	$(BIN)/python bench/fanout.py $(BENCH_ARGS)

bench-resume: install
	$(BIN)/python bench/resume.py $(BENCH_ARGS)

bench-held-sockets: install
	$(BIN)/python bench/held_sockets.py $(BENCH_ARGS)

bench-two-processes: install
	$(BIN)/python bench/two_processes.py $(BENCH_ARGS)

# Every server benchmark in turn (about 40 minutes; held sockets alone take 10).
bench-servers: bench-pages bench-fanout bench-resume bench-two-processes bench-held-sockets
