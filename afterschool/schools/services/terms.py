"""Writes of terms (学年学期), their registration windows and calendar days. School admins (and system admins).

Rules: the terms of a school never overlap; a registration window closes after it opens and before the term
ends; a calendar day lies inside its term, and a make-up day (调休) says which weekday's timetable it follows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import CalendarDayKind
from ..models import CalendarDay, RegistrationWindow, Term
from ..selectors import terms as selectors
from .structure import require_school_writer, school_for_write

TERM_FIELDS = ("academic_year", "term_number", "starts_on", "ends_on")
WINDOW_FIELDS = ("name", "opens_at", "closes_at")
DAY_FIELDS = ("date", "kind", "follows_weekday", "note")


def term_end_instant(term: Term) -> dt.datetime:
    """The first instant after the term's last day, in the school's (the platform's) time zone."""
    return timezone.make_aware(dt.datetime.combine(term.ends_on + dt.timedelta(days=1), dt.time.min))


def _lock_school(school: School) -> None:
    # Serialises term writes of one school so two concurrent overlapping terms cannot both pass the check.
    School.objects.select_for_update().filter(pk=school.pk).first()


def _check_term(term: Term) -> None:
    if not isinstance(term.starts_on, dt.date) or not isinstance(term.ends_on, dt.date):
        return  # full_clean reports missing dates
    if term.ends_on <= term.starts_on:
        raise ValidationFailed({"ends_on": ["结束日期须晚于开始日期"]})
    others = Term.objects.filter(school_id=term.school_id).exclude(pk=term.pk)
    same = others.filter(academic_year=term.academic_year, term_number=term.term_number).first()
    if same is not None:
        raise ValidationFailed({"term_number": [f"本校已有“{same}”"]})
    overlap = others.filter(starts_on__lte=term.ends_on, ends_on__gte=term.starts_on).order_by("starts_on").first()
    if overlap is not None:
        raise ValidationFailed(
            {"starts_on": [f"与已有学期“{overlap}”（{overlap.starts_on} 至 {overlap.ends_on}）时间重叠"]}
        )
    if term.pk is not None:
        outside = term.calendar_days.exclude(date__range=(term.starts_on, term.ends_on)).first()
        if outside is not None:
            raise ValidationFailed({"ends_on": [f"校历日 {outside.date} 将落在学期之外，请先删除或调整该校历日"]})
        late = term.registration_windows.filter(closes_at__gt=term_end_instant(term)).first()
        if late is not None:
            raise ValidationFailed({"ends_on": [f"报名时段“{late.name}”将在学期结束后才截止，请先调整该时段"]})


@transaction.atomic
def term_create(*, actor: Actor, data: dict[str, Any]) -> Term:
    """School admins add a term to their school; it must not overlap another term of the school."""
    school = school_for_write(actor=actor, data=data)
    _lock_school(school)
    term = Term(school=school)
    apply_changes(term, data, allowed=TERM_FIELDS)
    _check_term(term)
    validate_and_save(term)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=term)
    return term


@transaction.atomic
def term_update(*, actor: Actor, term: Term, data: dict[str, Any]) -> Term:
    require_school_writer(actor)
    term = selectors.term_get(actor=actor, term_id=term.pk)
    _lock_school(term.school)
    diff = apply_changes(term, data, allowed=TERM_FIELDS)
    _check_term(term)
    validate_and_save(term)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=term, detail={"changes": diff})
    return term


@transaction.atomic
def term_delete(*, actor: Actor, term: Term) -> None:
    """Its windows and calendar days go with it; refused while other data refers to the term."""
    require_school_writer(actor)
    term = selectors.term_get(actor=actor, term_id=term.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=term)
    delete_or_refuse(term, what="学期")


# --- registration windows -------------------------------------------------------------------------


def _to_minute(value: Any) -> Any:
    return value.replace(second=0, microsecond=0) if isinstance(value, dt.datetime) else value


@transaction.atomic
def window_create(*, actor: Actor, term: Term, data: dict[str, Any]) -> RegistrationWindow:
    """A registration window of the term: to the minute, closes after it opens and no later than the term ends."""
    require_school_writer(actor)
    term = selectors.term_get(actor=actor, term_id=term.pk)
    data = {**data, "opens_at": _to_minute(data.get("opens_at")), "closes_at": _to_minute(data.get("closes_at"))}
    window = RegistrationWindow(term=term)
    apply_changes(window, data, allowed=WINDOW_FIELDS)
    if isinstance(window.opens_at, dt.datetime) and isinstance(window.closes_at, dt.datetime):
        if window.closes_at <= window.opens_at:
            raise ValidationFailed({"closes_at": ["截止时间须晚于开始时间"]})
        if window.closes_at > term_end_instant(term):
            raise ValidationFailed({"closes_at": [f"报名须在学期结束（{term.ends_on}）前截止"]})
    validate_and_save(window)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=window, detail={"term": term.pk})
    return window


@transaction.atomic
def window_delete(*, actor: Actor, window: RegistrationWindow) -> None:
    require_school_writer(actor)
    term = selectors.term_get(actor=actor, term_id=window.term_id)
    window = selectors.window_get(actor=actor, term=term, window_id=window.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=window, detail={"term": term.pk})
    delete_or_refuse(window, what="报名时段")


# --- calendar days --------------------------------------------------------------------------------


@transaction.atomic
def calendar_day_create(*, actor: Actor, term: Term, data: dict[str, Any]) -> CalendarDay:
    """A holiday, make-up school day or day without service, inside the term; one entry per date."""
    require_school_writer(actor)
    term = selectors.term_get(actor=actor, term_id=term.pk)
    day = CalendarDay(term=term)
    apply_changes(day, data, allowed=DAY_FIELDS)
    if day.kind == CalendarDayKind.MAKEUP:
        if not day.follows_weekday:
            raise ValidationFailed({"follows_weekday": ["调休上课日须指定按星期几的课表上课"]})
    else:
        day.follows_weekday = None
    if isinstance(day.date, dt.date):
        if not term.starts_on <= day.date <= term.ends_on:
            raise ValidationFailed({"date": [f"日期须在学期内（{term.starts_on} 至 {term.ends_on}）"]})
        existing = term.calendar_days.filter(date=day.date).first()
        if existing is not None:
            raise ValidationFailed({"date": [f"{day.date} 已设为“{existing.get_kind_display()}”"]})
    validate_and_save(day)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=day, detail={"term": term.pk})
    return day


@transaction.atomic
def calendar_day_delete(*, actor: Actor, day: CalendarDay) -> None:
    require_school_writer(actor)
    term = selectors.term_get(actor=actor, term_id=day.term_id)
    day = selectors.calendar_day_get(actor=actor, term=term, day_id=day.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=day, detail={"term": term.pk})
    delete_or_refuse(day, what="校历日")
