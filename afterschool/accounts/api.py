"""/api/v1/accounts/: who am I, my API tokens, the audit log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ErrorOut, Paged, PageParams, actor_of, paged
from afterschool.core.errors import PermissionDenied

from . import selectors, services
from .choices import Role
from .models import ApiToken, RoleMembership
from .schemas import AuditEventOut, AuditFilters, MembershipOut, MeOut, TokenIn, TokenIssuedOut, TokenOut

router = Router(tags=["账号与审计"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
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
