"""``rescind webhooks``: register, list, rotate and remove webhook endpoints at the machine.

The same service functions as ``/api/v1/webhooks``, acting as the system. A secret is printed
once, by the command that made it (``add``, ``rotate``); ``list`` never shows one.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rescind.domain.access import Actor
from rescind.domain.webhooks import WebhookEndpoint, WebhookType
from rescind.entrypoints.cli.wiring import application
from rescind.services.webhooks import add_endpoint, list_endpoints, remove_endpoint, rotate_secret

CLI_ACTOR = Actor.system("cli")
TYPES = ", ".join(t.value for t in WebhookType)

webhooks_app = typer.Typer(
    help="Signed webhooks (Standard Webhooks) to the company's other systems.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="Where to POST: http:// or https://.")],
    event_type: Annotated[
        list[str], typer.Option("--event", "-e", help=f"Repeat for each wanted: {TYPES}.")
    ],
    description: Annotated[str, typer.Option(help="Whose endpoint, e.g. Engine.")] = "",
) -> None:
    """Register an endpoint; prints its id and its signing secret (shown only now)."""
    endpoint = add_endpoint(
        application().ctx, url, event_type, actor=CLI_ACTOR, description=description
    )
    out.print(f"added {endpoint.id} -> {endpoint.url} ({_types(endpoint)})", markup=False)
    out.print(f"secret: {endpoint.secret}", markup=False)


@webhooks_app.command("list")
def webhooks_list() -> None:
    """Every active endpoint with the event types it receives."""
    for endpoint in list_endpoints(application().ctx, actor=CLI_ACTOR):
        until = endpoint.previous_secret_until
        rotating = f"  (previous secret signs until {until.isoformat()})" if until else ""
        out.print(f"{endpoint.id}  {endpoint.url}  {_types(endpoint)}{rotating}", markup=False)


@webhooks_app.command("rotate")
def webhooks_rotate(endpoint_id: Annotated[str, typer.Argument(help="whe_…")]) -> None:
    """A new secret; the old one keeps signing alongside it for 24 hours."""
    endpoint = rotate_secret(application().ctx, endpoint_id, actor=CLI_ACTOR)
    until = endpoint.previous_secret_until
    out.print(
        f"rotated {endpoint.id}; the previous secret also signs until "
        f"{until.isoformat() if until else 'now'}",
        markup=False,
    )
    out.print(f"secret: {endpoint.secret}", markup=False)


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: Annotated[str, typer.Argument(help="whe_…")]) -> None:
    """Stop delivering to an endpoint (its past deliveries stay listed)."""
    endpoint = remove_endpoint(application().ctx, endpoint_id, actor=CLI_ACTOR)
    out.print(f"removed {endpoint.id} ({endpoint.url})", markup=False)


def _types(endpoint: WebhookEndpoint) -> str:
    return ", ".join(t.value for t in endpoint.event_types)
