"""Log records for people or for a log collector, each carrying the request it belongs to.

``current_request`` holds the request being served (its id, and the user once known); a
filter on the handler copies them onto every record, whichever library logged it, so one
request's lines can be found together. The API's access middleware sets it; the worker has
no request and its records carry ``request_id: null``.

The format is ``RESCIND_LOG_FORMAT``: ``json`` (python-json-logger: stdlib logging stays the
one logging API, uvicorn's and SQLAlchemy's records included), ``text``, or ``auto`` — text
on a terminal, JSON otherwise — so ``make run`` reads like a console while systemd or a
container gets JSON without a setting.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["auto", "json", "text"]


@dataclass
class RequestInfo:
    """Mutable on purpose: the auth dependency fills in the user after the middleware set it."""

    request_id: str
    user_id: str | None = None


current_request: ContextVar[RequestInfo | None] = ContextVar("current_request", default=None)


def current_request_id() -> str | None:
    info = current_request.get()
    return info.request_id if info else None


def note_user(user_id: str) -> None:
    """The request is now known to be this user's (the access line and later records say so)."""
    info = current_request.get()
    if info is not None:
        info.user_id = user_id


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current_request.get()
        if not hasattr(record, "request_id"):
            record.request_id = info.request_id if info else None
        if not hasattr(record, "user_id"):
            record.user_id = info.user_id if info else None
        record.__dict__.pop("color_message", None)  # uvicorn's copy with terminal colours
        return True


class TextFormatter(logging.Formatter):
    """For people: the request id in brackets when there is one, nothing when not."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f" [{request_id}]" if request_id else ""
        return super().format(record)


JSON_FIELDS = "{levelname}{name}{message}{process}"


def formatter_for(fmt: LogFormat, stream: TextIO) -> logging.Formatter:
    if fmt == "auto":
        fmt = "text" if stream.isatty() else "json"
    if fmt == "text":
        return TextFormatter()
    return JsonFormatter(
        JSON_FIELDS,
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # ISO 8601 in UTC, with milliseconds
    )


def configure_logging(fmt: LogFormat, level: str, stream: TextIO | None = None) -> None:
    """One handler on the root logger; uvicorn's loggers propagate to it (no access log of
    its own: the API writes one line per request itself)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(fmt, stream))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic says which dialect it found each time the schema is checked: noise at INFO.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
