"""An iterator's items produced by a thread ahead of the one consuming them.

An import spends its time in two places that can run at once on two cores: parsing rows (in
Python) and writing the previous batch (in the database server, while our thread waits with
the GIL released). Reading ahead overlaps them. The queue is bounded, so memory stays a few
chunks however long the file; an error while reading is raised in the consumer, at the place
in the sequence where it happened; and a consumer that stops early stops the reader too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_PUT_WAIT_SECONDS = 0.1


def read_ahead(items: Iterable[T], *, chunk: int = 500, depth: int = 4) -> Generator[T]:
    """The same items in the same order, read by a background thread up to ``depth`` chunks of
    ``chunk`` items ahead."""
    ready: queue.Queue[list[T] | BaseException | object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(value: list[T] | BaseException | object) -> bool:
        while not stopped.is_set():
            try:
                ready.put(value, timeout=_PUT_WAIT_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        batch: list[T] = []
        try:
            for item in items:
                batch.append(item)
                if len(batch) >= chunk:
                    if not put(batch):
                        return
                    batch = []
        except BaseException as exc:  # handed to the consumer, raised after the items before it
            if not batch or put(batch):
                put(exc)
            return
        if not batch or put(batch):
            put(_DONE)

    reader = threading.Thread(target=read, name="read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            value = ready.get()
            if value is _DONE:
                return
            if isinstance(value, BaseException):
                raise value
            yield from value  # type: ignore[misc]
    finally:
        stopped.set()
        reader.join(timeout=5)
