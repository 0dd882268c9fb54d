"""Request bodies have a size limit, enforced before they are read into memory.

Pure ASGI (no ``BaseHTTPMiddleware``, which would buffer the body it is meant to limit). A
request whose ``Content-Length`` is over the limit is answered 413 at once, its body never
read; a chunked one is counted as it streams, and when it passes the limit the app is told
the client went away (so it stops reading) and its answer to the cut-off body is replaced
by the 413. Uploads — a CSV export (``text/csv``), a form with a file
(``multipart/form-data``) — get their own, larger limit; everything else, JSON and the
console's plain forms included, gets the body limit. The whole app is covered, the console
mounted inside it too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rescind.entrypoints.api.problems import problem_response

MIB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 1 * MIB
DEFAULT_MAX_UPLOAD_BYTES = 10 * MIB
UPLOAD_TYPES = (b"text/csv", b"multipart/form-data")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


def _size(limit: int) -> str:
    return f"{limit / MIB:g} MiB" if limit % (MIB // 4) == 0 else f"{limit} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> tuple[int, str]:
        content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if content_type in UPLOAD_TYPES:
            return self.max_upload_bytes, "an upload"
        return self.max_body_bytes, "a request body"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, what = self.limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, what)
            return
        received = 0
        too_large = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return  # the app's answer to a cut-off body; the 413 replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not too_large or started:
                raise
        if too_large and not started:
            await self._refuse(scope, receive, send, limit, what)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, limit: int, what: str
    ) -> None:
        response = problem_response(
            413,
            "request_too_large",
            f"{what} may be at most {_size(limit)} ({limit} bytes); send a smaller one"
            + (" (split the file)" if what == "an upload" else ""),
            # The rest of the body is never read, so the connection cannot carry another request.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
