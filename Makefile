# Two commands on a fresh machine:  make run   |   make test
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= data/mapgov.sqlite
PORT ?= 8501
# 127.0.0.1: this machine only. ADDRESS=0.0.0.0 (or the LAN address) serves the office network:
# put TLS in front first (README, "Serving safely").
ADDRESS ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: run test test-dates setup install assets demo check lint bench screenshots clean

run: setup  ## serve the dashboard on http://localhost:8501
	$(BIN)/mapgov serve --port $(PORT) --address $(ADDRESS)

# The store and workflow tests run on SQLite and on a throwaway PostgreSQL + PostGIS cluster
# (Debian's postgresql-15-postgis-3; tests/pgcluster.py). Where PostgreSQL cannot be installed,
# `make test PG=0` runs the suite without it (CI never does).
PG ?= 1
# The tests without a browser run on every core (pytest-xdist: one worker per core, each with its
# own demo street and cluster); the browser tests then run one at a time, each module with its
# own server and chromium, which would fight for two cores. JOBS=1 runs everything in one process.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
PYTEST := $(BIN)/python -m pytest $(if $(filter 1,$(JOBS)),,-n $(JOBS))
test: setup  ## the whole suite (unit, AppTest, browser), on SQLite and PostgreSQL
	MAPGOV_SKIP_PG=$(if $(filter 0,$(PG)),1,0) $(PYTEST) -m "not browser"
	MAPGOV_SKIP_PG=$(if $(filter 0,$(PG)),1,0) $(BIN)/python -m pytest -m browser

# The suite passes whatever the clock reads: the non-browser tests under faketime (Debian's
# package) at a new year in Shanghai: 16:30 UTC on the year's last day, where day, month and
# year differ between UTC and Shanghai. `make test-dates DATES=all` adds a month's end in
# February and a later year (CI runs the first only: each run is the whole suite again, and
# the three did not fit CI's 90 minutes beside make test). On SQLite only: mapgov's calendar
# is the same Python code on both backends (the store's SQL calls no date function), and
# `make test` runs PostgreSQL at today's date. MAPGOV_SKIP_PG=dates says so in the skip
# reason, and keeps CI=true from counting these skips as failures.
DATES ?= first
FAKE_DATES := '2027-01-01 00:30:00 +0800' $(if $(filter all,$(DATES)),'2027-02-28' '2030-07-15')
test-dates: setup  ## the non-browser suite at a new year in Shanghai (DATES=all: two more days)
	command -v faketime >/dev/null || { echo "test-dates needs faketime (apt-get install faketime)" >&2; exit 1; }
	for day in $(FAKE_DATES); do \
	  echo "== the suite on $$day"; \
	  MAPGOV_SKIP_PG=dates faketime "$$day" $(PYTEST) -q -p no:cacheprovider -m "not browser" || exit 1; \
	done

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

# numpydoc's validator over the domain and io layers (its checks: [tool.numpydoc_validation]
# in pyproject.toml): every public function documents its Parameters and Returns (issue 17).
NUMPYDOC_FILES := $(sort $(shell find src/mapgov/domain src/mapgov/io -name '*.py'))

lint check: $(STAMP)  ## ruff, mypy, the import contract (lint-imports) and numpydoc, at the versions pinned in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench app.py app_pages
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/python -m numpydoc lint $(NUMPYDOC_FILES)

# The README's picture of the wall screen, taken by the browser test that checks the kiosk
# screen into SHOTS, outside the checkout (tests never write a tracked file); renewing
# docs/wall.png is then a copy, checked by eye before it is committed.
SHOTS ?= /tmp/mapgov-screenshots
screenshots: setup
	MAPGOV_SCREENSHOTS=$(SHOTS) $(BIN)/python -m pytest -q -p no:cacheprovider \
	  "tests/browser/test_browser_wall.py::test_kiosk_fits_the_screen_offline[zh]"
	@echo "wall screen: $(SHOTS)/wall.png (to renew the README's picture: cp $(SHOTS)/wall.png docs/)"

bench: $(STAMP)
	$(BIN)/python bench/bench_demo.py

clean:
	rm -rf $(VENV) static .pytest_cache .ruff_cache
