# Two commands: `make run` serves the assistant with the sample knowledge base,
# `make test` runs lint, types and the test suite. Both set everything up first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint setup system-packages services clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Debian packages: Chromium for the browser tests, a CJK font so Chinese renders.
system-packages:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi wqy || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# PostgreSQL and Redis run on this machine; start them if they stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true

# Ingest the sample knowledge, migrate the database, then serve on 127.0.0.1:8000 with a
# demo console account (development mode); the widget demo and console URLs are printed.
run: setup
	$(VENV)/bin/assistant ingest data/knowledge --prune
	$(VENV)/bin/assistant db upgrade
	$(VENV)/bin/assistant serve --host 127.0.0.1 --demo-agent

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy assistant knowledge intents channels evals text benchmarks

test: setup system-packages services lint
	$(PY) -m pytest

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
