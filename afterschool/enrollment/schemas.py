"""Schemas of enrollments (/api/v1/enrollment/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

from .choices import EnrollmentStatus

Id = Annotated[int, Field(ge=1, le=2**62)]
Reason = Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class EnrollmentFilters(Schema):
    section: Id | None = None
    student: Id | None = None
    status: EnrollmentStatus | None = None
    q: Annotated[Text, StringConstraints(max_length=64)] | None = None


class EnrollmentOut(Schema):
    id: int
    section_id: int
    section_name: str = Field(..., alias="section.name")
    student_id: int
    student_name: str = Field(..., alias="student.name")
    student_number: str = Field(..., alias="student.student_number")
    status: str
    source: str
    ended_at: dt.datetime | None
    end_reason: str
    moved_to_id: int | None
    created_at: dt.datetime


class EnrollmentIn(Schema):
    section: Id
    student: Id


class EnrollmentBatchIn(Schema):
    """Exactly one of: students (ids), school_class (one class's students), all_classes (原班: its classes)."""

    section: Id
    students: list[Id] | None = Field(None, max_length=2000)
    school_class: Id | None = None
    all_classes: bool = False


class RefusedOut(Schema):
    student_id: int
    student_name: str
    reason: str


class BatchOut(Schema):
    enrolled: list[EnrollmentOut]
    refused: list[RefusedOut]


class RemoveIn(Schema):
    reason: Reason
