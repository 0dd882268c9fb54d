"""The access middleware: a request id, one access-log line and the HTTP metrics per request.

A client (or the proxy in front) may send ``X-Request-ID``; it is kept when it is 1–128
characters from ``A-Z a-z 0-9 . _ : -`` (safe to log and to echo in a header), else replaced by
a new one, so a forged header cannot inject log lines or blow up their size. The id goes back
in the response's ``X-Request-ID`` and onto every log record while the request is served
(``logs.current_request``); problem details carry it as the ``request_id`` member.

Requests are counted by *route template* (``/api/v1/jobs/{job_id}``), never by raw path, so a
million job ids are one series; a path no route matched is counted as ``unmatched``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rescind.entrypoints.api.health import PROBE_ROUTES
from rescind.entrypoints.processes.logs import RequestInfo, current_request
from rescind.entrypoints.processes.metrics import HttpMetrics

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED = "unmatched"

access_log = logging.getLogger("rescind.access")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's id when it is safe to keep, else a new one."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1")
            if _VALID_ID.match(text):
                return text
            break
    return uuid.uuid4().hex


def route_template(scope: MutableMapping[str, Any], root_path: str) -> str:
    """The template of the route that answered, with the prefixes of the routers and mounts
    above it (``/api/v1/jobs/{job_id}``, ``/console/jobs/{job_id}``)."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    if isinstance(route, Mount):
        # A mounted app without routes of its own (static files), or nothing matched inside
        # the mounted app: one series for the whole mount. Mount extends root_path.
        return str(scope.get("root_path", ""))[len(root_path) :] + "/{path}"
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return UNMATCHED
    # An included router's (or a mounted app's) route knows only its own part of the path;
    # the concrete path's leading segments give back the prefixes above it.
    own = template.split("/")[1:]
    concrete = str(scope.get("path", "")).split("/")[1:]
    if len(own) > len(concrete):
        return template
    return "".join(f"/{segment}" for segment in concrete[: len(concrete) - len(own)]) + template


class AccessMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo(request_id=request_id_from(scope.get("headers", [])))
        method = str(scope.get("method", ""))
        root_path = str(scope.get("root_path", ""))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", info.request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        token = current_request.set(info)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The 500 answer is written by Starlette's outermost error middleware after this
            # one: the request stays current (the task ends with the request) so that answer
            # and uvicorn's traceback carry the id.
            self._record(scope, root_path, method, 500, started, info)
            raise
        self._record(scope, root_path, method, status, started, info)
        current_request.reset(token)

    def _record(
        self,
        scope: Scope,
        root_path: str,
        method: str,
        status: int,
        started: float,
        info: RequestInfo,
    ) -> None:
        seconds = time.perf_counter() - started
        route = route_template(scope, root_path)
        self.metrics.observe(method, route, status, seconds)
        client = scope.get("client")
        # A load balancer's health checks every few seconds would drown the log.
        quiet = route in PROBE_ROUTES and status < 400
        access_log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %d %.1f ms",
            method,
            route,
            status,
            seconds * 1000,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "client": client[0] if client else None,
            },
        )
