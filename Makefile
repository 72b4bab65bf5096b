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

.PHONY: install system-deps demo test test-pg bench lint screenshots clean

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

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip $(PIPQ)
	@$(BIN)/pip install -q -e '.[dev]' $(PIPQ)
	@touch $(STAMP)

install: $(STAMP)
	@if [ -f package.json ]; then npm ci --silent --no-audit --no-fund 2>/dev/null || npm install --silent --no-audit --no-fund; fi

demo: system-deps install
	$(BIN)/xinfang demo

test: system-deps install
	$(BIN)/pytest

test-pg: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinfang $(BIN)/pytest

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

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

screenshots: system-deps install
	$(BIN)/xinfang screenshots --out docs/screenshots

clean:
	rm -rf $(VENV) var node_modules
