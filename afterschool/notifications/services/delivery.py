"""Delivery of notifications over SMS and WeChat (§5.4.5): after the causing transaction commits, a task sends each
delivery through its channel's backend; a failure is retried with back-off (1, 5, 15, 60 minutes) and given up
after 5 attempts or at once when the channel can never take it. Nothing here ever raises into the action that
caused the notification.

Two workers never send one delivery twice: a worker claims due rows under a short row lock
(select_for_update(skip_locked)) by setting a lease in next_attempt_at, so the rows are no longer due for anyone
else; it then calls the backend outside the lock and records the outcome. A worker that dies mid-send leaves the
lease to expire, and retry_deliveries picks the row up again."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..channels import ChannelError, PermanentChannelError, backend_for
from ..choices import DeliveryStatus
from ..models import Delivery

logger = logging.getLogger("afterschool.notifications")

BACKOFF_MINUTES = (1, 5, 15, 60)
MAX_ATTEMPTS = 5
CLAIM_LEASE = dt.timedelta(minutes=10)  # longer than any provider call of one batch may take
CLAIM_BATCH = 50
ENQUEUE_CHUNK = 500
LOST_ENQUEUE_AFTER = dt.timedelta(minutes=2)
RETRY_LIMIT = 2000
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try after `attempts` failed ones (1 → 1 minute … 4 and more → 60 minutes)."""
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def _due(now: dt.datetime) -> Q:
    return Q(status__in=OPEN) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _clean_ids(ids: Iterable[Any]) -> list[int]:
    return sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**62})


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Hand new deliveries to the worker (after commit). A lost enqueue is not fatal: retry_deliveries finds
    PENDING rows older than two minutes."""
    from ..tasks import deliver

    for start in range(0, len(delivery_ids), ENQUEUE_CHUNK):
        chunk = delivery_ids[start : start + ENQUEUE_CHUNK]
        try:
            deliver.delay(chunk)
        except Exception:  # the broker may be down; the beat retry covers it
            logger.exception("notifications: enqueue of %d deliveries failed", len(chunk))


def _claim(ids: list[int], now: dt.datetime) -> list[int]:
    """Lock the due rows among `ids` (skipping rows another worker holds) and lease them to this worker."""
    with transaction.atomic():
        claimed = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if claimed:
            Delivery.objects.filter(pk__in=claimed).update(next_attempt_at=now + CLAIM_LEASE)
    return claimed


def _send_one(delivery: Delivery, clock: Callable[[], dt.datetime]) -> DeliveryStatus:
    """Send one claimed delivery and record the outcome; returns the new status. Never raises a channel's error."""
    notification = delivery.notification
    try:
        with transaction.atomic():
            backend = backend_for(delivery.channel)
            ref = backend.send(
                delivery=delivery, recipient=notification.recipient, channel=delivery.channel,
                title=notification.title, body=notification.body, link=notification.link,
            )  # fmt: skip
            Delivery.objects.filter(pk=delivery.pk, status__in=OPEN).update(
                status=DeliveryStatus.SENT, provider_ref=str(ref or "")[:100], sent_at=clock(),
                attempts=delivery.attempts + 1, next_attempt_at=None, last_error="",
            )  # fmt: skip
        return DeliveryStatus.SENT
    except PermanentChannelError as exc:
        status, error, next_at = DeliveryStatus.GAVE_UP, str(exc), None
    except Exception as exc:  # ChannelError, or a fault of the backend itself: both are retried
        if not isinstance(exc, ChannelError):
            logger.warning("notifications: backend fault on delivery %s", delivery.pk, exc_info=exc)
        error = str(exc) or type(exc).__name__
        if delivery.attempts + 1 >= MAX_ATTEMPTS:
            status, next_at = DeliveryStatus.GAVE_UP, None
        else:
            status, next_at = DeliveryStatus.FAILED, clock() + backoff(delivery.attempts + 1)
    Delivery.objects.filter(pk=delivery.pk, status__in=OPEN).update(
        status=status, attempts=delivery.attempts + 1, next_attempt_at=next_at, last_error=error[:300]
    )
    return status


def deliveries_send(*, ids: Iterable[Any], now: dt.datetime | None = None) -> dict[str, int]:
    """Send the due deliveries among `ids` (PENDING, or FAILED whose next attempt has come); others are skipped.
    Called by the `notifications.deliver` task; safe to run twice at once on the same ids."""
    wanted = _clean_ids(ids)
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    counts: Counter[str] = Counter()
    for start in range(0, len(wanted), CLAIM_BATCH):
        batch = wanted[start : start + CLAIM_BATCH]
        claimed = _claim(batch, clock())
        if len(claimed) < len(batch):
            counts["skipped"] += len(batch) - len(claimed)
        rows = Delivery.objects.select_related("notification__recipient").filter(pk__in=claimed).order_by("pk")
        for delivery in rows:
            try:
                counts[str(_send_one(delivery, clock))] += 1
            except Exception:  # the database itself failed; the lease expires and it is retried
                logger.exception("notifications: recording delivery %s failed", delivery.pk)
                counts["error"] += 1
    return dict(counts)


def deliveries_due_ids(*, now: dt.datetime | None = None, limit: int = RETRY_LIMIT) -> list[int]:
    """FAILED deliveries whose next attempt has come, and PENDING ones older than two minutes (a lost enqueue)."""
    now = now or timezone.now()
    failed = Q(status=DeliveryStatus.FAILED)
    lost = Q(status=DeliveryStatus.PENDING, created_at__lte=now - LOST_ENQUEUE_AFTER)
    qs = Delivery.objects.filter(_due(now), failed | lost).order_by("next_attempt_at", "pk")
    return list(qs.values_list("pk", flat=True)[:limit])


def deliveries_retry_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat's every-minute retry (notifications.retry_deliveries)."""
    return deliveries_send(ids=deliveries_due_ids(now=now), now=now)
