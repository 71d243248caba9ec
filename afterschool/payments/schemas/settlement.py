"""schemas: settlement (结算约定、结算单)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text

from ..choices import BillRaisedBy, BillStatus, SettlementMode

ID = Field(..., ge=1, le=2**62)


class TermsOut(Schema):
    id: int
    school_id: int
    school_name: str = Field(..., alias="school.name")
    organization_id: int
    organization_name: str = Field(..., alias="organization.name")
    mode: SettlementMode
    rate_fen: int
    share_permille: int
    starts_on: dt.date
    ends_on: dt.date | None
    note: str


class TermsFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="学校、机构名称或说明")
    mode: SettlementMode | None = None
    organization_id: int | None = Field(None, ge=1, le=2**62)
    school_id: int | None = Field(None, ge=1, le=2**62)


class TermsIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    organization_id: int = ID
    mode: SettlementMode
    rate_fen: int = Field(0, ge=0, le=100_000_000, description="按课次/按人次的单价（分）")
    share_permille: int = Field(0, ge=0, le=1000, description="按学费分成的比例（‰）")
    starts_on: dt.date
    ends_on: dt.date | None = None
    note: Text = Field("", max_length=200)


class TermsPatch(PatchSchema):
    nullable: ClassVar[frozenset[str]] = frozenset({"ends_on"})

    mode: SettlementMode | None = None
    rate_fen: int | None = Field(None, ge=0, le=100_000_000)
    share_permille: int | None = Field(None, ge=0, le=1000)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    note: Text | None = Field(None, max_length=200)


class BillLineOut(Schema):
    section_id: int
    section: str
    course: str
    lessons: int
    students: int
    fees_fen: int
    amount_fen: int


class BillEventOut(Schema):
    action: str
    from_status: str
    to_status: str
    comment: str
    actor_id: int | None
    actor_role: str
    created_at: dt.datetime


class BillOut(Schema):
    id: int
    bill_no: str
    school_id: int
    school_name: str = Field(..., alias="school.name")
    organization_id: int
    organization_name: str = Field(..., alias="organization.name")
    terms_id: int
    mode: SettlementMode = Field(..., alias="terms.mode")
    period_start: dt.date
    period_end: dt.date
    lessons_delivered: int
    student_lessons: int
    fees_net_fen: int
    amount_fen: int
    status: BillStatus
    raised_by: BillRaisedBy
    paid_at: dt.datetime | None
    created_at: dt.datetime


class BillDetailOut(BillOut):
    details: list[BillLineOut]
    events: list[BillEventOut]

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.all())


class BillFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="结算单号、学校或机构名称")
    status: BillStatus | None = None
    organization_id: int | None = Field(None, ge=1, le=2**62)
    school_id: int | None = Field(None, ge=1, le=2**62)
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="结算期所在月份，如 2026-11")


class BillRaiseIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="机构或系统发起时必填；学校管理员总是本校")
    organization_id: int | None = Field(None, ge=1, le=2**62, description="学校或系统发起时必填；机构管理员总是本机构")
    period_start: dt.date
    period_end: dt.date


class BillCommentIn(Schema):
    comment: Text = Field("", max_length=500)


class BillRejectIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=500)
