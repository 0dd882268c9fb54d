"""The ``rescind`` command line: a thin adapter from words to service calls.

Every error reaches the user as one line on stderr and a non-zero exit code — never a
traceback: 2 bad input, 3 not found, 4 not allowed by the procedure, 5 conflict, 1 anything else.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from alembic.util.exc import CommandError
from prometheus_client import start_http_server
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.exc import SQLAlchemyError

from rescind.adapters.checkpoint_archive import DirectoryArchive
from rescind.adapters.csv_jobs import count_rows, read_jobs
from rescind.adapters.db.engine import make_session_factory
from rescind.adapters.db.migrate import check, upgrade
from rescind.adapters.db.outage import database_unavailable
from rescind.adapters.db.repositories.insights import rebuild
from rescind.adapters.mail.receiving_server import ReceivingServer
from rescind.adapters.read_ahead import read_ahead
from rescind.adapters.signing import generate_key, load_verifier
from rescind.bootstrap import App, Checkpointing, checkpointing
from rescind.config import Settings
from rescind.domain.access import Actor
from rescind.domain.audit import AuditChannel
from rescind.domain.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    RescindError,
)
from rescind.domain.wording import count
from rescind.entrypoints.cli import demo as demo_data
from rescind.entrypoints.cli import wiring
from rescind.entrypoints.cli.policy_simulate import policy_simulate
from rescind.entrypoints.cli.render import (
    print_decision,
    print_overview,
    print_policy,
    print_trail_check,
)
from rescind.entrypoints.cli.requests import requests_app
from rescind.entrypoints.cli.users import users_app
from rescind.entrypoints.cli.webhooks import webhooks_app
from rescind.entrypoints.processes.logs import configure_logging
from rescind.entrypoints.processes.mail import import_messages, start_receiver
from rescind.entrypoints.processes.metrics import BacklogCollector, WorkerMetrics, process_registry
from rescind.entrypoints.processes.serve import serve as serve_api
from rescind.entrypoints.processes.worker import worker_for
from rescind.services.audit import verify_trail
from rescind.services.calendar import add_company_holiday, remove_company_holiday
from rescind.services.cancellation import restore_workflow
from rescind.services.checkpoints import issue_checkpoint, prove_job, verify_against_checkpoint
from rescind.services.eligibility import check_eligibility, replay_eligibility
from rescind.services.importing import import_jobs
from rescind.services.ports import SignatureVerifier
from rescind.services.queries import job_overview
from rescind.services.sweep import sweep as run_sweep

CLI_ACTOR = Actor.system("cli")
worker_log = logging.getLogger("rescind.worker")

app = typer.Typer(
    cls=wiring.CommandLine,
    help="rescind: the job-cancellation procedure, end to end.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="Jobs: import and look up.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
policy_app = typer.Typer(help="Eligibility policy versions.", no_args_is_help=True)
holiday_app = typer.Typer(help="Company holidays (the operations calendar).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
policy_app.command("simulate")(policy_simulate)
app.add_typer(holiday_app, name="holiday")
mail_app = typer.Typer(
    help="Email for support: receive it, import saved messages.", no_args_is_help=True
)
app.add_typer(mail_app, name="mail")
app.add_typer(users_app, name="users")
app.add_typer(requests_app, name="requests")
app.add_typer(webhooks_app, name="webhooks")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_CODES: list[tuple[type[RescindError], int]] = [
    (InvalidInput, 2),
    (NotFound, 3),
    (NotAllowed, 4),
    (Conflict, 5),
]


def _app() -> App:
    return wiring.application()


@app.callback()
def _prepare_database(context: typer.Context) -> None:
    # Once per run, before any command that uses the database; see ``wiring``.
    if wiring.needs_database(context):
        wiring.prepare()


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a moment like 2026-11-30T12:00:00-05:00", field="at"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{text!r} needs a UTC offset, e.g. 2026-11-30T12:00:00-05:00")
    return moment


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the latest version."""
    url = wiring.settings().effective_database_url
    upgrade(url)
    out.print("database schema is up to date")


