"""schemas: autoschedule (排课方案, per-section scheduling inputs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from afterschool.core.api import Text

from ..choices import SchedulingRunStatus


class RunIn(Schema):
    term_id: int = Field(..., ge=1, le=2**62)


class RunFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="学期或学校名称")
    status: SchedulingRunStatus | None = None
    term: int | None = Field(None, ge=1, le=2**62)


class RunOut(Schema):
    id: int
    school_id: int
    term_id: int
    status: SchedulingRunStatus
    solver_status: str
    solve_seconds: float
    objective: int | None
    hard_violations: int
    proposal: Any
    conflicts: Any
    created_at: dt.datetime
    applied_at: dt.datetime | None


class ScheduleInputsIn(Schema):
    sessions_per_week: int | None = Field(None, ge=1, le=7)
    allowed_slot_ids: list[int] | None = Field(None, max_length=100)
    preferred_slot_ids: list[int] | None = Field(None, max_length=100)
    candidate_venue_ids: list[int] | None = Field(None, max_length=200)


class ScheduleInputsOut(Schema):
    id: int
    sessions_per_week: int
    allowed_slot_ids: list[int]
    preferred_slot_ids: list[int]
    candidate_venue_ids: list[int]
