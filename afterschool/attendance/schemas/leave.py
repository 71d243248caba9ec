"""Schemas of leave (/api/v1/attendance/leave-requests, /api/v1/attendance/teacher-leaves)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text, WallTime

from ..choices import LeaveStatus, TeacherLeaveResolution

Id = Annotated[int, Field(ge=1, le=2**62)]
Reason = Annotated[Text, StringConstraints(max_length=200)]
RequiredReason = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Search = Annotated[Text, StringConstraints(max_length=64)]


class LeaveCreateIn(Schema):
    student_id: Id
    lesson_ids: list[Id] = Field(..., min_length=1, max_length=100, description="要请假的课次（可跨课班）")
    reason: Reason = Field(..., description="请假原因，必填，最多 200 字")


class LeaveDecisionIn(Schema):
    note: Reason = Field("", description="审批意见（可不填）")


class LeaveRejectIn(Schema):
    reason: RequiredReason = Field(..., description="驳回原因，必填")


class LeaveFilters(Schema):
    status: LeaveStatus | None = None
    section: Id | None = None
    student: Id | None = None
    date: dt.date | None = Field(None, description="请假课次中有这一天的课")
    q: Search | None = Field(None, description="学生姓名")


class LessonBrief(Schema):
    id: int
    date: dt.date
    starts_at: WallTime
    ends_at: WallTime
    label: str
    chapter: str
    status: str


class LeaveOut(Schema):
    id: int
    student_id: int
    student_name: str
    school_id: int
    section_id: int
    section_name: str
    course_name: str
    lessons: list[LessonBrief]
    reason: str
    status: LeaveStatus
    status_label: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str
    can_decide: bool
    can_withdraw: bool


class TeacherLeaveCreateIn(Schema):
    lesson_id: Id
    reason: Reason = Field(..., description="请假原因，必填，最多 200 字")


class TeacherLeaveApproveIn(Schema):
    resolution: TeacherLeaveResolution = Field(..., description="substitute 安排代课（给 substitute_id）或 cancel 停课")
    substitute_id: Id | None = None
    note: Reason = Field("", description="审批意见；停课时作为停课原因告知家长")


class TeacherLeaveFilters(Schema):
    status: LeaveStatus | None = None
    section: Id | None = None
    date: dt.date | None = None
    q: Search | None = Field(None, description="教师姓名或账号")


class TeacherLeaveOut(Schema):
    id: int
    teacher_id: int
    teacher_name: str
    school_id: int
    section_id: int
    section_name: str
    course_name: str
    lesson: LessonBrief
    reason: str
    status: LeaveStatus
    status_label: str
    resolution: str
    resolution_label: str
    substitute_id: int | None
    substitute_name: str
    requested_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str
    can_decide: bool
    can_withdraw: bool
