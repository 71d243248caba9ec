"""Schemas: roll (a lesson's student attendance, marks and check-out, a teacher's day, a child's lessons)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from afterschool.core.api import Text, WallTime

from ..choices import AttendanceStatus

Id = Annotated[int, Field(ge=1, le=2**62)]


class MarkIn(Schema):
    student_id: Id
    status: AttendanceStatus = Field(
        ..., description="present 出勤 / late 迟到 / absent 缺勤 / left_early 早退 / leave 请假"
    )
    note: Text | None = Field(None, max_length=200, description="备注（不传则不修改）")


class MarksIn(Schema):
    marks: list[MarkIn] = Field(..., min_length=1, max_length=500)


class CheckoutIn(Schema):
    student_ids: list[Id] | None = Field(
        None, min_length=1, max_length=500, description="要签退的学生；不传则给所有已到且未签退的学生签退"
    )


class LessonHeadOut(Schema):
    id: int
    number: int
    date: dt.date
    weekday: str
    starts_at: WallTime
    ends_at: WallTime
    status: str
    course: str
    section_id: int
    section: str
    chapter: str = Field(..., description="第 N 章 章节名；未关联章节时为空")
    venue: str
    teachers: list[str]


class RollStudentOut(Schema):
    student_id: int
    name: str
    class_name: str
    status: str | None = Field(..., description="未点名时为 null")
    status_label: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    note: str
    leave_id: int | None = Field(..., description="批准的请假单（请假由请假审批填入时）")
    corrected: bool


class RollCountsOut(Schema):
    total: int
    marked: int
    attended: int
    checked_out: int
    by_status: dict[str, int]


class RollOut(Schema):
    lesson: LessonHeadOut
    phase: str = Field(
        ..., description="before 未到点名时间 / open 点名中 / correction 课后更正期 / closed 已过更正期限"
    )
    opens_at: dt.datetime
    ends_at: dt.datetime
    correction_deadline: dt.datetime
    counts: RollCountsOut
    students: list[RollStudentOut]


class MarkResultOut(Schema):
    changed: int
    correction: bool
    roll: RollOut


class TodayQuery(Schema):
    date: dt.date | None = Field(None, description="日期（默认今天）")


class TodayLessonOut(Schema):
    lesson: LessonHeadOut
    state: str = Field(..., description="未开始 / 进行中 / 已结束 / 已停课")
    total: int
    marked: int
    progress: str
    classes: str
    checkin: str = Field(..., description="教师：本人签到状态；学校管理员：教师签到人数")


class ChildLessonQuery(Schema):
    section: Id | None = Field(None, description="只看一个课班")
    start: dt.date | None = Field(None, description="开始日期（含）")
    end: dt.date | None = Field(None, description="结束日期（含）")


class ChildLessonOut(Schema):
    lesson: LessonHeadOut
    status: str = Field(
        ...,
        description="present/late/absent/left_early/leave，或 unmarked 未点名、upcoming 待上课、cancelled 已停课",
    )
    status_label: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
