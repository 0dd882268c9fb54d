"""Hooks for the stock ``schemathesis run`` CLI: a live token for one role, all run long.

Loaded by the CLI itself (``SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks``; see
``tests/api/schemathesis_cli.py``), so the run, its generation and its ``--checks all`` stay the
stock ones. With a static ``-H Authorization`` header the run logs itself out (``POST
/auth/logout``, ``revoke-tokens`` or ``force-reset`` on its own user) and every later case sees
401 only. Here the token is the role's (``RESCIND_FUZZ_ROLE``) and is replaced whenever a call
may have ended it; a user the run locked out (new password, deactivated) gets a replacement.
Tokens come from the login service on the server's own database (``RESCIND_DATA_DIR``), not
from ``POST /auth/token``: the run's wrong passwords throttle that door for this client.

``RESCIND_FUZZ_ANSWERS`` names a file that gets one line per answer (role, operation, status,
whether the role's token was sent), so the runner can tell that every operation was reached.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import schemathesis

from rescind.adapters.passwords import Argon2Passwords
from rescind.bootstrap import bootstrap
from rescind.domain.access import Role
from rescind.services.auth import demo_password
from tests.api.schemathesis_run import TOKEN_ENDING, fresh_token

ROLE = Role(os.environ.get("RESCIND_FUZZ_ROLE", Role.ADMIN.value))
ANSWERS = os.environ.get("RESCIND_FUZZ_ANSWERS", "")

_lock = threading.Lock()
_app: Any = None
_passwords = Argon2Passwords()
_token: str | None = None
_username = ROLE.value


def _current() -> str:
    global _app, _token, _username
    with _lock:
        if _token is None:
            if _app is None:
                _app = bootstrap()
            _token, _username = fresh_token(
                _app.ctx, _passwords, ROLE, username=_username, password=demo_password(ROLE)
            )
        return _token


def _forget(token: str) -> None:
    global _token
    with _lock:
        if _token == token:
            _token = None


@schemathesis.auth(refresh_interval=None)
class RoleToken:
    """The role's bearer token, the same one until a call may have ended it."""

    def get(self, case: Any, ctx: Any) -> str:
        return _current()

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    sent = str(response.request.headers.get("Authorization", ""))
    token = sent.removeprefix("Bearer ")
    ours = token == _token
    label = case.operation.label
    if ours and (
        response.status_code == 401 or (label in TOKEN_ENDING and response.status_code < 300)
    ):
        _forget(token)
    if ANSWERS:
        with _lock, open(ANSWERS, "a", encoding="utf-8") as answers:
            answers.write(f"{ROLE.value}\t{label}\t{response.status_code}\t{int(ours)}\n")
