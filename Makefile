# The two commands of this project (see README.md): `make up` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Touched after each install: the project is reinstalled only when its metadata changes.
INSTALLED := $(VENV)/.installed-local
TESTS_INSTALLED := $(VENV)/.installed-test
PYTEST_ARGS ?=

.PHONY: up test test-fast lint clean

## up: run the whole platform on this machine (Ctrl-C stops it)
up: $(INSTALLED)
	$(BIN)/python -m devstack.up

## test: lint, types and the whole test suite, through tox
test: $(BIN)/tox
	$(BIN)/tox run -e lint,tests -- $(PYTEST_ARGS)

## test-fast: the unit tier only (pure code, no server), for the inner loop (seconds)
test-fast: $(TESTS_INSTALLED)
	TEST_SERVERS=none $(BIN)/python -m pytest -m unit -q $(PYTEST_ARGS)

## lint: ruff, mypy and the import contracts only
lint: $(BIN)/tox
	$(BIN)/tox run -e lint

## clean: remove tox environments and caches (keeps .venv and .run)
clean:
	rm -rf .tox .mypy_cache .ruff_cache .pytest_cache

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local]'
	touch $@

$(TESTS_INSTALLED): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local,test]'
	touch $@

$(BIN)/tox: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'tox>=4.20'
