# The two commands of the README: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEMO   := data/demo.duckdb

.PHONY: report test install install-dev demo lint bench clean lab

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# JupyterLab only where it is used: its server's dependencies load a URI grammar at every
# nbformat import (0.9 s per report process), which reports and tests have no use for
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-lab: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[lab]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(DEMO): | $(VENV)/.installed
	$(PY) -m opsanalysis demo-data --out $(DEMO)

demo: $(DEMO)

## Set up, create the demo data if missing, render the latest weekly report, print its path
report: $(VENV)/.installed $(DEMO)
	$(PY) -m opsanalysis report weekly

## Start JupyterLab on the project's environment with the demo data and the explore notebook
lab: $(VENV)/.installed-lab $(DEMO)
	$(VENV)/bin/jupyter lab notebooks/explore.ipynb

## Set up with the dev extras and run the tests (DuckDB and PySpark)
test: $(VENV)/.installed-dev
	OA_REQUIRE_SPARK=1 $(PY) -m pytest

## Lint: ruff (style), mypy (types) and import-linter (layers, no cycles)
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check opsanalysis tests bench
	$(VENV)/bin/ruff format --check opsanalysis tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(VENV)/.installed-dev
	$(PY) bench/bench_demo_data.py

clean:
	rm -rf $(VENV) reports .pytest_cache
