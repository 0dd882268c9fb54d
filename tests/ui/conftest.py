"""The console in a real browser against a real server.

One ``rescind serve`` process for the whole session, on a SQLite data directory of its own
(so it loads the 300 demo jobs and prints the demo logins), with its worker sending email to
an aiosmtpd server in this process every 0.2 s: a verification code really arrives by email.
Debian's chromium (``/usr/bin/chromium``, installed by ``make browser``; never a browser
download) is driven by Playwright; each test gets a fresh browser context, so its own cookies.

Tests pick the jobs they act on through the JSON API (``Demo.find``), each a job no other
test has taken, so they can share the one server in any order.

Screenshots go to ``RESCIND_SCREENSHOT_DIR`` when it is set (the README's come from
``RESCIND_SCREENSHOT_DIR=docs/screenshots``), else to a temporary directory: a test run does
not rewrite files in the work tree.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Error, Page, Playwright, expect, sync_playwright

# The API tests' app on both databases, for the console's pages over plain HTTP.
from tests.api.conftest import (  # noqa: F401 - fixtures, for pytest
    api,
    api_engine,
    api_postgres_engine,
    api_sqlite_template,
)
from tests.e2e.conftest import SQLITE_NAME, rescind_command
from tests.mail.conftest import Inbox, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 120.0
API = "/api/v1"
LAPTOP = {"width": 1024, "height": 720}


@pytest.fixture(scope="session")
def smtp_inbox() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@dataclass
class Demo:
    """The running server, its demo logins, and what the tests have taken from it."""

    base_url: str
    logins: dict[str, tuple[str, str]]
    inbox: Inbox
    taken: set[str] = field(default_factory=set)
    # Logins are rate limited (5 a minute per username): each role logs in once per session,
    # through the API for the tests' own reads and through the form for the browser.
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, list[Any]] = field(default_factory=dict)
    # Where the server keeps its data (its SQLite file) and its environment: to deliver mail
    # as ``rescind mail import`` would, or to set a row no click can reach in a test's time.
    data_dir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def deliver(self, name: str, raw: bytes) -> None:
        """Hand a received email to the running demo, as the mail importer does."""
        assert self.data_dir is not None
        folder = self.data_dir / f"mail-{name}"
        folder.mkdir()
        (folder / "message.eml").write_bytes(raw)
        done = subprocess.run(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), "mail", "import", str(folder)],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    def url(self, path: str) -> str:
        return self.base_url + path

    def once_ready(self, sql: str, params: tuple[Any, ...], *, timeout: float = 30) -> None:
        """Run ``sql`` on the server's own data until it finds or changes a row: a SELECT of
        the state the worker leaves, or an UPDATE whose WHERE names that state.

        The worker's record comes after what the test can see of its work (the SMTP server or
        the webhook receiver hears from it first): a page read in between shows the old state,
        and a row the test marks in between is overwritten by the worker's record.
        """
        assert self.data_dir is not None
        deadline = time.monotonic() + timeout
        with closing(sqlite3.connect(self.data_dir / SQLITE_NAME, timeout=timeout)) as db:
            while True:
                with db:
                    cursor = db.execute(sql, params)
                    if cursor.rowcount > 0 or cursor.fetchone() is not None:
                        return
                if time.monotonic() > deadline:
                    pytest.fail(f"no row was ready for {sql!r} {params} within {timeout} s")
                time.sleep(0.1)

    @contextmanager
    def api(self, role: str = "agent") -> Iterator[httpx.Client]:
        """The JSON API, logged in as the demo user of ``role``."""
        username, password = self.logins[role]
        with httpx.Client(base_url=self.base_url + API, timeout=30) as client:
            if role not in self.tokens:
                login = {"username": username, "password": password}
                answer = client.post("/auth/token", json=login)
                assert answer.status_code == 200, answer.text
                self.tokens[role] = answer.json()["access_token"]
            client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
            yield client

    def find(
        self, role: str = "agent", where: Callable[[dict[str, Any]], bool] = bool, **filters: str
    ) -> dict[str, Any]:
        """An active job (as the API shows it to ``role``) matching ``filters`` and
        ``where`` that no other test has taken; it is now this test's."""
        with self.api(role) as client:
            query = {"status": "active", "limit": "200", **filters}
            items: list[dict[str, Any]] = client.get("/jobs", params=query).json()["items"]
        for job in items:
            if job["id"] not in self.taken and where(job):
                self.taken.add(job["id"])
                return job
        pytest.fail(f"no untaken demo job with {filters} for {role}")

    def email_to(self, address: str, subject_part: str, *, timeout: float = 30) -> str:
        """The text of the newest email to ``address`` whose subject has ``subject_part``,
        waiting for the worker to send it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for received in reversed(list(self.inbox.received)):
                message = received.message
                if address in received.rcpt_tos and subject_part in str(message["Subject"]):
                    body = message.get_body(preferencelist=("plain",))
                    assert body is not None
                    return str(body.get_content())
            time.sleep(0.1)
        pytest.fail(f"no email to {address} about {subject_part!r} within {timeout} s")


def _demo_logins(out: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r"^  (\S+) / (\S+) / (\w+)", out, flags=re.MULTILINE)
    return {role: (username, password) for username, password, role in found}


@contextmanager
def served_demo(data_dir: Path, inbox: Inbox, **settings: str) -> Iterator[Demo]:
    """``rescind serve`` on a fresh SQLite data directory, with these ``RESCIND_*`` settings."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESCIND_")}
    env |= {
        "RESCIND_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RESCIND_DATA_DIR": str(data_dir),
        "RESCIND_WORKER_POLL_SECONDS": "0.2",
        # The tests' webhook receivers listen on 127.0.0.1, refused by default (SSRF guard).
        "RESCIND_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "NO_COLOR": "1",
        "COLUMNS": "200",
        **settings,
    }
    out_path, err_path = data_dir / "serve.out", data_dir / "serve.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), "serve", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdout=out,
            stderr=err,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"rescind serve exited early:\n{err_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/console/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"rescind serve did not answer:\n{err_path.read_text()}")
            time.sleep(0.2)
        yield Demo(base_url, _demo_logins(out_path.read_text()), inbox, data_dir=data_dir, env=env)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    errors = err_path.read_text()
    assert "Traceback" not in errors, errors


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, smtp_inbox: tuple[int, Inbox]) -> Iterator[Demo]:
    smtp_port, inbox = smtp_inbox
    data_dir = tmp_path_factory.mktemp("ui-server")
    smtp = {"RESCIND_SMTP_HOST": "127.0.0.1", "RESCIND_SMTP_PORT": str(smtp_port)}
    with served_demo(data_dir, inbox, **smtp) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`make browser`, or "
            "`apt-get install chromium`); these tests never download a browser",
            pytrace=False,
        )
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


