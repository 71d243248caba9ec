"""Schemas of school announcements (/api/v1/notifications/announcements)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

from ..choices import Audience

Id = Annotated[int, Field(ge=1, le=2**62)]


class AudienceIn(Schema):
    school: Id | None = Field(None, description="学校（系统管理员必填；学校管理员为本校，可省略）")
    audience: Audience = Field(..., description="通知对象")
    grade: Id | None = Field(None, description="年级（对象为某年级家长时必填）")
    school_class: Id | None = Field(None, description="班级（对象为某班级家长时必填）")
    section: Id | None = Field(None, description="课班（对象为某课班家长时必填）")


class AnnouncementIn(AudienceIn):
    title: Annotated[Text, StringConstraints(max_length=60)] = Field(..., description="标题，最多 60 字")
    body: Annotated[Text, StringConstraints(max_length=2000)] = Field(..., description="内容，最多 2000 字")


class PreviewOut(Schema):
    recipient_count: int
    audience: str
    audience_label: str


class AnnouncementFilters(Schema):
    audience: Audience | None = None
    school: Id | None = None
    date_from: dt.date | None = Field(None, description="发布日期起（含）")
    date_to: dt.date | None = Field(None, description="发布日期止（含）")
    q: Annotated[Text, StringConstraints(max_length=64)] | None = Field(None, description="搜索标题")


class AnnouncementOut(Schema):
    id: int
    school_id: int
    school_name: str
    title: str
    body: str
    audience: str
    audience_label: str
    grade_id: int | None
    school_class_id: int | None
    section_id: int | None
    recipient_count: int
    author_name: str
    created_at: dt.datetime
