"""Pages of a list: the one page-size limit, and the one way to read a page.

A list read clamps the asked-for size to ``MAX_PAGE`` and then asks storage for one row more
than that, so a full last page and a page with more behind it read differently. Clamping
after adding the one (as each list once did on its own) loses the difference exactly at the
maximum: a client paging by 200 stopped at 200.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

MAX_PAGE = 200  # the largest page any list serves (the API declares it as the maximum)

T = TypeVar("T")


def page_size(limit: int, *, most: int = MAX_PAGE) -> int:
    """``limit`` within 1 … ``most``: a caller's size never reaches storage unbounded."""
    return max(1, min(limit, most))


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    more: bool  # another page follows the last item


def read_page(read: Callable[[int], Sequence[T]], limit: int) -> Paged[T]:
    """A page of at most ``limit`` (clamped) items from ``read(n)``, which returns up to
    ``n`` rows in page order; ``read`` is asked for one more to learn whether more follow."""
    size = page_size(limit)
    rows = list(read(size + 1))
    return Paged(items=rows[:size], more=len(rows) > size)
