# The two commands a newcomer needs:  make run   and   make test
# Everything else (the virtualenv, the packages, the local PostgreSQL) is set up by them.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PORT   ?= 8000

.PHONY: run test check lint typecheck unit integration postgres browser install clean

run: $(STAMP)  ## serve the API on SQLite (demo data and demo logins on first start); PORT=8001 for another port
	@$(BIN)/rescind serve --port $(PORT)

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

# --- operations: what a metrics scrape costs ---------------------------------------------
OPS_BENCH_DB ?= rescind_bench_scrape
PG_SERVER    ?= postgresql+psycopg://postgres@127.0.0.1:5432

.PHONY: bench-scrape
bench-scrape: $(STAMP)  ## what a metrics scrape and a readiness check cost on a million jobs
                        ## (PostgreSQL; a database of its own, dropped after)
	dropdb --if-exists -h 127.0.0.1 -U postgres $(OPS_BENCH_DB)
	createdb -h 127.0.0.1 -U postgres $(OPS_BENCH_DB)
	RESCIND_DATABASE_URL=$(PG_SERVER)/$(OPS_BENCH_DB) $(BIN)/rescind db upgrade
	flock /tmp/rescind-bench.lock $(BIN)/python bench/metrics_scrape.py \
	  --url $(PG_SERVER)/$(OPS_BENCH_DB); status=$$?; \
	  dropdb -h 127.0.0.1 -U postgres $(OPS_BENCH_DB); exit $$status

# --- benchmarks 1 and 4 (bench/; each prints a table; see the module docstrings) ---------------
BENCH_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432
BENCH_LOCK   ?= /tmp/rescind-bench.lock

.PHONY: bench-cancel bench-reads

bench-cancel: $(STAMP) postgres  ## cancels/s, p50/p95/p99 and CPU over HTTP, beside a lean reference app and pgbench -N
	flock $(BENCH_LOCK) $(BIN)/python -m bench.cancel_throughput --url $(BENCH_SERVER) $(ARGS)

bench-reads: $(STAMP) postgres  ## search, job page and queue latencies with 1 M jobs, 10 M events
	flock $(BENCH_LOCK) $(BIN)/python -m bench.reads --url $(BENCH_SERVER) --reuse $(ARGS)

# --- Scale benchmarks (bench/sweep_scale.py, bench/import_jobs.py): one command each, a table
# each; databases of their own on the server at BENCH_SERVER, dropped afterwards. Full size by
# default; ARGS=--quick for a seconds-long run. One heavy measurement at a time (flock).

.PHONY: bench-sweep bench-import bench-checkpoint

bench-sweep: $(STAMP)  ## sweep 100 k due jobs among 1 M and among 3 M; finalizations/s and the ratio
	flock $(BENCH_LOCK) $(BIN)/python -m bench.sweep_scale --url $(BENCH_SERVER) $(ARGS)

bench-import: $(STAMP)  ## rescind jobs import of a 1 M-job CSV into PostgreSQL; wall time and rows/s
	flock $(BENCH_LOCK) $(BIN)/python -m bench.import_jobs --url $(BENCH_SERVER) $(ARGS)

bench-checkpoint: $(STAMP) postgres  ## issue an audit checkpoint and verify against it: 1 M jobs, 10 M events
	flock $(BENCH_LOCK) $(BIN)/python -m bench.audit_checkpoint --url $(BENCH_SERVER) $(ARGS)

# --- make fuzz: schemathesis and the email fuzzer at scale; not part of make test -------------
# Scripts in fuzz/ (see fuzz/README.md). Both databases: SQLite in a temporary folder and a
# schema of its own on PG_URL's server. Any failure makes the target fail.
FUZZ_REQUESTS ?= 6000
FUZZ_SECONDS  ?= 120

.PHONY: fuzz fuzz-api fuzz-email

fuzz: fuzz-api fuzz-email  ## schemathesis (FUZZ_REQUESTS per database) and atheris on inbound email

fuzz-api: $(STAMP) postgres  ## schemathesis, >= FUZZ_REQUESTS requests on SQLite and on PostgreSQL,
                             ## then the stock CLI --checks all on a live server, as each role
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m fuzz.api --db both --requests $(FUZZ_REQUESTS)

fuzz-email: $(STAMP) postgres  ## atheris on parser + filing, FUZZ_SECONDS on each database
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m fuzz.email_parser --store sqlite --seconds $(FUZZ_SECONDS)
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python -m fuzz.email_parser --store postgres --seconds $(FUZZ_SECONDS)

# --- fault tests ----------------------------------------------------------------
.PHONY: faults

faults: $(STAMP) postgres  ## kill the server and the worker, restart a private PostgreSQL, stop SMTP, under load
	RESCIND_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider tests/faults

# --- the cancel path's cost (bench/cancel_statements.py) ---------------------------------------
.PHONY: bench-cancel-statements

bench-cancel-statements: $(STAMP) postgres  ## SQL statements and transactions per HTTP cancel, by kind
	$(BIN)/python -m bench.cancel_statements --url $(BENCH_SERVER) $(ARGS)

.PHONY: bench-simulate
bench-simulate: $(STAMP) postgres  ## a policy what-if over 1 M live jobs (own database, dropped after)
	flock $(BENCH_LOCK) $(BIN)/python -m bench.policy_simulate $(ARGS)
