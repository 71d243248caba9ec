"""Schemas of patrols (/api/v1/patrol/today, /lessons/{id}/patrols, /patrols)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

Id = Annotated[int, Field(ge=1, le=2**62)]


class TodayFilters(Schema):
    school_id: Id | None = Field(None, description="学校（仅平台管理员需要指定）")


class PersonOut(Schema):
    id: int
    name: str


class TaskLessonOut(Schema):
    lesson_id: int
    date: dt.date
    starts_at: str
    ends_at: str
    section_id: int
    section_name: str
    course_name: str
    venue: str
    teachers: list[PersonOut]
    state: str
    state_label: str
    patrollers: list[PersonOut]
    patrolled_by_me: bool
    my_patrol_id: int | None
    teaches_it: bool
    can_patrol: bool


class TodayOut(Schema):
    school_id: int
    school_name: str
    date: dt.date
    now: str
    total: int
    started: int
    patrolled: int
    mine: int
    lessons: list[TaskLessonOut]


class ScoreIn(Schema):
    criterion_id: Id
    score: int = Field(..., ge=0, le=10)


class PatrolIn(Schema):
    scores: list[ScoreIn] = Field(..., max_length=100, description="每个启用的评价项一个分数")
    teacher_present: bool = True
    head_count: int = Field(..., ge=0, le=10000)
    comment: Annotated[Text, StringConstraints(max_length=500)] = ""


class PatrolFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    school: Id | None = None
    section: Id | None = None
    teacher: Id | None = Field(None, description="任课教师（用户 id）")
    patroller: Id | None = Field(None, description="巡课人（用户 id）")
    teacher_absent: bool | None = Field(None, description="只看教师不在岗")
    q: Annotated[Text, StringConstraints(max_length=64)] | None = None


class ScoreOut(Schema):
    criterion_id: int | None
    name: str
    scale: str
    score: int


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    url: str


class PatrolOut(Schema):
    id: int
    lesson_id: int
    date: dt.date
    starts_at: str
    ends_at: str
    school_id: int
    school_name: str
    section_id: int
    section_name: str
    course_name: str
    teachers: list[PersonOut]
    patroller: PersonOut
    teacher_present: bool
    head_count: int
    score_percent: float
    comment: str
    created_at: dt.datetime


class PatrolDetailOut(PatrolOut):
    roll_size: int
    scores: list[ScoreOut]
    photos: list[PhotoOut]
