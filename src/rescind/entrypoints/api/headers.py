"""Security headers on every response: the console's pages cannot be framed, sniffed into
another type, or made to run a script that is not one of our own static files.

One pure-ASGI wrapper around the whole app (``SecuredFastAPI``), outside even Starlette's
error middleware, so a 500 page and a 404 outside any route carry the headers too. Each
response gets ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and a
``Referrer-Policy``, and a ``Content-Security-Policy`` by what it is:

- the console (``/console``) and the homeowner's self-service page (``/cancel``): scripts,
  styles and images from ``'self'`` only (the templates
  have no inline script or style: ``console.js`` and ``console.css`` are static files);
- everything else (JSON, problem details, metrics): ``default-src 'none'``, since nothing
  there is a page;
- the API docs (``/api/v1/docs``) load Swagger UI from rescind itself (the ``swagger-ui-bundle``
  package's files, so the page works offline and no third party learns who reads it) and
  start it with one inline script: that route sets its own policy, allowing ``'self'`` and
  the script's hash, and a policy already set is left alone.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

CONSOLE_PREFIX = "/console"
PAGE_PREFIXES = (CONSOLE_PREFIX, "/cancel")  # the console and the homeowner's own page
CONSOLE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Console URLs carry job ids and searched names: never send them to another site.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        own = path[len(root) :] if root and path.startswith(root) else path
        console = any(own == p or own.startswith(p + "/") for p in PAGE_PREFIXES)
        policy = (CONSOLE_POLICY if console else API_POLICY).encode()

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in ALWAYS if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)


class SecuredFastAPI(FastAPI):
    """FastAPI with ``SecurityHeaders`` outermost (``add_middleware`` would sit inside the
    error middleware, whose 500 answers would go out bare)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())

    def openapi(self) -> dict[str, Any]:
        first = self.openapi_schema is None
        document = super().openapi()
        if first:  # FastAPI builds it once and caches it; adjust that one
            parameters_never_null(document)
        return document


def parameters_never_null(document: dict[str, Any]) -> None:
    """An optional header, query or path parameter is left out, never null: HTTP has no null.

    ``str | None = None`` makes FastAPI declare ``anyOf: [string, null]``; a client (the
    stock schemathesis CLI does) then sends the text ``null``, which the server rightly refuses
    as a bad ETag. The parameter keeps only its non-null schema (bodies keep their nulls).
    """
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                schema = parameter.get("schema", {})
                options = [o for o in schema.get("anyOf", ()) if o != {"type": "null"}]
                if "anyOf" in schema and len(options) == 1:
                    del schema["anyOf"]
                    schema.update(options[0])
                if schema.get("default", "") is None:
                    del schema["default"]


def install_docs(app: FastAPI, docs_url: str) -> None:
    """Swagger UI at ``docs_url`` (FastAPI's own page, built with ``docs_url=None`` so that
    this route serves it) under a policy that allows exactly what it loads; its script, style
    and icon are served from ``docs_url/assets``."""
    assets = f"{docs_url}/assets"
    app.mount(assets, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get(docs_url, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets}/favicon-32x32.png",
        )
        page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body).decode())
        return page


def docs_policy(html: str) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; "
        # Swagger UI's React components set style attributes.
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
