"""Schemas of the bureau's patrol summary (/api/v1/patrol/summary)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text


class PatrolSummaryFilters(Schema):
    date_from: dt.date | None = Field(None, description="默认：截至 date_to 的 30 天")
    date_to: dt.date | None = Field(None, description="默认：今天")
    q: Annotated[Text, StringConstraints(max_length=64)] | None = Field(None, description="学校名称")


class PatrolSummaryRowOut(Schema):
    id: int
    name: str
    lessons_held: int
    lessons_patrolled: int
    coverage_percent: float | None
    patrols: int
    average_percent: float | None
    teacher_absent: int
    lowest_item: str
    lowest_item_percent: float | None


class PatrolSummaryOut(Schema):
    date_from: dt.date
    date_to: dt.date
    items: list[PatrolSummaryRowOut]
