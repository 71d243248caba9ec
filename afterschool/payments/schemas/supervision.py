"""schemas: supervision — the bureau's payment lists and a school's fee statistics."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import Text


class SupervisionFilters(Schema):
    q: Text | None = Field(None, max_length=64)
    school: int | None = Field(None, ge=1, le=2**62)
    academic_year: int | None = Field(None, ge=2000, le=2100)
    paid_from: dt.date | None = None
    paid_to: dt.date | None = None


class SchoolFeesFilters(SupervisionFilters):
    section: int | None = Field(None, ge=1, le=2**62)
    refunded: str | None = Field(None, pattern="^(yes|no)$")


class SchoolTotalOut(Schema):
    school_id: int
    school_name: str
    orders: int
    amount_fen: int
    refunded_fen: int
    net_fen: int


class StudentPaymentOut(Schema):
    order_id: int
    order_no: str
    student_name: str = Field(description="脱敏")
    student_number: str = Field(description="脱敏")
    section_id: int
    section_name: str
    academic_year: int
    amount_fen: int
    materials_fen: int
    materials_included: bool
    paid_at: dt.datetime | None
    refunded_fen: int
    refunded_at: dt.datetime | None


class OrderDetailOut(StudentPaymentOut):
    student_id: int
    school_class: str


class SectionStatsOut(Schema):
    section_id: int
    name: str
    term: str
    academic_year: int
    seats: int
    taken: int
    paid: int
    pending: int
    waitlisted: int
    revenue_fen: int
    refunds_fen: int
    net_fen: int
