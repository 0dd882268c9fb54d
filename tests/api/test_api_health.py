"""/healthz and /readyz on SQLite and PostgreSQL: ready when the database answers at the
schema this code needs, 503 problem details saying why otherwise — a database on a closed
port, an empty one, one at an older migration."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import Engine, text

from rescind.adapters.db.engine import make_engine
from rescind.adapters.db.probe import SqlProbe
from tests.api.conftest import Api
from tests.api.ops import operated

PROBLEM_JSON = "application/problem+json"


def closed_port() -> int:
    """A loopback port nothing listens on (bound once by us, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_healthz_answers_without_login_and_without_a_database(api: Api) -> None:
    dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing")
    try:
        app = operated(api, dead, probe=SqlProbe(dead))
        answer = app.anonymous().get("/healthz")
    finally:
        dead.dispose()
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers_at_the_current_schema(
    api: Api, api_engine: Engine
) -> None:
    answer = operated(api, api_engine).anonymous().get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready"}


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(api: Api) -> None:
    port = closed_port()
    dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing")
    try:
        answer = operated(api, dead).anonymous().get("/readyz")
    finally:
        dead.dispose()
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    assert answer.headers["Retry-After"] == "5"
    problem = answer.json()
    assert problem["type"] == "/problems/not_ready"
    assert problem["status"] == 503
    assert problem["detail"].startswith("the database does not answer")
    assert str(port) in problem["detail"]
    assert problem["errors"][0]["field"] == "database"


def test_readyz_is_503_on_a_database_without_the_schema(api: Api, tmp_path: Path) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        answer = operated(api, empty).anonymous().get("/readyz")
    finally:
        empty.dispose()
    assert answer.status_code == 503
    assert "run `rescind db upgrade`" in answer.json()["detail"]


def test_readyz_is_503_when_the_schema_is_at_another_migration(
    api: Api, api_engine: Engine
) -> None:
    with api_engine.connect() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    app = operated(api, api_engine)
    with api_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        answer = app.anonymous().get("/readyz")
    finally:
        with api_engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
    assert answer.status_code == 503
    detail = answer.json()["detail"]
    assert "schema is at older" in detail
    assert head in detail
    assert app.anonymous().get("/readyz").status_code == 200  # and ready again once upgraded


def test_the_operations_endpoints_are_not_in_the_api_schema(api: Api, api_engine: Engine) -> None:
    paths = operated(api, api_engine).anonymous().get("/api/v1/openapi.json").json()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)
    assert "/api/v1/jobs" in paths
