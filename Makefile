# The two commands of the README: `make run` and `make test`. Both set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The default of settings.TIME_ZONE (aftersales/settings.py).
DEFAULT_TIME_ZONE := Asia/Shanghai
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/aftersales
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test lint chromium pgbouncer dovecot check-services seed bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's chromium for the browser tests..."; \
			(apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) ; \
		else \
			echo "Chromium is needed for the browser tests. Run: sudo apt-get install -y chromium"; exit 1; \
		fi; \
	fi

# The PgBouncer test (tests/test_pgbouncer.py) starts Debian's pgbouncer in transaction mode.
pgbouncer:
	@if [ ! -x /usr/sbin/pgbouncer ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's pgbouncer for the tests..."; \
			(apt-get install -y -qq pgbouncer >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq pgbouncer)) ; \
		else \
			echo "PgBouncer is needed for the tests. Run: sudo apt-get install -y pgbouncer"; exit 1; \
		fi; \
	fi

# The e-mail tests (tests/tickets/test_email_*.py) start Debian's dovecot as a private IMAP server.
dovecot:
	@if [ ! -x /usr/sbin/dovecot ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's dovecot for the e-mail tests..."; \
			(apt-get install -y -qq dovecot-imapd >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq dovecot-imapd)) ; \
		else \
			echo "Dovecot is needed for the e-mail tests. Run: sudo apt-get install -y dovecot-imapd"; exit 1; \
		fi; \
	fi

check-services: install
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} $(PY) bench/check_services.py

run: install
	@mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo --if-empty
	DEBUG=1 $(PY) manage.py seed_demo_complaints --if-empty
	DEBUG=1 $(PY) manage.py seed_demo_history --if-empty
	@# TZ: one time zone in every line (honcho's prefix, gunicorn's and Celery's own lines, the application's): TIME_ZONE.
	DEBUG=1 PORT=$(PORT) SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} TZ=$${TIME_ZONE:-$(DEFAULT_TIME_ZONE)} \
		$(VENV)/bin/honcho start -f Procfile.dev

# Order matters: services are checked before anything slow, so a stopped PostgreSQL or Redis fails at once.
# pytest's exit status is kept (5 = no tests collected fails too); the summary line fails a run that proved nothing.
test: install check-services chromium pgbouncer dovecot
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The check compares models with migration files; it needs no database (silence the history check warning).
	DEBUG=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run
	@mkdir -p test-results && rm -f test-results/junit.xml
	@status=0; \
	DEBUG=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		CELERY_TASK_ALWAYS_EAGER=1 $(VENV)/bin/pytest -p no:cacheprovider --junitxml=test-results/junit.xml \
		$(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	$(PY) .ci/junit_summary.py test-results/junit.xml $(if $(PYTEST_ARGS),,--require-e2e) || \
		[ $$status -ne 0 ] || status=1; \
	exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install  # the comparisons with the peer (bench/README.md); needs the peer at /tmp/peer and wrk
	$(PY) bench/create_vs_peer.py && $(PY) bench/lists_vs_peer.py --peer && $(PY) bench/sweep_vs_peer.py --peer
