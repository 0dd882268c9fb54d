"""Jobs over HTTP: listing with filters, keyset paging and text search, each role's scope,
the read-only eligibility decision and its replay, and importing Engine's CSV exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.adapters.csv_jobs import COLUMNS
from rescind.adapters.mail.inbound import parse_email
from rescind.domain.access import Role
from rescind.services.inbound import receive_email
from tests.api.conftest import API, JOBS, Api, if_match

PROBLEM_JSON = "application/problem+json"


def ids(client: TestClient, **params: Any) -> list[str]:
    answer = client.get(f"{API}/jobs", params=params)
    assert answer.status_code == 200, answer.text
    return [job["id"] for job in answer.json()["items"]]


def csv_row(job_id: str, **changes: str) -> str:
    values = {
        "job_id": job_id,
        "homeowner_id": f"HO-{job_id}",
        "homeowner_name": "Ivy Import",
        "homeowner_email": f"ivy.{job_id.lower()}@home.example",
        "homeowner_phone": "201-555-0199",
        "installer_id": "INST-1",
        "installer_name": "Sunny Roofs",
        "installer_email": "ops@sunny.example",
        "sales_rep_id": "REP-1",
        "sales_rep_name": "Sam Rep",
        "sales_rep_email": "sam@sales.example",
        "product_model": "regular",
        "milestone": "M1",
        "review_status": "not_submitted",
        "invoice_uploaded": "false",
        "system_photos_uploaded": "false",
        "partner_program": "none",
        "installer_signed": "true",
        "sales_rep_signed": "false",
        "contract_signed_date": "2026-10-01",
        "phase": "operations",
    }
    values.update(changes)
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(values[c] for c in COLUMNS)
    return line.getvalue()


def post_csv(client: TestClient, text: str | bytes) -> Any:
    return client.post(
        f"{API}/jobs/import",
        content=text.encode() if isinstance(text, str) else text,
        headers={"Content-Type": "text/csv"},
    )


# --- listing --------------------------------------------------------------------------------


def test_jobs_are_listed_by_id_and_filtered_by_each_fact(api: Api) -> None:
    agent = api.client(Role.AGENT)

    assert ids(agent) == JOBS
    assert ids(agent, milestone="M2") == ["JOB-003", "JOB-007"]
    assert ids(agent, product_model="direct_pay") == ["JOB-004", "JOB-006"]
    assert ids(agent, partner_program="beam") == ["JOB-003"]
    assert ids(agent, milestone="M2", partner_program="none") == ["JOB-007"]
    assert ids(agent, status="cancel_pending") == []


def test_the_status_filter_finds_a_job_once_it_is_cancel_pending(api: Api) -> None:
    installer = api.client(Role.INSTALLER)
    pressed = installer.post(
        f"{API}/jobs/JOB-002/cancel",
        json={"reason": "milestone_aged", "requester_name": "Ines Installer"},
        headers=if_match(installer, f"{API}/jobs/JOB-002/cancel"),
    )
    assert pressed.status_code == 200, pressed.text

    agent = api.client(Role.AGENT)
    assert ids(agent, status="cancel_pending") == ["JOB-002"]
    listed = agent.get(f"{API}/jobs", params={"status": "cancel_pending"}).json()["items"][0]
    assert listed["final_date"] == "2026-12-14"
    assert "JOB-002" not in ids(agent, status="active")


def test_an_unknown_filter_value_is_a_422_naming_the_parameter(api: Api) -> None:
    answer = api.client(Role.AGENT).get(f"{API}/jobs", params={"milestone": "M9", "limit": 0})

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"query.milestone", "query.limit"}


def test_pages_follow_the_cursor_until_there_is_no_next_one(api: Api) -> None:
    agent = api.client(Role.AGENT)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = agent.get(f"{API}/jobs", params=params).json()
        seen += [job["id"] for job in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == JOBS
    assert pages == 3
    exactly = agent.get(f"{API}/jobs", params={"limit": len(JOBS)}).json()
    assert exactly["next_cursor"] is None
    assert agent.get(f"{API}/jobs", params={"limit": 201}).status_code == 422


def test_text_search_finds_a_job_by_email_name_phone_or_id(api: Api) -> None:
    agent = api.client(Role.AGENT)

    assert ids(agent, q="ada.1@home.example") == ["JOB-001"]
    assert ids(agent, q="ADA.1@Home.Example") == ["JOB-001"]
    assert ids(agent, q="ada.1@home") == ["JOB-001"]  # an email matches from its start
    assert ids(agent, q="ada.1@other") == []
    assert ids(agent, q="Ben") == ["JOB-002"]
    assert ids(agent, q="ben  reyes") == ["JOB-002"]
    assert ids(agent, q="+1 555 010 0007") == ["JOB-007"]
    assert ids(agent, q="JOB-004") == ["JOB-004"]
    assert ids(agent, q="nobody") == []
    assert ids(agent, q="Cora", milestone="M1") == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Reyes", ["JOB-002"]),  # the surname
        ("REY", ["JOB-002"]),
        ("ben reyes", ["JOB-002"]),  # the full name
        ("dev.4@", ["JOB-004"]),  # the start of the email
        ("(555) 010-0007", ["JOB-007"]),  # the phone however it is typed
        ("555 010 0007", ["JOB-007"]),
        ("+15550100007", ["JOB-007"]),
        ("job-004", ["JOB-004"]),  # the job id in any case, without JOB- or zeros
        ("job-4", ["JOB-004"]),
        ("4", ["JOB-004"]),
    ],
)
def test_a_job_is_found_the_way_people_say_it(api: Api, typed: str, expected: list[str]) -> None:
    assert ids(api.client(Role.AGENT), q=typed) == expected


def test_the_list_filters_by_installer_within_the_readers_scope(api: Api) -> None:
    assert ids(api.client(Role.AGENT), installer_id="INST-2") == ["JOB-006"]
    assert ids(api.client(Role.AGENT), installer_id="INST-2", milestone="M1") == []
    # An installer asking for another company's jobs still sees only its own: none of these.
    assert ids(api.client(Role.INSTALLER), installer_id="INST-2") == []


# --- scope ----------------------------------------------------------------------------------


def test_an_installer_lists_and_reads_only_its_companys_jobs(api: Api) -> None:
    installer = api.client(Role.INSTALLER)

    assert ids(installer) == [j for j in JOBS if j != "JOB-006"]
    assert ids(installer, q="fay.6@home.example") == []
    assert ids(installer, product_model="direct_pay") == ["JOB-004"]
    assert installer.get(f"{API}/jobs/JOB-001").status_code == 200
    hidden = installer.get(f"{API}/jobs/JOB-006")
    assert hidden.status_code == 404
    assert hidden.json()["type"] == "/problems/not_found"


def test_a_sales_rep_and_a_homeowner_see_only_their_own_jobs(api: Api) -> None:
    assert ids(api.client(Role.SALES_REP)) == [j for j in JOBS if j != "JOB-006"]
    homeowner = api.client(Role.HOMEOWNER)
    assert ids(homeowner) == ["JOB-001"]
    assert homeowner.get(f"{API}/jobs/JOB-002").status_code == 404


def test_a_job_carries_its_version_as_the_etag(api: Api) -> None:
    answer = api.client(Role.AGENT).get(f"{API}/jobs/JOB-001")

    assert answer.status_code == 200
    assert answer.headers["ETag"] == f'"{answer.json()["version"]}"'
    assert answer.json()["homeowner"]["email"] == "ada.1@home.example"


# --- eligibility ----------------------------------------------------------------------------


def test_reading_the_eligibility_decision_records_nothing(api: Api) -> None:
    agent = api.client(Role.AGENT)
    trail_before = agent.get(f"{API}/jobs/JOB-004/audit").json()["items"]

    answer = agent.get(f"{API}/jobs/JOB-004/eligibility")

    assert answer.status_code == 200, answer.text
    decision = answer.json()
    assert decision["eligible"] is False
    assert decision["rule_number"] == 5
    assert decision["policy_version"] == 1
    assert decision["action"] == "escalate_to_deal_processing"
    assert decision["replayed_at"] is None
    assert agent.get(f"{API}/jobs/JOB-004/audit").json()["items"] == trail_before
    beam = agent.get(f"{API}/jobs/JOB-003/eligibility").json()
    assert (beam["eligible"], beam["rule_number"]) == (False, 1)


def test_a_replay_decides_on_the_facts_recorded_by_then(api: Api) -> None:
    agent = api.client(Role.AGENT)
    recorded_at = api.clock.now()
    installer = api.client(Role.INSTALLER)
    installer.post(
        f"{API}/jobs/JOB-002/cancel",
        json={"reason": "milestone_aged", "requester_name": "Ines Installer"},
        headers=if_match(installer, f"{API}/jobs/JOB-002/cancel"),
    )
    api.clock.advance(hours=1)

    later = agent.get(f"{API}/jobs/JOB-002/eligibility", params={"at": api.clock.now().isoformat()})
    before = agent.get(
        f"{API}/jobs/JOB-002/eligibility", params={"at": "2026-11-23T14:00:00+00:00"}
    )

    assert later.status_code == 200, later.text
    assert later.json()["rule_number"] == 2
    assert later.json()["facts_recorded_at"] is not None
    assert later.json()["replayed_at"] is not None
    assert before.json()["facts_recorded_at"] is None
    assert recorded_at.isoformat() >= "2026-11-23T14:00:00+00:00"
    naive = agent.get(f"{API}/jobs/JOB-002/eligibility", params={"at": "2026-11-23T14:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.at"


# --- importing ------------------------------------------------------------------------------


def test_an_import_keeps_the_good_rows_and_reports_the_bad_ones_by_line(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    text = "\n".join(
        [
            ",".join(COLUMNS),
            csv_row("JOB-101"),
            csv_row("JOB-102", milestone="M9"),
            csv_row("JOB-001"),  # already there
            csv_row("JOB-103", product_model="direct_pay", milestone="M1B"),
            csv_row("JOB-104", homeowner_email="not-an-email"),
        ]
    )

    answer = post_csv(admin, text + "\n")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["imported"] == 2
    by_line = {e["line"]: e["message"] for e in report["errors"]}
    assert sorted(by_line) == [3, 4, 6]
    assert "M9" in by_line[3]
    assert "already exists" in by_line[4]
    assert "not-an-email" in by_line[6]
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/jobs/JOB-103").json()["milestone"] == "M1B"
    assert ids(agent, q="ivy.job-101@home.example") == ["JOB-101"]


def test_an_import_refuses_a_job_id_mail_could_not_name_and_mail_finds_every_one_it_keeps(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)
    text = "\n".join(
        [
            ",".join(COLUMNS),
            csv_row("JOB-H14O"),
            csv_row("H14O"),
            csv_row("job-h14p"),
            csv_row("JOB-H1_4"),
        ]
    )

    answer = post_csv(admin, text + "\n")
    raw = (
        b"From: Neighbour <who@elsewhere.example>\r\nTo: support@rescind.example\r\n"
        b"Subject: please cancel job-h14o\r\nMessage-ID: <h14o@elsewhere.example>\r\n\r\n"
        b"Cancel it.\r\n"
    )
    received = receive_email(api.ctx, parse_email(raw), raw)

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["imported"] == 1
    by_line = {e["line"]: e["message"] for e in report["errors"]}
    assert sorted(by_line) == [3, 4, 5]
    assert all(
        "is not a job id: JOB- then capital letters and digits" in m for m in by_line.values()
    )
    # The one kept is named in an email, written in lower case, and the email finds it.
    assert (received.status.value, received.job_id) == ("filed", "JOB-H14O")


def test_an_import_refuses_two_addresses_in_one_field_and_stores_the_normalized_ones(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)
    text = "\n".join(
        [
            ",".join(COLUMNS),
            csv_row("JOB-111", homeowner_email="ann@victim.example,attacker@evil.example"),
            csv_row("JOB-112", sales_rep_email="Sam Rep <sam@sales.example>"),
            csv_row("JOB-113", homeowner_phone="12345"),
            csv_row(
                "JOB-114", homeowner_email="Ann@Victim.EXAMPLE", homeowner_phone="(973) 679-1234"
            ),
        ]
    )

    answer = post_csv(admin, text + "\n")

    assert answer.status_code == 200, answer.text
    by_line = {e["line"]: e["message"] for e in answer.json()["errors"]}
    assert sorted(by_line) == [2, 3, 4]
    assert by_line[2].startswith(
        "homeowner_email 'ann@victim.example,attacker@evil.example' is not one valid email address"
    )
    assert by_line[3].startswith("sales_rep_email 'Sam Rep <sam@sales.example>' is not one valid")
    assert by_line[4].startswith("homeowner_phone '12345' is not a valid phone number")
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/jobs/JOB-111").status_code == 404
    stored = agent.get(f"{API}/jobs/JOB-114").json()["homeowner"]
    assert (stored["email"], stored["phone"]) == ("Ann@victim.example", "+19736791234")
    # However the agent types it, with or without the country code.
    for typed in ("973-679-1234", "(973) 679", "+1 973 679 1234", "1-973-679"):
        assert ids(agent, q=typed) == ["JOB-114"], typed


def test_an_import_with_a_wrong_header_is_refused_whole(api: Api) -> None:
    admin = api.client(Role.ADMIN)

    answer = post_csv(admin, "job_id,homeowner_name\nJOB-201,Someone\n")

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    assert answer.json()["errors"][0]["field"] == "file"
    assert "homeowner_email" in answer.json()["detail"]
    assert ids(admin, q="JOB-201") == []
    assert post_csv(admin, b"\xff\xfe\x00garbage").status_code == 422


def test_only_an_admin_may_import(api: Api) -> None:
    answer = post_csv(api.client(Role.AGENT), ",".join(COLUMNS) + "\n" + csv_row("JOB-301"))

    assert answer.status_code == 403
    assert answer.json()["type"] == "/problems/forbidden"
    assert ids(api.client(Role.ADMIN), q="JOB-301") == []


def test_the_import_body_is_documented_as_csv_in_openapi(api: Api) -> None:
    schema = api.anonymous().get(f"{API}/openapi.json").json()

    body = schema["paths"][f"{API}/jobs/import"]["post"]["requestBody"]
    assert "text/csv" in body["content"]