@db_app.command("check")
def db_check() -> None:
    """Fail if the table models and the migrations disagree (the database must be at head)."""
    check(wiring.settings().effective_database_url)
    out.print("models and migrations agree")


@db_app.command("recount-insights")
def db_recount_insights() -> None:
    """Count the whole audit trail into the insights' counters again (a database upgraded
    with a trail already in it, or to check the counters)."""
    application = _app()
    with make_session_factory(application.engine)() as session:
        counted = rebuild(session, application.settings.tz)
        session.commit()
    out.print(f"counted {counted:,} audit records into the insights")


@app.command()
def demo(
    jobs: Annotated[int, typer.Option(min=10, max=100_000, help="How many jobs.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed, for the same data each time.")] = 7,
) -> None:
    """Load a realistic demo data set and walk one cancellation through the procedure."""
    demo_data.run(_app(), out, jobs=jobs, seed=seed)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (PostgreSQL only; e.g. one a core).",
        ),
    ] = 1,
) -> None:
    """Start the HTTP API (a new SQLite database gets demo data and demo logins first)."""
    application = _app()
    _log_like(application.settings)
    serve_api(application, out, host=host, port=port, workers=workers)


@jobs_app.command("import")
def jobs_import(
    file: Annotated[Path, typer.Argument(help="A CSV export of jobs.")],
    allow_rejects: Annotated[
        bool,
        typer.Option(
            "--allow-rejects",
            help="Exit 0 even when some rows were rejected (they are still reported).",
        ),
    ] = False,
) -> None:
    """Import jobs from CSV: good rows are kept, bad rows reported by line number.

    Exit status: 0 every row imported; 2 any row rejected (the good rows are kept and the
    summary printed; with --allow-rejects, 0), or a file that cannot be read at all.
    """
    application = _app()
    total = count_rows(file) if file.is_file() else 0
    # A batch's worth parsed ahead (10 × 500 rows): parsing goes on while both writers wait.
    rows = read_ahead(read_jobs(file), depth=10)
    with _bar("importing") as bar:
        task = bar.add_task("import", total=total)
        report = import_jobs(
            application.ctx,
            rows,
            actor=CLI_ACTOR,
            progress=lambda n: bar.advance(task, n),
            # A server writes two batches at once, one a core, while the next rows are parsed;
            # SQLite takes one writer at a time.
            writers=1 if application.engine.dialect.name == "sqlite" else 2,
            # Fewer, larger statements: the installers and reps every batch names are read
            # once per 5,000 rows, not per 1,000.
            batch_size=5000,
        )
    for problem in report.errors[:50]:
        err.print(f"line {problem.line}: {problem.message}", markup=False)
    if len(report.errors) > 50:
        err.print(f"… and {count(len(report.errors) - 50, 'more bad row')}", markup=False)
    out.print(
        f"imported {count(report.imported, 'job')}; {count(len(report.errors), 'row')} rejected"
    )
    if report.errors and not allow_rejects:
        # A rejected row is bad input, as everywhere else (2); a script that accepts a
        # partial import says so with --allow-rejects rather than reading the summary.
        raise typer.Exit(2)


