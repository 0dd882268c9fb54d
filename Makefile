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

# --- make fuzz: schemathesis and the email fuzzer at scale; not part of make test -------------
# Scripts in fuzz/ (see fuzz/README.md). Both databases: SQLite in a temporary folder and a
# schema of its own on PG_URL's server. Any failure makes the target fail.
FUZZ_REQUESTS ?= 6000
FUZZ_SECONDS  ?= 120

.PHONY: fuzz fuzz-api fuzz-email

fuzz: fuzz-api fuzz-email  ## schemathesis (FUZZ_REQUESTS per database) and atheris on inbound email

fuzz-api: $(STAMP) postgres  ## schemathesis, >= FUZZ_REQUESTS requests on SQLite and on PostgreSQL
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m fuzz.api --db both --requests $(FUZZ_REQUESTS)

fuzz-email: $(STAMP) postgres  ## atheris on parser + filing, FUZZ_SECONDS on each database
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m fuzz.email_parser --store sqlite --seconds $(FUZZ_SECONDS)
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m fuzz.email_parser --store postgres --seconds $(FUZZ_SECONDS)
