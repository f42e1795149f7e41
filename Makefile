# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/python -m demo

lint: setup
	$(BIN)/ruff check .

test: lint
	# A fixed hash seed makes the fuzzing (tests/test_fuzz.py) generate the same cases on every run.
	PYTHONHASHSEED=0 $(BIN)/pytest

bench: setup
	$(BIN)/python -m bench