def _bar(doing: str) -> Progress:
    """A progress bar on stderr, gone when done; none off a terminal (a transient bar still
    leaves a blank line there)."""
    return Progress(
        TextColumn(doing),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


class _BarProgress:
    """A trail check's progress on a bar (``TrailProgress``)."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._task = bar.add_task("records", total=None)

    def started(self, records: int) -> None:
        self._bar.update(self._task, total=records)

    def checked(self, records: int) -> None:
        self._bar.advance(self._task, records)


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """Everything about one job: status, decision, requests, cases, feed and audit trail."""
    application = _app()
    print_overview(
        out, job_overview(application.ctx, job_id, actor=CLI_ACTOR), application.settings.tz
    )


@app.command()
def eligibility(
    job_id: str,
    at: Annotated[
        str | None,
        typer.Option(
            help="Replay the decision as of this moment (ISO 8601): a past one, or a future one to "
            "preview a scheduled policy version."
        ),
    ] = None,
) -> None:
    """Decide whether support may cancel a job (recorded), or replay a past decision."""
    application = _app()
    if at is None:
        decision = check_eligibility(
            application.ctx, job_id, actor=CLI_ACTOR, channel=AuditChannel.CLI
        )
        print_decision(out, decision)
        return
    replay = replay_eligibility(application.ctx, job_id, _parse_moment(at), actor=CLI_ACTOR)
    print_decision(out, replay.decision)
    source = (
        f"facts as recorded at {replay.facts_recorded_at.isoformat()}"
        if replay.facts_recorded_at
        else "current facts (no decision was recorded by then)"
    )
    out.print(f"replayed as of {replay.at.isoformat()} on {source}")


@app.command()
def restore(
    job_id: str,
    why: Annotated[str, typer.Option(help="Why the job is restored (the signers are told).")],
) -> None:
    """Restore a cancel-pending job to active (only inside its 14-business-day window)."""
    job = restore_workflow(_app().ctx, job_id, actor=CLI_ACTOR, channel=AuditChannel.CLI, why=why)
    out.print(f"job {job.id} is {job.status.value} again")


@app.command()
def sweep(
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
) -> None:
    """Finalize every job whose Cancel Pending window has ended."""
    report = run_sweep(_app().ctx, batch_size=batch_size)
    out.print(f"finalized {report.finalized} jobs in {report.batches} batches")


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="Also prove every stream still holds what this checkpoint file sealed "
            "(finds a tail cut with its head moved back, a deleted stream, a rewrite)."
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="The trusted public key (PEM) the checkpoint must be signed with; default: "
            "the public half of RESCIND_AUDIT_SIGNING_KEY."
        ),
    ] = None,
) -> None:
    """Check every stream's hash chain; exits 1 if anything was changed or removed."""
    application = _app()
    with _bar("verifying") as bar:
        progress = _BarProgress(bar)
        if checkpoint is None:
            check = verify_trail(application.ctx, actor=CLI_ACTOR, progress=progress)
        else:
            trusted = _trusted_key(application.settings, public_key)
            document = _read_text(checkpoint, "--checkpoint")
            check = verify_against_checkpoint(
                application.ctx, document, trusted, actor=CLI_ACTOR, progress=progress
            )
    print_trail_check(out, check)
    if not check.ok:
        raise typer.Exit(1)


@audit_app.command("keygen")
def audit_keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the new private key (0600).")],
) -> None:
    """Create an Ed25519 signing key for checkpoints and print its public key."""
    verifier = generate_key(path)
    out.print(verifier.pem(), end="", markup=False)
    out.print(f"key id {verifier.key_id}; private key written to {path} (mode 0600)", markup=False)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Seal and sign the head of every stream now; write it out (and email it)."""
    application = _app()
    setup = _checkpointing(application.settings)
    issued = issue_checkpoint(
        application.ctx, setup.signer, setup.archive, actor=CLI_ACTOR, email_to=setup.email_to
    )
    assert issued is not None  # only the worker skips an unchanged trail
    head = issued.head
    out.print(
        f"checkpoint {setup.archive.directory / issued.name}: {head.tree_size} streams, "
        f"root {head.root}",
        markup=False,
    )
    if setup.email_to:
        out.print(f"its signed head is queued to {setup.email_to}", markup=False)


@audit_app.command("prove")
def audit_prove(
    job_id: str,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the proof here instead of stdout.")
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(help="The key the latest checkpoint must be signed with (PEM)."),
    ] = None,
) -> None:
    """A job's records with the inclusion proof of its trail in the latest checkpoint."""
    application = _app()
    archive = _archive(application.settings)
    trusted = _trusted_key(application.settings, public_key)
    proof = prove_job(application.ctx, job_id, archive, trusted, actor=CLI_ACTOR)
    text = json.dumps(proof.bundle(), indent=2, ensure_ascii=False) + "\n"
    if out_file is None:
        out.print(text, end="", markup=False, highlight=False)
        return
    out_file.write_text(text, encoding="utf-8")
    out.print(
        f"proof of {len(proof.records)} records of job {job_id} (leaf {proof.leaf_index} of "
        f"{proof.checkpoint.head.tree_size}) written to {out_file}",
        markup=False,
    )


