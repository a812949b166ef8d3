# edgejobs — the commands the README names. Everything installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8787
# Node >= 22 comes from npm (the `node` package) into node_modules/.bin; put it first.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# Never let uv download a Python interpreter: use the machine's.
export UV_PYTHON_DOWNLOADS := never
UV := .tools/bin/uv
PY := .venv/bin/python
NODE := node_modules/.bin/node
PRETTIER := node_modules/.bin/prettier --no-error-on-unmatched-pattern
# JavaScript, CSS and HTML that Prettier keeps formatted (.prettierrc.json).
JS_FILES := 'tools/runtime/**/*.{mjs,js}' 'public/**/*.{js,mjs,css,html}'

.PHONY: help install dev dev-wrangler migrate-local test lint format bench bench-1m soak fuzz deploy clean screenshots

help:
	@echo "make dev    - serve the Worker locally on http://127.0.0.1:$(PORT) (local D1, cron included)"
	@echo "make test   - lint + the whole test suite against the local runtime"
	@echo "make bench  - benchmarks (JSON + Markdown)"
	@echo "make bench-1m - the same with a million rows (long)"
	@echo "make fuzz   - long schema fuzzing run (FUZZ_EXAMPLES per operation, random seed)"
	@echo "make soak   - 16 clients on every route for SOAK_SECONDS (60), then correctness checks"

# --- installation (idempotent; re-runs only when a lock file changes) -------------------
node_modules/.installed: package.json package-lock.json
	@# `npm ci` trips over npm's lock-file bug with nested optional platform packages (workerd-darwin-*);
	@# `npm install --no-save` installs the locked versions and leaves the lock file alone.
	npm install --no-save --no-audit --no-fund
	@touch $@

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups
	@touch $@

install: node_modules/.installed .venv/.installed

# --- local development ---------------------------------------------------------------
migrate-local: install
	wrangler d1 migrations apply DB --local

dev: migrate-local
	@test -f .dev.vars || echo "note: no .dev.vars - every /api/ route answers 401. Run: cp .dev.vars.example .dev.vars"
	$(NODE) tools/runtime/server.mjs --port $(PORT)

# With network access: the real workerd runtime through pywrangler.
dev-wrangler: migrate-local
	$(UV) run pywrangler dev --port $(PORT)

# --- checks ------------------------------------------------------------------------------
lint: install
	$(UV) run --frozen ruff check src tests tools bench soak clients
	$(UV) run --frozen ruff format --check src tests tools bench soak clients
	$(UV) run --frozen mypy
	$(PRETTIER) --check $(JS_FILES)

format: install
	$(UV) run --frozen ruff format src tests tools bench soak clients
	$(UV) run --frozen ruff check --fix src tests tools bench soak clients
	$(PRETTIER) --log-level warn --write $(JS_FILES)

test: lint
	$(NODE) --test 'tools/runtime/*.test.mjs'
	@command -v chromium >/dev/null || printf '\n%s\n%s\n%s\n\n' \
		'!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' \
		'!!! NO CHROMIUM: the dashboard browser tests will be SKIPPED (apt-get install -y chromium)' \
		'!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
	$(UV) run --frozen pytest $(PYTEST_ARGS)

# The dashboard screenshots in docs/screenshots, from the browser tests (needs chromium).
screenshots: install
	EDGEJOBS_SCREENSHOT_DIR=docs/screenshots $(UV) run --frozen pytest tests/browser -q

bench: install
	PYTHONPATH=src $(UV) run --frozen python -m bench

# The same with a million rows beside 1k-100k, and claims and cleanup against 250,000 pending
# and expired jobs (~20 minutes here; ~5 GB of temporary disk).
bench-1m: install
	BENCH_SCALES=1000,10000,100000,1000000 BENCH_STRESS_ROWS=250000 PYTHONPATH=src $(UV) run --frozen python -m bench

# Concurrent load against a fresh local runtime (loopback only); exits non-zero on any finding.
SOAK_SECONDS ?= 60
soak: install
	PYTHONPATH=src $(UV) run --frozen python -m soak --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

# Long schemathesis run: the test `make test` runs with 25 examples per operation and a fixed
# seed, here with FUZZ_EXAMPLES and a new seed each run (printed; FUZZ_SEED=<n> replays one).
FUZZ_EXAMPLES ?= 500
FUZZ_SEED ?= random
fuzz: install
	EDGEJOBS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) EDGEJOBS_FUZZ_SEED=$(FUZZ_SEED) \
		$(UV) run --frozen pytest tests/http/test_schema_fuzz.py -s -p no:cacheprovider --timeout 3600 $(PYTEST_ARGS)

deploy: install
	$(UV) run pywrangler deploy

clean:
	rm -rf .venv .tools node_modules .wrangler dist .pytest_cache .ruff_cache .mypy_cache
