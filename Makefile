# Two commands on a fresh machine:  make run   |   make test
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= data/mapgov.sqlite
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test setup install assets demo check lint bench screenshots clean

run: setup  ## serve the dashboard on http://localhost:8501
	$(BIN)/mapgov serve --port $(PORT)

test: setup  ## the whole suite (unit, AppTest, browser)
	$(BIN)/python -m pytest

setup: install assets $(DB)

install: $(STAMP)

# uv (from PyPI) installs the stack in seconds; plain pip is the fallback.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv || true
	if test -x $(BIN)/uv; then \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'; \
	else \
	  $(BIN)/python -m pip install --quiet -e '.[dev]'; \
	fi
	touch $@

# Leaflet and friends, copied from installed packages into static/ (served by Streamlit).
assets: $(STAMP)
	$(BIN)/mapgov assets --quiet

$(DB): | $(STAMP)
	mkdir -p $(dir $(DB))
	$(BIN)/mapgov demo --db $(DB)

demo: $(STAMP)  ## rebuild the demo street
	$(BIN)/mapgov demo --db $(DB)

lint check: $(STAMP)  ## ruff (lint and format) and mypy, at the versions pinned in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench app.py app_pages
	$(BIN)/mypy src

# The README's picture of the wall screen, taken by the browser test that checks the kiosk
# screen (the suite itself writes only temporary files).
screenshots: setup
	MAPGOV_SCREENSHOTS=docs $(BIN)/python -m pytest -q -p no:cacheprovider \
	  "tests/test_browser_wall.py::test_kiosk_fits_the_screen_offline[zh]"

bench: $(STAMP)
	$(BIN)/python bench/bench_demo.py

clean:
	rm -rf $(VENV) static .pytest_cache .ruff_cache
