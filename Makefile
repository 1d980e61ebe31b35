# Set-up is idempotent: each target creates .venv when missing and reinstalls when pyproject.toml changes.
# The tools we develop with are PEP 735 dependency groups (pyproject.toml): pip 25.1+ installs them
# with --group, so every venv upgrades pip first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.installed-dev
# Test processes in parallel (pytest-xdist): one per core. JOBS=0 runs them in this process.
JOBS ?= auto

DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test test-ray test-flujo test-hosts test-floors lint bench docs reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade 'pip>=25.1'

# setuptools warns at every editable build that a folder named like the package could shadow it
# (profiles/ is mapped to flujo_tuning._profiles): true, and nothing to act on here.
QUIET_BUILD := PYTHONWARNINGS='ignore:Editable installation'
SOURCES := pyproject.toml setup.py flujo_tuning/cache_keys/_fk1native.c

$(STAMP): $(SOURCES) | $(BIN)/python
	$(QUIET_BUILD) $(PIP) install --quiet -e . --group lint
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m flujo_tuning.tools.demo $(PROFILE)

# Every warning is an error, in the test process and in the subprocesses the tests start.
# FLUJO_TESTS_ONCE=skip skips the tests marked `once` (CI runs them in one leg: .ci/run), and
# COVERAGE_FLOOR then replaces pyproject's fail_under for what remains.
# Coverage is measured in every Python process the tests start (patch = subprocess, the test
# workers included), combined, reported, and held at the fail_under of pyproject.toml. The slowest
# tests are listed, so growth shows the day it happens.
PYTEST := PYTHONWARNINGS=error $(BIN)/python -W error -m coverage run -m pytest -p no:asyncio -n $(JOBS) --durations=10
test: $(STAMP)
	rm -f .coverage .coverage.*
	$(PYTEST)
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report $(if $(COVERAGE_FLOOR),--fail-under=$(COVERAGE_FLOOR))

# Heavy optional stacks, each in an environment of its own (CI: real Ray on 3.12, then the hosts
# group (hypercorn, Dask, ...) added to that environment; real Flujo 0.6.11 on 3.13):
# make test-ray VENV=.ci-venvs/ray, make test-hosts VENV=.ci-venvs/hosts, make test-flujo VENV=.ci-venvs/flujo.
$(VENV)/.installed-ray: $(SOURCES) | $(BIN)/python
	$(QUIET_BUILD) $(PIP) install --quiet -e '.[ray]' --group test
	touch $@
$(VENV)/.installed-hosts: $(SOURCES) | $(BIN)/python
	$(QUIET_BUILD) $(PIP) install --quiet -e . --group test --group test-hosts
	touch $@
$(VENV)/.installed-flujo: $(SOURCES) | $(BIN)/python
	$(QUIET_BUILD) $(PIP) install --quiet -e . --group test --group test-flujo
	touch $@

# pytest-asyncio (test-hosts group) is tested in a pytest of its own: no suite here loads it (-p no:asyncio).
test-ray test-flujo test-hosts: test-%: $(VENV)/.installed-%
	PYTHONWARNINGS=error $(BIN)/python -W error -m pytest -p no:asyncio -n $(JOBS) --durations=5 -m $* tests

# Every dependency at the floor pyproject.toml declares, and the whole suite there (CI: the oldest
# Python, .ci-venvs/floors3.10). It installs old releases, so it refuses the default .venv.
FLOORS_EXTRAS := xxhash,server,plot,ray,http
$(VENV)/.installed-floors: $(SOURCES) .ci/floors.py | $(BIN)/python
	@if [ "$(VENV)" = ".venv" ]; then echo "make test-floors VENV=.ci-venvs/floors: it installs old releases" >&2; exit 2; fi
	$(PIP) install --quiet packaging 'tomli; python_version < "3.11"'
	$(BIN)/python .ci/floors.py $(FLOORS_EXTRAS) > $(VENV)/floors.txt
	$(QUIET_BUILD) $(PIP) install --quiet -c $(VENV)/floors.txt -e '.[$(FLOORS_EXTRAS)]' --group lint
	$(BIN)/python .ci/floors.py --check $(FLOORS_EXTRAS)
	touch $@ $(STAMP)

test-floors: $(VENV)/.installed-floors
	$(MAKE) test PYTHON=$(PYTHON) VENV=$(VENV)

lint: $(STAMP)
	$(BIN)/python -m ruff check flujo_tuning tests
	$(BIN)/python -m ruff format --check flujo_tuning tests
	$(BIN)/python -m mypy

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet --group docs
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
