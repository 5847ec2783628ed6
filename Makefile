# ror-gis — developer and CI entry points. Quick start on a fresh Debian machine:
#   make demo    installs what is missing, loads the data, serves http://$(HOST):$(PORT)
#   make test    lint + the whole test suite (installs chromium for the browser tests)
# Every target runs scripts/bootstrap.sh first (idempotent, quick when everything is there).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
HOST        ?= 127.0.0.1
PORT        ?= 8000
WORKERS     ?=
REGION      ?= 11
PYTEST_ARGS ?=
BOOTSTRAP   := bash scripts/bootstrap.sh
BIN         := $(VENV)/bin

.PHONY: help demo test lint serve db load clean bench bench-http bench-upload bench-ogc bench-national bootstrap

help: ## list the targets
	@echo "ror-gis — make targets (variables: HOST=$(HOST) PORT=$(PORT) REGION=$(REGION) PYTEST_ARGS=...)"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 20

bootstrap: ## install what is missing (packages, PostgreSQL role/db, .venv)
	@$(BOOTSTRAP)

demo: ## install, create the schema, load geography + nomenclatures + establishments + fictitious offers, serve
	@$(BOOTSTRAP)
	@echo "ror-gis demo — once loaded: http://$(HOST):$(PORT)/  http://$(HOST):$(PORT)/docs  http://$(HOST):$(PORT)/health"
	$(BIN)/ror-gis demo --host $(HOST) --port $(PORT)

test: ## ruff + the whole pytest suite (browser tests included)
	@$(BOOTSTRAP) --with-browser
	@bash scripts/run-tests.sh $(PYTEST_ARGS)

lint: ## ruff check .
	@$(BOOTSTRAP) --no-db
	$(BIN)/ruff check .

serve: ## serve the API on HOST:PORT (data must be loaded: make load)
	@$(BOOTSTRAP)
	$(BIN)/ror-gis serve --host $(HOST) --port $(PORT) $(if $(WORKERS),--workers $(WORKERS))

db: ## create or migrate the schema (ror-gis db init)
	@$(BOOTSTRAP)
	$(BIN)/ror-gis db init

load: ## load the reference geography (REGION=11 by default, REGION=all for France)
	@$(BOOTSTRAP)
	$(BIN)/ror-gis load geography --region $(REGION)

bench: ## sizes and server times of the main endpoints on the loaded data (scripts/benchmark.py)
	@if [ -f scripts/benchmark.py ]; then \
	  $(BOOTSTRAP) && $(BIN)/python scripts/benchmark.py; \
	else \
	  echo "no scripts/benchmark.py yet: nothing to run"; \
	fi

bench-ogc: ## OGC API features and MVT tiles vs tipg on the same tables (wrk; tipg in TIPG_VENV=/tmp/tipg-venv)
	@$(BOOTSTRAP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python scripts/bench_ogc.py

bench-http: ## ror-gis vs tipg over HTTP on the loaded database (wrk; medians of 3; ~15 min) — see README
	@$(BOOTSTRAP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python scripts/bench_http.py $(BENCH_ARGS)

bench-upload: ## time and memory of the upload limits: hostile files and the largest accepted ones (scripts/bench_upload.py)
	@$(BOOTSTRAP)
	$(BIN)/python scripts/bench_upload.py

bench-national: ## France-wide: geography + ~100,000 fictitious offers in a database of its own; load, rebuild, HTTP p50/p99, sizes (~15 min)
	@$(BOOTSTRAP)
	$(BIN)/python scripts/bench_national.py $(BENCH_ARGS)

clean: ## remove .venv and caches (never the database nor the data)
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
