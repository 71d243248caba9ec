"""Channel adapters (§5.4.5): how a notification leaves the platform by SMS or as a WeChat template message.

A backend is a class with `send(*, delivery, recipient, channel, title, body, link) -> provider_ref`; which class
serves a channel is configuration (settings.NOTIFICATIONS_CHANNEL_BACKENDS, dotted paths). It raises ChannelError
when the provider may accept the message later (the delivery is retried with back-off) and PermanentChannelError
when it never will (no mobile number, no WeChat binding: the delivery gives up at once). The recording backend
keeps what it would have sent as an OutboxMessage (development, the demo and tests); a real provider is another
class with the same interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .choices import Channel, NotificationKind

if TYPE_CHECKING:
    from afterschool.accounts.models import User

    from .models import Delivery

SMS_PREFIX = "【课后服务】"
SMS_MAX_CHARS = 70  # one SMS segment of Chinese text
WECHAT_TEMPLATE = "wechat:notice"
SMS_TEMPLATE = "sms"


class ChannelError(Exception):
    """The provider did not take the message now; try again later."""


class PermanentChannelError(ChannelError):
    """The message can never be sent this way (no mobile number, no WeChat binding, an inactive account)."""


class ChannelBackend:
    """The interface every channel backend implements."""

    def send(
        self, *, delivery: Delivery, recipient: User, channel: str, title: str, body: str, link: str
    ) -> str:  # pragma: no cover - interface
        raise NotImplementedError


def backend_for(channel: str) -> ChannelBackend:
    """The configured backend of a channel (read on every call, so a settings change applies at once)."""
    path = (getattr(settings, "NOTIFICATIONS_CHANNEL_BACKENDS", None) or {}).get(channel)
    if not path:
        raise PermanentChannelError(f"未配置“{channel}”渠道")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ChannelError(f"渠道后端无法加载：{path}") from exc
    return backend_class()  # type: ignore[no-any-return]


def sms_text(title: str, body: str) -> str:
    """One SMS of at most 70 characters: 【课后服务】title：body, cut with an ellipsis when longer."""
    text = SMS_PREFIX + title.strip()
    if body.strip():
        text += "：" + " ".join(body.split())
    if len(text) > SMS_MAX_CHARS:
        text = text[: SMS_MAX_CHARS - 1] + "…"
    return text


def wechat_fields(*, kind: str, title: str, body: str, link: str, when: Any = None) -> dict[str, str]:
    """The fields of the WeChat template message (first, keyword1…3, remark)."""
    moment = timezone.localtime(when or timezone.now())
    label = NotificationKind(kind).label if kind in NotificationKind.values else kind
    return {
        "first": title.strip(),
        "keyword1": label,
        "keyword2": moment.strftime("%Y-%m-%d %H:%M"),
        "keyword3": " ".join(body.split())[:200],
        "remark": "点击查看详情" if link else "",
    }


def wechat_text(fields: dict[str, str]) -> str:
    lines = [fields["first"], f"类型：{fields['keyword1']}", f"时间：{fields['keyword2']}"]
    if fields["keyword3"]:
        lines.append(f"内容：{fields['keyword3']}")
    if fields["remark"]:
        lines.append(fields["remark"])
    return "\n".join(lines)


def wechat_openid(recipient: User) -> str:
    """No WeChat binding is kept yet: the recording backend addresses a stand-in openid."""
    return f"openid:sim-{recipient.pk}"


class RecordingChannel(ChannelBackend):
    """Keeps the message it would send as an OutboxMessage (address masked). Development, demo and tests."""

    def send(self, *, delivery: Delivery, recipient: User, channel: str, title: str, body: str, link: str) -> str:
        from .models import OutboxMessage

        if not recipient.is_active:
            raise PermanentChannelError("账号已停用")
        if channel == Channel.SMS:
            if not recipient.mobile_encrypted:
                raise PermanentChannelError("未登记手机号")
            address, template, text = recipient.mobile_masked, SMS_TEMPLATE, sms_text(title, body)
        elif channel == Channel.WECHAT:
            fields = wechat_fields(
                kind=delivery.notification.kind, title=title, body=body, link=link,
                when=delivery.notification.created_at,
            )  # fmt: skip
            address, template, text = wechat_openid(recipient), WECHAT_TEMPLATE, wechat_text(fields)
        else:
            raise PermanentChannelError(f"不支持的渠道：{channel}")
        message = OutboxMessage.objects.create(
            channel=channel, recipient=recipient, address=address[:64], template=template, body=text[:2000],
            delivery=delivery,
        )  # fmt: skip
        return f"rec-{channel}-{message.pk}"


class FailingChannel(ChannelBackend):
    """A provider that is down: every send fails and may be retried (tests, and trying the retry in the demo)."""

    def send(self, *, delivery: Delivery, recipient: User, channel: str, title: str, body: str, link: str) -> str:
        raise ChannelError("模拟渠道故障：服务暂不可用")


class RejectingChannel(ChannelBackend):
    """A provider that refuses the address for good (tests)."""

    def send(self, *, delivery: Delivery, recipient: User, channel: str, title: str, body: str, link: str) -> str:
        raise PermanentChannelError("模拟渠道拒绝：号码无效")
