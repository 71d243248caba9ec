"""Schemas of classroom moments (/api/v1/feedback/lessons/{id}/moments, /moments, /feed)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

from ..choices import MomentMediaKind, MomentStatus
from ..selectors.moments import MAX_TEXT

Id = Annotated[int, Field(ge=1, le=2**62)]
Search = Annotated[Text, StringConstraints(max_length=64)]
RequiredReason = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MomentCreateIn(Schema):
    text: Annotated[Text, StringConstraints(max_length=MAX_TEXT)] = Field(
        ..., description="课堂小结，必填，最多 1000 字"
    )


class MomentRejectIn(Schema):
    reason: RequiredReason = Field(..., description="驳回原因，必填，最多 200 字")


class MomentFilters(Schema):
    school: Id | None = Field(None, description="学校（教育局、系统管理员）")
    section: Id | None = None
    status: MomentStatus | None = Field(None, description="状态（只有学校管理员和作者能看到待审核、已驳回的）")
    date: dt.date | None = Field(None, description="上课日期")
    q: Search | None = Field(None, description="课程、课班、教师或内容")


class FeedFilters(Schema):
    student_id: Id | None = Field(None, description="只看这个孩子所在课班的（不填：全部孩子）")


class MediaQuery(Schema):
    preview: bool = Field(False, description="true：缩略图（图片）或封面（视频；没有封面时为占位图）")


class MomentMediaOut(Schema):
    id: int
    kind: MomentMediaKind
    content_type: str
    size: int
    width: int | None
    height: int | None
    position: int
    has_preview: bool
    url: str
    preview_url: str


class MomentOut(Schema):
    id: int
    school_id: int
    school_name: str
    section_id: int
    section_name: str
    course_name: str
    lesson_id: int
    lesson_date: dt.date
    lesson_label: str
    chapter: str
    author_id: int
    teacher_name: str
    text: str
    status: MomentStatus
    status_label: str
    reject_reason: str
    reviewed_by: str
    reviewed_at: dt.datetime | None
    created_at: dt.datetime
    media: list[MomentMediaOut]
    can_review: bool
    can_delete: bool
