# illdesk — build, run and test. GNU make; see README.md.
#
#   make run     set everything up and start the development server with demo data
#   make test    set everything up and run the test suite (PYTEST_ARGS=... is passed to pytest)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_FLAGS ?= -q
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

# Debian packages: WeasyPrint's native libraries and fonts (PDF letters and slips), poppler-utils and
# zbar-tools (tests read the generated PDFs and their barcodes back), yaz (yaz-ztest is a real Z39.50/SRU
# server for the locate tests), gettext (compilemessages).
SYSDEPS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-cjk \
           poppler-utils zbar-tools yaz gettext chromium

.PHONY: help sysdeps venv run test lint bench worker beat clean

help:
	@echo "make run      migrate, load demo data and start http://$(HOST):$(PORT)/"
	@echo "make test     run the test suite (PYTEST_ARGS='...'; DATABASE_URL/REDIS_URL from the environment)"
	@echo "make lint     ruff check"
	@echo "make bench    run the benchmarks (python -m bench)"
	@echo "make worker   Celery worker (needs REDIS_URL)"
	@echo "make beat     Celery beat with the database scheduler (needs REDIS_URL)"
	@echo "make sysdeps  install the Debian packages listed in the Makefile (root), or say how"
	@echo "make venv     create .venv and install the dependencies from pyproject.toml"
	@echo "make clean    remove .venv, collected static files and caches (keeps db.sqlite3)"

# Quiet and fast when everything is present; apt-get runs only for what is missing. Never fails:
# without these packages the app still runs, only PDFs, barcodes and some tests need them.
sysdeps:
	@if ! command -v dpkg >/dev/null 2>&1; then \
	  echo "sysdeps: not a Debian system; install the equivalents of: $(SYSDEPS)"; exit 0; \
	fi; \
	missing=""; \
	for p in $(SYSDEPS); do \
	  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "sysdeps: installing$$missing"; \
	  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; then \
	    echo "sysdeps: done"; \
	  else \
	    echo "sysdeps: WARNING: apt-get failed; PDF/barcode/Z39.50 features and their tests will not work" >&2; \
	  fi; \
	else \
	  echo "sysdeps: missing Debian packages (PDFs, barcodes and some tests need them). Install with:"; \
	  echo "  sudo apt-get install --no-install-recommends$$missing"; \
	fi

venv: $(VENV)/.installed
	@:

# Re-installs only when pyproject.toml changes. `packages = []` makes the editable install of the
# project itself a no-op: this installs its dependencies plus the `test` extra.
$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  echo "venv: creating $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) || { echo "venv: '$(PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)" >&2; exit 1; }; \
	fi
	@echo "venv: installing dependencies from pyproject.toml"
	@# A machine-wide pip config may name package folders that do not exist; pip warns once per package.
	@$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[test]' 2>&1 | { grep -v "^WARNING: Location 'file:.*' is ignored" || true; }
	@touch $@

run: export DJANGO_DEBUG ?= 1
run: sysdeps venv
	@echo "run: migrating the database and loading the demo data"
	@$(PY) manage.py migrate --noinput --verbosity 0
	@$(PY) manage.py seed_demo
	@if [ -d locale ]; then \
	  if command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages --verbosity 0; \
	  else echo "run: gettext is not installed; translations are not compiled"; fi; \
	fi
	@echo
	@echo "  illdesk is at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (user/password): operator/operator  manager/manager  admin/admin  patron/patron"
	@echo
	@$(PY) manage.py runserver $(HOST):$(PORT)

# pytest's exit status 5 means "no tests were collected": a failure, never a silent pass.
test: sysdeps venv
	@rc=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED: pytest collected no tests" >&2; fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(PY) -m bench

worker: venv
	@[ -n "$${REDIS_URL:-}" ] || { echo "worker: set REDIS_URL (e.g. redis://127.0.0.1:6379/0); without it tasks already run in-process" >&2; exit 2; }
	$(VENV)/bin/celery -A illdesk worker -l info

beat: venv
	@[ -n "$${REDIS_URL:-}" ] || { echo "beat: set REDIS_URL (e.g. redis://127.0.0.1:6379/0); without it tasks already run in-process" >&2; exit 2; }
	$(VENV)/bin/celery -A illdesk beat -l info

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .hypothesis test-artifacts *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
