"""Schemas of chapter materials (/api/v1/feedback/sections/{id}/materials, /materials/{id})."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text
from afterschool.core.choices import MediaKind

from ..services.materials import MAX_TITLE

Id = Annotated[int, Field(ge=1, le=2**62)]


class ChapterMaterialCreateIn(Schema):
    chapter_id: Id = Field(..., description="课班所属课程的章节")
    title: Annotated[Text, StringConstraints(max_length=MAX_TITLE)] = Field(..., description="标题，必填，最多 100 字")


class ChapterMaterialFilters(Schema):
    chapter: Id | None = None
    kind: MediaKind | None = None
    q: Annotated[Text, StringConstraints(max_length=64)] | None = Field(None, description="标题")


class ChapterMaterialOut(Schema):
    id: int
    section_id: int
    chapter_id: int
    chapter_number: int
    chapter_title: str
    title: str
    media_kind: MediaKind
    content_type: str
    size: int
    uploaded_by: str
    created_at: dt.datetime
    url: str
    can_delete: bool
