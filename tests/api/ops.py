"""The app as ``rescind serve`` builds it for operations: with a database probe and a registry.

The suite's ``api`` app is built without a probe; ``operated`` rebuilds it over the same
context and database with one, so /readyz and the backlog metrics answer from the real
database. ``sample`` reads one value out of a Prometheus exposition, parsed by
prometheus_client's own parser.
"""

from __future__ import annotations

import dataclasses

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from rescind.adapters.db.probe import SqlProbe
from rescind.adapters.passwords import Argon2Passwords
from rescind.entrypoints.site import create_app
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.ports import DatabaseProbe
from tests.api.conftest import Api


def operated(
    api: Api,
    engine: Engine,
    *,
    probe: DatabaseProbe | None = None,
    registry: CollectorRegistry | None = None,
    metrics_token: str = "",
) -> Api:
    app = create_app(
        api.ctx,
        Argon2Passwords(time_cost=1, memory_cost=8192),
        Throttle(),
        probe=probe if probe is not None else SqlProbe(engine),
        registry=registry,
        metrics_token=metrics_token,
    )
    return dataclasses.replace(api, app=app)


def sample(exposition: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly these labels, or None if absent."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None