# How long an action or an ``expect`` waits for the page. On a loaded CI machine (the suite
# shares 2 cores with the server, its worker and chromium) a page can take seconds; the
# assertions' own default (5 s) is shorter than the actions' and failed there first.
PAGE_TIMEOUT_MS = 15_000
expect.set_options(timeout=PAGE_TIMEOUT_MS)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP)  # type: ignore[arg-type]
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    opened = context.new_page()
    # Chromium reports a blocked script, style or frame as a console error: a page that needs
    # more than its Content-Security-Policy allows fails the test that opened it.
    violations: list[str] = []
    opened.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield opened
        assert violations == [], violations
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("RESCIND_SCREENSHOT_DIR")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


Shot = Callable[[Page, str], None]


@pytest.fixture
def shot(screenshot_dir: Path) -> Shot:
    """Save what the browser shows now as ``<name>.png`` (the viewport: small files)."""

    def take(page: Page, name: str) -> None:
        # A click that submits a form returns once the navigation has started: capture the
        # page it lands on, not the one being torn down.
        page.wait_for_load_state("load")
        # Chromium now and then refuses one capture ("Unable to capture screenshot") and takes
        # the same picture when asked again a moment later; a screenshot is a by-product of a
        # test, so that hiccup is retried rather than reported as the behaviour failing.
        for attempt in range(3):
            try:
                page.screenshot(path=screenshot_dir / f"{name}.png")
                return
            except Error as error:
                if "Unable to capture screenshot" not in str(error) or attempt == 2:
                    raise
                page.wait_for_timeout(250)

    return take


def log_in(page: Page, demo: Demo, role: str) -> None:
    """Through the login form the first time; later tests reuse that session's cookie."""
    if role in demo.cookies:
        page.context.add_cookies(demo.cookies[role])
        page.goto(demo.url("/console/"))
        page.get_by_role("button", name="Log out").wait_for()
        return
    username, password = demo.logins[role]
    page.goto(demo.url("/console/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
    demo.cookies[role] = list(page.context.cookies())


def log_out(page: Page, demo: Demo, role: str) -> None:
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    demo.cookies.pop(role, None)  # that session is revoked now
