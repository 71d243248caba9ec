"""The live unread count (§5.4.5): open pages are told when a person's count of unread notifications changes.

`publish(user_ids)` counts each person's unread notifications once and hands the new count to every open page of
that person; `subscribe(user_id)` (a page served by a thread) and `asubscribe(user_id)` (a page served by the event
loop under ASGI) give the counts for one page. Only the latest count matters, so a slow page gets the newest value,
never a backlog.

The broker is chosen by settings.NOTIFICATIONS_LIVE_BACKEND:
- "memory": within one process (the embedded default: runserver's threads);
- "redis": one pub/sub channel per person (NOTIFICATIONS_LIVE_REDIS_URL), so every app process behind the load
  balancer pushes to its own open pages. Each process keeps one listening connection (a pattern subscription, opened
  when its first page subscribes and reopened after Redis comes back), not one per page.

A count published while Redis is away is lost; the page catches up when its stream reconnects (at most ~5 minutes)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterable
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count

from .models import Notification

logger = logging.getLogger(__name__)

_COUNT_BATCH = 500


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """Each person's number of unread notifications (0 for nobody's rows), one grouped query per 500 people."""
    ids = sorted({int(pk) for pk in user_ids})
    counts = dict.fromkeys(ids, 0)
    for start in range(0, len(ids), _COUNT_BATCH):
        rows = (
            Notification.objects.filter(recipient_id__in=ids[start : start + _COUNT_BATCH], read_at__isnull=True)
            .order_by()
            .values("recipient_id")
            .annotate(n=Count("id"))
            .values_list("recipient_id", "n")
        )
        counts.update(rows)
    return counts


def unread_count_of(user_id: int) -> int:
    """One person's own unread notifications (the badge and the first event of a stream)."""
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


