# The two commands a newcomer needs:  make run   and   make test
# Everything else (the virtualenv, the packages, the local PostgreSQL) is set up by them.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test check lint typecheck unit integration postgres browser install clean

run: $(STAMP)  ## serve the API on SQLite (demo data and demo logins on first start)
	$(BIN)/rescind serve

test: $(STAMP) postgres browser  ## everything CI runs: lint, types, architecture, all tests on SQLite and
                         ## PostgreSQL (alembic check on both is one of the integration tests)
	$(MAKE) --no-print-directory check
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider

check: $(STAMP)  ## ruff, ruff format, mypy --strict, import-linter
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy
	$(BIN)/lint-imports

postgres:  ## start the local PostgreSQL service if it is down
	@bash scripts/ensure-postgres.sh

browser:  ## Debian's chromium for the console's browser tests (tests/ui); never a download
	@test -x /usr/bin/chromium || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

# --- fault tests (branch faults) ---------------------------------------------------------------
.PHONY: faults

faults: $(STAMP) postgres  ## kill the server and the worker, restart a private PostgreSQL, stop SMTP, under load
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider tests/faults
