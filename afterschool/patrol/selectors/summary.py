"""The bureau's patrol summary (巡课汇总, §5.2.3, §5.2.4.2 巡课统计): per school of its region — or per section of
one school — over a date range: lessons held, lessons patrolled, coverage, patrols, the average score, how often the
teacher was absent, and the lowest-scoring rubric item. Three grouped queries per table, whatever the size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Case, Count, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from afterschool.accounts.choices import Role
from afterschool.core import timeutil
from afterschool.core.errors import NotFound
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import SCALE_RANGE
from ..models import Patrol, PatrolScore

DEFAULT_DAYS = 30
ONE_DECIMAL = Decimal("0.1")


def may_read_summary(actor: Actor) -> bool:
    return actor.is_system_admin or actor.role == Role.BUREAU_ADMIN


def date_range(filters: dict[str, Any] | None) -> tuple[dt.date, dt.date]:
    """The filters' range; by default the last 30 days up to today."""
    filters = filters or {}
    today = timeutil.local_now().date()
    date_to = filters.get("date_to") or today
    date_from = filters.get("date_from") or date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    return date_from, date_to


@dataclass
class SummaryRow:
    id: int
    name: str
    held: int = 0
    patrolled: int = 0
    patrols: int = 0
    average_percent: Decimal | None = None
    teacher_absent: int = 0
    lowest_item: str = ""
    lowest_item_percent: Decimal | None = None

    @property
    def coverage_percent(self) -> Decimal | None:
        if not self.held:
            return None
        return _one_decimal(Decimal(self.patrolled) * 100 / Decimal(self.held))


def _one_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _held(date_from: dt.date, date_to: dt.date) -> Q:
    """Lessons of the range that took place: not cancelled, and started by now."""
    now = timeutil.local_now()
    started = Q(date__lt=now.date()) | Q(date=now.date(), starts_at__lte=now.time())
    return Q(date__gte=date_from, date__lte=date_to) & ~Q(status=LessonStatus.CANCELLED) & started


def _item_percent() -> Case:
    """A score as a share of its scale's range (0–100), in SQL."""
    score = Cast("score", FloatField())
    return Case(
        *[
            When(scale=scale, then=(score - Value(float(low))) * Value(100.0 / (high - low)))
            for scale, (low, high) in SCALE_RANGE.items()
        ],
        output_field=FloatField(),
    )


def _summarise(rows: dict[int, SummaryRow], lessons: QuerySet[Lesson], group: str) -> list[SummaryRow]:
    """Fill the rows (keyed by the group's id) from the held lessons; `group` is the lesson's path to it."""
    for key, held in lessons.order_by().values_list(group).annotate(n=Count("pk")):
        if key in rows:
            rows[key].held = held
    patrols = Patrol.objects.filter(lesson__in=lessons.values("pk"))
    aggregates = (
        patrols.order_by()
        .values_list(f"lesson__{group}")
        .annotate(
            n=Count("pk"),
            lessons=Count("lesson", distinct=True),
            average=Avg("score_percent"),
            absent=Count("pk", filter=Q(teacher_present=False)),
        )
    )
    for key, n, patrolled, average, absent in aggregates:
        if key in rows:
            row = rows[key]
            row.patrols, row.patrolled, row.teacher_absent = n, patrolled, absent
            row.average_percent = _one_decimal(average)
    items = (
        PatrolScore.objects.filter(patrol__in=patrols.values("pk"))
        .order_by()
        .values_list(f"patrol__lesson__{group}", "name")
        .annotate(average=Avg(_item_percent()))
    )
    lowest: dict[int, tuple[float, str]] = {}
    for key, name, average in items:
        if average is not None and (key not in lowest or (average, name) < lowest[key]):
            lowest[key] = (average, name)
    for key, (average, name) in lowest.items():
        if key in rows:
            rows[key].lowest_item, rows[key].lowest_item_percent = name, _one_decimal(average)
    return list(rows.values())


def school_summary(*, actor: Actor, filters: dict[str, Any] | None = None) -> list[SummaryRow]:
    """Per school the actor oversees (the bureau's region; every school for the platform), by name."""
    if not may_read_summary(actor):
        return []
    date_from, date_to = date_range(filters)
    schools = scoped(School.objects.all(), actor).order_by("name", "pk").values_list("pk", "name")
    rows = {pk: SummaryRow(id=pk, name=name) for pk, name in schools}
    if q := str((filters or {}).get("q") or "").strip():
        rows = {pk: row for pk, row in rows.items() if q in row.name}
    lessons = Lesson.objects.filter(_held(date_from, date_to), section__school_id__in=list(rows))
    return _summarise(rows, lessons, "section__school")


def summary_school(*, actor: Actor, school_id: int) -> School:
    """A school the bureau may drill into (NotFound outside its region)."""
    if not may_read_summary(actor):
        raise NotFound()
    return get_scoped_or_404(School.objects.all(), actor, pk=school_id)


def section_summary(*, actor: Actor, school_id: int, filters: dict[str, Any] | None = None) -> list[SummaryRow]:
    """Per section of one school (those with lessons held in the range), by name."""
    school = summary_school(actor=actor, school_id=school_id)
    date_from, date_to = date_range(filters)
    lessons = Lesson.objects.filter(_held(date_from, date_to), section__school=school)
    sections = Section.objects.filter(pk__in=lessons.values("section_id")).order_by("name", "pk")
    rows = {pk: SummaryRow(id=pk, name=name) for pk, name in sections.values_list("pk", "name")}
    return _summarise(rows, lessons, "section")
