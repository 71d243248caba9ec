"""Schemas of notification preferences (/api/v1/notifications/preferences)."""

from __future__ import annotations

from typing import Annotated

from annotated_types import MaxLen
from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

Key = Annotated[Text, StringConstraints(max_length=32)]


class ChoiceOut(Schema):
    value: str
    label: str


class PreferenceRowOut(Schema):
    kind: str
    label: str
    channels: list[str]


class PreferencesOut(Schema):
    preferences: dict[str, list[str]] = Field(..., description="{类型: [渠道]}；空列表表示只在站内通知")
    rows: list[PreferenceRowOut]
    channels: list[ChoiceOut] = Field(..., description="可选渠道（站内通知始终开启，不在其中）")


class PreferencesIn(Schema):
    preferences: dict[Key, Annotated[list[Key], MaxLen(10)]] = Field(
        ...,
        max_length=50,
        description="{类型: [渠道]}，整体替换；未列出的类型只在站内通知。渠道：sms 短信、wechat 微信",
    )
