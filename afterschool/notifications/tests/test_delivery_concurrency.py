"""Two workers running `notifications.deliver` on the same ids at once (a duplicate enqueue, or the beat's retry
overlapping the first run) send each delivery exactly once: rows are claimed under select_for_update(skip_locked)
and leased, so the other worker skips them. PostgreSQL, real threads on their own connections."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from afterschool.accounts.models import User
from afterschool.notifications.choices import DeliveryStatus
from afterschool.notifications.models import Delivery, Notification, OutboxMessage
from afterschool.notifications.services.delivery import CLAIM_BATCH, deliveries_send

SENT: list[int] = []
_lock = threading.Lock()


class SlowRecordingChannel:
    """Takes a little while per message (as a real provider does) and notes every send."""

    def send(self, *, delivery: Any, recipient: Any, channel: str, title: str, body: str, link: str) -> str:
        time.sleep(0.005)
        with _lock:
            SENT.append(delivery.pk)
        message = OutboxMessage.objects.create(channel=channel, recipient=recipient, body=title, delivery=delivery)
        return f"slow-{message.pk}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_deliver_runs_on_the_same_ids_send_each_delivery_once(settings: Any, workers: int) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    settings.NOTIFICATIONS_CHANNEL_BACKENDS = {"sms": f"{__name__}.SlowRecordingChannel", "wechat": "x.y"}
    SENT.clear()
    users = User.objects.bulk_create([User(username=f"c{i}") for i in range(CLAIM_BATCH * 3 + 7)])
    notes = Notification.objects.bulk_create([Notification(recipient=u, kind="leave", title="请假") for u in users])
    ids = [d.pk for d in Delivery.objects.bulk_create([Delivery(notification=n, channel="sms") for n in notes])]
    barrier = threading.Barrier(workers)

    def run(_: int) -> dict[str, int]:
        try:
            barrier.wait(timeout=30)
            return deliveries_send(ids=ids)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, range(workers)))

    assert Counter(SENT) == Counter(dict.fromkeys(ids, 1))  # every one sent, none twice
    assert sum(r.get("sent", 0) for r in results) == len(ids)
    assert sum(r.get("skipped", 0) for r in results) == len(ids) * (workers - 1)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert OutboxMessage.objects.count() == len(ids)
    assert deliveries_send(ids=ids) == {"skipped": len(ids)}  # and a late duplicate run sends nothing
