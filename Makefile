# EpiLake: the two commands are `make demo` and `make test`; both set everything up first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
JARS := jars/lib/.resolved

# The demo: a small synthetic city, then the whole pipeline on it.
DATA ?= data
PATIENTS ?= 20000
DAYS ?= 120
SEED ?= 42

.PHONY: setup browser demo test lint format dagster clean bench

SCALE ?= S

setup: $(INSTALLED) $(JARS)  ## Python packages into .venv, Delta jars into jars/lib

$(INSTALLED): pyproject.toml
	@echo "==> Installing pinned Python packages into $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

$(JARS): jars/pom.xml
	@echo "==> Resolving the Delta Lake jars with Maven into jars/lib (once; offline afterwards)"
	@command -v mvn >/dev/null || { echo "Maven (mvn) is needed once to fetch the Delta jars: apt-get install maven"; exit 1; }
	cd jars && mvn --quiet --batch-mode dependency:copy-dependencies
	@touch $@

demo: setup  ## Generate feeds (unless present) and run the whole pipeline on them
	@if [ -d "$(DATA)/landing/lab" ]; then \
	  echo "==> Feeds already in $(DATA)/landing (remove the folder to generate anew)"; \
	else \
	  $(BIN)/epilake generate --patients $(PATIENTS) --days $(DAYS) --seed $(SEED) --out $(DATA)/landing; \
	fi
	$(BIN)/epilake run --landing $(DATA)/landing --home $(DATA)

# The dashboard tests drive Debian's chromium (Playwright's own browser download is not used).
browser:  ## chromium for the browser tests (apt, once)
	@command -v chromium >/dev/null || { \
	  echo "==> Installing chromium for the dashboard's browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Two pytest-xdist workers: much of a test's time is one thread waiting (the JVM's per-job
# latency, dbt's single-threaded start-up), so two test processes keep both cores busy. A test
# module is a unit of work; tests/integration/city (the shared city) is one (tests/conftest.py).
TEST_WORKERS ?= 2

test: setup browser lint  ## Lint, then the whole test suite
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

bench: setup  ## The pipeline benchmark at SCALE=S|M|L (L is projected from S and M)
	$(BIN)/python -m bench --scale $(SCALE)

lint: $(INSTALLED)  ## ruff (lint + format check) on Python, sqlfluff on the dbt SQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt/models dbt/tests dbt/macros

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix dbt/models dbt/tests

dagster: setup  ## The Dagster UI on the demo's runs
	@mkdir -p $(DATA)/dagster
	DAGSTER_HOME=$(abspath $(DATA))/dagster EPILAKE_HOME=$(abspath $(DATA)) $(BIN)/dagster dev

clean:  ## Remove generated data and build output (keeps .venv and jars)
	rm -rf $(DATA) dbt/target dbt/logs tests/output
