# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench

# The demo needs the plugin and its runtime dependencies only; the suite adds its tools
# (Playwright, schemathesis, ruff, ...). Each stamp is remade when setup.cfg changes.
$(BIN)/.demo-installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(BIN)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(BIN)/.demo-installed

setup: $(BIN)/.installed

demo: $(BIN)/.demo-installed
	$(BIN)/python -m demo

lint: setup
	$(BIN)/ruff check .

test: lint
	# A fixed hash seed makes the fuzzing (tests/test_fuzz.py) generate the same cases on every run.
	PYTHONHASHSEED=0 $(BIN)/pytest

bench: setup
	$(BIN)/python -m bench
