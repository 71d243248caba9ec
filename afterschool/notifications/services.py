"""Writing notifications. Callers pass the people concerned; rows are written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from afterschool.accounts.models import User

from .models import Notification


def notify(
    *, recipients: Iterable[User | int], kind: str, title: str, body: str = "", link: str = "",
    data: dict[str, Any] | None = None,
) -> int:  # fmt: skip
    """Record one notification per distinct recipient (users or user ids). Returns how many were written."""
    ids = sorted({r if isinstance(r, int) else r.pk for r in recipients if r is not None})
    rows = [
        Notification(recipient_id=pk, kind=kind, title=title[:120], body=body[:2000], link=link[:255], data=data or {})
        for pk in ids
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
