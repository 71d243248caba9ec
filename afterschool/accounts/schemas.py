from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from afterschool.core.api import PatchSchema, Text

from .choices import OrgPermission
from .models import OrgRole, RoleMembership


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


# --- Organization roles (机构角色, §5.5.3) -----------------------------------------------------------------------

_PERMISSIONS_HELP = "机构权限代码，取值：" + "、".join(f"{p.value}（{p.label}）" for p in OrgPermission)


class OrgRoleOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    name: str
    description: str
    permissions: list[str]
    permission_labels: list[str]
    member_count: int

    @staticmethod
    def resolve_organization_name(obj: OrgRole) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_permission_labels(obj: OrgRole) -> list[str]:
        labels = dict(OrgPermission.choices)
        return [str(labels.get(p, p)) for p in obj.permissions or []]

    @staticmethod
    def resolve_member_count(obj: OrgRole) -> int:
        return obj.memberships.filter(is_active=True).count()


class OrgRoleFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="角色名称或说明")
    permission: OrgPermission | None = None
    organization: int | None = Field(None, ge=1, le=2**62, description="机构 id（系统管理员、教育局用）")


class OrgRoleIn(Schema):
    organization_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；机构人员总是本机构")
    name: Text = Field(..., min_length=1, max_length=32)
    description: Text = Field("", max_length=200)
    permissions: list[Text] = Field(default_factory=list, max_length=32, description=_PERMISSIONS_HELP)


class OrgRolePatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=32)
    description: Text | None = Field(None, max_length=200)
    permissions: list[Text] | None = Field(None, max_length=32, description=_PERMISSIONS_HELP)


class OrgRoleRef(Schema):
    id: int
    name: str


class OrgMemberOut(Schema):
    id: int = Field(..., description="角色授权（membership）id")
    user_id: int
    username: str
    display_name: str
    mobile_masked: str
    organization_id: int
    role: str
    role_label: str
    org_roles: list[OrgRoleRef]
    permissions: list[str]

    @staticmethod
    def resolve_username(obj: RoleMembership) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj: RoleMembership) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_mobile_masked(obj: RoleMembership) -> str:
        return obj.user.mobile_masked

    @staticmethod
    def resolve_role_label(obj: RoleMembership) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_org_roles(obj: RoleMembership) -> list[dict[str, object]]:
        return [{"id": r.pk, "name": r.name} for r in obj.org_roles.all()]


class OrgMemberFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="用户名、姓名或手机号")
    role: Literal["org_teacher", "org_staff"] | None = None
    org_role: int | None = Field(None, ge=1, le=2**62, description="持有该机构角色的人员")
    organization: int | None = Field(None, ge=1, le=2**62)


class OrgRolesAssignIn(Schema):
    role_ids: list[int] = Field(
        default_factory=list, max_length=64, description="该人员应持有的全部机构角色 id（覆盖原有）"
    )

    @field_validator("role_ids")
    @classmethod
    def _ids_in_range(cls, value: list[int]) -> list[int]:
        if any(not 1 <= i <= 2**62 for i in value):
            raise ValueError("角色 id 超出范围")
        return value
