"""Schemas: sections (课班), their weekly slots, status, history and conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text, WallTime

from ..choices import SectionEventKind, SectionMode, SectionStatus
from ..models import Section

MAX_FEN = 100_000_000


class SlotIn(Schema):
    weekday: int | None = Field(None, ge=1, le=7, description="1=星期一 … 7=星期日；选了时段可不填")
    starts_at: WallTime | None = None
    ends_at: WallTime | None = None
    time_slot_id: int | None = Field(None, ge=1, le=2**62)


class SlotOut(Schema):
    weekday: int
    starts_at: WallTime
    ends_at: WallTime
    time_slot_id: int | None


class SectionTeacherOut(Schema):
    id: int
    name: str
    is_main: bool


class SectionFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="课班、课程或场地名称")
    term: int | None = Field(None, ge=1, le=2**62)
    status: SectionStatus | None = None
    mode: SectionMode | None = None
    course: int | None = Field(None, ge=1, le=2**62)
    grade: int | None = Field(None, ge=1, le=2**62)
    teacher: int | None = Field(None, ge=1, le=2**62)
    school: int | None = Field(None, ge=1, le=2**62)


class SectionIn(Schema):
    school_id: int | None = Field(None, description="仅系统管理员需要", ge=1, le=2**62)
    term_id: int = Field(..., ge=1, le=2**62)
    course_id: int = Field(..., ge=1, le=2**62)
    name: Text = Field(..., min_length=1, max_length=64)
    mode: SectionMode = SectionMode.WALKING
    fee_fen: int = Field(0, ge=0, le=MAX_FEN)
    materials_fee_fen: int = Field(0, ge=0, le=MAX_FEN)
    materials_included: bool = False
    min_students: int = Field(1, ge=1, le=1000)
    max_students: int = Field(30, ge=1, le=1000)
    grade_ids: list[int] = Field(default_factory=list, max_length=20)
    class_ids: list[int] = Field(default_factory=list, max_length=100)
    starts_on: dt.date
    ends_on: dt.date
    venue_id: int | None = Field(None, ge=1, le=2**62)
    registration_window_id: int | None = Field(None, ge=1, le=2**62)
    teacher_ids: list[int] = Field(..., min_length=1, max_length=10, description="第一位为主讲")
    slots: list[SlotIn] = Field(default_factory=list, max_length=14)


class SectionPatch(PatchSchema):
    nullable = frozenset({"venue_id", "registration_window_id"})

    name: Text | None = Field(None, min_length=1, max_length=64)
    mode: SectionMode | None = None
    fee_fen: int | None = Field(None, ge=0, le=MAX_FEN)
    materials_fee_fen: int | None = Field(None, ge=0, le=MAX_FEN)
    materials_included: bool | None = None
    min_students: int | None = Field(None, ge=1, le=1000)
    max_students: int | None = Field(None, ge=1, le=1000)
    grade_ids: list[int] | None = Field(None, max_length=20)
    class_ids: list[int] | None = Field(None, max_length=100)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    venue_id: int | None = Field(None, ge=1, le=2**62)
    registration_window_id: int | None = Field(None, ge=1, le=2**62)
    teacher_ids: list[int] | None = Field(None, min_length=1, max_length=10)
    slots: list[SlotIn] | None = Field(None, max_length=14)


class SectionOut(Schema):
    id: int
    school_id: int
    term_id: int
    course_id: int
    course_name: str = Field(..., alias="course.name")
    name: str
    mode: SectionMode
    status: SectionStatus
    fee_fen: int
    materials_fee_fen: int
    materials_included: bool
    min_students: int
    max_students: int
    grade_ids: list[int]
    class_ids: list[int]
    starts_on: dt.date
    ends_on: dt.date
    venue_id: int | None
    registration_window_id: int | None
    teachers: list[SectionTeacherOut]
    slots: list[SlotOut]
    lesson_count: int
    warnings: list[str]
    cancel_reason: str

    @staticmethod
    def resolve_grade_ids(obj: Section) -> list[int]:
        return [g.pk for g in obj.grades.all()]

    @staticmethod
    def resolve_class_ids(obj: Section) -> list[int]:
        return [c.pk for c in obj.classes.all()]

    @staticmethod
    def resolve_teachers(obj: Section) -> list[dict[str, Any]]:
        return [
            {"id": link.user_id, "name": link.user.display_name or link.user.username, "is_main": link.is_main}
            for link in obj.teacher_links.select_related("user")
        ]

    @staticmethod
    def resolve_slots(obj: Section) -> list[Any]:
        return list(obj.slots.all())

    @staticmethod
    def resolve_lesson_count(obj: Section) -> int:
        from ..services.sections import lesson_count

        return lesson_count(obj)

    @staticmethod
    def resolve_warnings(obj: Section) -> list[str]:
        from ..services.sections import section_warnings

        return section_warnings(obj)


class SectionStatusIn(Schema):
    status: SectionStatus


class SectionEventOut(Schema):
    id: int
    kind: SectionEventKind
    lesson_id: int | None
    actor_id: int | None
    detail: dict[str, Any]
    created_at: dt.datetime


class ConflictOut(Schema):
    kind: str
    message: str
    date: dt.date
    starts_at: WallTime
    ends_at: WallTime
    section_id: int
    lesson_id: int | None
    teacher_id: int | None
    venue_id: int | None
    class_id: int | None


class SectionConflictsOut(Schema):
    conflicts: list[ConflictOut]
    warnings: list[str]
