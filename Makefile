# One command sets up and runs the demo; one sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test lint format bench lock wheel-check

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/uptake demo

# The report's test renders it in Debian's Chromium, installed once from the distribution.
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: setup browser lint
	$(BIN)/pytest
	$(MAKE) wheel-check

# What `pip install uptake` gives: the wheel, in a fresh virtual environment, runs the
# demo, a refresh, mining and the report from an empty directory, away from the checkout.
WHEEL_VENV := .wheel-check
wheel-check: setup
	rm -rf $(WHEEL_VENV) dist
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(WHEEL_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps dist/uptake-*.whl
	.ci/check_installed_wheel.sh $(WHEEL_VENV) ../shared/data

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/bench_top_pypi_load.py
	$(BIN)/python bench/bench_demo.py
	$(BIN)/python bench/bench_imports.py
	$(BIN)/python bench/bench_history_miner.py
	$(BIN)/python bench/bench_papers_with_code.py
	$(BIN)/python bench/bench_analyze.py
	$(BIN)/python bench/bench_downloads_load.py
	$(BIN)/python bench/bench_mining_load.py
	$(BIN)/python bench/bench_mining_writes.py
	$(BIN)/python bench/bench_corpus_mining.py
	$(BIN)/pip install --quiet 'pydriller>=2.12' && $(BIN)/python bench/bench_pydriller.py

# Re-pin every dependency from the current environment (after changing pyproject.toml).
lock: setup
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^uptake' > requirements.lock
