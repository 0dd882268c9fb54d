"""Benchmarks: one command each, printing a table; run against a real PostgreSQL server.

They are scripts, not tests: speed goals live here, and ``tests/bench`` only proves that each
one runs at a tiny size.
"""
