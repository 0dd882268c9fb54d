"""Security headers on every kind of response, on SQLite and PostgreSQL: no page can be
framed (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), nothing is type-sniffed,
referrers stay on this site, and each kind gets the Content-Security-Policy it needs (the
console: only its own static scripts and styles; JSON: nothing at all; the API docs: the
Swagger UI CDN and its one inline script, by hash)."""

from __future__ import annotations

import base64
import hashlib
import re
import warnings

import httpx

from rescind.domain.access import Role
from tests.api.conftest import API, Api, password_of

with warnings.catch_warnings():
    # As in tests/api/conftest.py: Starlette warns once, at import, that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REQUEST_LINK = re.compile(r'href="/console/requests/(REQ-[0-9a-f]+)"')


def directives(answer: httpx.Response) -> dict[str, str]:
    policy = str(answer.headers["content-security-policy"])
    found: dict[str, str] = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            found[name] = value
    return found


def assert_secured(answer: httpx.Response, what: str) -> dict[str, str]:
    headers = answer.headers
    assert headers["x-content-type-options"] == "nosniff", what
    assert headers["x-frame-options"] == "DENY", what
    assert headers["referrer-policy"] == "same-origin", what
    policy = directives(answer)
    assert policy["frame-ancestors"] == "'none'", what
    assert policy["base-uri"] == "'none'", what
    assert "unsafe-inline" not in policy.get("script-src", ""), what
    return policy


def console_client(api: Api, role: Role) -> TestClient:
    client = TestClient(api.app, base_url="http://testserver")
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token, form.text
    answer = client.post(
        "/console/login",
        data={"username": role.value, "password": password_of(role), "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def assert_console_page(answer: httpx.Response, what: str, status: int = 200) -> None:
    assert answer.status_code == status, (what, answer.text)
    policy = assert_secured(answer, what)
    assert policy["default-src"] == "'self'", what
    assert policy["script-src"] == "'self'", what
    assert policy["style-src"] == "'self'", what
    assert policy["form-action"] == "'self'", what
    assert policy["object-src"] == "'none'", what
    # What the policy allows is all the page uses: no inline script, style or handler.
    text = answer.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), what
    assert "<style" not in text, what
    assert " style=" not in text, what
    assert not re.search(r"\son[a-z]+=", text), what


def test_every_console_page_kind_carries_the_headers(api: Api) -> None:
    anonymous = TestClient(api.app, base_url="http://testserver")
    assert_console_page(anonymous.get("/console/login"), "login")
    assert_console_page(anonymous.get("/console/password"), "new password form")
    redirect = anonymous.get("/console/jobs", follow_redirects=False)
    assert redirect.status_code == 303
    assert_secured(redirect, "a redirect to the login")

    agent = console_client(api, Role.AGENT)
    assert_console_page(agent.get("/console/jobs"), "job list")
    assert_console_page(agent.get("/console/jobs?q=ada"), "search")
    assert_console_page(agent.get("/console/jobs/JOB-002"), "job page")
    start = agent.get("/console/jobs/JOB-002/cancel")
    assert_console_page(start, "wizard step 1")
    token = CSRF.search(start.text)
    assert token
    filed = agent.post(
        "/console/jobs/JOB-002/requests",
        data={
            "csrf_token": token[1],
            "channel": "phone",
            "requester_role": "homeowner",
            "requester_name": "Ben Reyes",
        },
    )
    assert filed.status_code == 200, filed.text
    assert_console_page(filed, "request page (after filing)")
    found = REQUEST_LINK.search(agent.get("/console/jobs/JOB-002").text)
    assert found, "the job page links its request"
    assert_console_page(agent.get(f"/console/requests/{found[1]}"), "request page")
    for queue in ("requests", "pending", "back-office", "triage", "failed-emails"):
        assert_console_page(agent.get(f"/console/queues/{queue}"), f"queue {queue}")
    assert_console_page(
        console_client(api, Role.DEAL_PROCESSING).get("/console/queues/deal-processing"),
        "queue deal-processing",
    )
    assert_console_page(agent.get("/console/no-such-page"), "404 page", status=404)
    assert_console_page(agent.get("/console/jobs/JOB-NOPE"), "job not found", status=404)
    assert_secured(agent.get("/console/static/console.js"), "static script")

    installer = console_client(api, Role.INSTALLER)
    assert_console_page(installer.get("/console/installer"), "installer portal")
    assert_console_page(installer.get("/console/jobs/JOB-001"), "installer's job page")


def test_the_api_json_docs_and_error_answers_carry_the_headers(api: Api) -> None:
    agent = api.client(Role.AGENT)
    for path, status in (
        (f"{API}/jobs", 200),
        (f"{API}/jobs/JOB-NOPE", 404),
        (f"{API}/openapi.json", 200),
        ("/api/v1/no-such-route", 404),
        ("/healthz", 200),
        ("/problems/not_found", 200),
    ):
        answer = agent.get(path)
        assert answer.status_code == status, (path, answer.text)
        assert assert_secured(answer, path)["default-src"] == "'none'", path
    assert assert_secured(agent.post(f"{API}/auth/token", json={}), "422")["default-src"]

    docs = api.anonymous().get(f"{API}/docs")
    assert docs.status_code == 200
    policy = assert_secured(docs, "API docs")
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"
    inline = re.findall(r"<script>(.*?)</script>", docs.text, flags=re.DOTALL)
    assert inline, "Swagger UI starts with an inline script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"].split()
    assert "'self'" in policy["script-src"].split()


def test_the_api_docs_load_nothing_from_another_host_so_they_work_offline(api: Api) -> None:
    client = api.anonymous()
    docs = client.get(f"{API}/docs")

    assert docs.status_code == 200
    assert not re.findall(r"(?:https?:)?//[\w.-]+", docs.text), "a URL naming another host"
    policy = assert_secured(docs, "API docs")
    assert not [s for s in " ".join(policy.values()).split() if "://" in s or "." in s]
    referenced = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert len(referenced) >= 3, referenced  # the script, the style and the icon
    for url in referenced:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


def test_an_unexpected_error_answer_carries_the_headers_too(api: Api) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    api.app.add_api_route("/boom", boom)
    answer = TestClient(api.app, raise_server_exceptions=False).get("/boom")

    assert answer.status_code == 500
    assert assert_secured(answer, "500")["default-src"] == "'none'"
