from __future__ import annotations

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text

from ..choices import VenueKind


class VenueOut(Schema):
    id: int
    school_id: int
    name: str
    location: str
    capacity: int
    kind: VenueKind
    is_active: bool


class VenueFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="场地名称或位置")
    kind: VenueKind | None = None
    is_active: bool | None = None
    school: int | None = Field(None, ge=1, le=2**62)


class VenueIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    name: Text = Field(..., min_length=1, max_length=64)
    location: Text = Field("", max_length=128)
    capacity: int = Field(..., le=100_000, description="容量（人），须大于 0")
    kind: VenueKind = VenueKind.CLASSROOM
    is_active: bool = True


class VenuePatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=64)
    location: Text | None = Field(None, max_length=128)
    capacity: int | None = Field(None, le=100_000)
    kind: VenueKind | None = None
    is_active: bool | None = None
