"""Reads of terms, their registration windows and calendar days."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.tenancy.actor import Actor

from ..models import CalendarDay, RegistrationWindow, Term
from .structure import get_readable_or_404, readable


def term_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Term]:
    filters = filters or {}
    qs = readable(Term.objects.select_related("school"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        match = Q(school__name__icontains=q)
        if q.isdigit():
            match |= Q(academic_year=int(q))
        qs = qs.filter(match)
    for field in ("academic_year", "term_number"):
        value = str(filters.get(field) or "")
        if value.isdigit():
            qs = qs.filter(**{field: int(value)})
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    return qs.order_by("school__code", "-starts_on")


def term_get(*, actor: Actor, term_id: Any) -> Term:
    return get_readable_or_404(Term.objects.select_related("school"), actor, pk=term_id)


def term_year_choices(*, actor: Actor) -> list[tuple[str, str]]:
    years = readable(Term.objects.all(), actor).order_by("-academic_year").values_list("academic_year", flat=True)
    return [(str(y), f"{y}–{y + 1} 学年") for y in dict.fromkeys(years)]


def window_list(*, actor: Actor, term: Term) -> QuerySet[RegistrationWindow]:
    return readable(RegistrationWindow.objects.filter(term=term), actor).order_by("opens_at")


def window_get(*, actor: Actor, term: Term, window_id: Any) -> RegistrationWindow:
    return get_readable_or_404(RegistrationWindow.objects.select_related("term"), actor, term=term, pk=window_id)


def calendar_day_list(*, actor: Actor, term: Term) -> QuerySet[CalendarDay]:
    return readable(CalendarDay.objects.filter(term=term), actor).order_by("date")


def calendar_day_get(*, actor: Actor, term: Term, day_id: Any) -> CalendarDay:
    return get_readable_or_404(CalendarDay.objects.select_related("term"), actor, term=term, pk=day_id)