class Subscription:
    """One open page of one person. `get`/`aget` wait up to `timeout` seconds for a new count (None: nothing came).

    Made for a thread (loop=None: get) or for an event loop (aget, only in that loop); delivery may come from any
    thread."""

    def __init__(self, *, user_id: int, loop: asyncio.AbstractEventLoop | None, fanout: _Fanout) -> None:
        self.user_id = user_id
        self._loop = loop
        self._fanout = fanout
        self._lock = threading.Lock()
        self._latest: int | None = None
        self._ready = threading.Event()
        self._aready = asyncio.Event() if loop is not None else None

    def deliver(self, count: int) -> None:
        if self._loop is None:
            with self._lock:
                self._latest = count
                self._ready.set()
            return
        try:
            self._loop.call_soon_threadsafe(self._deliver_in_loop, count)
        except RuntimeError:  # the page's event loop has closed: the page is gone
            self.close()

    def _deliver_in_loop(self, count: int) -> None:
        self._latest = count
        assert self._aready is not None
        self._aready.set()

    def get(self, timeout: float) -> int | None:
        if not self._ready.wait(max(timeout, 0)):
            return None
        with self._lock:
            count, self._latest = self._latest, None
            self._ready.clear()
        return count

    async def aget(self, timeout: float) -> int | None:
        assert self._aready is not None, "aget() is for subscriptions made with asubscribe()"
        try:
            await asyncio.wait_for(self._aready.wait(), max(timeout, 0))
        except TimeoutError:
            return None
        count, self._latest = self._latest, None
        self._aready.clear()
        return count

    def close(self) -> None:
        self._fanout.remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Fanout:
    """The open pages of this process, by person."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[int, set[Subscription]] = {}

    def add(self, sub: Subscription) -> None:
        with self._lock:
            self._pages.setdefault(sub.user_id, set()).add(sub)

    def remove(self, sub: Subscription) -> None:
        with self._lock:
            pages = self._pages.get(sub.user_id)
            if pages is not None:
                pages.discard(sub)
                if not pages:
                    del self._pages[sub.user_id]

    def listening(self, user_ids: Iterable[int]) -> list[int]:
        with self._lock:
            return [pk for pk in user_ids if pk in self._pages]

    def deliver(self, user_id: int, count: int) -> None:
        with self._lock:
            pages = list(self._pages.get(user_id, ()))
        for sub in pages:
            sub.deliver(count)


class Broker:
    def __init__(self) -> None:
        self._fanout = _Fanout()

    def publish(self, user_ids: Iterable[int]) -> None:
        raise NotImplementedError

    def subscribe(self, user_id: int) -> Subscription:
        sub = Subscription(user_id=user_id, loop=None, fanout=self._fanout)
        self._fanout.add(sub)
        return sub

    def asubscribe(self, user_id: int) -> Subscription:
        """Call from the event loop that will await the subscription."""
        sub = Subscription(user_id=user_id, loop=asyncio.get_running_loop(), fanout=self._fanout)
        self._fanout.add(sub)
        return sub

    def close(self) -> None:
        """Stop background work (tests; a process's broker lives as long as the process)."""


class MemoryBroker(Broker):
    """Within one process: only people with an open page here are counted."""

    def publish(self, user_ids: Iterable[int]) -> None:
        wanted = self._fanout.listening({int(pk) for pk in user_ids})
        if not wanted:
            return
        for user_id, count in unread_counts(wanted).items():
            self._fanout.deliver(user_id, count)


class RedisBroker(Broker):
    """Across processes: the count goes to the person's channel; each process's listener hands it to its pages."""

    def __init__(self, url: str, *, channel_prefix: str | None = None) -> None:
        super().__init__()
        self.url = url
        # Short timeouts: a Redis that is down must not hold up the request whose commit triggered the push.
        self._client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        # Pub/sub ignores the database number, so it is part of the channel name: deployments sharing one Redis on
        # different databases do not hear each other.
        db = self._client.connection_pool.connection_kwargs.get("db", 0)
        self.channel_prefix = channel_prefix or f"afterschool:notifications:{db}:unread:"
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._stop = threading.Event()
        self.listening = threading.Event()

    def channel(self, user_id: int) -> str:
        return f"{self.channel_prefix}{user_id}"

    def publish(self, user_ids: Iterable[int]) -> None:
        counts = unread_counts(user_ids)
        if not counts:
            return
        pipe = self._client.pipeline(transaction=False)
        for user_id, count in counts.items():
            pipe.publish(self.channel(user_id), json.dumps({"count": count}))
        pipe.execute()

    def subscribe(self, user_id: int) -> Subscription:
        self._ensure_listener()
        return super().subscribe(user_id)

    def asubscribe(self, user_id: int) -> Subscription:
        self._ensure_listener()
        return super().asubscribe(user_id)

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._client.close()

    def _ensure_listener(self) -> None:
        # Started on the first page, not at import: a forked worker process starts its own.
        with self._thread_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._listen, name="notifications-live-redis", daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_keepalive=True)
            pubsub = client.pubsub()
            try:
                pubsub.psubscribe(f"{self.channel_prefix}*")
                backoff = 0.5
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._handle(message)
            except Exception as exc:  # noqa: BLE001 - the listener outlives any failure; pages catch up on reconnect
                logger.warning("live notifications: Redis listener lost (%s), retrying in %.1fs", exc, backoff)
            finally:
                self.listening.clear()
                pubsub.close()
                client.close()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("type") == "psubscribe":
            self.listening.set()
            return
        if message.get("type") != "pmessage":
            return
        try:
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            user_id = int(channel.removeprefix(self.channel_prefix))
            count = int(json.loads(message["data"])["count"])
        except (KeyError, TypeError, ValueError):
            logger.warning("live notifications: ignored a malformed message on %r", message.get("channel"))
            return
        self._fanout.deliver(user_id, count)


_brokers: dict[tuple[str, str], Broker] = {}
_brokers_lock = threading.Lock()


def get_broker() -> Broker:
    backend = settings.NOTIFICATIONS_LIVE_BACKEND
    url = settings.NOTIFICATIONS_LIVE_REDIS_URL if backend == "redis" else ""
    key = (backend, url)
    with _brokers_lock:
        broker = _brokers.get(key)
        if broker is None:
            if backend == "memory":
                broker = MemoryBroker()
            elif backend == "redis":
                broker = RedisBroker(url)
            else:
                raise ImproperlyConfigured(f"NOTIFICATIONS_LIVE_BACKEND must be 'memory' or 'redis', not {backend!r}")
            _brokers[key] = broker
        return broker


def reset() -> None:
    """Forget the brokers (tests that change the backend settings)."""
    with _brokers_lock:
        brokers = list(_brokers.values())
        _brokers.clear()
    for broker in brokers:
        broker.close()


def publish(user_ids: Iterable[int]) -> None:
    get_broker().publish(user_ids)


def subscribe(user_id: int) -> Subscription:
    return get_broker().subscribe(user_id)


def asubscribe(user_id: int) -> Subscription:
    return get_broker().asubscribe(user_id)


def on_unread_changed(sender: Any, user_ids: Iterable[int] = (), **kwargs: Any) -> None:
    """Receiver of signals.unread_changed (sent after commit). The push is a courtesy: whatever fails here (Redis
    down, a database hiccup) is logged and never reaches the action that changed the count."""
    try:
        publish(user_ids)
    except Exception:  # the live push must never fail the request or task that caused it
        logger.warning("live notifications: could not push unread counts", exc_info=True)
