# Quick start: `make demo` and `make test` on a machine with only Python 3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo check lint typecheck imports bench bench-quick clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip || true
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Two workers (the CI machine has two cores); a module's tests share one worker and its fixtures.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

demo: $(STAMP)
	$(BIN)/genesys-analytics demo

check: lint typecheck imports

$(VENV)/.bench: $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(VENV)/.bench

# Compiled first, as an installed package is: a PYTHONDONTWRITEBYTECODE environment would
# otherwise have every contender process compile the package again.
bench: $(VENV)/.bench
	@$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python -m bench.run

bench-quick: $(VENV)/.bench
	@$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python -m bench.run --quick

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The layering contracts of [tool.importlinter] in pyproject.toml.
imports: $(STAMP)
	$(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) build dist *.egg-info demo.duckdb .import_linter_cache
