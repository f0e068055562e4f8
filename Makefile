# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export RATED_EVENTS_RAW_PATH ?= data/raw
export RATED_EVENTS_DB ?= warehouse/rated_events.duckdb
# as_of has one name: RATED_EVENTS_AS_OF, read by dbt (var `as_of` falls back to it) and by the
# scripts (`--as-of` defaults to it); `make run AS_OF=...` stays as a short alias
ifdef AS_OF
export RATED_EVENTS_AS_OF := $(AS_OF)
endif
export RATED_EVENTS_AS_OF ?= 2026-06-15T00:00:00Z
DBT := $(BIN)/dbt
DBT_FLAGS := --profiles-dir . --project-dir .
# the production job leaves unit tests out, as dbt recommends: they check models' SQL on fixed
# fixture rows, never the data, so they belong to `make test` (tests/python/test_rating_cases.py)
# and cost every nightly run ~10 s for nothing. Still a whole build, so it publishes.
PRODUCTION_BUILD := --exclude-resource-type unit_test

.PHONY: run test test-spark setup setup-spark data warehouse-files build lint clean docs docs-static

## run: set up, generate sample data into data/raw if it does not exist yet, dbt build (which
## publishes the warehouse when every model and test is green), print a summary
run: setup data warehouse-files
	@start=$$(date +%s); \
	$(DBT) build $(DBT_FLAGS) $(PRODUCTION_BUILD) || exit $$?; \
	seconds=$$(( $$(date +%s) - start )); \
	$(DBT) --quiet source freshness $(DBT_FLAGS) >/dev/null 2>&1; \
	$(BIN)/python scripts/summary.py --db $(RATED_EVENTS_DB) --seconds $$seconds \
		--freshness target/sources.json

## test: the whole suite (pytest incl. dbt builds of test scenarios, sqlfluff, ruff)
# on TEST_WORKERS pytest-xdist workers (default: one per core, at least 2); each module's tests
# stay on one worker (tests/python/conftest.py: test_file_scopes), so a shared build is made once
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -lt 2 ] && n=2; echo $$n)
test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope --durations=30; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc
	$(MAKE) lint

# sqlfluff compiles the project through dbt: an in-memory DuckDB keeps it off the warehouse file
lint: setup
	$(BIN)/ruff check scripts tests
	RATED_EVENTS_DB=:memory: $(BIN)/sqlfluff lint models tests --processes 2

## docs-static: dbt docs for the warehouse $(RATED_EVENTS_DB) (build it first: `make run`) into
## target/: index.html + manifest.json + catalog.json, and target/static_index.html, one
## self-contained file to hand to an auditor. Generated, so kept out of git (target/ is ignored).
docs-static: setup
	@test -f $(RATED_EVENTS_DB) || { echo "no warehouse at $(RATED_EVENTS_DB): make run first (the catalog reads its tables)"; exit 1; }
	$(DBT) docs generate --static $(DBT_FLAGS)
	@echo "static docs: target/static_index.html"

## docs: docs-static, then serve target/ on http://127.0.0.1:$(DOCS_PORT) (Ctrl-C stops)
DOCS_PORT ?= 8080
docs: docs-static
	$(DBT) docs serve $(DBT_FLAGS) --port $(DOCS_PORT) --host 127.0.0.1

## setup: the virtualenv with the pinned requirements (re-installed when requirements.txt changes)
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

## test-spark: the Spark parity test (tests/python/spark): one generated scenario built with
## DuckDB and with Spark (dbt-spark session method), every mart compared row for row
test-spark: setup-spark
	RATED_EVENTS_SPARK=1 $(BIN)/python -m pytest -q tests/python/spark; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

## setup-spark: setup, plus the Spark target's pins (requirements-spark.txt: dbt-spark, pyspark;
## needs Java 17). `make test` and `make run` never install them.
setup-spark: $(VENV)/.installed-spark

$(VENV)/.installed-spark: $(VENV)/.installed requirements-spark.txt
	@command -v java >/dev/null || { echo "java not found: pyspark needs a Java 17 runtime"; exit 1; }
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	@touch $@

# Sample data only into make's own default folder, and only when it does not exist yet: a raw
# path the user named is never written to (a typo must not become a warehouse of invented data)
data: setup
	@if [ "$(RATED_EVENTS_RAW_PATH)" = "data/raw" ] && [ ! -e data/raw ]; then \
		$(BIN)/python scripts/generate_data.py --out data/raw --as-of $(RATED_EVENTS_AS_OF); \
	fi

# The published warehouse readers open (an empty one the first time) and the build workspace
# beside it (profiles.yml: dbt builds into <folder>/.build/<name>, then publishes)
warehouse-files: setup
	@mkdir -p "$$(dirname '$(RATED_EVENTS_DB)')/.build"
	@test -f '$(RATED_EVENTS_DB)' || $(BIN)/python -c 'import sys; sys.path.insert(0, "scripts"); from rated_events_tools.cli import create_warehouse_file; create_warehouse_file(sys.argv[1])' '$(RATED_EVENTS_DB)'

clean:
	rm -rf target logs warehouse
