"""Suite-wide settings: Hypothesis examples run without a per-example deadline.

The suite runs on two cores next to PostgreSQL and subprocesses; a wall-clock deadline per
example would then fail on load, not on behaviour. Example counts stay as each test sets them.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("rescind", deadline=None)
settings.load_profile("rescind")
