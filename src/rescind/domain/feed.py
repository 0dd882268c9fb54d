"""Comments on the homeowner's profile feed (Salesforce's feed, which rescind replaces)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rescind.domain.errors import InvalidInput

MAX_COMMENT_LENGTH = 5000


@dataclass(frozen=True)
class FeedComment:
    id: str
    homeowner_id: str
    job_id: str | None
    author: str
    body: str
    created_at: datetime
    automatic: bool = False

    def __post_init__(self) -> None:
        if not self.body.strip():
            raise InvalidInput("a feed comment cannot be empty", field="body")
        if len(self.body) > MAX_COMMENT_LENGTH:
            raise InvalidInput(
                f"a feed comment is at most {MAX_COMMENT_LENGTH} characters", field="body"
            )


def cancellation_comment(reason: str, final_at_text: str) -> str:
    """Step 5's automatic comment: the reason, so the next person sees why without digging."""
    why = reason.strip() or "homeowner request"
    return f"Workflow cancelled (Cancel Pending until {final_at_text}). Reason: {why}"
