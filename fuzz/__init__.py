"""``make fuzz``: the larger fuzz runs, kept out of ``make test``.

A top-level package (not ``bench/fuzz``) because ``bench/`` holds the benchmarks' plain
scripts; here ``python -m fuzz.api`` and ``python -m fuzz.email_parser``
run from the repository's root, import ``tests`` helpers, and mypy sees real module names.

* ``api``: schemathesis at scale (``FUZZ_REQUESTS``) on SQLite and PostgreSQL, several roles.
* ``email_parser``: atheris (coverage-guided) over the inbound parser and the filing path.
* ``filing``: what one fuzzed email must do (parse, file or triage, be stored), shared by the
  atheris run and the suite's smoke test; ``mime_shapes``: the seed corpus.
"""
