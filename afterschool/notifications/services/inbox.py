"""Writing notifications (§5.4.5). Callers pass the people concerned; the in-app rows and their deliveries over the
channels each person chose for that kind are written in the caller's transaction. Only after it commits are the
open pages told (signals.unread_changed) and the deliveries handed to the background task, so a rolled-back
action notifies nobody and a failing channel never touches the action."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from afterschool.accounts.models import User
from afterschool.tenancy.actor import Actor

from ..choices import Channel
from ..models import Delivery, Notification, NotificationPreference
from ..selectors import inbox as selectors
from ..signals import unread_changed

logger = logging.getLogger("afterschool.notifications")


def unread_changed_on_commit(user_ids: Iterable[int]) -> None:
    """Tell the live push, once the transaction commits, whose unread count may have changed."""
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(partial(_send_unread_changed, ids), robust=True)


def _send_unread_changed(user_ids: list[int]) -> None:
    for _receiver, result in unread_changed.send_robust(sender=Notification, user_ids=user_ids):
        if isinstance(result, Exception):
            logger.error("notifications: an unread_changed receiver failed", exc_info=result)


def _after_commit(user_ids: list[int], delivery_ids: list[int]) -> None:
    from .delivery import deliveries_enqueue

    try:
        _send_unread_changed(user_ids)
    finally:
        if delivery_ids:
            deliveries_enqueue(delivery_ids)


def notify(
    *, recipients: Iterable[User | int], kind: str, title: str, body: str = "", link: str = "",
    data: dict[str, Any] | None = None,
) -> int:  # fmt: skip
    """Record one notification per distinct recipient (users or user ids), and one delivery per channel the
    recipient chose for this kind (none chosen: in-app only). Returns how many notifications were written."""
    ids = sorted({r if isinstance(r, int) else r.pk for r in recipients if r is not None})
    if not ids:
        return 0
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk, kind=kind, title=title[:120], body=body[:2000], link=link[:255], data=data or {}
            )
            for pk in ids
        ]
    )
    chosen = channels_by_user(user_ids=ids, kind=kind)
    deliveries = [
        Delivery(notification_id=row.pk, channel=channel)
        for row in rows
        for channel in chosen.get(row.recipient_id, ())
    ]
    if deliveries:
        deliveries = Delivery.objects.bulk_create(deliveries)
    transaction.on_commit(partial(_after_commit, ids, [d.pk for d in deliveries]), robust=True)
    return len(rows)


def channels_by_user(*, user_ids: list[int], kind: str) -> dict[int, list[str]]:
    """The channels (besides in-app) each of these people chose for `kind`: one query."""
    chosen: dict[int, list[str]] = {}
    prefs = NotificationPreference.objects.filter(kind=kind, user_id__in=user_ids).values_list("user_id", "channels")
    for user_id, channels in prefs:
        valid = [c for c in Channel.values if c in (channels or [])]
        if valid:
            chosen[user_id] = valid
    return chosen


@transaction.atomic
def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when no ids are given). Returns how many."""
    qs = selectors.own_notifications(actor=actor).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=[i for i in ids if isinstance(i, int) and 0 < i < 2**62])
    marked = qs.update(read_at=timezone.now())
    if marked and actor.user_id is not None:
        unread_changed_on_commit([actor.user_id])
    return marked


@transaction.atomic
def notification_open(*, actor: Actor, notification_id: int) -> Notification:
    """The actor opens one of its own notifications: it becomes read. Another's is NotFound."""
    notification = selectors.notification_get(actor=actor, notification_id=notification_id)
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            unread_changed_on_commit([notification.recipient_id])
        notification.read_at = now
    return notification
