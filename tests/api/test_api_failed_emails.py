"""The failed-email queue acts over HTTP, on SQLite and PostgreSQL: a failed email is sent
again as it is, or with one of its addresses fixed; either way it is queued again with the
same Message-ID and the trail says who did it."""

from __future__ import annotations

from urllib.parse import quote

from rescind.domain.access import Actor, Role
from rescind.domain.email import DeliveryStatus, EmailKind
from rescind.domain.request import Channel, RequestDraft, RequesterRole
from rescind.services.requests import file_request
from rescind.services.verification import send_verification_code
from tests.api.conftest import API, Api

PROBLEM_JSON = "application/problem+json"
SYSTEM = Actor.system("test")


def failed_email(api: Api, job_id: str = "JOB-002") -> tuple[str, str]:
    """A verification code the mail server refused for good: (Message-ID, its To address)."""
    filed = file_request(
        api.ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The Homeowner",
        ),
        actor=SYSTEM,
    )
    send_verification_code(api.ctx, filed.id, actor=SYSTEM)
    with api.ctx.uow() as uow:
        [code] = [e for e in uow.outbox.for_job(job_id) if e.kind is EmailKind.VERIFICATION_CODE]
        uow.outbox.mark_attempt_failed(
            code.message_id, api.clock.now(), "550 no such user", retry_at=None
        )
        uow.commit()
    return code.message_id, code.recipients.to[0]


def outbox_path(message_id: str, action: str) -> str:
    return f"{API}/outbox/{quote(message_id, safe='')}/{action}"


def trail_kinds(api: Api, job_id: str) -> list[str]:
    answer = api.client(Role.AGENT).get(f"{API}/jobs/{job_id}/audit")
    body = answer.json()
    return [e["kind"] for e in (body["items"] if isinstance(body, dict) else body)]


def test_a_failed_email_resent_as_is_is_queued_again_with_the_same_message_id(api: Api) -> None:
    message_id, to = failed_email(api)
    agent = api.client(Role.AGENT)

    answer = agent.post(outbox_path(message_id, "resend"))

    assert answer.status_code == 200, answer.text
    resent = answer.json()
    assert resent["message_id"] == message_id
    assert resent["status"] == "queued"
    assert resent["to"] == [to]
    failed = agent.get(f"{API}/outbox", params={"status": "failed"}).json()["items"]
    assert message_id not in [e["message_id"] for e in failed]
    assert "email_resent" in trail_kinds(api, "JOB-002")


def test_fixing_an_address_changes_only_that_email_and_is_on_record(api: Api) -> None:
    message_id, to = failed_email(api)
    agent = api.client(Role.AGENT)

    answer = agent.post(
        outbox_path(message_id, "address"), json={"old": to, "new": " Ann@Fixed.Example "}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["to"] == ["Ann@fixed.example"]
    assert answer.json()["status"] == "queued"
    # The address on file stays what it was: the fix is this message's only.
    job = agent.get(f"{API}/jobs/JOB-002").json()
    assert job["homeowner"]["email"] == to
    assert "email_readdressed" in trail_kinds(api, "JOB-002")


def test_a_fix_to_an_invalid_address_is_refused_naming_the_field(api: Api) -> None:
    message_id, to = failed_email(api)

    answer = api.client(Role.AGENT).post(
        outbox_path(message_id, "address"), json={"old": to, "new": "ann@a.example,b@c.example"}
    )

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON


def test_only_an_address_of_the_email_itself_can_be_fixed(api: Api) -> None:
    message_id, _ = failed_email(api)

    answer = api.client(Role.AGENT).post(
        outbox_path(message_id, "address"),
        json={"old": "someone.else@home.example", "new": "ann@fixed.example"},
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "old"


def test_an_email_that_has_not_failed_is_not_resent(api: Api) -> None:
    message_id, _ = failed_email(api)
    agent = api.client(Role.AGENT)
    assert agent.post(outbox_path(message_id, "resend")).status_code == 200

    again = agent.post(outbox_path(message_id, "resend"))

    assert again.status_code == 409, again.text
    assert again.json()["code"] == "not_allowed"
    with api.ctx.uow() as uow:
        assert uow.outbox.get(message_id).status is DeliveryStatus.QUEUED
