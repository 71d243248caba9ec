"""Schemas of the course catalogue API: courses, chapters, files, materials."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text
from afterschool.core.choices import CourseCategory, MediaKind

from ..models import Course, CourseFile
from ..selectors import catalogue as selectors
from ..services.catalogue import MAX_PRICE_FEN, MAX_QUANTITY

GradeLevel = Annotated[int, Field(ge=1, le=12)]
Id = Annotated[int, Field(ge=1, le=2**62)]


class CourseOut(Schema):
    id: int
    name: str
    category: CourseCategory
    category_label: str
    introduction: str
    grade_levels: list[int]
    owner_school_id: int | None
    owner_organization_id: int | None
    owner_name: str
    chapter_count: int
    review_state: Literal["draft", "submitted", "approved", "rejected"] = Field(
        description="由审核记录得出：draft 未提交，submitted 待审核，approved 已通过，rejected 已驳回"
    )
    locked: bool = Field(description="有待审核或已通过的审核时为 true，此时课程内容不能修改")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_category_label(obj: Course) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_owner_name(obj: Course) -> str:
        return str(obj.owner or "")

    @staticmethod
    def resolve_chapter_count(obj: Course) -> int:
        return int(getattr(obj, "chapter_count", 0) or 0)

    @staticmethod
    def resolve_review_state(obj: Course) -> str:
        return selectors.review_state(obj)

    @staticmethod
    def resolve_locked(obj: Course) -> bool:
        locked = getattr(obj, "is_locked", None)
        return bool(locked) if locked is not None else selectors.course_is_locked(obj)


class CourseFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="课程名称或简介")
    category: CourseCategory | None = None
    owner_type: Literal["school", "organization"] | None = Field(
        None, description="school 学校课程，organization 机构课程"
    )
    grade: int | None = Field(None, ge=1, le=12, description="适用年级（1–12）")
    review_state: Literal["draft", "submitted", "approved", "rejected"] | None = None


class CourseIn(Schema):
    owner_school_id: Id | None = Field(None, description="仅系统管理员：所属学校（与 owner_organization_id 二选一）")
    owner_organization_id: Id | None = Field(None, description="仅系统管理员：所属机构")
    name: Text = Field(..., min_length=1, max_length=64)
    category: CourseCategory
    introduction: Text = Field("", max_length=5000)
    grade_levels: list[GradeLevel] = Field(
        ..., min_length=1, max_length=12, description="适用年级，一年级为 1，高三为 12"
    )


class CoursePatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=64)
    category: CourseCategory | None = None
    introduction: Text | None = Field(None, max_length=5000)
    grade_levels: list[GradeLevel] | None = Field(None, min_length=1, max_length=12)


class ChapterOut(Schema):
    id: int
    course_id: int
    number: int
    title: str
    goals: str


class ChapterIn(Schema):
    title: Text = Field(..., min_length=1, max_length=128)
    goals: Text = Field("", max_length=2000)


class ChapterPatch(PatchSchema):
    title: Text | None = Field(None, min_length=1, max_length=128)
    goals: Text | None = Field(None, max_length=2000)


class ChapterMoveIn(Schema):
    direction: Literal["up", "down"] = Field(..., description="up 上移一位，down 下移一位")


class MaterialOut(Schema):
    id: int
    course_id: int
    name: str
    introduction: str
    quantity: int
    price_fen: int


class MaterialIn(Schema):
    name: Text = Field(..., min_length=1, max_length=64)
    introduction: Text = Field("", max_length=500)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    price_fen: int = Field(0, ge=0, le=MAX_PRICE_FEN, description="单价（分）")


class MaterialPatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=64)
    introduction: Text | None = Field(None, max_length=500)
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)
    price_fen: int | None = Field(None, ge=0, le=MAX_PRICE_FEN)


class FileOut(Schema):
    id: int
    course_id: int
    chapter_id: int | None
    name: str
    media_kind: MediaKind
    content_type: str
    size: int
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj: CourseFile) -> str:
        return f"/api/v1/courses/courses/{obj.course_id}/files/{obj.pk}/download"


class FileFilters(Schema):
    chapter_id: Id | None = Field(None, description="只看某章节的资源")
    attachments_only: bool = Field(False, description="只看课程附件（不属于章节的文件）")


class FileUploadIn(Schema):
    name: Text = Field("", max_length=128, description="显示名称；留空用文件名")
    chapter_id: Id | None = Field(None, description="作为该章节的资源；留空为课程附件")
