"""Schemas: timetables (lessons of a window, calendar feeds)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from ..selectors.timetables import lesson_chapter_label, lesson_group_name


class TimetableQuery(Schema):
    start: dt.date = Field(..., description="开始日期（含）")
    end: dt.date = Field(..., description="结束日期（含），与开始日期相差不超过 62 天")
    school: int | None = Field(None, ge=1, le=2**62)
    term: int | None = Field(None, ge=1, le=2**62)
    grade: int | None = Field(None, ge=1, le=2**62)
    school_class: int | None = Field(None, ge=1, le=2**62, description="班级（原班课班与该班学生参加的走班课班）")
    teacher: int | None = Field(None, ge=1, le=2**62, description="教师（用户 id）")
    venue: int | None = Field(None, ge=1, le=2**62)
    course: int | None = Field(None, ge=1, le=2**62)
    section: int | None = Field(None, ge=1, le=2**62)
    student: int | None = Field(None, ge=1, le=2**62)
    mine: bool = Field(False, description="只看我上的课（教师）")

    def filters(self) -> dict[str, Any]:
        return self.dict(exclude={"start", "end", "mine"}, exclude_none=True)


class NamedRef(Schema):
    id: int
    name: str


class ChapterRef(Schema):
    id: int
    number: int
    title: str


class LessonSectionRef(Schema):
    id: int
    name: str
    mode: str
    school_id: int
    term_id: int


class TimetableLessonOut(Schema):
    id: int
    number: int
    date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    status: str
    is_makeup: bool
    cancel_reason: str
    section: LessonSectionRef
    course: NamedRef
    school: NamedRef
    group_name: str = Field(..., description="原班：班级名称；走班：课班名称")
    chapter: ChapterRef | None
    chapter_label: str
    venue: NamedRef | None
    teachers: list[NamedRef]

    @staticmethod
    def resolve_course(obj: Any) -> dict[str, Any]:
        return {"id": obj.section.course_id, "name": obj.section.course.name}

    @staticmethod
    def resolve_school(obj: Any) -> dict[str, Any]:
        return {"id": obj.section.school_id, "name": obj.section.school.name}

    @staticmethod
    def resolve_group_name(obj: Any) -> str:
        return lesson_group_name(obj)

    @staticmethod
    def resolve_chapter_label(obj: Any) -> str:
        return lesson_chapter_label(obj)

    @staticmethod
    def resolve_venue(obj: Any) -> dict[str, Any] | None:
        return {"id": obj.venue_id, "name": obj.venue.name} if obj.venue is not None else None

    @staticmethod
    def resolve_teachers(obj: Any) -> list[dict[str, Any]]:
        return [{"id": u.pk, "name": str(u)} for u in obj.teachers.all()]


class CalendarFeedIn(Schema):
    student: int | None = Field(None, ge=1, le=2**62, description="家长：为哪个孩子订阅；教师不填；学生不填或填本人")


class CalendarFeedOut(Schema):
    id: int
    student_id: int | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class CalendarFeedCreated(CalendarFeedOut):
    url: str = Field(..., description="订阅地址（只返回这一次）")
