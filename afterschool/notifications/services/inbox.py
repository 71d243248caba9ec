"""Writing notifications. Callers pass the people concerned; rows are written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from afterschool.accounts.models import User
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..models import Notification


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


def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when no ids are given)."""
    qs = scoped(Notification.objects.filter(read_at__isnull=True), actor)
    if ids is not None:
        qs = qs.filter(pk__in=[i for i in ids if isinstance(i, int) and 0 < i < 2**62])
    return qs.update(read_at=timezone.now())
