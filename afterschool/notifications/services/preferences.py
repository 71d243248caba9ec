"""Writing a person's notification preferences: which channels (SMS, WeChat) each kind also goes to. The in-app
centre is always on. Everyone with a login sets its own, and only its own."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.tenancy.actor import Actor

from ..choices import Channel, NotificationKind
from ..models import NotificationPreference
from ..selectors import preferences as selectors


def _clean(choices: Any) -> dict[str, list[str]]:
    """{kind: [channels]} checked against the kinds and channels there are; every error is reported at once."""
    if not isinstance(choices, dict):
        raise ValidationFailed({"preferences": ["格式应为 {类型: [渠道, …]}"]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, list[str]] = {kind: [] for kind in NotificationKind.values}
    for kind, channels in choices.items():
        if not isinstance(kind, str) or kind not in NotificationKind.values:
            errors.setdefault("kind", []).append(f"未知的通知类型：{str(kind)[:32]}")
            continue
        if not isinstance(channels, list | tuple):
            errors.setdefault(kind, []).append('渠道应为列表，如 ["sms", "wechat"]')
            continue
        unknown = [str(c)[:32] for c in channels if not isinstance(c, str) or c not in Channel.values]
        if unknown:
            errors.setdefault(kind, []).append(f"未知的渠道：{'、'.join(unknown)}（可选：短信 sms、微信 wechat）")
            continue
        cleaned[kind] = [c for c in Channel.values if c in channels]
    if errors:
        raise ValidationFailed(errors, message=next(iter(errors.values()))[0])
    return cleaned


@transaction.atomic
def preferences_save(*, actor: Actor, choices: dict[str, list[str]]) -> dict[str, list[str]]:
    """Replace the actor's own preferences with `choices` ({kind: [channels]}; a kind left out: in-app only).
    Unknown kinds or channels are refused (ValidationFailed, nothing saved). Returns the saved preferences."""
    if actor.user is None:
        raise PermissionDenied("请先登录")
    cleaned = _clean(choices)
    before = selectors.preferences_of(actor=actor)
    user = actor.user
    NotificationPreference.objects.filter(user=user).exclude(
        kind__in=[kind for kind, channels in cleaned.items() if channels]
    ).delete()
    wanted = [
        NotificationPreference(user=user, kind=kind, channels=channels)
        for kind, channels in cleaned.items()
        if channels
    ]
    if wanted:
        NotificationPreference.objects.bulk_create(
            wanted, update_conflicts=True, unique_fields=["user", "kind"], update_fields=["channels", "updated_at"]
        )
    if before != cleaned:
        changed = {kind: channels for kind, channels in cleaned.items() if before.get(kind) != channels}
        record_write(actor=actor, event=AuditEventType.UPDATE, obj=user, detail={"notification_preferences": changed})
    return cleaned
