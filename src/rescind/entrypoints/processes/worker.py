"""``rescind worker``: the time- and mail-driven half of rescind, as a plain polling loop.

Each round finalizes due windows (the sweep), seals the audit trail in a signed checkpoint
when one is due (every ``RESCIND_AUDIT_CHECKPOINT_SECONDS``, if a key is configured),
delivers due email (the outbox) and POSTs due webhooks (signed, per Standard Webhooks). Several
workers may run at once: both steps claim rows so no two take the same one. SIGTERM or
SIGINT ends the loop after the current round; a SIGKILL loses nothing, because a leased
message comes due again and a half-done batch was never committed.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Protocol

from rescind.adapters.db.outage import database_unavailable
from rescind.adapters.mail.compose import Composer
from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.bootstrap import Checkpointing, checkpointing, composer_for, poster_for, sender_for
from rescind.config import Settings
from rescind.domain.access import Actor
from rescind.domain.checkpoint import IssuedCheckpoint
from rescind.domain.errors import NotAllowed
from rescind.services.checkpoints import issue_checkpoint
from rescind.services.context import Context
from rescind.services.delivery import Carry, DeliveryReport, deliver_due
from rescind.services.sending import Sender
from rescind.services.sweep import SweepReport, sweep
from rescind.services.webhook_delivery import Poster, WebhookReport, deliver_due_webhooks

log = logging.getLogger("rescind.worker")
WORKER_ACTOR = Actor.system("worker")


@dataclass
class Round:
    swept: SweepReport
    delivered: DeliveryReport | None
    sealed: IssuedCheckpoint | None = None
    posted: WebhookReport | None = None


class RoundObserver(Protocol):
    """Told about every round of ``run_forever`` (the metrics count from it)."""

    def round_done(self, done: Round, seconds: float) -> None: ...

    def round_failed(self, seconds: float) -> None: ...


class Worker:
    def __init__(
        self,
        ctx: Context,
        composer: Composer,
        sender: Sender | None,
        *,
        poll_seconds: float = 5.0,
        sweep_batch: int = 500,
        send_batch: int = 50,
        observer: RoundObserver | None = None,
        checkpoints: Checkpointing | None = None,
        checkpoint_seconds: float = 3600.0,
        poster: Poster | None = None,
    ) -> None:
        self.ctx = ctx
        self.poster = poster
        self.checkpoints = checkpoints
        self.checkpoint_seconds = checkpoint_seconds
        self._next_checkpoint = 0.0  # time.monotonic(): the first round seals the trail
        self.observer = observer
        self.composer = composer
        self.sender = sender
        self.poll_seconds = poll_seconds
        self.sweep_batch = sweep_batch
        self.send_batch = send_batch
        self.stopping = threading.Event()
        # Outcomes the database missed while it was away, recorded first next round.
        self.carry = Carry()

    def run_once(self) -> Round:
        swept = sweep(self.ctx, batch_size=self.sweep_batch, stop=self.stopping.is_set)
        # Before delivery, so the checkpoint's email leaves in the same round.
        sealed = self._checkpoint_if_due()
        delivered = None
        if self.sender is not None and not self.stopping.is_set():
            delivered = deliver_due(
                self.ctx, self.composer, self.sender, batch_size=self.send_batch, carry=self.carry
            )
        posted = None
        if self.poster is not None and not self.stopping.is_set():
            posted = deliver_due_webhooks(self.ctx, self.poster, batch_size=self.send_batch)
        return Round(swept, delivered, sealed, posted)

    def _checkpoint_if_due(self) -> IssuedCheckpoint | None:
        setup = self.checkpoints
        if setup is None or self.stopping.is_set() or time.monotonic() < self._next_checkpoint:
            return None
        self._next_checkpoint = time.monotonic() + self.checkpoint_seconds
        try:
            issued = issue_checkpoint(
                self.ctx,
                setup.signer,
                setup.archive,
                actor=WORKER_ACTOR,
                email_to=setup.email_to,
                unless_unchanged=True,  # an idle trail is not sealed again and again
            )
        except NotAllowed as refused:
            # The trail lost sealed records: an alarm each interval, and the round goes on
            # (windows still finalize, email still leaves).
            log.error("%s", refused.message, extra={"alarm": "audit_trail_lost_records"})
            return None
        if issued is not None:
            log.info(
                "sealed the audit trail: %s (%d streams)",
                issued.name,
                issued.head.tree_size,
                extra={"checkpoint": issued.name, "root": issued.head.root},
            )
        return issued

    def run_forever(self) -> None:
        log.info("worker started (poll every %.1f s)", self.poll_seconds)
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                done = self.run_once()
            except Exception as error:
                # A database restart or a bug in one round must not end the worker; an outage
                # is expected weather (one line), anything else a bug (with its traceback).
                if database_unavailable(error):
                    log.warning(
                        "database unavailable (%s); retrying after the poll interval",
                        str(getattr(error, "orig", error)).strip().split("\n", 1)[0],
                    )
                else:
                    log.exception("worker round failed; retrying after the poll interval")
                if self.observer is not None:
                    self.observer.round_failed(time.perf_counter() - started)
            else:
                if self.observer is not None:
                    self.observer.round_done(done, time.perf_counter() - started)
                busy = done.swept.finalized or (done.delivered and done.delivered.handled)
                if done.posted is not None and done.posted.handled:
                    log.info(
                        "webhooks: %d delivered, %d retrying, %d failed",
                        len(done.posted.delivered),
                        len(done.posted.retrying),
                        len(done.posted.failed),
                    )
                    busy = True
                if busy:
                    log.info(
                        "finalized %d jobs; emails: %s",
                        done.swept.finalized,
                        "not sending (no SMTP server)"
                        if done.delivered is None
                        else f"{len(done.delivered.sent)} sent, {len(done.delivered.retrying)} "
                        f"retrying, {len(done.delivered.failed)} failed",
                        extra={"finalized": done.swept.finalized, **_delivery_counts(done)},
                    )
                    continue  # more may be due right away
            self.stopping.wait(self.poll_seconds)
        log.info("worker stopped")

    def stop_on_signals(self) -> None:
        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("received signal %d; finishing the current round", signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)


def _delivery_counts(done: Round) -> dict[str, int]:
    if done.delivered is None:
        return {}
    return {
        "sent": len(done.delivered.sent),
        "retrying": len(done.delivered.retrying),
        "failed": len(done.delivered.failed),
    }


def worker_for(
    ctx: Context,
    settings: Settings,
    observer: RoundObserver | None = None,
    *,
    demo_mailbox: DemoMailbox | None = None,
) -> Worker:
    """``demo_mailbox``: the embedded demo's (``rescind serve``), which takes every email
    instead of the SMTP server; a standalone ``rescind worker`` never has one."""
    # SQLite has one writer at a time (every transaction holds it, see adapters/db/engine.py):
    # smaller sweep batches keep the API's transactions from waiting behind a long one.
    embedded = settings.effective_database_url.startswith("sqlite")
    return Worker(
        ctx,
        composer_for(settings),
        demo_mailbox or sender_for(settings),
        checkpoints=checkpointing(settings),
        checkpoint_seconds=settings.audit_checkpoint_seconds,
        poll_seconds=settings.worker_poll_seconds,
        sweep_batch=100 if embedded else 500,
        observer=observer,
        poster=poster_for(settings),
    )
