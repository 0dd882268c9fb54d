"""The public form enumerates nothing: one answer (and one order of time) for every target,
and throttles per client and per target that refuse known and unknown alike."""

from __future__ import annotations

import statistics
import time

from fastapi.testclient import TestClient

from tests.api.conftest import Api
from tests.api.self_service import links_sent

KNOWN = ["JOB-002", "ben.2@home.example", "+1 555 010 0002", "(555) 010-0002"]
UNKNOWN = ["JOB-999", "nobody@home.example", "+1 555 010 9999", "(555) 999-0000"]


def from_client(api: Api, address: str) -> TestClient:
    return TestClient(api.app, base_url="http://testserver", client=(address, 50000))


def forget_limits(api: Api) -> None:
    api.app.state.rescind.throttle.clear()


def test_a_known_and_an_unknown_target_get_the_same_answer_byte_for_byte(api: Api) -> None:
    answers = set()
    for target in KNOWN + UNKNOWN:
        forget_limits(api)
        answer = from_client(api, "10.0.0.1").post("/cancel/", data={"target": target})
        assert answer.status_code == 200
        answers.add(answer.text)
    assert len(answers) == 1
    assert "If we have a job with that number, email or phone" in answers.pop()
    # The known ones did send: to the address on file, whichever way the job was named.
    assert links_sent(api, "JOB-002") == 3  # three links an hour for one job, then no more


def test_a_known_and_an_unknown_job_take_the_same_order_of_time(api: Api) -> None:
    client = from_client(api, "10.0.0.2")

    def took(target: str) -> float:
        forget_limits(api)
        started = time.perf_counter()
        assert client.post("/cancel/", data={"target": target}).status_code == 200
        return time.perf_counter() - started

    took("JOB-001")  # warm up
    known = statistics.median(took(job) for job in ("JOB-001", "JOB-002", "JOB-004") * 3)
    unknown = statistics.median(took(job) for job in ("JOB-901", "JOB-902", "JOB-904") * 3)
    assert max(known, unknown) / min(known, unknown) < 10, (known, unknown)


def test_one_client_asking_for_many_targets_is_throttled_known_or_not(api: Api) -> None:
    client = from_client(api, "10.0.0.3")
    for n in range(20):
        assert client.post("/cancel/", data={"target": f"JOB-{900 + n}"}).status_code == 200
    refusals = [client.post("/cancel/", data={"target": t}) for t in ("JOB-002", "JOB-999")]
    assert [r.status_code for r in refusals] == [429, 429]
    assert refusals[0].text == refusals[1].text
    assert int(refusals[0].headers["Retry-After"]) > 0
    # Another client is not held back by this one.
    assert (
        from_client(api, "10.0.0.4").post("/cancel/", data={"target": "JOB-002"}).status_code == 200
    )


def test_one_target_asked_for_from_many_clients_is_throttled_however_it_is_typed(
    api: Api,
) -> None:
    for n, spelling in enumerate(["nobody@home.example", " NOBODY@home.example "] * 3):
        answer = from_client(api, f"10.0.1.{n}").post("/cancel/", data={"target": spelling})
        assert answer.status_code == (200 if n < 5 else 429), n
    assert (
        from_client(api, "10.0.1.9").post("/cancel/", data={"target": "JOB-002"}).status_code == 200
    )


def test_an_empty_form_is_asked_again_next_to_the_field(api: Api) -> None:
    answer = from_client(api, "10.0.0.5").post("/cancel/", data={"target": "  "})
    assert answer.status_code == 422
    assert "Enter your job number, email address or phone number." in answer.text
