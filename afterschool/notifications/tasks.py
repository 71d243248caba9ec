"""Background work of notifications: deliveries over SMS and WeChat, sent after the causing transaction commits
(`notifications.deliver`, enqueued by notify()) and retried every minute (`notifications.retry_deliveries`, beat
entry in settings.CELERY_BEAT_SCHEDULE). Neither ever raises: in the embedded default the task runs eagerly inside
the request that caused the notification, and a channel's failure must not reach it."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

logger = logging.getLogger("afterschool.notifications")


@shared_task(name="notifications.deliver")
def deliver(delivery_ids: list[int]) -> dict[str, int]:
    """Send the due deliveries among these ids; a failure is recorded with its next attempt. Safe to run twice."""
    from .services.delivery import deliveries_send

    try:
        return deliveries_send(ids=list(delivery_ids or []))
    except Exception:  # whatever happens, the caller's action stands; the retry picks it up
        logger.exception("notifications.deliver failed")
        return {"error": 1}


@shared_task(name="notifications.retry_deliveries")
def retry_deliveries() -> dict[str, Any]:
    """Every minute: FAILED deliveries whose next attempt has come, and PENDING ones whose enqueue was lost."""
    from .services.delivery import deliveries_retry_due

    try:
        return deliveries_retry_due()
    except Exception:  # the next run tries again
        logger.exception("notifications.retry_deliveries failed")
        return {"error": 1}
