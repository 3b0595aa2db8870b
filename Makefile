# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DEBUG ?= true

.PHONY: run test setup system-deps lint demo-data pdf-samples benchmarks loadtest clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

# Browser tests need Debian's Chromium; PDF page images need poppler's pdftoppm.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then \
		echo "Installing chromium and poppler-utils (needs root)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; \
	fi
	@if ! command -v soffice >/dev/null; then \
		echo "Installing libreoffice-calc, to open exported workbooks in tests (needs root)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc; \
	fi

demo-data: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py import_questionnaire questionnaires/definitions/ai-cx-agent.yaml --publish
	$(PY) manage.py import_questionnaire questionnaires/definitions/ai-cx-agent-v2.yaml --publish
	$(PY) manage.py seed_demo
	$(PY) manage.py create_analyst

run: demo-data
	$(PY) manage.py runserver 127.0.0.1:8000

test: setup system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy cxvet questionnaires vendors
	$(PY) manage.py makemigrations --check --dry-run

benchmarks: setup
	$(PY) -m benchmarks $(BENCH)

# Needs PostgreSQL and Redis on 127.0.0.1 (README.md, Benchmarks); about three minutes.
loadtest: setup
	$(PY) -m benchmarks.loadtest

clean:
	rm -rf $(VENV) db.sqlite3 test-db.sqlite3 media staticfiles test-artifacts
