# Xinfang — the only commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIPQ := 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
STAMP := $(VENV)/.installed
N ?= 100000
NLP_N ?= 1000000
DATA ?= ../shared/data

.PHONY: install system-deps demo test test-pg test-replica bench lint lock screenshots clean serve stop

# apt packages for PDFs (CJK fonts, HarfBuzz subsetting) and browser tests (Chromium).
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
	    || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  echo "Installing system packages (chromium, fonts-noto-cjk, poppler-utils, libharfbuzz-subset0)…"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -q >/dev/null && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q chromium chromium-l10n fonts-noto-cjk poppler-utils \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; \
	fi

# The exact versions come from requirements.lock (pip-compile over pyproject's ranges, dev extra
# included); the project itself is installed on top without re-resolving.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip $(PIPQ)
	@$(BIN)/pip install -q -r requirements.lock $(PIPQ)
	@$(BIN)/pip install -q --no-deps -e . $(PIPQ)
	@touch $(STAMP)

install: $(STAMP) node_modules/.installed

# axe-core for the browser tests; reinstalled only when the lock changes (npm ci empties
# node_modules first, so it must not run on every make — CI runs two suites side by side).
node_modules/.installed: package.json package-lock.json
	@npm ci --silent --no-audit --no-fund 2>/dev/null || npm install --silent --no-audit --no-fund
	@touch $@

demo: system-deps install
	$(BIN)/xinfang demo

test: system-deps install
	$(BIN)/pytest --durations=20

# The production stack on this machine: gunicorn + the job worker, PostgreSQL and Redis when
# they run here (deploy/serve.sh; docs/operations.md). Ends printing the address and /healthz.
serve: install
	deploy/serve.sh start

stop:
	deploy/serve.sh stop

test-pg: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinfang $(BIN)/pytest

# The read replica (issue 15): a throwaway primary and hot standby on this machine
# (deploy/pg-replica.sh; PGREPL_PORT=, default 5433/5434) and tests/ops/test_replica.py on them.
test-replica: install
	@urls=$$(deploy/pg-replica.sh up) || exit 1; \
	  env $$urls $(BIN)/pytest -q tests/ops/test_replica.py; rc=$$?; \
	  deploy/pg-replica.sh down; exit $$rc

# How the read paths grow from 10k to 100k matters (interleaved rounds, median p95), the core
# figures (queue, matter page, registrations) at N matters, then the same-matter lookup
# against NLP_N historic matters and, where the data is present, the classifier's CV figures.
bench: install
	$(BIN)/xinfang bench --scaling 10000,100000 --rounds 5
	$(BIN)/xinfang bench --matters $(N)
	$(BIN)/xinfang nlp bench-similar --n $(NLP_N)
	@if [ -f $(DATA)/messages/train.csv ]; then \
	  $(BIN)/xinfang nlp eval --csv $(DATA)/messages/train.csv --text-cols title,body --label-col label; \
	else echo "skip classifier CV: $(DATA)/messages/train.csv is absent"; fi

# ruff, mypy (strict over domain, core, audit, org, nlp; docs/design.md "Checks") and the
# import-linter contracts in pyproject.toml (layers, no Django in domain/nlp, web ∥ api).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

# Re-resolve requirements.lock after a change to pyproject.toml's ranges: pins already in the
# lock are kept unless UPGRADE=1 (then every package moves to the newest version in range).
lock: $(STAMP)
	$(BIN)/pip-compile -q --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
	    $(if $(UPGRADE),--upgrade) -o requirements.lock pyproject.toml $(PIPQ)

screenshots: system-deps install
	$(BIN)/xinfang screenshots --out docs/screenshots

clean:
	rm -rf $(VENV) var node_modules
