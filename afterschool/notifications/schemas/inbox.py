"""Schemas of the notification centre (/api/v1/notifications/inbox…)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text
from afterschool.notifications.choices import NotificationKind

Id = Annotated[int, Field(ge=1, le=2**62)]


class NotificationFilters(Schema):
    kind: NotificationKind | None = None
    unread: bool | None = Field(None, description="true：只看未读")
    q: Annotated[Text, StringConstraints(max_length=64)] | None = Field(None, description="标题或内容")


class DeliveryOut(Schema):
    channel: str
    channel_label: str
    status: str
    status_label: str
    attempts: int
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    link: str
    data: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool
    deliveries: list[DeliveryOut]


class UnreadCountOut(Schema):
    unread: int


class MarkReadIn(Schema):
    ids: list[Id] | None = Field(None, max_length=1000, description="要标为已读的通知；不传则全部标为已读")


class MarkReadOut(Schema):
    marked: int
    unread: int
