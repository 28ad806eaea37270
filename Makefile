# Every target sets itself up on a fresh machine: a virtual environment with the CPU build of
# torch 2.13.0 first (a bare `torch` would pull a multi-GB CUDA build), then the package.
#   make demo       what the main job needs (the core and the mnist1d extra), then the main job
#   make test       everything (all extras, the dev tools), then lint and the whole suite (CI's),
#                   in two workers of a thread each (about 11 minutes on 2 cores; 17 one at a time)
#   make test-fast  the same without the tests marked slow, for the edit loop
#   make docs       the documentation site, built strictly (a broken link or reference fails)
#   make dist       an sdist and a wheel, checked with twine
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-fast lint docs dist bench setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[mnist1d]'
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
	$(BIN)/ruff check src tests benchmarks docs conftest.py
	$(BIN)/ruff format --check src tests benchmarks docs conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

PYTEST := OMP_NUM_THREADS=1 $(BIN)/pytest -q -n 2 --dist loadfile  # two workers, a thread each

test: lint docs
	$(PYTEST) --durations=25

test-fast: $(DEV_STAMP)
	$(PYTEST) -m "not slow"

docs: $(DEV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

dist: $(DEV_STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/nb201_vs_optuna.py

clean:
	rm -rf $(VENV) runs site dist .pytest_cache .mypy_cache .ruff_cache
