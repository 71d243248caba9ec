"""The live push broker (live.py): memory within one process across threads, Redis across processes, and the
receiver of unread_changed that must never fail the action that changed a count."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

from afterschool.notifications import live
from afterschool.notifications.services.inbox import notify
from afterschool.notifications.signals import unread_changed
from afterschool.notifications.tests.factories import NotificationFactory

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis server at {REDIS_URL} to test pub/sub")


@pytest.fixture(autouse=True)
def _fresh_brokers() -> Iterator[None]:
    live.reset()
    yield
    live.reset()


@pytest.fixture
def redis_pair() -> Iterator[tuple[live.RedisBroker, live.RedisBroker]]:
    """Two brokers on one Redis, as in two app processes; a channel prefix of their own so parallel runs on the same
    server never hear each other."""
    prefix = f"afterschool:test:{uuid.uuid4().hex}:unread:"
    a, b = live.RedisBroker(REDIS_URL, channel_prefix=prefix), live.RedisBroker(REDIS_URL, channel_prefix=prefix)
    yield a, b
    a.close()
    b.close()


def _unread(user: Any, n: int) -> None:
    for _ in range(n):
        NotificationFactory(recipient=user)


# --- counting -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unread_counts_counts_each_persons_unread_rows_once(world: Any) -> None:
    parent, teacher, bureau = world.users["parent"], world.users["teacher_a"], world.users["bureau_a"]
    _unread(parent, 3)
    NotificationFactory(recipient=parent, read_at="2026-11-03T10:00:00+08:00")
    _unread(teacher, 1)
    assert live.unread_counts([parent.pk, teacher.pk, bureau.pk, parent.pk]) == {
        parent.pk: 3,
        teacher.pk: 1,
        bureau.pk: 0,
    }
    assert live.unread_count_of(parent.pk) == 3


# --- memory broker -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_memory_publish_in_one_thread_reaches_a_page_waiting_in_another(world: Any) -> None:
    parent, teacher = world.users["parent"], world.users["teacher_a"]
    _unread(parent, 2)
    broker = live.MemoryBroker()
    got: list[int | None] = []
    subscribed = threading.Event()

    def page() -> None:
        with broker.subscribe(parent.pk) as sub:
            subscribed.set()
            got.append(sub.get(timeout=5))

    other_page = broker.subscribe(teacher.pk)
    thread = threading.Thread(target=page)
    thread.start()
    assert subscribed.wait(5)
    broker.publish([parent.pk])  # counted here (this thread sees the test's rows), delivered to the other thread
    thread.join(5)
    assert not thread.is_alive()
    assert got == [2]
    assert other_page.get(timeout=0.05) is None  # only the people published were told
    other_page.close()


@pytest.mark.django_db
def test_memory_page_gets_the_latest_count_not_a_backlog_and_nothing_after_closing(world: Any) -> None:
    parent = world.users["parent"]
    broker = live.MemoryBroker()
    sub = broker.subscribe(parent.pk)
    _unread(parent, 1)
    broker.publish([parent.pk])
    _unread(parent, 1)
    broker.publish([parent.pk])
    assert sub.get(timeout=5) == 2
    assert sub.get(timeout=0.05) is None
    sub.close()
    assert broker._fanout.listening([parent.pk]) == []


@pytest.mark.django_db
def test_memory_publish_counts_nobody_without_an_open_page(world: Any, django_assert_num_queries: Any) -> None:
    broker = live.MemoryBroker()
    with django_assert_num_queries(0):
        broker.publish([world.users["parent"].pk])


@pytest.mark.django_db
def test_memory_async_page_is_woken_in_its_event_loop_by_a_publish_from_a_thread(world: Any) -> None:
    parent = world.users["parent"]
    _unread(parent, 4)
    broker = live.MemoryBroker()

    async def page() -> int | None:
        with broker.asubscribe(parent.pk) as sub:
            # The publisher is another thread (as a sync view's on_commit is under ASGI); the loop is not blocked.
            threading.Thread(target=broker._fanout.deliver, args=(parent.pk, 4)).start()
            return await sub.aget(timeout=5)

    assert asyncio.run(page()) == 4


# --- the backend setting ------------------------------------------------------------------------------------------


def test_the_setting_chooses_the_broker(settings: Any) -> None:
    settings.NOTIFICATIONS_LIVE_BACKEND = "memory"
    assert isinstance(live.get_broker(), live.MemoryBroker)
    assert live.get_broker() is live.get_broker()
    settings.NOTIFICATIONS_LIVE_BACKEND = "redis"
    settings.NOTIFICATIONS_LIVE_REDIS_URL = "redis://127.0.0.1:6379/5"
    broker = live.get_broker()
    assert isinstance(broker, live.RedisBroker)
    assert broker.channel(7) == "afterschool:notifications:5:unread:7"  # pub/sub ignores the db: it is in the name
    settings.NOTIFICATIONS_LIVE_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        live.get_broker()


# --- the receiver ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unread_changed_reaches_an_open_page_through_the_receiver(world: Any) -> None:
    parent = world.users["parent"]
    _unread(parent, 1)
    with live.subscribe(parent.pk) as sub:
        unread_changed.send(sender=None, user_ids=[parent.pk])
        assert sub.get(timeout=5) == 1


@pytest.mark.django_db
def test_notify_pushes_the_new_count_after_commit_and_not_before(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    parent = world.users["parent"]
    with live.subscribe(parent.pk) as sub:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notify(recipients=[parent], kind="lesson_changed", title="周二美术课改到周三")
            assert sub.get(timeout=0.05) is None  # not committed yet: nobody is told
        assert sub.get(timeout=5) == 1


@pytest.mark.django_db
def test_receiver_survives_a_broken_broker(
    world: Any, monkeypatch: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(user_ids: Any) -> None:
        raise RuntimeError("broker down")

    monkeypatch.setattr(live.MemoryBroker, "publish", lambda self, user_ids: broken(user_ids))
    caplog.set_level(logging.WARNING, logger="afterschool.notifications.live")
    live.on_unread_changed(sender=None, user_ids=[world.users["parent"].pk])  # does not raise
    assert "could not push unread counts" in caplog.text
    # … and the action that caused it completes.
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(recipients=[world.users["parent"]], kind="lesson_changed", title="代课") == 1


@pytest.mark.django_db
def test_receiver_survives_redis_being_down(world: Any, settings: Any, caplog: Any) -> None:
    settings.NOTIFICATIONS_LIVE_BACKEND = "redis"
    settings.NOTIFICATIONS_LIVE_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    caplog.set_level(logging.WARNING, logger="afterschool.notifications.live")
    live.on_unread_changed(sender=None, user_ids=[world.users["parent"].pk])
    assert "could not push unread counts" in caplog.text


# --- Redis broker (production: several app processes) ------------------------------------------------------------


@needs_redis
@pytest.mark.django_db
def test_redis_publish_in_one_process_reaches_a_page_of_another(world: Any, redis_pair: Any) -> None:
    process_a, process_b = redis_pair
    parent, teacher = world.users["parent"], world.users["teacher_a"]
    _unread(parent, 2)
    _unread(teacher, 5)
    parent_page = process_b.subscribe(parent.pk)
    teacher_page = process_b.subscribe(teacher.pk)
    assert process_b.listening.wait(5), "the listener of process B never subscribed"
    process_a.publish([parent.pk])
    assert parent_page.get(timeout=5) == 2
    assert teacher_page.get(timeout=0.2) is None  # another person's channel stays quiet
    parent_page.close()
    teacher_page.close()


@needs_redis
@pytest.mark.django_db
def test_redis_page_in_a_thread_of_the_same_process_is_told(world: Any, redis_pair: Any) -> None:
    broker, _ = redis_pair
    parent = world.users["parent"]
    _unread(parent, 1)
    got: list[int | None] = []
    ready = threading.Event()

    def page() -> None:
        try:
            with broker.subscribe(parent.pk) as sub:
                ready.set()
                got.append(sub.get(timeout=5))
        finally:
            connections.close_all()

    thread = threading.Thread(target=page)
    thread.start()
    assert ready.wait(5) and broker.listening.wait(5)
    broker.publish([parent.pk])
    thread.join(6)
    assert got == [1]


@needs_redis
@pytest.mark.django_db
def test_redis_async_page_is_woken_in_its_event_loop(world: Any, redis_pair: Any) -> None:
    process_a, process_b = redis_pair
    parent = world.users["parent"]
    _unread(parent, 3)

    async def page() -> int | None:
        with process_b.asubscribe(parent.pk) as sub:
            ready = await asyncio.to_thread(process_b.listening.wait, 5)
            assert ready
            await asyncio.to_thread(process_a._client.publish, process_a.channel(parent.pk), '{"count": 3}')
            return await sub.aget(timeout=5)

    assert asyncio.run(page()) == 3


@needs_redis
def test_redis_listener_ignores_malformed_messages(redis_pair: Any, caplog: Any) -> None:
    process_a, process_b = redis_pair
    sub = process_b.subscribe(9)
    assert process_b.listening.wait(5)
    caplog.set_level(logging.WARNING, logger="afterschool.notifications.live")
    process_a._client.publish(process_a.channel(9), "not json")
    process_a._client.publish(process_a.channel_prefix + "abc", '{"count": 1}')
    process_a._client.publish(process_a.channel(9), '{"count": 6}')
    assert sub.get(timeout=5) == 6
    assert caplog.text.count("malformed") == 2
    sub.close()
