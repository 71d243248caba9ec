"""Reads of accounts data. Every list starts from a queryset scoped to the actor."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from afterschool.core import crypto
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from .choices import ROLE_PRIORITY
from .models import MOBILE_INDEX_PURPOSE, ApiToken, AuditEvent, RoleMembership, User

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
