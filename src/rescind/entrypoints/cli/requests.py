"""``rescind requests``: end a request without a cancel, from the machine.

The CLI acts as the system (as ``restore`` does); the audit trail names it ``system:cli``.
Errors reach the user as one line and an exit code through ``cli.main``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rescind.domain.access import Actor
from rescind.domain.audit import AuditChannel
from rescind.domain.errors import InvalidInput
from rescind.domain.request import CloseReason
from rescind.entrypoints.cli.wiring import application
from rescind.services.closing import close_with_reason

CLI_ACTOR = Actor.system("cli")
REASONS = ", ".join(r.value for r in CloseReason)

requests_app = typer.Typer(help="Cancellation requests: close them.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)


def _reason(text: str) -> CloseReason:
    try:
        return CloseReason(text.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise InvalidInput(f"--reason must be one of: {REASONS}", field="reason") from None


@requests_app.command("close")
def close(
    request_id: str,
    reason: Annotated[str, typer.Option(help=f"Why it ends: {REASONS}.")],
    note: Annotated[str, typer.Option(help="A note for the trail and the requester.")] = "",
    duplicate_of: Annotated[
        str | None, typer.Option(help="For --reason duplicate: the request it repeats.")
    ] = None,
) -> None:
    """Refuse or close an open request with a reason; the requester is emailed why."""
    closed = close_with_reason(
        application().ctx,
        request_id,
        _reason(reason),
        actor=CLI_ACTOR,
        note=note,
        duplicate_of=duplicate_of,
        channel=AuditChannel.CLI,
    )
    out.print(f"request {closed.id} is closed: {closed.outcome_detail}", markup=False)
