"""schemas: stats — the filters and rows of the attendance statistics (students, teachers, lessons)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from afterschool.core.api import Paged, Text, WallTime

GroupBy = Literal["student", "section", "class", "grade", "school", "date"]
ID_MAX = 2**62


class StatsFilters(Schema):
    date_from: dt.date | None = Field(None, description="开始日期；默认本学期开始（无学期时为 30 天前）")
    date_to: dt.date | None = Field(None, description="结束日期；默认今天")
    school: int | None = Field(None, description="学校（教育局）", ge=1, le=ID_MAX)
    section: int | None = Field(None, description="课班", ge=1, le=ID_MAX)
    q: Text | None = Field(None, max_length=64, description="搜索")


class StudentStatsFilters(StatsFilters):
    grade: int | None = Field(None, ge=1, le=ID_MAX)
    school_class: int | None = Field(None, ge=1, le=ID_MAX)
    q: Text | None = Field(None, max_length=64, description="学生姓名")
    group_by: GroupBy = Field("student", description="统计方式：学生/课班/班级/年级/学校/日期")


class StudentStatsOut(Schema):
    group_by: str
    key: str = Field(description="学生、课班、班级、年级、学校的编号，或日期")
    label: str
    detail: str = Field(description="学生的班级；课班的课程")
    school_name: str
    lessons: int = Field(description="已上课次（未停课、已开始）")
    expected: int = Field(description="应到人次")
    marked: int = Field(description="已点名人次")
    present: int
    late: int
    left_early: int
    absent: int
    leave: int
    unmarked: int = Field(description="未点名人次")
    attendance_rate: float | None = Field(description="出勤率（%）：(出勤+迟到+早退)/(应到-请假)")
    absence_rate: float | None = Field(description="缺勤率（%）：缺勤/(应到-请假)")
    leave_rate: float | None = Field(description="请假率（%）：请假/应到")


class StudentStatsPage(Paged[StudentStatsOut]):
    date_from: dt.date
    date_to: dt.date


class TeacherStatsOut(Schema):
    teacher_id: int
    teacher_name: str
    organization: str = Field(description="机构教师所属机构；本校教师为空")
    school_id: int
    school_name: str
    taught: int = Field(description="授课课次")
    checked_in: int
    on_time: int
    late: int
    missing: int = Field(description="未签到（课已结束）")
    checked_out: int
    flagged: int = Field(description="定位精度差的签到/签退次数")
    leave: int = Field(description="已批准的请假")
    checkin_rate: float | None
    on_time_rate: float | None


class TeacherStatsPage(Paged[TeacherStatsOut]):
    date_from: dt.date
    date_to: dt.date


class TeacherCheckOut(Schema):
    teacher_id: int
    name: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    in_distance_m: int | None
    in_accuracy_m: int | None
    in_flagged: bool
    out_distance_m: int | None
    out_accuracy_m: int | None
    out_flagged: bool
    late: bool | None


class LessonStatsOut(Schema):
    lesson_id: int
    date: dt.date
    starts_at: WallTime
    ends_at: WallTime
    section_id: int
    section_name: str
    course_name: str
    school_name: str
    teachers: list[TeacherCheckOut]
    expected: int
    present: int
    late: int
    left_early: int
    absent: int
    leave: int
    unmarked: int
    patrols: int
    patrol_score: float | None = Field(description="巡课平均得分率（%）；未巡课为 null")


class LessonStatsPage(Paged[LessonStatsOut]):
    date_from: dt.date
    date_to: dt.date
