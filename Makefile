# The two commands of this project (see README.md): `make up` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Touched after each install: the project is reinstalled only when its metadata changes.
INSTALLED := $(VENV)/.installed-local
PYTEST_ARGS ?=

.PHONY: up test lint clean

## up: run the whole platform on this machine (Ctrl-C stops it)
up: $(INSTALLED)
	$(BIN)/python -m devstack.up

## test: lint, types and the whole test suite, through tox
test: $(BIN)/tox
	$(BIN)/tox run -e lint,tests -- $(PYTEST_ARGS)

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

$(BIN)/tox: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'tox>=4.20'
