"""Schemas of the waitlist (/api/v1/payments/waitlist)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

from ..choices import WaitlistStatus

Id = Annotated[int, Field(ge=1, le=2**62)]


class WaitlistIn(Schema):
    section_id: Id
    student_id: Id
    with_materials: bool = False


class WaitlistFilters(Schema):
    section: Id | None = None
    student: Id | None = None
    status: WaitlistStatus | None = None
    q: Annotated[Text, StringConstraints(max_length=64)] | None = None


class WaitlistCancelIn(Schema):
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class WaitlistOut(Schema):
    id: int
    section_id: int
    section_name: str = Field(..., alias="section.name")
    student_id: int
    student_name: str = Field(..., alias="student.name")
    status: str
    status_label: str = Field(..., alias="get_status_display")
    position: int | None = None
    materials_included: bool
    offered_at: dt.datetime | None
    offer_deadline: dt.datetime | None
    order_id: int | None
    order_no: str | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_position(obj: object) -> int | None:
        from ..selectors.waitlist import position_of

        return position_of(obj)  # type: ignore[arg-type]

    @staticmethod
    def resolve_order_no(obj: object) -> str | None:
        order = getattr(obj, "order", None)
        return order.order_no if order is not None else None
