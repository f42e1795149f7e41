# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench messages

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

# Translations: pybabel extracts the messages of the code and templates (domain mirror_plugin;
# templates call the plugin's Jinja globals _m and _mn), of the scripts (mirror_plugin_js) and
# of the demo console (domain messages in demo/translations). `make messages` brings the .po
# catalogues up to date for translators; `make lint` fails when a message of the sources is
# missing from a catalogue (or a catalogue keeps one no source has).
POT := $(VENV)/i18n
CATALOGUES := mirror_plugin:mirror_plugin/translations mirror_plugin_js:mirror_plugin/translations messages:demo/translations
define extract
	mkdir -p $(POT)
	$(BIN)/pybabel -q extract --project mirror_plugin --version 0.1.0 -F babel.cfg -k _m -k _mn:1,2 -k _l --no-location --sort-output -o $(POT)/mirror_plugin.pot .
	$(BIN)/pybabel -q extract --project mirror_plugin --version 0.1.0 -F babel-js.cfg --no-location --sort-output -o $(POT)/mirror_plugin_js.pot .
	$(BIN)/pybabel -q extract --project mirror_plugin --version 0.1.0 -F babel-demo.cfg -k _l --no-location --sort-output -o $(POT)/messages.pot .
endef

messages: setup
	$(extract)
	for catalogue in $(CATALOGUES); do domain=$${catalogue%%:*}; dir=$${catalogue#*:}; \
	  $(BIN)/pybabel -q update -N --ignore-pot-creation-date -i $(POT)/$$domain.pot -d $$dir -D $$domain || exit 1; \
	done

lint: setup
	$(BIN)/ruff check .
	# Types, strict (the [mypy] section of setup.cfg).
	$(BIN)/mypy mirror_plugin
	# The layers contract (.importlinter): policy, registry, services, web|cli, admission, extension.
	$(BIN)/lint-imports --no-cache
	$(extract)
	for catalogue in $(CATALOGUES); do domain=$${catalogue%%:*}; dir=$${catalogue#*:}; \
	  $(BIN)/pybabel update --check -N --ignore-pot-creation-date -i $(POT)/$$domain.pot -d $$dir -D $$domain || exit 1; \
	done

test: lint
	# A fixed hash seed makes the fuzzing (tests/test_fuzz.py) generate the same cases on every run.
	PYTHONHASHSEED=0 $(BIN)/pytest

bench: setup
	$(BIN)/python -m bench