def _checkpointing(settings: Settings) -> Checkpointing:
    setup = checkpointing(settings)
    if setup is None:
        raise InvalidInput(
            "RESCIND_AUDIT_SIGNING_KEY is not set; create a key with `rescind audit keygen "
            "PATH` and point it there",
            field="audit_signing_key",
        )
    return setup


def _archive(settings: Settings) -> DirectoryArchive:
    if settings.audit_checkpoint_dir is None:
        raise InvalidInput(
            "RESCIND_AUDIT_CHECKPOINT_DIR is not set: the checkpoints are kept there",
            field="audit_checkpoint_dir",
        )
    return DirectoryArchive(settings.audit_checkpoint_dir)


def _trusted_key(settings: Settings, public_key: Path | None) -> SignatureVerifier:
    if public_key is not None:
        return load_verifier(public_key)
    return _checkpointing(settings).signer.verifier()


def _read_text(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(f"{option}: cannot read {path} ({e})", field=option) from None


@policy_app.command("show")
def policy_show(
    version: Annotated[int | None, typer.Option(help="A version; default: in force now.")] = None,
) -> None:
    """Print the eligibility decision table."""
    application = _app()
    with application.ctx.uow() as uow:
        history = uow.policies.history()
    if version is None:
        table = history.in_force_at(application.ctx.now())
    else:
        table = history.version(version)
    print_policy(out, table)


@holiday_app.command("add")
def holiday_add(day: Annotated[str, typer.Argument(help="YYYY-MM-DD")], name: str) -> None:
    """Add a company holiday; pending windows that span it move, each with an audit event."""
    change = add_company_holiday(_app().ctx, _parse_day(day), name, actor=CLI_ACTOR)
    out.print(
        f"calendar version {change.calendar_version}: {change.windows_moved} pending windows moved"
    )


@holiday_app.command("remove")
def holiday_remove(day: Annotated[str, typer.Argument(help="YYYY-MM-DD")]) -> None:
    """Remove a company holiday; pending windows are recomputed."""
    change = remove_company_holiday(_app().ctx, _parse_day(day), actor=CLI_ACTOR)
    out.print(
        f"calendar version {change.calendar_version}: {change.windows_moved} pending windows moved"
    )


@holiday_app.command("list")
def holiday_list() -> None:
    """Company holidays (federal holidays come from the calendar itself)."""
    with _app().ctx.uow() as uow:
        holidays = uow.calendar.company_holidays()
        version = uow.calendar.version()
    out.print(f"calendar version {version}")
    for day, name in sorted(holidays.items()):
        out.print(f"{day.isoformat()}  {name}", markup=False)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run one round and exit (for cron or tests).")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve Prometheus metrics on this port (off unless given).",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="The address the metrics listen on.")
    ] = "127.0.0.1",
) -> None:
    """Finalize ended windows and deliver the outbox, until SIGTERM."""
    application = _app()
    _log_like(application.settings)
    observer = None
    if metrics_port is not None:
        registry = process_registry()
        observer = WorkerMetrics(registry)
        # The backlog too, so a deployment without an API scraped still sees its queues.
        registry.register(BacklogCollector(application.probe))
        start_http_server(metrics_port, addr=metrics_host, registry=registry)
        worker_log.info("metrics on http://%s:%d/metrics", metrics_host, metrics_port)
    loop = worker_for(application.ctx, application.settings, observer)
    if loop.sender is None:
        # A log record, not a print: in JSON mode every line on stderr must be JSON.
        worker_log.warning("RESCIND_SMTP_HOST is not set; emails stay queued in the outbox")
    if loop.checkpoints is None:
        worker_log.warning(
            "RESCIND_AUDIT_SIGNING_KEY is not set; the worker issues no audit checkpoints"
        )
    if once:
        done = loop.run_once()
        sent = "not sending" if done.delivered is None else f"{len(done.delivered.sent)} sent"
        sealed = f"; sealed the audit trail in {done.sealed.name}" if done.sealed else ""
        out.print(f"finalized {done.swept.finalized} jobs; emails: {sent}{sealed}")
        return
    loop.stop_on_signals()
    loop.run_forever()


