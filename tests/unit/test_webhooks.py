"""Webhooks in memory: which audit events become which webhook, backoff, rotation, retries.

The store and clock are fakes; the poster is a fake that answers what a test queues up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.audit import AuditContext
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import Forbidden, InvalidInput, NotAllowed
from rescind.domain.events import Event, EventKind
from rescind.domain.job import InstallerCompany
from rescind.domain.recipients import Recipients
from rescind.domain.webhooks import (
    MAX_ATTEMPTS,
    DueDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookType,
    retry_delay,
    webhook_type,
)
from rescind.services.delivery import deliver_due
from rescind.services.records import queue_email
from rescind.services.sending import PermanentFailure
from rescind.services.webhook_delivery import PostFailed, deliver_due_webhooks
from rescind.services.webhooks import (
    add_endpoint,
    list_deliveries,
    list_events,
    remove_endpoint,
    retry_delivery,
    rotate_secret,
)
from tests.fakes import World, actor, file_verified_request
from tests.unit.test_service_delivery import FakeSender, composer

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ADMIN = actor("admin:ada")
EVERY_TYPE = [t.value for t in WebhookType]


@dataclass
class FakePoster:
    """Records every delivery it is handed; fails with the queued errors first, in order."""

    posted: list[DueDelivery] = field(default_factory=list)
    failures: list[PostFailed] = field(default_factory=list)

    def post(self, delivery: DueDelivery, *, now: datetime) -> int:
        self.posted.append(delivery)
        if self.failures:
            raise self.failures.pop(0)
        return 204


# --- the one mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (EventKind.REQUEST_FILED, WebhookType.REQUEST_FILED),
        (EventKind.REQUEST_VERIFIED, WebhookType.REQUEST_VERIFIED),
        (EventKind.WORKFLOW_CANCEL_PENDING, WebhookType.WORKFLOW_CANCEL_PENDING),
        (EventKind.WORKFLOW_RESTORED, WebhookType.WORKFLOW_RESTORED),
        (EventKind.WORKFLOW_CANCELLED, WebhookType.WORKFLOW_CANCELLED),
        (EventKind.CASE_OPENED, WebhookType.CASE_OPENED),
        (EventKind.CASE_APPROVED, WebhookType.CASE_APPROVED),
        (EventKind.CASE_DENIED, WebhookType.CASE_DENIED),
        (EventKind.EMAIL_FAILED, WebhookType.EMAIL_FAILED),
        (EventKind.EMAIL_QUEUED, None),
        (EventKind.FEED_COMMENTED, None),
        (EventKind.USER_CREATED, None),
    ],
)
def test_each_audit_kind_maps_to_its_webhook_type_or_to_none(
    kind: EventKind, expected: WebhookType | None
) -> None:
    assert webhook_type(Event(kind, {})) is expected


@pytest.mark.parametrize(
    "outcome", ["not_eligible", "not_verified", "denied", "written_request_required"]
)
def test_a_request_closed_as_a_refusal_is_request_refused(outcome: str) -> None:
    closed = Event(EventKind.REQUEST_CLOSED, {"request_id": "REQ-1", "outcome": outcome})
    assert webhook_type(closed) is WebhookType.REQUEST_REFUSED


@pytest.mark.parametrize("outcome", ["cancel_pending", "withdrawn", "duplicate"])
def test_a_request_closed_as_the_cancel_it_asked_for_or_withdrawn_is_no_refusal(
    outcome: str,
) -> None:
    closed = Event(EventKind.REQUEST_CLOSED, {"request_id": "REQ-1", "outcome": outcome})
    assert webhook_type(closed) is None


# --- backoff and rotation ---------------------------------------------------------------------


def test_retries_wait_30_seconds_then_double_up_to_six_hours() -> None:
    waits = [retry_delay(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=6)
    assert max(waits) == timedelta(hours=6)
    assert waits == sorted(waits)


def test_a_rotated_secret_signs_alongside_the_new_one_for_24_hours_then_stops() -> None:
    endpoint = WebhookEndpoint(
        "whe_1", "https://x.example/h", (WebhookType.CASE_OPENED,), "whsec_old", MONDAY
    )
    endpoint.rotate("whsec_new", MONDAY)

    assert endpoint.secrets_at(MONDAY + timedelta(hours=23)) == ("whsec_new", "whsec_old")
    assert endpoint.secrets_at(MONDAY + timedelta(hours=24)) == ("whsec_new",)


# --- through the services ---------------------------------------------------------------------


def test_filing_and_verifying_a_request_writes_its_events_and_a_delivery_for_a_subscriber() -> None:
    world = World.start(MONDAY)
    job = world.add()
    subscribed = add_endpoint(world.ctx, "https://crm.example/h", ["request.filed"], actor=ADMIN)
    add_endpoint(world.ctx, "https://other.example/h", ["case.opened"], actor=ADMIN)

    file_verified_request(world, job.id)

    feed = list_events(world.ctx, actor=ADMIN)
    assert [e.type for e in feed.items] == [
        WebhookType.REQUEST_FILED,
        WebhookType.REQUEST_VERIFIED,
    ]
    assert all(e.id.startswith("evt_") and e.job_id == job.id for e in feed.items)
    deliveries = list_deliveries(world.ctx, actor=ADMIN)
    assert [(d.endpoint_id, d.event_type) for d in deliveries] == [
        (subscribed.id, WebhookType.REQUEST_FILED)
    ]


def test_the_feed_shows_an_installer_only_its_companys_events_and_pages_by_cursor() -> None:
    world = World.start(MONDAY)
    ours = world.add()
    theirs = world.add(installer=InstallerCompany("INST-2", "Shady", "o@shady.example"))
    file_verified_request(world, ours.id)
    file_verified_request(world, theirs.id)
    installer = actor("installer:ines", scope_id="INST-1")

    seen = list_events(world.ctx, actor=installer)
    first = list_events(world.ctx, actor=ADMIN, limit=1)
    rest = list_events(world.ctx, actor=ADMIN, after=first.next_after)

    assert {e.job_id for e in seen.items} == {ours.id}
    assert len(first.items) == 1
    assert [e.id for e in first.items + rest.items] == [
        e.id for e in list_events(world.ctx, actor=ADMIN).items
    ]
    assert list_events(world.ctx, actor=ADMIN, after=rest.next_after).items == []
    with pytest.raises(Forbidden):
        list_events(world.ctx, actor=actor("ho:pat", scope_id="HO-1"))


def test_a_failing_receiver_is_retried_with_backoff_and_fails_after_eight_attempts() -> None:
    world = World.start(MONDAY)
    job = world.add()
    add_endpoint(world.ctx, "https://crm.example/h", ["request.filed"], actor=ADMIN)
    file_verified_request(world, job.id)
    poster = FakePoster(failures=[PostFailed("503", status_code=503)] * MAX_ATTEMPTS)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_due_webhooks(world.ctx, poster)
        assert report.handled == 1, attempt
        assert deliver_due_webhooks(world.ctx, poster).handled == 0  # not due again yet
        world.clock.advance(retry_delay(attempt))

    [failed] = list_deliveries(world.ctx, actor=ADMIN)
    assert failed.status is WebhookDeliveryStatus.FAILED
    assert failed.attempts == MAX_ATTEMPTS
    assert failed.last_status_code == 503
    assert "gave up after 8 attempts" in failed.last_error
    assert len({d.event.id for d in poster.posted}) == 1  # the same webhook-id every time

    retried = retry_delivery(world.ctx, failed.id, actor=ADMIN)
    assert retried.status is WebhookDeliveryStatus.PENDING
    assert deliver_due_webhooks(world.ctx, poster).delivered == [failed.id]
    assert poster.posted[-1].event.id == poster.posted[0].event.id
    with pytest.raises(NotAllowed):
        retry_delivery(world.ctx, failed.id, actor=ADMIN)  # delivered: nothing to retry


def test_an_email_that_fails_for_good_is_an_email_failed_event() -> None:
    world = World.start(MONDAY)
    job = world.add()
    add_endpoint(world.ctx, "https://crm.example/h", ["email.failed"], actor=ADMIN)
    email = OutgoingEmail(
        EmailKind.CANCELLATION_NOTICE, Recipients(to=("pat@home.example",)), job.id, {}
    )
    with world.ctx.uow() as uow:
        queue_email(uow, email, AuditContext(actor="test", at=MONDAY))
        uow.commit()

    deliver_due(world.ctx, composer, FakeSender(always=PermanentFailure("554 rejected")))

    [event] = list_events(world.ctx, actor=ADMIN).items
    assert event.type is WebhookType.EMAIL_FAILED
    assert event.job_id == job.id
    assert event.data["to"] == ["pat@home.example"]
    assert "email_failed" in world.store.kinds(job.id)


def test_a_removed_endpoint_gets_no_new_deliveries_and_cannot_be_rotated() -> None:
    world = World.start(MONDAY)
    job = world.add()
    endpoint = add_endpoint(world.ctx, "https://crm.example/h", EVERY_TYPE, actor=ADMIN)
    rotated = rotate_secret(world.ctx, endpoint.id, actor=ADMIN)
    assert rotated.secret != endpoint.secret
    assert rotated.previous_secret == endpoint.secret

    remove_endpoint(world.ctx, endpoint.id, actor=ADMIN)
    file_verified_request(world, job.id)

    assert list_deliveries(world.ctx, actor=ADMIN) == []
    with pytest.raises(NotAllowed):
        rotate_secret(world.ctx, endpoint.id, actor=ADMIN)


def test_only_an_admin_manages_endpoints_and_a_bad_url_or_type_is_refused_by_field() -> None:
    world = World.start(MONDAY)
    with pytest.raises(Forbidden):
        add_endpoint(world.ctx, "https://x.example/h", ["case.opened"], actor=actor("agent:al"))
    with pytest.raises(InvalidInput) as bad_url:
        add_endpoint(world.ctx, "ftp://x.example/h", ["case.opened"], actor=ADMIN)
    assert bad_url.value.field == "url"
    with pytest.raises(InvalidInput) as bad_type:
        add_endpoint(world.ctx, "https://x.example/h", ["case.exploded"], actor=ADMIN)
    assert bad_type.value.field == "event_types"
