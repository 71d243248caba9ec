"""/api/v1/accounts/: who am I, my API tokens, the audit log, organization roles and their assignment."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import PermissionDenied
from afterschool.tenancy import selectors as tenancy_selectors

from . import selectors, services
from .choices import Role
from .models import ApiToken, RoleMembership
from .schemas import (
    AuditEventOut,
    AuditFilters,
    MembershipOut,
    MeOut,
    OrgMemberFilters,
    OrgMemberOut,
    OrgRoleFilters,
    OrgRoleIn,
    OrgRoleOut,
    OrgRolePatch,
    OrgRolesAssignIn,
    TokenIn,
    TokenIssuedOut,
    TokenOut,
)

router = Router(tags=["账号与审计"])
AUDIT_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)


def _membership_out(m: RoleMembership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "role": m.role,
        "role_label": m.get_role_display(),
        "scope_label": m.scope_label,
        "region_id": m.region_id,
        "school_id": m.school_id,
        "organization_id": m.organization_id,
    }


def _token_out(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "role": t.membership.role,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户与角色")
def me(request: HttpRequest) -> Any:
    actor = actor_of(request)
    user = actor.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "mobile_masked": user.mobile_masked,
        "active_membership": _membership_out(actor.membership) if actor.membership else None,
        "memberships": [_membership_out(m) for m in selectors.memberships_of_user(user)],
    }


@router.get("/memberships", response={200: list[MembershipOut], **ERRORS}, summary="我的角色")
def my_memberships(request: HttpRequest) -> Any:
    return [_membership_out(m) for m in selectors.memberships_of_user(actor_of(request).user)]


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="我的 API 令牌")
def token_list(request: HttpRequest) -> Any:
    return [_token_out(t) for t in selectors.token_list(actor=actor_of(request))]


@router.post("/tokens", response={201: TokenIssuedOut, **ERRORS}, summary="签发 API 令牌（绑定当前角色）")
def token_issue(request: HttpRequest, payload: TokenIn) -> Any:
    token, raw = services.token_issue(actor=actor_of(request), name=payload.name, days=payload.days)
    return Status(201, {**_token_out(token), "token": raw})


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="吊销 API 令牌")
def token_revoke(request: HttpRequest, token_id: int) -> Any:
    return _token_out(services.token_revoke(actor=actor_of(request), token_id=token_id))


@router.get("/audit", response={200: Paged[AuditEventOut], **ERRORS}, summary="审计日志")
def audit_list(request: HttpRequest, filters: Query[AuditFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    if not actor.has_role(*AUDIT_READERS):
        raise PermissionDenied("当前角色不能查看审计日志")
    return paged(selectors.audit_list(actor=actor, filters=filters.dict()), paging)


# --- Organization roles (机构角色, §5.5.3) -----------------------------------------------------------------------


@router.get("/org-roles", response={200: Paged[OrgRoleOut], **ERRORS}, summary="机构角色列表")
def org_role_list(request: HttpRequest, filters: Query[OrgRoleFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.org_role_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/org-roles", response={201: OrgRoleOut, **ERRORS}, summary="新增机构角色")
def org_role_create(request: HttpRequest, payload: OrgRoleIn) -> Any:
    actor = actor_of(request)
    data = payload.dict()
    organization_id = data.pop("organization_id", None)
    if actor.is_system_admin and organization_id is not None:
        data["organization"] = tenancy_selectors.organization_get(actor=actor, organization_id=organization_id)
    return Status(201, services.org_role_create(actor=actor, data=data))


@router.get("/org-roles/{org_role_id}", response={200: OrgRoleOut, **ERRORS}, summary="机构角色详情")
def org_role_detail(request: HttpRequest, org_role_id: int) -> Any:
    return selectors.org_role_get(actor=actor_of(request), org_role_id=org_role_id)


@router.patch("/org-roles/{org_role_id}", response={200: OrgRoleOut, **ERRORS}, summary="修改机构角色")
def org_role_update(request: HttpRequest, org_role_id: int, payload: OrgRolePatch) -> Any:
    actor = actor_of(request)
    org_role = selectors.org_role_get(actor=actor, org_role_id=org_role_id)
    return services.org_role_update(actor=actor, org_role=org_role, data=payload.dict(exclude_unset=True))


@router.delete("/org-roles/{org_role_id}", response={204: None, **ERRORS}, summary="删除机构角色（从其成员收回）")
def org_role_delete(request: HttpRequest, org_role_id: int) -> Any:
    actor = actor_of(request)
    services.org_role_delete(actor=actor, org_role=selectors.org_role_get(actor=actor, org_role_id=org_role_id))
    return Status(204, None)


@router.get("/org-members", response={200: Paged[OrgMemberOut], **ERRORS}, summary="机构人员及其机构角色")
def org_member_list(request: HttpRequest, filters: Query[OrgMemberFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.org_member_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/org-members/{membership_id}", response={200: OrgMemberOut, **ERRORS}, summary="机构人员详情")
def org_member_detail(request: HttpRequest, membership_id: int) -> Any:
    return selectors.org_member_get(actor=actor_of(request), membership_id=membership_id)


@router.put("/org-members/{membership_id}/roles", response={200: OrgMemberOut, **ERRORS}, summary="设置人员的机构角色")
def org_member_roles_assign(request: HttpRequest, membership_id: int, payload: OrgRolesAssignIn) -> Any:
    actor = actor_of(request)
    membership = selectors.org_member_get(actor=actor, membership_id=membership_id)
    roles = services.org_roles_by_ids(actor=actor, ids=payload.role_ids, organization_id=membership.organization_id)
    membership = services.org_roles_assign(actor=actor, membership=membership, roles=roles)
    return selectors.org_member_get(actor=actor, membership_id=membership.pk)