@mail_app.command("serve")
def mail_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="SMTP port.")] = 2525,
) -> None:
    """Receive support email over SMTP; each message becomes a request or a triage item."""
    application = _app()
    settings = application.settings
    _log_like(settings)
    ids = settings.trusted_authserv_ids
    checking = ReceivingServer(ids[0]) if settings.mail_verify_dkim else None
    controller = start_receiver(application.ctx, host, port, authserv_ids=ids, checking=checking)
    out.print(f"receiving support email on {host}:{port} (Ctrl-C to stop)")
    if checking is not None:
        out.print(f"checking DKIM here; results are written as {checking.authserv_id}")
    elif not ids:
        out.print(
            "no email will be marked verified: set RESCIND_MAIL_AUTHSERV_IDS to the receiving "
            "server's authserv-id, or RESCIND_MAIL_VERIFY_DKIM=true to check DKIM here"
        )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@mail_app.command("import")
def mail_import(
    path: Annotated[Path, typer.Argument(help="An .eml file or a folder of them.")],
) -> None:
    """Take saved messages as if they had just arrived."""
    application = _app()
    ids = application.settings.trusted_authserv_ids
    done = import_messages(application.ctx, path, authserv_ids=ids)
    for file, result in done.received:
        where = f" job {result.job_id} request {result.request_id}" if result.job_id else ""
        verified = f" (verified: {result.verification_note})" if result.verified else ""
        reason = f": {result.reason}" if result.reason else ""
        out.print(f"{file.name}: {result.status.value}{where}{verified}{reason}", markup=False)
    for file, why in done.skipped:
        err.print(f"skipped {file.name}: {why}", markup=False)
    skipped = f"; {len(done.skipped)} skipped" if done.skipped else ""
    out.print(f"{count(len(done.received), 'message')} imported{skipped}")


def _log_like(settings: Settings) -> None:
    """The long-running commands log at RESCIND_LOG_LEVEL in RESCIND_LOG_FORMAT (the others
    keep the one-line warnings set up in ``main``)."""
    configure_logging(settings.log_format, settings.log_level)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2026-12-24", field="day") from None


def main() -> None:
    """Run the CLI, turning every failure into one line and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        _exit_with("aborted", 1)
    except RescindError as e:
        code = next((c for kind, c in EXIT_CODES if isinstance(e, kind)), 1)
        _exit_with(e.message, code)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        # pydantic prefixes a validator's message with "Value error, "; the user needs only ours.
        message = first["msg"].removeprefix("Value error, ")
        _exit_with(f"bad setting RESCIND_{where.upper()}: {message}", 2)
    except CommandError as e:
        _exit_with(f"migrations: {e}", 1)
    except SQLAlchemyError as e:
        cause = str(e.orig if hasattr(e, "orig") else e).strip().split("\n", 1)[0]
        if database_unavailable(e):
            _exit_with(f"database unavailable: {cause}; retry once it is back", 1)
        _exit_with(f"database error: {cause}", 1)
    except OSError as e:
        _exit_with(f"{e.strerror or e}: {e.filename or ''}".strip(": "), 1)
    except Exception as e:
        _usage_error(e)


def _usage_error(error: Exception) -> NoReturn:
    """Typer's own (vendored click) usage errors: help when asked for nothing, else one line."""
    show = getattr(error, "show", None)
    if type(error).__name__ == "NoArgsIsHelpError" and callable(show):
        show()
        sys.exit(0)
    message = getattr(error, "format_message", None)
    if not callable(message):
        raise error
    context = getattr(error, "ctx", None)
    path = getattr(context, "command_path", "rescind")
    _exit_with(f"{message()} (see `{path} --help`)", getattr(error, "exit_code", 2))


def _exit_with(message: str, code: int) -> NoReturn:
    err.print(f"error: {message.splitlines()[0] if message else 'failed'}", markup=False)
    sys.exit(code)


if __name__ == "__main__":
    main()
