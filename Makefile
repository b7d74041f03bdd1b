# chibo — the two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements/dev.lock
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1

.PHONY: run test setup venv system lint typecheck bench bench-documents bench-newsreader fetch-feeds lock clean
# Domain code that mypy (with django-stubs) must pass: models, services, selectors, rules, access, text.
TYPED := $(filter-out chibo/rules/%,$(wildcard chibo/*/models.py chibo/*/services.py chibo/*/selectors.py)) \
	chibo/rules chibo/accounts/access.py chibo/accounts/backends.py chibo/core/vntext.py chibo/core/versions.py chibo/core/rawsql.py \
	chibo/meetings/panel_cache.py chibo/meetings/judge_cache.py chibo/meetings/record_cache.py chibo/organisations/activity.py

$(VENV)/.installed: $(LOCK)
	@test -x $(PY) || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	@touch $@

venv: $(VENV)/.installed

system:
	@scripts/system-packages.sh

setup: system venv
	$(PY) manage.py migrate --noinput -v0
	CHIBO_DEBUG=1 $(PY) manage.py seed_demo

## Set everything up (venv, locked dependencies, Debian packages, database, demo data) and serve.
run: setup
	@echo "chibo: http://$(HOST):$(PORT)/  (tài khoản: admin, bithu.thon1, ... / mật khẩu chibo-demo)"
	@CHIBO_DEBUG=1 $(PY) manage.py worker --no-startup-delay >var/worker.log 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  CHIBO_DEBUG=1 CHIBO_HTTPS=0 $(PY) manage.py runserver $(HOST):$(PORT)

## Run every test (unit, integration, end-to-end). DATABASE_URL=postgres://... for PostgreSQL.
test: system venv
	$(PY) -m ruff check .
	$(PY) -m mypy $(TYPED)
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)
	$(PY) -m pytest -n 0 chibo/ops/tests/test_api_fuzz.py

typecheck: venv
	$(PY) -m mypy $(TYPED)

lint: venv
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

## SQLite and PostgreSQL side by side: pages vs the framework floor, roll-call writes, member import
## (BENCH_ARGS="--cells 200 --seconds 5" for a quick run; --report docs/bench.md to rewrite the report).
bench: venv
	$(PY) scripts/bench.py $(BENCH_ARGS)

## Milliseconds per minutes DOCX and PDF for a 20-member meeting.
bench-documents: venv
	$(PY) scripts/bench_documents.py

## Real-time factor and time to first audio of the newsreader for a 5-minute bulletin.
bench-newsreader: venv
	$(PY) scripts/bench_newsreader.py

## Queue a fetch of every news feed (run from cron or a systemd timer, e.g. every 30 minutes).
fetch-feeds: venv
	$(PY) manage.py fetch_feeds --queue

lock:
	uv pip compile --python-version 3.12 --generate-hashes requirements/dev.in -o requirements/dev.lock
	uv pip compile --python-version 3.12 --generate-hashes requirements/base.in -o requirements/base.lock

clean:
	rm -rf $(VENV) staticfiles test-artifacts
