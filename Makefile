# The README's two commands: `make demo` starts the product on the built-in demo org,
# `make test` runs every check and every test. Both bootstrap .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
# The versions the suite was run with: every install step is constrained to them.
CONSTRAINTS := constraints.txt

.PHONY: demo test check bench browser postgres floors

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[test,lint]'
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[bench]'
	@touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/sfimport demo

test: $(STAMP) browser postgres
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/test

check: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check

bench: $(BENCH_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" python benchmarks/run.py

browser:
	@scripts/install-chromium

# Team-mode tests need PostgreSQL: the package is installed here when missing (once, before the
# tests run in parallel); the tests use the server at 127.0.0.1:5432 or start a throwaway one.
postgres:
	@scripts/start-postgres --install

# Do the dependency floors of pyproject.toml work? A scratch venv with exactly those versions
# runs the CLI, store and web tests (needs the package index; a few minutes, so not in `test`).
floors:
	scripts/check-floors
