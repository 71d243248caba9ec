from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import Text


class MembershipOut(Schema):
    id: int
    role: str
    role_label: str
    scope_label: str
    region_id: int | None
    school_id: int | None
    organization_id: int | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    mobile_masked: str
    active_membership: MembershipOut | None
    memberships: list[MembershipOut]


class TokenIn(Schema):
    name: Text = Field(..., min_length=1, max_length=64)
    days: int = Field(90, ge=1, le=366)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    role: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIssuedOut(TokenOut):
    token: str = Field(..., description="仅在签发时返回一次")


class AuditEventOut(Schema):
    id: int
    chain: int
    seq: int
    occurred_at: dt.datetime
    username: str
    role: str
    scope: str
    client_ip: str
    event: str
    object_type: str
    object_id: str
    object_repr: str
    outcome: str


class AuditFilters(Schema):
    q: Text | None = Field(None, max_length=64)
    event: Text | None = Field(None, max_length=48)
    outcome: Text | None = Field(None, max_length=16)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
