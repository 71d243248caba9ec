"""Reliable delivery (§5.4.5): deliveries are written with the notification only for the channels a person chose,
nothing leaves before the causing transaction commits, failures are retried with back-off (1, 5, 15, 60 minutes)
and given up after 5 attempts or at once when permanent, and a failing channel never touches the action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from afterschool.accounts.tests.factories import UserFactory
from afterschool.attendance.models import LeaveRequest
from afterschool.attendance.tests.factories import LeaveRequestFactory, freeze, make_day
from afterschool.notifications import tasks
from afterschool.notifications.choices import DeliveryStatus
from afterschool.notifications.models import Delivery, Notification, NotificationPreference, OutboxMessage
from afterschool.notifications.services import delivery as delivery_services
from afterschool.notifications.services.delivery import deliveries_retry_due, deliveries_send
from afterschool.notifications.services.inbox import notify
from afterschool.notifications.signals import unread_changed
from afterschool.notifications.tests.factories import (
    DeliveryFactory,
    NotificationFactory,
    NotificationPreferenceFactory,
)

pytestmark = pytest.mark.django_db

RECORDING = "afterschool.notifications.channels.RecordingChannel"
FAILING = "afterschool.notifications.channels.FailingChannel"
REJECTING = "afterschool.notifications.channels.RejectingChannel"
T0 = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # after every row's created_at


class BrokenChannel:
    """A backend with a bug: not a ChannelError at all."""

    def send(self, **kwargs: Any) -> str:
        raise RuntimeError("boom")


def _backends(settings: Any, sms: str = RECORDING, wechat: str = RECORDING) -> None:
    settings.NOTIFICATIONS_CHANNEL_BACKENDS = {"sms": sms, "wechat": wechat}


def _with_mobile(user: Any, mobile: str = "13800001234") -> Any:
    user.set_mobile(mobile)
    user.save(update_fields=["mobile_encrypted", "mobile_index"])
    return user


@pytest.fixture
def heard() -> Any:
    """The user_ids of every unread_changed sent during the test."""
    calls: list[list[int]] = []

    def receiver(sender: Any, user_ids: list[int], **kwargs: Any) -> None:
        calls.append(list(user_ids))

    unread_changed.connect(receiver, dispatch_uid="test_delivery_heard")
    yield calls
    unread_changed.disconnect(dispatch_uid="test_delivery_heard")


# --- written with the notification ---------------------------------------------------------------------------


def test_deliveries_are_written_only_for_the_channels_chosen_for_that_kind(world: Any) -> None:
    parent, teacher, school = world.users["parent"], world.users["teacher_a"], world.users["school_a"]
    NotificationPreferenceFactory(user=parent, kind="leave", channels=["wechat", "sms"])
    NotificationPreferenceFactory(user=teacher, kind="leave", channels=["wechat", "fax"])  # unknown one ignored
    NotificationPreferenceFactory(user=teacher, kind="attendance", channels=["sms"])  # another kind
    NotificationPreferenceFactory(user=school, kind="leave", channels=[])

    assert notify(recipients=[parent, teacher, school], kind="leave", title="请假已批准") == 3

    chosen = sorted(Delivery.objects.values_list("notification__recipient__username", "channel", "status"))
    assert chosen == [
        ("parent1", "sms", "pending"),
        ("parent1", "wechat", "pending"),
        ("teacher_a", "wechat", "pending"),
    ]
    assert Notification.objects.count() == 3  # in-app always


def test_notify_of_nobody_writes_nothing(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify(recipients=[], kind="leave", title="无人") == 0
    assert callbacks == [] and Notification.objects.count() == 0


def test_notify_for_2000_recipients_stays_a_handful_of_queries(world: Any, django_assert_max_num_queries: Any) -> None:
    from afterschool.accounts.models import User

    users = User.objects.bulk_create([User(username=f"bulk{i}") for i in range(2000)])
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=u, kind="announcement", channels=["sms"]) for u in users[:300]]
    )
    with django_assert_max_num_queries(40):  # batched inserts on SQLite; three statements on PostgreSQL
        assert notify(recipients=[u.pk for u in users], kind="announcement", title="公告") == 2000
    assert Notification.objects.filter(kind="announcement").count() == 2000
    assert Delivery.objects.filter(channel="sms").count() == 300


# --- nothing before commit -----------------------------------------------------------------------------------


def test_nothing_is_sent_or_announced_before_commit(
    world: Any, settings: Any, heard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _backends(settings)
    parent = _with_mobile(world.users["parent"])
    NotificationPreferenceFactory(user=parent, kind="leave", channels=["sms"])
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[parent], kind="leave", title="请假已批准")
    assert len(callbacks) == 1
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    assert OutboxMessage.objects.count() == 0 and heard == []

    callbacks[0]()  # the commit

    assert heard == [[parent.pk]]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.sent_at is not None
    message = OutboxMessage.objects.get()
    assert message.delivery_id == delivery.pk and delivery.provider_ref == f"rec-sms-{message.pk}"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_action_leaves_no_notification_delivery_or_message(world: Any, settings: Any, heard: Any) -> None:
    _backends(settings)
    parent = _with_mobile(world.users["parent"])
    NotificationPreferenceFactory(user=parent, kind="leave", channels=["sms", "wechat"])
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[parent], kind="leave", title="请假已批准")
        raise RuntimeError("the action failed")
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0 and OutboxMessage.objects.count() == 0
    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_recording_backend_has_the_sms_and_the_wechat_message(
    world: Any, settings: Any, heard: Any
) -> None:
    _backends(settings)
    parent = _with_mobile(world.users["parent"])
    teacher = world.users["teacher_a"]
    NotificationPreferenceFactory(user=parent, kind="leave", channels=["sms", "wechat"])
    body = "学生1“少儿创意美术” 11月17日 周二 15:40 的请假已批准。审批意见：注意休息，按时服药，下周见。" * 2
    with transaction.atomic():
        notify(recipients=[parent, teacher], kind="leave", title="请假已批准：学生1", body=body, link="/attendance/")
        assert OutboxMessage.objects.count() == 0

    assert heard == [sorted([parent.pk, teacher.pk])]
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == parent and sms.address == "138****1234" and sms.template == "sms"
    assert sms.body.startswith("【课后服务】请假已批准：学生1：学生1") and len(sms.body) == 70 and sms.body[-1] == "…"
    wechat = OutboxMessage.objects.get(channel="wechat")
    assert wechat.address == f"openid:sim-{parent.pk}" and wechat.template == "wechat:notice"
    lines = wechat.body.split("\n")
    assert lines[0] == "请假已批准：学生1" and lines[1] == "类型：请假" and lines[2].startswith("时间：2")
    assert lines[3].startswith("内容：学生1") and lines[-1] == "点击查看详情"
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert not Delivery.objects.filter(notification__recipient=teacher).exists()


# --- failures, back-off, retry -------------------------------------------------------------------------------


def _one_sms_delivery(world: Any) -> Delivery:
    parent = _with_mobile(world.users["parent"])
    return DeliveryFactory(notification=NotificationFactory(recipient=parent, kind="leave"), channel="sms")


def test_a_failure_is_retried_with_backoff_and_succeeds_later(world: Any, settings: Any) -> None:
    delivery = _one_sms_delivery(world)
    _backends(settings, sms=FAILING)

    assert deliveries_send(ids=[delivery.pk], now=T0) == {"failed": 1}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert delivery.last_error == "模拟渠道故障：服务暂不可用"

    assert deliveries_send(ids=[delivery.pk], now=T0 + dt.timedelta(seconds=30)) == {"skipped": 1}  # not yet due
    assert deliveries_retry_due(now=T0 + dt.timedelta(seconds=30)) == {}
    later = T0 + dt.timedelta(seconds=61)
    assert deliveries_retry_due(now=later) == {"failed": 1}
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == later + dt.timedelta(minutes=5)

    _backends(settings)  # the provider is back
    assert deliveries_retry_due(now=later + dt.timedelta(minutes=4)) == {}
    assert deliveries_retry_due(now=later + dt.timedelta(minutes=5)) == {"sent": 1}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3 and delivery.last_error == ""
    assert delivery.next_attempt_at is None and OutboxMessage.objects.filter(delivery=delivery).count() == 1
    assert deliveries_retry_due(now=later + dt.timedelta(hours=5)) == {}  # sent stays sent


def test_backoff_is_1_5_15_60_minutes_then_it_gives_up_after_5_attempts(world: Any, settings: Any) -> None:
    delivery = _one_sms_delivery(world)
    _backends(settings, sms=FAILING)
    now = T0
    assert deliveries_send(ids=[delivery.pk], now=now) == {"failed": 1}
    for attempt, wait in enumerate([1, 5, 15, 60], start=1):
        if attempt > 1:
            assert deliveries_retry_due(now=now - dt.timedelta(seconds=1)) == {}
            assert deliveries_retry_due(now=now) == {"failed": 1}
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, attempt)
        assert delivery.next_attempt_at == now + dt.timedelta(minutes=wait)
        now = delivery.next_attempt_at
    assert deliveries_retry_due(now=now) == {"gave_up": 1}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP and delivery.attempts == 5 and delivery.next_attempt_at is None
    assert deliveries_retry_due(now=now + dt.timedelta(days=1)) == {}


def test_a_permanent_error_gives_up_at_once(world: Any, settings: Any) -> None:
    _backends(settings)
    no_mobile = DeliveryFactory(notification=NotificationFactory(recipient=world.users["teacher_a"]), channel="sms")
    assert deliveries_send(ids=[no_mobile.pk], now=T0) == {"gave_up": 1}
    no_mobile.refresh_from_db()
    assert no_mobile.status == DeliveryStatus.GAVE_UP and no_mobile.attempts == 1
    assert no_mobile.last_error == "未登记手机号" and OutboxMessage.objects.count() == 0

    _backends(settings, wechat=REJECTING)
    rejected = DeliveryFactory(notification=NotificationFactory(recipient=world.users["parent"]), channel="wechat")
    assert deliveries_send(ids=[rejected.pk], now=T0) == {"gave_up": 1}
    assert Delivery.objects.get(pk=rejected.pk).last_error == "模拟渠道拒绝：号码无效"


def test_an_inactive_account_gets_nothing(world: Any, settings: Any) -> None:
    _backends(settings)
    gone = _with_mobile(UserFactory(is_active=False), "13900000000")
    delivery = DeliveryFactory(notification=NotificationFactory(recipient=gone), channel="sms")
    assert deliveries_send(ids=[delivery.pk]) == {"gave_up": 1}
    assert Delivery.objects.get(pk=delivery.pk).last_error == "账号已停用"


def test_a_backend_bug_is_caught_and_retried(world: Any, settings: Any) -> None:
    delivery = _one_sms_delivery(world)
    _backends(settings, sms=f"{__name__}.BrokenChannel")
    assert deliveries_send(ids=[delivery.pk, "x", -1, 2**70, True], now=T0) == {"failed": 1}  # type: ignore[list-item]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == "boom"
    _backends(settings, sms="afterschool.notifications.channels.NoSuchChannel")
    deliveries_send(ids=[delivery.pk], now=T0 + dt.timedelta(minutes=1))
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and "渠道后端无法加载" in delivery.last_error


def test_a_lost_enqueue_is_picked_up_after_two_minutes(world: Any, settings: Any) -> None:
    _backends(settings)
    parent = _with_mobile(world.users["parent"])
    old = DeliveryFactory(notification=NotificationFactory(recipient=parent), channel="sms")
    fresh = DeliveryFactory(notification=NotificationFactory(recipient=parent), channel="wechat")
    now = timezone.now()
    Delivery.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(minutes=3))
    assert delivery_services.deliveries_due_ids(now=now) == [old.pk]
    assert tasks.retry_deliveries() == {"sent": 1}
    assert Delivery.objects.get(pk=fresh.pk).status == DeliveryStatus.PENDING
    assert Delivery.objects.get(pk=old.pk).status == DeliveryStatus.SENT


def test_a_claimed_delivery_is_not_due_for_anyone_else_until_its_lease_ends(world: Any) -> None:
    delivery = _one_sms_delivery(world)
    assert delivery_services._claim([delivery.pk], T0) == [delivery.pk]
    assert delivery_services._claim([delivery.pk], T0 + dt.timedelta(minutes=9)) == []
    assert delivery_services.deliveries_due_ids(now=T0 + dt.timedelta(minutes=11)) == [delivery.pk]  # worker died


def test_the_tasks_never_raise(world: Any, monkeypatch: Any) -> None:
    def explode(**kwargs: Any) -> Any:
        raise RuntimeError("database gone")

    monkeypatch.setattr(delivery_services, "deliveries_send", explode)
    monkeypatch.setattr(delivery_services, "deliveries_retry_due", explode)
    assert tasks.deliver.delay([1, 2]).get() == {"error": 1}
    assert tasks.retry_deliveries.delay().get() == {"error": 1}


def test_a_broker_failure_on_enqueue_is_swallowed(world: Any, monkeypatch: Any) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.deliver, "delay", down)
    delivery_services.deliveries_enqueue([1, 2, 3])  # no exception: retry_deliveries finds them later


# --- the action is unaffected --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", [FAILING, f"{__name__}.BrokenChannel"])
def test_an_action_whose_sms_channel_fails_still_commits_and_answers(
    world: Any, settings: Any, monkeypatch: Any, login: Any, backend: str
) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 9, 10, 0))
    day = make_day(world)
    _backends(settings, sms=backend)
    parent = _with_mobile(world.users["parent"])
    NotificationPreferenceFactory(user=parent, kind="leave", channels=["sms"])
    leave = LeaveRequestFactory(student=day.child, section=day.section, lessons=[day.future], requested_by=parent)

    def broken_receiver(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("a listener is broken too")

    unread_changed.connect(broken_receiver, dispatch_uid="test_broken_receiver")
    try:
        response = login(world.users["school_a"]).post(
            f"/api/v1/attendance/leave-requests/{leave.pk}/approve", "", content_type="application/json"
        )
    finally:
        unread_changed.disconnect(dispatch_uid="test_broken_receiver")

    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert LeaveRequest.objects.get(pk=leave.pk).status == "approved"
    delivery = Delivery.objects.get(notification__recipient=parent)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1  # tried right after commit
    assert delivery.next_attempt_at is not None and OutboxMessage.objects.count() == 0
