# Set-up is idempotent: each target creates .venv when missing and reinstalls when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test test-ray test-flujo test-floors lint bench docs reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# setuptools warns at every editable build that a folder named like the package could shadow it
# (profiles/ is mapped to flujo_tuning._profiles): true, and nothing to act on here.
QUIET_BUILD := PYTHONWARNINGS='ignore:Editable installation'

$(STAMP): pyproject.toml setup.py flujo_tuning/cache_keys/_fk1native.c | $(BIN)/python
	$(QUIET_BUILD) $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m flujo_tuning.tools.demo $(PROFILE)

# Every warning is an error, in the test process and in the subprocesses the tests start.
# Coverage is measured in every Python process the tests start (patch = subprocess), combined,
# reported, and held at the fail_under of pyproject.toml.
test: $(STAMP)
	rm -f .coverage .coverage.*
	PYTHONWARNINGS=error $(BIN)/python -W error -m coverage run -m pytest -p no:asyncio
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report

# Heavy optional stacks, each in an environment of its own (CI: real Ray on 3.12, then the hosts
# extra (hypercorn, Dask) added to that environment; real Flujo 0.6.11 on 3.13):
# make test-ray VENV=.ci-venvs/ray, make test-hosts VENV=.ci-venvs/hosts, make test-flujo VENV=.ci-venvs/flujo.
$(VENV)/.installed-%: pyproject.toml setup.py flujo_tuning/cache_keys/_fk1native.c | $(BIN)/python
	$(QUIET_BUILD) $(BIN)/python -m pip install --quiet -e '.[dev,$*]'
	touch $@

# pytest-asyncio (hosts extra) is tested in a pytest of its own: no suite here loads it (-p no:asyncio).
test-ray test-flujo test-hosts: test-%: $(VENV)/.installed-%
	PYTHONWARNINGS=error $(BIN)/python -W error -m pytest -p no:asyncio -m $* tests

# Every dependency at the floor pyproject.toml declares, and the whole suite there (CI: the oldest
# Python, .ci-venvs/floors3.10). It installs old releases, so it refuses the default .venv.
FLOORS_EXTRAS := xxhash,server,plot,ray,http
$(VENV)/.installed-floors: pyproject.toml setup.py flujo_tuning/cache_keys/_fk1native.c .ci/floors.py | $(BIN)/python
	@if [ "$(VENV)" = ".venv" ]; then echo "make test-floors VENV=.ci-venvs/floors: it installs old releases" >&2; exit 2; fi
	$(BIN)/python -m pip install --quiet packaging 'tomli; python_version < "3.11"'
	$(BIN)/python .ci/floors.py $(FLOORS_EXTRAS) > $(VENV)/floors.txt
	$(QUIET_BUILD) $(BIN)/python -m pip install --quiet -c $(VENV)/floors.txt -e '.[dev,$(FLOORS_EXTRAS)]'
	$(BIN)/python .ci/floors.py --check $(FLOORS_EXTRAS)
	touch $@ $(STAMP)

test-floors: $(VENV)/.installed-floors
	$(MAKE) test PYTHON=$(PYTHON) VENV=$(VENV)

lint: $(STAMP)
	$(BIN)/python -m ruff check flujo_tuning tests
	$(BIN)/python -m ruff format --check flujo_tuning tests
	$(BIN)/python -m mypy

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(QUIET_BUILD) $(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/python docs/generate.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -f - < docs/mkdocs.yml
	@echo "docs: the site is in site/ (open site/index.html)"

# Regenerates docs/reliability.md from the reliability suite (run .ci/run first to include every Python).
reliability: $(STAMP)
	FLUJO_RELIABILITY_LEDGER=.reliability.json $(BIN)/python -m pytest tests/reliability -q -p no:cacheprovider
	$(BIN)/python -m tests.reliability.report .reliability.json docs/reliability.md

bench: $(STAMP)
	$(BIN)/python -m pytest tests/benchmarks --benchmark-only --benchmark-enable

clean:
	rm -rf $(VENV) .ci-venvs build dist .pytest_cache .mypy_cache .ruff_cache .benchmarks .coverage .coverage.*
