"""Schemas: lessons (课次) and their operations."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import Text, WallTime

from ..choices import LessonStatus
from ..models import Lesson


class LessonFilters(Schema):
    section: int | None = Field(None, ge=1, le=2**62)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: LessonStatus | None = None


class LessonOut(Schema):
    id: int
    section_id: int
    section_name: str = Field(..., alias="section.name")
    number: int
    date: dt.date
    starts_at: WallTime
    ends_at: WallTime
    venue_id: int | None
    teacher_ids: list[int]
    chapter_id: int | None
    chapter_title: str | None
    status: LessonStatus
    is_makeup: bool
    makeup_for_id: int | None
    moved_from_date: dt.date | None
    moved_from_starts_at: WallTime | None
    cancel_reason: str

    @staticmethod
    def resolve_teacher_ids(obj: Lesson) -> list[int]:
        return [t.pk for t in obj.teachers.all()]

    @staticmethod
    def resolve_chapter_title(obj: Lesson) -> str | None:
        return obj.chapter.title if obj.chapter is not None else None


class LessonMoveIn(Schema):
    date: dt.date
    starts_at: WallTime
    ends_at: WallTime
    venue_id: int | None = Field(None, ge=1, le=2**62)
    reason: Text = Field("", max_length=200)


class MakeupIn(Schema):
    date: dt.date
    starts_at: WallTime
    ends_at: WallTime
    venue_id: int | None = Field(None, ge=1, le=2**62)


class LessonCancelIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=200)
    makeup: MakeupIn | None = None


class LessonCancelOut(Schema):
    lesson: LessonOut
    makeup: LessonOut | None


class LessonSubstituteIn(Schema):
    old_teacher_id: int = Field(..., ge=1, le=2**62)
    new_teacher_id: int = Field(..., ge=1, le=2**62)
    reason: Text = Field("", max_length=200)
