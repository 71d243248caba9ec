"""schemas: evaluations — a family's scores in, evaluations out (names only where the reader may see them), the
sections a child may evaluate, and the statistics' filters and rows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from afterschool.core.api import Paged, Text
from afterschool.core.choices import CourseCategory

ID_MAX = 2**62
GroupBy = Literal["section", "course", "teacher", "organization", "school"]
State = Literal["too_early", "open", "editable", "done"]
TERM_PATTERN = r"^\d{4}-[12]$"


class EvaluationIn(Schema):
    student_id: int = Field(ge=1, le=ID_MAX, description="学生（家长的孩子，或学生本人）")
    section_id: int = Field(ge=1, le=ID_MAX, description="课班（学生在读，或读到结课）")
    content_score: int = Field(ge=1, le=5, description="课程内容，1–5")
    teacher_score: int = Field(ge=1, le=5, description="授课教师，1–5")
    resources_score: int = Field(ge=1, le=5, description="课程资源，1–5")
    management_score: int = Field(ge=1, le=5, description="课堂管理，1–5")
    comment: Text = Field("", max_length=500, description="评语（选填，最多 500 字）")


class EvaluationOut(Schema):
    id: int
    section_id: int
    section_name: str
    course_name: str
    school_name: str
    content_score: int
    teacher_score: int
    resources_score: int
    management_score: int
    average: float = Field(description="四项平均，一位小数")
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime
    editable_until: dt.datetime = Field(description="此时间前可修改（提交后若干天内）")
    student_id: int | None = Field(description="学生；教师和教育局看到的评价为匿名（null）")
    student_name: str | None = Field(description="学生姓名；匿名时为 null")
    author_name: str | None = Field(description="评价人；匿名时为 null")


class EvaluationAvailableQuery(Schema):
    student_id: int = Field(ge=1, le=ID_MAX, description="学生（家长的孩子，或学生本人）")


class EvaluationAvailableOut(Schema):
    section_id: int
    section_name: str
    course_name: str
    school_name: str
    term: str
    teachers: list[str]
    state: State = Field(description="too_early 未到评价时间 / open 可评价 / editable 已评价可修改 / done 已评价")
    state_label: str
    message: str = Field(description="未到评价时间时说明何时可评")
    lessons_started: int = Field(description="已开始的课次（不含停课）")
    opens_at: dt.datetime | None = Field(
        description="可评价的时间（开课满规定次数的那次课的开始时间，学校当地时间）；未排课为 null"
    )
    evaluation: EvaluationOut | None


class EvaluationFilters(Schema):
    student: int | None = Field(None, ge=1, le=ID_MAX, description="学生（家长、学生本人）")
    section: int | None = Field(None, ge=1, le=ID_MAX, description="课班")
    school: int | None = Field(None, ge=1, le=ID_MAX, description="学校（教育局）")
    term: str | None = Field(None, pattern=TERM_PATTERN, description="学期，如 2026-1（2026–2027 学年第一学期）")
    date_from: dt.date | None = Field(None, description="提交日期从")
    date_to: dt.date | None = Field(None, description="提交日期到")
    category: CourseCategory | None = Field(None, description="课程类别")
    with_comment: bool = Field(False, description="只看有评语的")
    q: Text | None = Field(None, max_length=64, description="搜索：评语、课程、课班；能看到姓名时也搜学生姓名")


class EvaluationStatsFilters(Schema):
    group_by: GroupBy = Field("section", description="统计方式：课班/课程/教师/机构/学校（学校仅教育局）")
    term: str | None = Field(None, pattern=TERM_PATTERN, description="学期，如 2026-1")
    date_from: dt.date | None = Field(None, description="提交日期从")
    date_to: dt.date | None = Field(None, description="提交日期到")
    school: int | None = Field(None, ge=1, le=ID_MAX, description="学校（教育局）")
    category: CourseCategory | None = Field(None, description="课程类别")
    q: Text | None = Field(None, max_length=64, description="搜索分组名称")


class EvaluationStatsRowOut(Schema):
    group_by: str
    key: int | None = Field(description="课班、课程、教师、机构、学校的编号；学校自有课程为 null")
    label: str
    detail: str
    school_name: str
    count: int = Field(description="评价数")
    content_score: float | None = Field(description="课程内容均分")
    teacher_score: float | None = Field(description="授课教师均分")
    resources_score: float | None = Field(description="课程资源均分")
    management_score: float | None = Field(description="课堂管理均分")
    overall: float | None = Field(description="综合均分（四项评分的平均）")
    satisfaction: float | None = Field(description="满意度（%）：四项评分中 4、5 分所占比例")
    placed: int | None = Field(description="在读人数（仅按课班）")
    response_rate: float | None = Field(description="参评率（%）：在读学生中已评价的比例（仅按课班）")


class EvaluationStatsPage(Paged[EvaluationStatsRowOut]):
    pass
