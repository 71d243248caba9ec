"""Channel adapters: the SMS text (【课后服务】, at most 70 characters), the WeChat template message's fields, the
recording backend's outbox row (masked address, never the number), and backends chosen by settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.notifications.channels import (
    SMS_MAX_CHARS,
    ChannelError,
    FailingChannel,
    PermanentChannelError,
    RecordingChannel,
    backend_for,
    sms_text,
    wechat_fields,
    wechat_text,
)
from afterschool.notifications.models import OutboxMessage
from afterschool.notifications.tests.factories import DeliveryFactory, NotificationFactory

pytestmark = pytest.mark.django_db


def test_a_short_sms_is_prefix_title_and_body_on_one_line() -> None:
    assert sms_text("请假已批准", "学生1 周二的请假\n已批准。") == "【课后服务】请假已批准：学生1 周二的请假 已批准。"
    assert sms_text("课次调整", "") == "【课后服务】课次调整"


def test_a_long_sms_is_cut_to_70_characters_with_an_ellipsis() -> None:
    text = sms_text("学校公告：关于课后服务延时的通知", "各位家长：" + "根据家长需求，自下周一起延长至 18:00。" * 5)
    assert len(text) == SMS_MAX_CHARS and text.startswith("【课后服务】学校公告") and text.endswith("…")
    exactly = sms_text("标" * (SMS_MAX_CHARS - 6), "")
    assert len(exactly) == SMS_MAX_CHARS and not exactly.endswith("…")


def test_wechat_template_fields_render_to_text() -> None:
    when = dt.datetime(2026, 11, 10, 7, 30, tzinfo=dt.UTC)  # 15:30 in Beijing
    fields = wechat_fields(kind="leave", title="请假已批准", body="学生1 的请假已批准", link="/x/", when=when)
    assert fields == {
        "first": "请假已批准", "keyword1": "请假", "keyword2": "2026-11-10 15:30", "keyword3": "学生1 的请假已批准",
        "remark": "点击查看详情",
    }  # fmt: skip
    assert (
        wechat_text(fields) == "请假已批准\n类型：请假\n时间：2026-11-10 15:30\n内容：学生1 的请假已批准\n点击查看详情"
    )
    bare = wechat_fields(kind="unknown", title="T", body="", link="", when=when)
    assert wechat_text(bare) == "T\n类型：unknown\n时间：2026-11-10 15:30"


def test_the_recording_backend_keeps_the_sms_with_a_masked_number(world: Any) -> None:
    parent = world.users["parent"]
    parent.set_mobile("13912345678")
    parent.save()
    delivery = DeliveryFactory(notification=NotificationFactory(recipient=parent, kind="leave"), channel="sms")
    ref = RecordingChannel().send(
        delivery=delivery, recipient=parent, channel="sms", title="请假已批准", body="好", link=""
    )
    message = OutboxMessage.objects.get()
    assert ref == f"rec-sms-{message.pk}"
    assert (message.address, message.body, message.template) == ("139****5678", "【课后服务】请假已批准：好", "sms")
    assert "13912345678" not in message.body + message.address


def test_the_recording_backend_refuses_for_good_what_it_cannot_address(world: Any) -> None:
    teacher = world.users["teacher_a"]
    delivery = DeliveryFactory(notification=NotificationFactory(recipient=teacher), channel="sms")
    with pytest.raises(PermanentChannelError, match="未登记手机号"):
        RecordingChannel().send(delivery=delivery, recipient=teacher, channel="sms", title="t", body="", link="")
    with pytest.raises(PermanentChannelError, match="不支持的渠道"):
        RecordingChannel().send(delivery=delivery, recipient=teacher, channel="fax", title="t", body="", link="")
    assert OutboxMessage.objects.count() == 0


def test_backends_come_from_settings(settings: Any) -> None:
    settings.NOTIFICATIONS_CHANNEL_BACKENDS = {
        "sms": "afterschool.notifications.channels.FailingChannel", "wechat": "no.such.Backend"
    }  # fmt: skip
    assert isinstance(backend_for("sms"), FailingChannel)
    with pytest.raises(ChannelError, match="无法加载") as exc:
        backend_for("wechat")
    assert not isinstance(exc.value, PermanentChannelError)
    with pytest.raises(PermanentChannelError, match="未配置"):
        backend_for("email")


def test_the_default_settings_record(settings: Any) -> None:
    assert isinstance(backend_for("sms"), RecordingChannel) and isinstance(backend_for("wechat"), RecordingChannel)
