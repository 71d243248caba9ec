"""Reads of lessons (课次): scoped like their section."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import Lesson


def _base(actor: Actor) -> QuerySet[Lesson]:
    qs = Lesson.objects.select_related("section__school", "section__course", "venue", "chapter", "makeup_for")
    if actor.has_role(Role.ORG_ADMIN, Role.ORG_STAFF, Role.ORG_TEACHER) and not actor.has_org_permission(
        OrgPermission.COURSE_VIEW
    ):
        return qs.none()
    return scoped(qs, actor).prefetch_related("teachers")


def lesson_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Lesson]:
    filters = filters or {}
    qs = _base(actor)
    section = str(filters.get("section") or "")
    if section:
        if not str(section).isdigit() or int(section) >= 2**62:
            return qs.none()
        qs = qs.filter(section_id=section)
    if isinstance(filters.get("date_from"), dt.date):
        qs = qs.filter(date__gte=filters["date_from"])
    if isinstance(filters.get("date_to"), dt.date):
        qs = qs.filter(date__lte=filters["date_to"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("date", "starts_at", "section_id", "id")


def lesson_get(*, actor: Actor, lesson_id: Any) -> Lesson:
    return get_scoped_or_404(_base(actor), actor, pk=lesson_id)
