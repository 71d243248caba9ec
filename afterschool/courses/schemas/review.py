"""API schemas of course review (课程审核)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from afterschool.core.api import Text
from afterschool.core.choices import CourseCategory

from ..choices import OfferStatus, ReviewAction

SchoolId = Annotated[int, Field(ge=1, le=2**62)]


class ReviewOut(Schema):
    id: int
    action: ReviewAction
    from_status: str
    to_status: OfferStatus
    comment: str
    actor_name: str
    actor_role: str
    created_at: dt.datetime

    @staticmethod
    def resolve_actor_name(obj: object) -> str:
        user = getattr(obj, "actor", None)
        return str(user) if user is not None else ""


class OfferOut(Schema):
    id: int
    course_id: int
    course_name: str
    course_category: CourseCategory
    owner_school_id: int | None
    owner_organization_id: int | None
    owner_name: str
    school_id: int
    school_name: str
    status: OfferStatus
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    comment: str

    @staticmethod
    def resolve_course_name(obj: object) -> str:
        return obj.course.name  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_course_category(obj: object) -> str:
        return obj.course.category  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_owner_school_id(obj: object) -> int | None:
        return obj.course.owner_school_id  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_owner_organization_id(obj: object) -> int | None:
        return obj.course.owner_organization_id  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_owner_name(obj: object) -> str:
        return str(obj.course.owner)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_school_name(obj: object) -> str:
        return obj.school.name  # type: ignore[attr-defined,no-any-return]


class OfferDetailOut(OfferOut):
    history: list[ReviewOut]


class OfferFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="课程名称")
    status: OfferStatus | None = None
    school: int | None = Field(None, ge=1, le=2**62, description="审核学校 id")
    organization: int | None = Field(None, ge=1, le=2**62, description="课程所属机构 id")
    category: CourseCategory | None = None
    course: int | None = Field(None, ge=1, le=2**62, description="课程 id")


class SubmitIn(Schema):
    school_ids: list[SchoolId] = Field(
        default_factory=list,
        max_length=500,
        description="机构课程：提交审核的合作学校 id（至少一所）；学校自有课程可省略（总是本校）",
    )


class DecisionIn(Schema):
    comment: Text = Field("", max_length=500, description="审核意见（通过时可空）")


class RejectIn(Schema):
    comment: Text = Field(..., max_length=500, description="驳回意见（必填）")


class WithdrawIn(Schema):
    reason: Text = Field(..., max_length=500, description="撤销原因（必填）")
    school_ids: list[SchoolId] | None = Field(
        None, max_length=500, description="只撤销这些学校的审核通过；省略则撤销本区域全部已通过的审核"
    )


class SchedulableParams(Schema):
    school_id: int = Field(..., ge=1, le=2**62, description="学校 id")
    on: dt.date = Field(..., description="上课日期，如 2026-09-07")


class SchedulableOut(Schema):
    schedulable: bool
    reason: str | None
