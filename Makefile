# Every target sets itself up on a fresh machine: a virtual environment with the CPU build of
# torch 2.13.0 first (a bare `torch` would pull a multi-GB CUDA build), then the package.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@# Fashion-MNIST's original files come from Debian; skipped where apt-get cannot run.
	@test -d /usr/share/datasets/fashion-mnist || \
		{ command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null 2>&1; } || \
		echo "note: dataset-fashion-mnist not installed; --data fashion-mnist needs --data-dir"
	touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	@# The report's browser test drives Debian's Chromium; skipped where apt-get cannot run.
	@command -v chromedriver >/dev/null || \
		{ command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1; } || \
		echo "note: chromium-driver not installed; the report's browser test will be skipped"
	touch $@

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/nasforge search

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/pytest -q

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/nb201_vs_optuna.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
