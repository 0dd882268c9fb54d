"""The homeowner's /cancel over HTTP: the flow, its records, and what staff cannot do."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from fastapi.testclient import TestClient
from httpx import Response

from rescind.adapters.mail.compose import Composer
from rescind.domain.access import Role
from rescind.domain.audit import job_stream
from rescind.domain.email import EmailKind, Mailbox
from rescind.domain.errors import LinkRefused
from rescind.domain.job import Language
from rescind.domain.request import VerificationMethod
from rescind.services import self_service
from rescind.services.sweep import sweep
from tests.api.conftest import API, Api
from tests.api.self_service import csrf_of, link_sent_for, signed_in

ADDRESSES = {mailbox: f"{mailbox.value}@rescind.invalid" for mailbox in Mailbox}


def trail(api: Api, job_id: str) -> list[tuple[str, str]]:
    with api.ctx.uow() as uow:
        return [(r.kind, r.channel) for r in uow.audit.records(job_stream(job_id))]


def test_an_eligible_homeowner_cancels_with_a_typed_statement_and_every_step_is_on_record(
    api: Api,
) -> None:
    client = signed_in(api, "JOB-002")
    page = client.get("/cancel/job")
    assert "Your project can be cancelled" in page.text
    done = client.post(
        "/cancel/job/confirm",
        data={"csrf": csrf_of(page.text), "statement": "I want to cancel my solar project."},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    status = client.get("/cancel/job").text
    assert "You can still change your mind until the end of" in status
    kinds = trail(api, "JOB-002")
    assert ("self_service_link_sent", "self_service") in kinds
    assert ("self_service_link_opened", "self_service") in kinds
    for kind in (
        "request_filed",
        "statement_attached",
        "request_verified",
        "workflow_cancel_pending",
    ):
        assert (kind, "self_service") in kinds, kind


def confirm(client: TestClient, statement: str = "Please cancel my project.") -> Response:
    page = client.get("/cancel/job")
    answer: Response = client.post(
        "/cancel/job/confirm",
        data={"csrf": csrf_of(page.text), "statement": statement},
        follow_redirects=False,
    )
    return answer


def test_a_beam_job_shows_the_rule_and_offers_no_cancel(api: Api) -> None:
    client = signed_in(api, "JOB-003")
    page = client.get("/cancel/job").text
    assert "We are unable to cancel this project" in page
    assert "Partner program is Beam or Concert (any milestone)" in page
    assert "Cancel my project" not in page
    # Posting anyway is the one cancel's refusal, on record: nothing is cancelled.
    refused = confirm(client)
    assert refused.status_code == 409
    assert "Your project cannot be cancelled online" in refused.text
    with api.ctx.uow() as uow:
        assert uow.jobs.get("JOB-003").status.value == "active"
        (request,) = uow.requests.for_job("JOB-003")
    assert request.outcome.value == "not_eligible"


def test_direct_pay_m1b_with_the_invoice_goes_to_deal_processing_with_the_homeowner_as_requester(
    api: Api,
) -> None:
    client = signed_in(api, "JOB-004")
    assert "Deal Processing decides on this project" in client.get("/cancel/job").text
    assert confirm(client).status_code == 303
    page = client.get("/cancel/job").text
    assert "Your request is with our Deal Processing team" in page
    with api.ctx.uow() as uow:
        (case,) = uow.cases.for_job("JOB-004")
        (request,) = uow.requests.for_job("JOB-004")
    assert case.requested_by.value == "homeowner"
    assert request.channel.value == "self_service"
    assert request.verified
    assert request.verification_method is VerificationMethod.EMAIL_LINK
    assert request.statement is not None
    assert request.statement.kind.value == "online_form"
    agent = api.client(Role.BACK_OFFICE)
    queue = agent.get(f"{API}/queues/back_office").json()
    assert case.id in str(queue)


def test_a_link_opens_once_and_a_reused_one_says_so(api: Api) -> None:
    client = api.anonymous()
    client.post("/cancel/", data={"target": "JOB-002"})
    token = link_sent_for(api, "JOB-002")
    assert (
        client.post("/cancel/link", data={"token": token}, follow_redirects=False).status_code
        == 303
    )
    again = api.anonymous().post("/cancel/link", data={"token": token})
    assert again.status_code == 400
    assert "This link has already been used" in again.text
    assert "Email me a new link" in again.text
    assert ("self_service_link_refused", "self_service") in trail(api, "JOB-002")


def test_a_link_older_than_30_minutes_has_expired(api: Api) -> None:
    client = api.anonymous()
    client.post("/cancel/", data={"target": "JOB-002"})
    token = link_sent_for(api, "JOB-002")
    api.clock.advance(timedelta(minutes=30))
    refused = client.post("/cancel/link", data={"token": token})
    assert refused.status_code == 400
    assert "This link has expired" in refused.text


def test_a_changed_link_is_tampered_and_never_found(api: Api) -> None:
    client = api.anonymous()
    client.post("/cancel/", data={"target": "JOB-002"})
    token = link_sent_for(api, "JOB-002")
    changed = ("A" if token[0] != "A" else "B") + token[1:]
    for bad in (changed, token[:-3], "", "x" * 43):
        refused = client.post("/cancel/link", data={"token": bad})
        assert refused.status_code == 400
        assert "This link is not valid" in refused.text


def test_the_homeowner_withdraws_inside_the_window_and_the_job_is_active_again(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    assert confirm(client).status_code == 303
    page = client.get("/cancel/job").text
    assert "Withdraw my cancellation" in page
    withdrawn = client.post(
        "/cancel/job/withdraw", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert withdrawn.status_code == 303
    with api.ctx.uow() as uow:
        assert uow.jobs.get("JOB-002").status.value == "active"
    assert ("workflow_restored", "self_service") in trail(api, "JOB-002")


def test_a_form_without_the_pages_csrf_token_changes_nothing(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    refused = client.post("/cancel/job/confirm", data={"csrf": "0" * 64, "statement": "Cancel."})
    assert refused.status_code == 403
    with api.ctx.uow() as uow:
        assert uow.requests.for_job("JOB-002") == []


def test_an_empty_statement_is_asked_for_next_to_the_field(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    answer = confirm(client, statement="   ")
    assert answer.status_code == 422
    assert "Type your statement, or upload it as a file." in answer.text


def test_an_uploaded_statement_is_kept_with_its_file_name(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    page = client.get("/cancel/job")
    done = client.post(
        "/cancel/job/confirm",
        data={"csrf": csrf_of(page.text), "statement": ""},
        files={"upload": ("letter.txt", b"I cancel my contract.", "text/plain")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with api.ctx.uow() as uow:
        (request,) = uow.requests.for_job("JOB-002")
    assert request.statement is not None
    assert request.statement.content == "I cancel my contract."
    assert request.statement.source_ref == "letter.txt"


def test_within_the_ftc_cooling_off_window_the_page_says_so_and_offers_the_notice(
    api: Api,
) -> None:
    with api.ctx.uow() as uow:
        job = uow.jobs.get("JOB-002")
        job.contract_signed_date = date(2026, 11, 21)
        uow.jobs.save(job)
        uow.commit()
    client = signed_in(api, "JOB-002")
    page = client.get("/cancel/job").text
    assert "three-day cooling-off period" in page
    notice = client.get("/cancel/job/notice")
    assert notice.status_code == 200
    assert "I HEREBY CANCEL THIS TRANSACTION." in notice.text


def test_staff_cannot_file_a_self_service_request_through_the_api(api: Api) -> None:
    agent = api.client(Role.AGENT)
    body: dict[str, object] = {
        "job_id": "JOB-002",
        "channel": "self_service",
        "requester_role": "homeowner",
        "requester_name": "Ben Reyes",
    }
    refused = agent.post(f"{API}/requests", json=body)
    assert refused.status_code == 403, refused.text
    assert "self-service page" in refused.json()["detail"]
    body |= {"channel": "phone", "statement": {"kind": "online_form", "content": "Cancel."}}
    assert agent.post(f"{API}/requests", json=body).status_code == 403


def test_the_page_without_a_session_offers_a_new_link(api: Api) -> None:
    answer = api.anonymous().get("/cancel/job")
    assert answer.status_code == 401
    assert "Your session has ended" in answer.text


def test_a_session_lasts_an_hour(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    api.clock.advance(timedelta(hours=1))
    assert client.get("/cancel/job").status_code == 401


def test_a_homeowner_who_chooses_spanish_reads_the_page_and_the_emails_in_spanish(
    api: Api,
) -> None:
    client = api.anonymous()
    chosen = client.post("/cancel/language", data={"language": "es"}, follow_redirects=False)
    assert chosen.status_code == 303
    assert "Cancele su proyecto solar" in client.get("/cancel/").text
    signed_in(api, "JOB-002", client)
    page = client.get("/cancel/job").text
    assert '<html lang="es">' in page
    assert "Su proyecto puede cancelarse" in page
    assert confirm(client).status_code == 303
    assert "Todavía puede cambiar de opinión hasta el final del" in client.get("/cancel/job").text
    with api.ctx.uow() as uow:
        assert uow.jobs.get("JOB-002").language is Language.ES
        emails = {e.kind: e for e in uow.outbox.for_job("JOB-002")}
    composer = Composer(ADDRESSES, api.ctx.tz)
    link = composer.compose(emails[EmailKind.SELF_SERVICE_LINK], now=api.ctx.now())
    assert link["Subject"] == "Su enlace para cancelar su proyecto solar JOB-002"
    notice = composer.compose(emails[EmailKind.CANCELLATION_NOTICE], now=api.ctx.now())
    assert notice["Subject"].startswith("Trabajo JOB-002 cancelado: Cancelación pendiente hasta")
    body = notice.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Hola, Ben Reyes:" in str(body.get_content())
    # Back to English on the page: stored on the job, on record.
    client.post("/cancel/language", data={"language": "en", "back": "job", "csrf": csrf_of(page)})
    assert "Your cancellation is under way" in client.get("/cancel/job").text
    assert ("self_service_language_chosen", "self_service") in trail(api, "JOB-002")


def test_a_refusal_reads_in_the_homeowners_language_not_in_the_services_english(
    api: Api,
) -> None:
    client = api.anonymous()
    client.post("/cancel/language", data={"language": "es"}, follow_redirects=False)
    signed_in(api, "JOB-003", client)
    refused = confirm(client)
    assert refused.status_code == 409
    assert "No pudimos hacerlo. Su proyecto no se puede cancelar en línea" in refused.text
    assert "Your project cannot be cancelled online" not in refused.text
    assert "rule 1" not in refused.text.lower()  # the staff-facing message stays off the page


def test_after_the_sweep_a_new_link_shows_the_final_confirmation(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    assert confirm(client).status_code == 303
    api.clock.advance(timedelta(days=30))
    assert sweep(api.ctx).finalized == 1
    page = signed_in(api, "JOB-002", api.anonymous()).get("/cancel/job").text
    assert "Your project is cancelled" in page
    assert "Your cancellation became final on" in page
    assert "Withdraw my cancellation" not in page


def test_withdrawing_after_the_window_has_ended_is_refused_and_nothing_changes(api: Api) -> None:
    client = signed_in(api, "JOB-002")
    assert confirm(client).status_code == 303
    page = client.get("/cancel/job").text
    api.clock.advance(timedelta(days=30))
    # The page is an hour old at most: a fresh session, the old form's moment long gone.
    fresh = signed_in(api, "JOB-002", api.anonymous())
    refused = fresh.post("/cancel/job/withdraw", data={"csrf": csrf_of(page)})
    assert refused.status_code == 403  # the old page's token is not this session's
    later = fresh.get("/cancel/job").text
    assert "The time to change your mind has ended" in later
    assert "Withdraw my cancellation" not in later
    csrf = csrf_of(later)
    refused = fresh.post("/cancel/job/withdraw", data={"csrf": csrf})
    assert refused.status_code == 409
    assert "We could not do that." in refused.text
    with api.ctx.uow() as uow:
        assert uow.jobs.get("JOB-002").status.value == "cancel_pending"


def test_two_tabs_opening_one_link_at_once_get_one_session_between_them(api: Api) -> None:
    api.anonymous().post("/cancel/", data={"target": "JOB-002"})
    token = link_sent_for(api, "JOB-002")
    barrier = threading.Barrier(2)

    def open_it(_: int) -> str:
        barrier.wait(timeout=30)
        try:
            return "session" if self_service.open_link(api.ctx, token) else ""
        except LinkRefused as refused:
            return refused.reason

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(open_it, range(2)))
    assert answers == ["session", "used"]
