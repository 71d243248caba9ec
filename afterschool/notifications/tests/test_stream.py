"""The live unread count stream (notifications:stream) under WSGI and ASGI, and the topbar badge.

Streams run with a short lifetime and heartbeat here, and are read in a thread or with asyncio timeouts, so a
broken push fails the test instead of hanging it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, connections, transaction
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterschool.notifications import live
from afterschool.notifications.services.inbox import notifications_mark_read, notify
from afterschool.notifications.tests.factories import NotificationFactory
from afterschool.notifications.views import stream

URL = "/notifications/stream/"


@pytest.fixture(autouse=True)
def _short_streams(monkeypatch: Any) -> Iterator[None]:
    monkeypatch.setattr(stream, "STREAM_SECONDS", 4.0)
    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.3)
    live.reset()
    yield
    live.reset()


def _events(raw: bytes) -> list[tuple[str, str]]:
    """(field, value) per SSE block: ("unread", data) for events, ("comment", text), ("retry", ms)."""
    out: list[tuple[str, str]] = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                out.append(("comment", line[1:].strip()))
            else:
                name, _, value = line.partition(": ")
                fields[name] = value
        if "retry" in fields:
            out.append(("retry", fields["retry"]))
        if "event" in fields:
            out.append((fields["event"], fields.get("data", "")))
    return out


def _counts(raw: bytes) -> list[int]:
    return [json.loads(data)["count"] for name, data in _events(raw) if name == "unread"]


class Reader:
    """Reads a WSGI streaming response in its own thread (as the server would), chunk by chunk."""

    def __init__(self, response: Any) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        self.seen = b""
        self.thread = threading.Thread(target=self._run, args=(response,), daemon=True)
        self.thread.start()

    def _run(self, response: Any) -> None:
        try:
            for chunk in response.streaming_content:
                self.chunks.put(chunk)
        finally:
            self.chunks.put(None)
            connections.close_all()

    def until(self, done: Any, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while not done(self.seen):
            left = deadline - time.monotonic()
            assert left > 0, f"stream never gave what was awaited; it sent {self.seen!r}"
            try:
                chunk = self.chunks.get(timeout=left)
            except queue.Empty:
                continue
            assert chunk is not None, f"stream ended early; it sent {self.seen!r}"
            self.seen += chunk
        return self.seen

    def finish(self, timeout: float = 6.0) -> bytes:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "stream did not end"
        while (chunk := self.chunks.get_nowait()) is not None:
            self.seen += chunk
        return self.seen


# --- who may stream ---------------------------------------------------------------------------------------------------


def test_anonymous_visitor_gets_no_stream(client: Any, db: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert not response.streaming
    assert response["Content-Type"].startswith("text/plain")


def test_stream_is_get_only(world: Any, login: Any) -> None:
    assert login(world.users["parent"]).post(URL).status_code == 405


def test_url_name() -> None:
    assert reverse("notifications:stream") == URL


# --- WSGI (runserver, the embedded default; the test live server) -----------------------------------------------------


def test_stream_opens_with_the_current_count_and_sse_headers(world: Any, login: Any) -> None:
    parent = world.users["parent"]
    for _ in range(3):
        NotificationFactory(recipient=parent)
    NotificationFactory(recipient=world.users["teacher_a"])  # another person's: not counted
    response = login(parent).get(URL)
    assert response.status_code == 200
    assert response.streaming and not response.is_async  # a plain generator for the WSGI thread
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    first = next(iter(response.streaming_content))
    assert _events(first) == [("retry", "5000"), ("unread", '{"count": 3}')]
    response.close()


def test_stream_sends_heartbeats_and_ends_by_itself(world: Any, login: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    response = login(world.users["parent"]).get(URL)
    started = time.monotonic()
    raw = b"".join(response.streaming_content)  # the lifetime bounds it: the browser reconnects after `retry`
    assert 0.8 <= time.monotonic() - started < 3
    events = _events(raw)
    assert events[:2] == [("retry", "5000"), ("unread", '{"count": 0}')]
    assert ("comment", "keep-alive") in events
    assert _counts(raw) == [0]  # nothing changed: no further count


@pytest.mark.django_db(transaction=True)
def test_count_committed_in_another_thread_reaches_the_open_stream(world: Any, login: Any) -> None:
    parent = world.users["parent"]
    NotificationFactory(recipient=parent)
    reader = Reader(login(parent).get(URL))
    reader.until(lambda seen: _counts(seen) == [1])

    def write() -> None:
        try:
            with transaction.atomic():
                notify(recipients=[parent, world.users["teacher_a"]], kind="lesson_changed", title="周二美术课改到周三")
                notify(recipients=[parent], kind="announcement", title="明天照常上课")
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(10)
    raw = reader.until(lambda seen: _counts(seen)[-1:] == [3])
    # Marking read in this thread lowers it again.
    notifications_mark_read(actor=world.actor("parent"))
    raw = reader.until(lambda seen: _counts(seen)[-1:] == [0])
    assert all(a != b for a, b in zip(_counts(raw), _counts(raw)[1:], strict=False))  # only changes are sent
    reader.finish()


@pytest.mark.django_db(transaction=True)
def test_a_change_right_after_the_view_read_the_count_still_reaches_the_stream(
    world: Any, login: Any, monkeypatch: Any
) -> None:
    parent = world.users["parent"]
    read = stream._current_count

    def read_then_a_notification_lands(user_id: int) -> int:
        count = read(user_id)
        notify(recipients=[parent], kind="announcement", title="明天照常上课")  # committed and pushed now
        return count

    monkeypatch.setattr(stream, "_current_count", read_then_a_notification_lands)
    reader = Reader(login(parent).get(URL))
    raw = reader.until(lambda seen: _counts(seen) == [0, 1])  # the stale opening count, then the change
    assert _counts(raw) == [0, 1]
    reader.finish()


def test_a_stream_closed_before_it_was_read_leaves_no_subscription(world: Any, login: Any) -> None:
    parent = world.users["parent"]
    response = login(parent).get(URL)
    assert live.get_broker()._fanout.listening([parent.pk]) == [parent.pk]  # subscribed by the view
    response.close()
    assert live.get_broker()._fanout.listening([parent.pk]) == []


@pytest.mark.django_db(transaction=True)
def test_stream_releases_its_database_connection_before_waiting(world: Any, login: Any) -> None:
    parent = world.users["parent"]
    response = login(parent).get(URL)
    state: dict[str, Any] = {}

    def serve() -> None:
        try:
            chunks = iter(response.streaming_content)
            next(chunks)  # the opening event: the count has been read
            conn = connections["default"]
            # SQLite's in-memory test database ignores close() (it would vanish): there only the query is checked.
            in_memory = conn.vendor == "sqlite" and conn.is_in_memory_db()  # type: ignore[attr-defined]
            state["open"] = conn.connection is not None and not in_memory
            response.close()
        finally:
            connections.close_all()

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(5)
    assert state == {"open": False}


# --- ASGI (uvicorn, production) ---------------------------------------------------------------------------------------


def test_asgi_stream_is_async_and_pushes_without_blocking(world: Any) -> None:
    parent = world.users["parent"]
    NotificationFactory(recipient=parent)

    async def scenario() -> tuple[bool, list[int]]:
        client = AsyncClient()
        await client.aforce_login(parent, backend="afterschool.accounts.backends.UsernameOrMobileBackend")
        response = await client.get(URL)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        chunks = aiter(response.streaming_content)
        seen = await asyncio.wait_for(anext(chunks), 5)
        # A tick of the event loop runs while the stream waits: the stream awaits, it does not block the loop.
        ticked = await asyncio.wait_for(asyncio.sleep(0.05, result=True), 1)

        def write() -> None:
            with transaction.atomic():
                NotificationFactory(recipient=parent)
            live.publish([parent.pk])

        await sync_to_async(write)()
        while _counts(seen)[-1:] != [2]:
            seen += await asyncio.wait_for(anext(chunks), 5)
        await chunks.aclose()  # type: ignore[attr-defined]
        return response.is_async and ticked, _counts(seen)

    is_async, counts = async_to_sync(scenario)()
    assert is_async
    assert counts == [1, 2]


def test_asgi_anonymous_visitor_gets_no_stream(db: Any) -> None:
    async def scenario() -> int:
        response = await AsyncClient().get(URL)
        return int(response.status_code)

    assert async_to_sync(scenario)() == 401


# --- the badge --------------------------------------------------------------------------------------------------------


def test_badge_shows_the_unread_count_in_a_page(world: Any, login: Any) -> None:
    parent = world.users["parent"]
    for _ in range(4):
        NotificationFactory(recipient=parent)
    NotificationFactory(recipient=parent, read_at="2026-11-03T10:00:00+08:00")
    NotificationFactory(recipient=world.users["teacher_a"])
    html = login(parent).get("/").content.decode()
    assert 'aria-label="未读通知 4 条"' in html
    assert 'data-unread-count="4">4</span>' in html
    assert f'data-stream-url="{URL}"' in html
    assert 'src="/static/js/live.js"' in html
    assert f'href="{reverse("notifications:list")}"' in html


def test_badge_count_is_hidden_at_zero_and_capped_at_99_plus(world: Any, login: Any) -> None:
    teacher = world.users["teacher_a"]
    html = login(teacher).get("/").content.decode()
    assert 'aria-label="未读通知 0 条"' in html
    assert 'data-unread-count="0" hidden>0</span>' in html
    NotificationFactory.create_batch(100, recipient=teacher)
    html = login(teacher).get("/").content.decode()
    assert 'data-unread-count="100">99+</span>' in html


def test_badge_costs_one_count_query(world: Any, login: Any) -> None:
    client = login(world.users["parent"])
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    counting = [q["sql"] for q in queries.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counting) == 1 and "COUNT(" in counting[0]


def test_no_badge_and_no_stream_script_for_anonymous_visitors(client: Any, db: Any) -> None:
    html = client.get(reverse("accounts:login")).content.decode()
    assert "data-stream-url" not in html and "live.js" not in html


@pytest.mark.django_db(transaction=True)  # the stream's view releases its database connection
def test_the_stream_does_not_extend_the_idle_session(world: Any, login: Any) -> None:
    """An open page reconnecting to the stream is not activity: the session's expiry does not move."""
    from django.contrib.sessions.models import Session

    client = login(world.users["parent"])
    client.get("/")
    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    Session.objects.filter(session_key=key).update(expire_date=before - dt.timedelta(minutes=20))
    moved = Session.objects.get(session_key=key).expire_date
    response = client.get(reverse("notifications:stream"))
    response.close()
    assert Session.objects.get(session_key=key).expire_date == moved
    client.get("/")  # a real request does extend it
    assert Session.objects.get(session_key=key).expire_date > moved
