"""schemas: operations (split / move / cancel)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text, WallTime

Id = Annotated[int, Field(ge=1, le=2**62)]
Reason = Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class PartSlotIn(Schema):
    weekday: int = Field(..., ge=1, le=7)
    starts_at: WallTime
    ends_at: WallTime


class NewSectionIn(Schema):
    """What one new part gets; everything may be left out (a draft to be scheduled)."""

    venue: Id | None = None
    teachers: list[Id] = Field(default_factory=list, max_length=20)
    slots: list[PartSlotIn] = Field(default_factory=list, max_length=14)


class SplitIn(Schema):
    parts: int = Field(..., ge=2, le=10, description="分成几个课班（含原课班）")
    strategy: Literal["class", "balanced", "chosen"]
    chosen: list[Annotated[list[Id], Field(max_length=2000)]] | None = Field(
        None, max_length=9, description="strategy=chosen：第 2..n 个课班各自的学生 id"
    )
    new_sections: list[NewSectionIn] | None = Field(None, max_length=9, description="第 2..n 个课班的场地、教师、时间")


class SectionBriefOut(Schema):
    id: int
    name: str
    status: str
    split_from_id: int | None
    active_students: int


class SplitOut(Schema):
    sections: list[SectionBriefOut]


class MoveIn(Schema):
    target: Id
    students: list[Id] = Field(..., min_length=1, max_length=2000)
    reason: Annotated[Text, StringConstraints(max_length=200)] = ""


class MovedOut(Schema):
    id: int
    section_id: int
    student_id: int
    source: str


class MoveOut(Schema):
    moved: list[MovedOut]


class CancelIn(Schema):
    reason: Reason


class CancelOut(Schema):
    id: int
    name: str
    status: str
    cancel_reason: str
    cancelled_at: dt.datetime | None
