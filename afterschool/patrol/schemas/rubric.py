"""Schemas of the patrol rubric (/api/v1/patrol/criteria)."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import PatchSchema, Text

from ..choices import ScoreScale

Id = Annotated[int, Field(ge=1, le=2**62)]
Name = Annotated[Text, StringConstraints(max_length=32)]
Description = Annotated[Text, StringConstraints(max_length=200)]


class CriterionFilters(Schema):
    school_id: Id | None = Field(None, description="学校（平台、教育局按学校查看；学校账号默认本校）")
    active: bool | None = Field(None, description="只看启用（true）或停用（false）的评价项")


class RubricSchoolIn(Schema):
    school_id: Id | None = Field(None, description="学校（仅平台管理员需要指定）")


class CriterionIn(RubricSchoolIn):
    name: Name
    description: Description = ""
    scale: ScoreScale = ScoreScale.FIVE


class CriterionPatch(PatchSchema):
    name: Name | None = None
    description: Description | None = None
    scale: ScoreScale | None = None
    is_active: bool | None = None


class CriterionMoveIn(Schema):
    direction: Literal["up", "down"]


class CriterionOut(Schema):
    id: int
    school_id: int
    name: str
    description: str
    scale: str
    scale_label: str
    min_score: int
    max_score: int
    position: int
    is_active: bool


class DeleteOut(Schema):
    id: int
    result: Literal["deleted", "deactivated"]
