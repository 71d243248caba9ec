"""Schemas of course selection and orders (/api/v1/payments/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text
from afterschool.payments.choices import OrderStatus

Id = Annotated[int, Field(ge=1, le=2**62)]


class SelectableQuery(Schema):
    student_id: Id


class SectionOptionOut(Schema):
    section_id: int
    name: str
    course: str
    mode: str
    fee_fen: int
    fee_yuan: str
    materials_fee_fen: int
    materials_yuan: str
    materials_included: bool
    max_students: int
    seats_taken: int
    seats_left: int
    schedule: list[str]
    teachers: list[str]
    venue: str | None
    starts_on: dt.date
    ends_on: dt.date
    window_closes_at: dt.datetime | None
    placed: bool
    clashes: list[str]
    can_order: bool


class OrderIn(Schema):
    section_id: Id
    student_id: Id
    with_materials: bool = False


class OrderFilters(Schema):
    section: Id | None = None
    student: Id | None = None
    status: OrderStatus | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: Annotated[Text, StringConstraints(max_length=64)] | None = None


class OrderCloseIn(Schema):
    reason: Annotated[Text, StringConstraints(max_length=200)] = ""


class OrderOut(Schema):
    id: int
    order_no: str
    section_id: int
    section_name: str
    student_id: int
    student_name: str
    fee_fen: int
    materials_fen: int
    amount_fen: int
    materials_included: bool
    status: str
    status_label: str
    deadline: dt.datetime
    paid_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    created_at: dt.datetime
