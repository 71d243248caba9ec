"""Reads of accounts data. Every list starts from a queryset scoped to the actor."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from afterschool.core import crypto
from afterschool.core.errors import NotFound
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from .choices import ROLE_PRIORITY
from .models import MOBILE_INDEX_PURPOSE, ApiToken, AuditEvent, OrgRole, RoleMembership, User

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def user_by_login_identifier(identifier: str) -> User | None:
    """Login identifier is a username or an 11-digit mainland mobile number."""
    identifier = identifier.strip()
    if MOBILE_RE.match(identifier):
        user = User.objects.filter(mobile_index=crypto.blind_index(identifier, purpose=MOBILE_INDEX_PURPOSE)).first()
        if user is not None:
            return user
    return User.objects.filter(username__iexact=identifier).first()


def user_by_mobile(mobile: str) -> User | None:
    return User.objects.filter(mobile_index=crypto.blind_index(mobile, purpose=MOBILE_INDEX_PURPOSE)).first()


def memberships_of_user(user: User) -> list[RoleMembership]:
    """A person's active roles, most powerful first."""
    rows = list(
        RoleMembership.objects.filter(user=user, is_active=True).select_related("region", "school", "organization")
    )
    rows.sort(key=lambda m: (ROLE_PRIORITY.index(m.role), m.pk))
    return rows


def user_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[User]:
    filters = filters or {}
    qs = scoped(User.objects.all(), actor)
    q = (filters.get("q") or "").strip()
    if q:
        cond = Q(username__icontains=q) | Q(display_name__icontains=q)
        if MOBILE_RE.match(q):
            cond |= Q(mobile_index=crypto.blind_index(q, purpose=MOBILE_INDEX_PURPOSE))
        qs = qs.filter(cond)
    if filters.get("role"):
        qs = qs.filter(memberships__role=filters["role"], memberships__is_active=True).distinct()
    if filters.get("is_active") in (True, False):
        qs = qs.filter(is_active=filters["is_active"])
    return qs.order_by("username")


def user_get(*, actor: Actor, user_id: Any) -> User:
    return get_scoped_or_404(User.objects.all(), actor, pk=user_id)


def audit_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[AuditEvent]:
    filters = filters or {}
    qs = scoped(AuditEvent.objects.all(), actor)
    if filters.get("event"):
        qs = qs.filter(event=filters["event"])
    if filters.get("outcome"):
        qs = qs.filter(outcome=filters["outcome"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(object_repr__icontains=q) | Q(client_ip__icontains=q))
    if filters.get("date_from"):
        qs = qs.filter(occurred_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(occurred_at__date__lte=filters["date_to"])
    return qs.order_by("-id")


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    return scoped(ApiToken.objects.select_related("membership"), actor).order_by("-created_at")


def token_get(*, actor: Actor, token_id: Any) -> ApiToken:
    return get_scoped_or_404(ApiToken.objects.all(), actor, pk=token_id)


# --- Organization roles (机构角色, §5.5.3) -----------------------------------------------------------------------


def _org_account_reader(actor: Actor) -> bool:
    """An organization's own people read its roles and members only with 账号与角色管理; others by scope."""
    from .choices import ORG_ROLES, OrgPermission

    if actor.role in ORG_ROLES:
        return actor.has_org_permission(OrgPermission.ACCOUNT_MANAGE)
    return True


def org_role_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[OrgRole]:
    filters = filters or {}
    qs = scoped(OrgRole.objects.select_related("organization"), actor)
    if not _org_account_reader(actor):
        return qs.none()
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    organization = filters.get("organization")
    if organization:
        try:
            qs = qs.filter(organization_id=int(organization))
        except (TypeError, ValueError):
            return qs.none()
    permission = filters.get("permission")
    if permission:
        # JSON containment is not portable to SQLite; an organization has few roles, so match in Python.
        qs = qs.filter(pk__in=[pk for pk, perms in qs.values_list("pk", "permissions") if permission in (perms or [])])
    return qs.order_by("organization_id", "name")


def org_role_get(*, actor: Actor, org_role_id: Any) -> OrgRole:
    if not _org_account_reader(actor):
        raise NotFound()
    return get_scoped_or_404(OrgRole.objects.select_related("organization"), actor, pk=org_role_id)


def _org_members(actor: Actor) -> QuerySet[RoleMembership]:
    from .choices import Role

    return scoped(
        RoleMembership.objects.filter(
            role__in=(Role.ORG_TEACHER, Role.ORG_STAFF), organization__isnull=False, is_active=True
        )
        .select_related("user", "organization")
        .prefetch_related("org_roles"),
        actor,
    )


def org_member_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[RoleMembership]:
    """Teachers and staff of the organizations the actor may see, each with its org roles."""
    filters = filters or {}
    qs = _org_members(actor)
    if not _org_account_reader(actor):
        return qs.none()
    q = (filters.get("q") or "").strip()
    if q:
        cond = Q(user__username__icontains=q) | Q(user__display_name__icontains=q)
        if MOBILE_RE.match(q):
            cond |= Q(user__mobile_index=crypto.blind_index(q, purpose=MOBILE_INDEX_PURPOSE))
        qs = qs.filter(cond)
    if filters.get("role"):
        qs = qs.filter(role=filters["role"])
    for key, path in (("org_role", "org_roles"), ("organization", "organization_id")):
        value = filters.get(key)
        if value:
            try:
                qs = qs.filter(**{path: int(value)}).distinct()
            except (TypeError, ValueError):
                return qs.none()
    return qs.order_by("organization_id", "user__username")


def org_member_get(*, actor: Actor, membership_id: Any) -> RoleMembership:
    if not _org_account_reader(actor):
        raise NotFound()
    return get_scoped_or_404(_org_members(actor), actor, pk=membership_id)
