# The README's commands. Each target does its own set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
REDIS_URL ?=
QUEUES := events campaigns scheduled

.PHONY: demo test test-embedded test-real test-faults soak fuzz serve worker cron bench bench-console lint fmt clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(PY) app.py demo

test: test-embedded test-real

test-embedded: $(STAMP)
	@echo "== tests on the embedded default (SQLite + in-process queue)"
	TIEFEN_TEST_BACKEND=embedded $(PY) -m pytest -q

test-real: $(STAMP)
	@if [ -n "$$TEST_DATABASE_URL" ] && [ -n "$$TEST_REDIS_URL" ]; then \
		echo "== tests on PostgreSQL + Redis + RQ workers ($$TEST_DATABASE_URL, $$TEST_REDIS_URL)"; \
		TIEFEN_TEST_BACKEND=real $(PY) -m pytest -q; \
	elif [ -n "$$TIEFEN_REQUIRE_REAL" ]; then \
		echo "TEST_DATABASE_URL and TEST_REDIS_URL must be set: the real-services run is required"; exit 1; \
	else \
		echo "== SKIPPED the PostgreSQL + Redis run: set TEST_DATABASE_URL and TEST_REDIS_URL to run it"; \
	fi

# a long hunt: about 100,000 generated inputs over the webhook (plaintext and safe mode), the H5 pages
# and every API operation (TIEFEN_FUZZ_EXAMPLES per API operation and mode, ten times that per
# webhook and H5 test); the suite runs the same tests with 12
FUZZ_EXAMPLES ?= 700
fuzz: $(STAMP)
	TIEFEN_TEST_BACKEND=embedded TIEFEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q \
		--hypothesis-show-statistics tests/fuzz tests/api/test_schemathesis.py

# the fault run at scale (the short one is part of test-real): thousands of customers, faults every 4 s
TIEFEN_FAULTS_SCALE ?= 20
test-faults: $(STAMP)
	@test -n "$$TEST_DATABASE_URL" || (echo "set TEST_DATABASE_URL (PostgreSQL; its schema is rebuilt)"; exit 1)
	TIEFEN_TEST_BACKEND=real TIEFEN_FAULTS_SCALE=$(TIEFEN_FAULTS_SCALE) $(PY) -m pytest -q -s tests/faults

# capacity, then SOAK_MINUTES (10) at 60 % of it with random faults; a table, bench/results/soak-*.png
SOAK_MINUTES ?= 10
soak: $(STAMP)
	SOAK_MINUTES=$(SOAK_MINUTES) $(PY) -m tests.faults.soak

# the dev server keeps a generated SECRET_KEY in instance/ (unless one is exported): Tiefen refuses to
# start without one, since it signs every member link
DEV_SECRET = instance/dev-secret-key
serve: $(STAMP)
	@mkdir -p instance && test -s $(DEV_SECRET) || $(PY) -c 'import secrets; print(secrets.token_urlsafe(48))' > $(DEV_SECRET)
	SECRET_KEY="$${SECRET_KEY:-$$(cat $(DEV_SECRET))}" $(VENV)/bin/flask --app app db upgrade
	SECRET_KEY="$${SECRET_KEY:-$$(cat $(DEV_SECRET))}" $(VENV)/bin/flask --app app run --debug

worker: $(STAMP)
	@test -n "$(REDIS_URL)" || (echo "set REDIS_URL (and DATABASE_URL) for workers"; exit 1)
	$(VENV)/bin/rq worker-pool -n 2 -w rq.worker.SimpleWorker -u "$(REDIS_URL)" $(QUEUES)

cron: $(STAMP)
	@test -n "$(REDIS_URL)" || (echo "set REDIS_URL (and DATABASE_URL) for rq cron"; exit 1)
	$(VENV)/bin/rq cron -u "$(REDIS_URL)" tasks/cron.py

bench: $(STAMP)
	$(PY) -m bench.webhook
	$(PY) -m bench.points
	$(PY) -m bench.referrals
	$(PY) -m bench.segments
	$(PY) -m bench.campaigns

bench-console: $(STAMP)
	$(PY) -m bench.console

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache
