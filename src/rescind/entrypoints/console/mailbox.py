"""The embedded demo's mailbox: the mail the worker would have sent, to read in the console.

Only there when ``RESCIND_DEMO_MAILBOX`` has it on (``make run`` without a mail server); a
production server answers 404. Agents (who send the codes) and admins may read it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.domain.access import Permission, require
from rescind.domain.errors import NotFound
from rescind.entrypoints.console.render import page
from rescind.entrypoints.console.session import CurrentSession

router = APIRouter()
PATH = "/demo/mailbox"


def _mailbox(request: Request) -> DemoMailbox:
    mailbox: DemoMailbox | None = request.app.state.console.demo_mailbox
    if mailbox is None:
        raise NotFound("there is no demo mailbox here: mail is sent by the mail server")
    return mailbox


@router.get(PATH)
def read_mailbox(request: Request, session: CurrentSession) -> Response:
    mailbox = _mailbox(request)
    require(session.actor, Permission.READ_DEMO_MAILBOX)
    return page(request, "demo_mailbox.html", session, messages=mailbox.messages(), shown=None)


@router.get(PATH + "/{name}")
def read_message(request: Request, session: CurrentSession, name: str) -> Response:
    mailbox = _mailbox(request)
    require(session.actor, Permission.READ_DEMO_MAILBOX)
    shown = mailbox.message(name)
    if shown is None:
        raise NotFound(f"no message {name!r} in the demo mailbox")
    return page(request, "demo_mailbox.html", session, messages=mailbox.messages(), shown=shown)
