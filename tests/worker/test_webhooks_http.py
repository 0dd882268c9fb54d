"""Webhooks to a real HTTP receiver, in one process, on SQLite and PostgreSQL.

The receiver verifies every delivery with the ``standardwebhooks`` library, as a real one
would; the clock stays near the wall clock because the library refuses timestamps more than
five minutes off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.adapters.webhook_address import AddressGuard
from rescind.adapters.webhook_http import HttpPoster
from rescind.domain.access import Actor
from rescind.domain.request import Channel, RequestDraft, RequesterRole
from rescind.domain.webhooks import WebhookDeliveryStatus, WebhookType
from rescind.services.context import Context
from rescind.services.policy import seed_policy
from rescind.services.requests import file_request
from rescind.services.sweep import sweep
from rescind.services.webhook_delivery import deliver_due_webhooks
from rescind.services.webhooks import add_endpoint, list_deliveries, list_events, rotate_secret
from tests.fakes import FixedClock
from tests.integration.conftest import UowFactory
from tests.webhook_receiver import Receiver, webhook_receiver
from tests.worker.conftest import due_job

ADMIN = Actor.system("test")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def ctx(uow_factory: UowFactory, clock: FixedClock) -> Context:
    context = Context(
        uow=uow_factory,
        clock=clock,
        tz=ZoneInfo("America/New_York"),
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(context, load_policy_document(default_policy_path()))
    return context


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def poster() -> Iterator[HttpPoster]:
    p = HttpPoster(AddressGuard(allow_private=True))  # the receiver is on 127.0.0.1
    yield p
    p.close()


def two_events(ctx: Context) -> None:
    """A request filed on one job, and another job's window finalized by the sweep."""
    with ctx.uow() as uow:
        uow.jobs.add(due_job(1))
        uow.jobs.add(due_job(2, final_at=datetime.now(UTC) + timedelta(days=30)))
        uow.commit()
    file_request(
        ctx,
        RequestDraft(
            job_id="JOB-000002",
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Homeowner 2",
        ),
        actor=ADMIN,
    )
    sweep(ctx)


def test_a_real_receiver_gets_each_event_once_signed_so_the_library_verifies_it(
    ctx: Context, receiver: Receiver, poster: HttpPoster
) -> None:
    endpoint = add_endpoint(ctx, receiver.url, ["request.filed", "workflow.cancelled"], actor=ADMIN)
    receiver.secrets = [endpoint.secret]
    two_events(ctx)

    report = deliver_due_webhooks(ctx, poster)

    events = list_events(ctx, actor=ADMIN).items
    assert {e.type for e in events} == {WebhookType.REQUEST_FILED, WebhookType.WORKFLOW_CANCELLED}
    assert len(report.delivered) == 2
    got = receiver.accepted()
    assert sorted(r.webhook_id for r in got) == sorted(e.id for e in events)
    assert all(r.verified_by == (0,) for r in got)
    by_id = {r.webhook_id: r.payload for r in got}
    for event in events:
        assert by_id[event.id]["type"] == event.type.value
        assert by_id[event.id]["data"]["job_id"] == event.job_id
    assert {d.status for d in list_deliveries(ctx, actor=ADMIN)} == {
        WebhookDeliveryStatus.DELIVERED
    }
    assert deliver_due_webhooks(ctx, poster).handled == 0  # nothing sent twice


def test_during_a_rotation_both_secrets_verify_and_after_24_hours_only_the_new_one_signs(
    ctx: Context, receiver: Receiver, poster: HttpPoster, clock: FixedClock
) -> None:
    endpoint = add_endpoint(ctx, receiver.url, ["request.filed"], actor=ADMIN)
    rotated = rotate_secret(ctx, endpoint.id, actor=ADMIN)
    receiver.secrets = [endpoint.secret, rotated.secret]
    two_events(ctx)

    deliver_due_webhooks(ctx, poster)

    [during] = receiver.accepted()
    assert during.verified_by == (0, 1)  # a receiver holding either secret accepts it
    assert len(during.headers["webhook-signature"].split(" ")) == 2

    clock.advance(hours=25)
    with ctx.uow() as uow:
        assert uow.webhooks.endpoint(endpoint.id).secrets_at(clock.now()) == (rotated.secret,)


def test_a_failing_or_redirecting_receiver_is_retried_later_and_the_redirect_not_followed(
    ctx: Context, receiver: Receiver, poster: HttpPoster, clock: FixedClock
) -> None:
    endpoint = add_endpoint(ctx, receiver.url, ["request.filed"], actor=ADMIN)
    receiver.secrets = [endpoint.secret]
    receiver.answers = [500, 302]
    two_events(ctx)

    assert len(deliver_due_webhooks(ctx, poster).retrying) == 1
    [first] = list_deliveries(ctx, actor=ADMIN)
    assert (first.status, first.last_status_code, first.attempts) == (
        WebhookDeliveryStatus.PENDING,
        500,
        1,
    )
    assert first.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert deliver_due_webhooks(ctx, poster).handled == 0

    clock.advance(seconds=30)
    assert len(deliver_due_webhooks(ctx, poster).retrying) == 1
    [second] = list_deliveries(ctx, actor=ADMIN)
    assert second.last_status_code == 302
    assert len(receiver.received) == 2  # the redirect's Location was never asked

    clock.advance(seconds=60)
    assert len(deliver_due_webhooks(ctx, poster).delivered) == 1
    assert len(set(receiver.ids())) == 1  # one event, one webhook-id, three attempts
