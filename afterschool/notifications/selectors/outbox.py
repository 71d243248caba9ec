"""Reads of the recording channel backend's messages (模拟短信/微信): system admins only, for development and the
demo."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.core.errors import PermissionDenied
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..models import OutboxMessage


def outbox_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[OutboxMessage]:
    """Newest first; filters: channel, q (the recipient's username or name)."""
    if not actor.is_system_admin:
        raise PermissionDenied("只有系统管理员可以查看模拟发送记录")
    filters = filters or {}
    qs = scoped(OutboxMessage.objects.select_related("recipient", "delivery"), actor)
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(recipient__username__icontains=q) | Q(recipient__display_name__icontains=q))
    return qs.order_by("-created_at", "-id")
