"""The query parameters and the envelope every cursor-paged list shares.

``limit`` (1 … ``MAX_PAGE``) and ``cursor`` (the ``next_cursor`` of the page before) are
declared once here; ``page_out`` turns a service's ``Paged`` into the ``Page`` envelope, its
cursor the last item's key while more follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Query
from pydantic import BeforeValidator

from rescind.domain.errors import not_a_cursor
from rescind.entrypoints.api.deps import NO_NUL
from rescind.entrypoints.api.models import Page
from rescind.services.paging import MAX_PAGE, Paged

T = TypeVar("T")
Out = TypeVar("Out")

PageLimit = Annotated[
    int, Query(ge=1, le=MAX_PAGE, description=f"Items per page, at most {MAX_PAGE}.")
]
PageCursor = Annotated[
    str | None,
    Query(max_length=200, pattern=NO_NUL, description="`next_cursor` of the page before."),
    # `?cursor=` (empty) is the first page, as no cursor is: the schema allows it.
    BeforeValidator(lambda given: given or None),
]
DEFAULT_LIMIT = 50

# Numbered cursors (a trail's record number) fit a 32-bit key; a larger one was never handed out.
MAX_ROW_NUMBER = 2**31 - 1


def page_out(paged: Paged[T], out: Callable[[T], Out], key: Callable[[T], str]) -> Page[Out]:
    return Page[Out](
        items=[out(item) for item in paged.items],
        next_cursor=key(paged.items[-1]) if paged.more else None,
    )


def number_cursor(cursor: str | None) -> int:
    """A numbered list's cursor as its number (0: from the start)."""
    if cursor is None:
        return 0
    if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_ROW_NUMBER:
        raise not_a_cursor()
    return int(cursor)
