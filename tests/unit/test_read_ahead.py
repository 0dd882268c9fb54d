"""Reading ahead in a thread changes nothing the consumer sees: order, errors, early stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from rescind.adapters.read_ahead import read_ahead


def test_every_item_arrives_once_in_order_across_chunk_edges() -> None:
    assert list(read_ahead(range(1003), chunk=10, depth=2)) == list(range(1003))
    assert list(read_ahead([], chunk=10)) == []


def test_an_error_while_reading_is_raised_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield from range(25)
        raise ValueError("bad row 26")

    seen: list[int] = []
    with pytest.raises(ValueError, match="bad row 26"):
        seen.extend(read_ahead(items(), chunk=10))
    assert seen == list(range(25))


def test_a_consumer_that_stops_early_stops_the_reader_too() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while n < 1_000_000:
            produced.append(n)
            yield n
            n += 1

    ahead = read_ahead(endless(), chunk=10, depth=2)
    assert next(ahead) == 0
    ahead.close()
    assert not any(t.name == "read-ahead" for t in threading.enumerate())
    assert len(produced) < 1000  # bounded by depth x chunk, not the whole source
