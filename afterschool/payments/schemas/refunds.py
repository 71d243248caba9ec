"""Schemas of withdrawal and refunds (/api/v1/payments/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text
from afterschool.payments.choices import RefundReason, RefundStatus

Id = Annotated[int, Field(ge=1, le=2**62)]
Reason = Annotated[Text, StringConstraints(max_length=200)]


class QuoteOut(Schema):
    order_id: int
    paid_fen: int
    refunded_fen: int
    in_flight_fen: int
    fee_part_fen: int
    materials_part_fen: int
    amount_fen: int
    lessons_total: int
    lessons_held: int
    lessons_remaining: int
    started: bool
    rule: str
    materials_rule: str


class RefundWithdrawIn(Schema):
    reason: Reason


class RefundRejectIn(Schema):
    reason: Reason


class SchoolRefundIn(Schema):
    amount_fen: int = Field(..., ge=1, le=2**31)
    note: Reason


class RefundFilters(Schema):
    status: RefundStatus | None = None
    reason: RefundReason | None = None
    section: Id | None = None
    order: Id | None = None
    q: Annotated[Text, StringConstraints(max_length=64)] | None = None


class RefundOut(Schema):
    id: int
    refund_no: str
    order_id: int
    order_no: str
    section_id: int
    section_name: str
    student_id: int
    student_name: str
    reason: str
    reason_label: str
    fee_part_fen: int
    materials_part_fen: int
    amount_fen: int
    status: str
    status_label: str
    note: str
    reject_reason: str
    bank_refund_id: str
    policy: dict[str, object]
    created_at: dt.datetime
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    can_decide: bool
    can_retry: bool
