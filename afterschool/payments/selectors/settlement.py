"""Reads of settlement (结算, §5.1.3, §5.2.4.2, §5.2.4.3): the terms a school agreed with an organization, the bills,
their history — and the computation of a bill's figures from what was actually delivered.

Who reads: the school admin its school's, the bureau its region's, the organization its own (its admin, or staff
holding OrgPermission.PARTNERSHIP_VIEW), the system admin all. Teachers, parents and students see nothing.

The computation (`bill_figures`):
- Lessons delivered: the organization's courses' lessons at the school that are not cancelled and whose date and
  start time lie within the period and are already past. Attendance records come later; once they exist, a
  lesson counts as delivered when its attendance was taken.
- Student-lessons: for each delivered lesson, the students with an ACTIVE enrolment in its section created on or
  before the lesson's date and not ended before it (approximated from the current active enrolments:
  Enrollment.created_at / ended_at, local dates).
- Fees net of refunds: the fee part (fee_fen; materials excluded) of the orders of those sections paid within the
  period (orders since refunded in full included: their refund is netted below), minus the fee part
  (fee_part_fen) of the succeeded refunds of those sections completed within the period. It may be negative when
  refunds exceed the fees collected in the period.
- Amount: per lesson rate × lessons; per student-lesson rate × student-lessons; fee share
  floor(fees_net × ‰ / 1000) in whole 分 (rounded down, towards −∞). The details give one line per section;
  their amounts sum exactly to the total (for a fee share the section lines are rounded down and the 分 left
  over go to the lines with the largest remainders).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import OrderStatus, RefundStatus, SettlementMode
from ..models import Order, Refund, SettlementBill, SettlementEvent, SettlementTerms

READ_ROLES = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN, Role.ORG_STAFF, Role.ORG_TEACHER)
ORG_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF, Role.ORG_TEACHER)


def may_read(actor: Actor) -> bool:
    if actor.is_system_admin:
        return True
    if not actor.has_role(*READ_ROLES):
        return False
    if actor.has_role(*ORG_ROLES):
        return actor.has_org_permission(OrgPermission.PARTNERSHIP_VIEW)
    return True


def _readable(queryset: QuerySet[Any], actor: Actor) -> QuerySet[Any]:
    if not may_read(actor):
        return queryset.none()
    return scoped(queryset, actor)


# --- terms -------------------------------------------------------------------------------------------------


def settlement_terms_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[SettlementTerms]:
    filters = filters or {}
    qs = _readable(SettlementTerms.objects.select_related("school", "organization"), actor)
    if filters.get("q"):
        q = str(filters["q"])
        qs = qs.filter(Q(school__name__icontains=q) | Q(organization__name__icontains=q) | Q(note__icontains=q))
    if filters.get("mode"):
        qs = qs.filter(mode=filters["mode"])
    if filters.get("organization_id"):
        qs = qs.filter(organization_id=filters["organization_id"])
    if filters.get("school_id"):
        qs = qs.filter(school_id=filters["school_id"])
    return qs


def settlement_terms_get(*, actor: Actor, terms_id: int) -> SettlementTerms:
    return get_scoped_or_404(
        _readable(SettlementTerms.objects.select_related("school", "organization"), actor), actor, pk=terms_id
    )


def terms_covering(*, school: School, organization: Organization, start: dt.date, end: dt.date) -> QuerySet[Any]:
    """The terms of this school and organization in force over the whole of [start, end]."""
    return SettlementTerms.objects.filter(school=school, organization=organization, starts_on__lte=start).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=end)
    )


# --- bills -------------------------------------------------------------------------------------------------


def bill_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[SettlementBill]:
    filters = filters or {}
    qs = _readable(SettlementBill.objects.select_related("school", "organization", "terms"), actor)
    if filters.get("q"):
        q = str(filters["q"])
        qs = qs.filter(Q(bill_no__icontains=q) | Q(school__name__icontains=q) | Q(organization__name__icontains=q))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    for key in ("organization_id", "school_id"):
        value = filters.get(key)
        if value not in (None, ""):
            try:
                qs = qs.filter(**{key: int(str(value))})
            except (TypeError, ValueError):
                qs = qs.none()
    period = filters.get("period")  # "YYYY-MM": bills whose period touches that month
    if period:
        month = parse_month(str(period))
        if month is None:
            return qs.none()
        first, last = month
        qs = qs.filter(period_start__lte=last, period_end__gte=first)
    return qs


def bill_get(*, actor: Actor, bill_id: int) -> SettlementBill:
    return get_scoped_or_404(
        _readable(SettlementBill.objects.select_related("school", "school__region", "organization", "terms"), actor),
        actor,
        pk=bill_id,
    )


def bill_events(*, bill: SettlementBill) -> QuerySet[SettlementEvent]:
    """The bill's history (the caller has already read the bill through bill_get)."""
    return SettlementEvent.objects.filter(bill=bill).select_related("actor")


def parse_month(value: str) -> tuple[dt.date, dt.date] | None:
    """ "2026-11" → (2026-11-01, 2026-11-30); None when not a month."""
    try:
        first = dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        return None
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


# --- computation -------------------------------------------------------------------------------------------


@dataclass
class SectionLine:
    section_id: int
    section: str
    course: str
    lessons: int = 0
    students: int = 0
    fees_fen: int = 0
    amount_fen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "section_id": self.section_id,
            "section": self.section,
            "course": self.course,
            "lessons": self.lessons,
            "students": self.students,
            "fees_fen": self.fees_fen,
            "amount_fen": self.amount_fen,
        }


@dataclass
class BillFigures:
    lessons_delivered: int = 0
    student_lessons: int = 0
    fees_net_fen: int = 0
    amount_fen: int = 0
    lines: list[SectionLine] = field(default_factory=list)

    @property
    def details(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def delivered_lessons(
    *, school: School, organization: Organization, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> list[Lesson]:
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    lessons = Lesson.objects.filter(
        section__school=school,
        section__course__owner_organization=organization,
        status=LessonStatus.SCHEDULED,
        date__gte=start,
        date__lte=end,
    ).select_related("section", "section__course")
    return [
        lesson
        for lesson in lessons.order_by("date", "starts_at", "id")
        if dt.datetime.combine(lesson.date, lesson.starts_at, tzinfo=tz) <= now
    ]


def _allocate_share(lines: list[SectionLine], permille: int) -> int:
    """floor(Σfees × ‰ / 1000) spread over the lines so that they sum exactly to it (largest remainder)."""
    total_net = sum(line.fees_fen for line in lines)
    total = total_net * permille // 1000
    remainders = []
    for line in lines:
        line.amount_fen = line.fees_fen * permille // 1000
        remainders.append((line.fees_fen * permille % 1000, -line.section_id, line))
    left = total - sum(line.amount_fen for line in lines)  # 0 ≤ left < len(lines)
    for _, _, line in sorted(remainders, key=lambda r: (r[0], r[1]), reverse=True)[:left]:
        line.amount_fen += 1
    return total


def bill_figures(
    *,
    school: School,
    organization: Organization,
    terms: SettlementTerms,
    period_start: dt.date,
    period_end: dt.date,
    now: dt.datetime | None = None,
) -> BillFigures:
    """The figures of a bill for the period under the terms (see the module docstring)."""
    lines: dict[int, SectionLine] = {}

    def line_of(section: Any) -> SectionLine:
        if section.pk not in lines:
            lines[section.pk] = SectionLine(section_id=section.pk, section=section.name, course=section.course.name)
        return lines[section.pk]

    lessons = delivered_lessons(school=school, organization=organization, start=period_start, end=period_end, now=now)
    section_ids = {lesson.section_id for lesson in lessons}
    enrolments: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for section_id, created_at, ended_at in Enrollment.objects.filter(
        section_id__in=section_ids, status=EnrollmentStatus.ACTIVE
    ).values_list("section_id", "created_at", "ended_at"):
        enrolments[section_id].append((_local_date(created_at), _local_date(ended_at) if ended_at else None))
    for lesson in lessons:
        line = line_of(lesson.section)
        line.lessons += 1
        line.students += sum(
            1
            for created, ended in enrolments[lesson.section_id]
            if created <= lesson.date and (ended is None or ended >= lesson.date)
        )

    lower, upper = _day_bounds(period_start, period_end)
    org_sections = Q(section__school=school, section__course__owner_organization=organization)
    paid = (
        Order.objects.filter(org_sections, status__in=[OrderStatus.PAID, OrderStatus.REFUNDED])
        .filter(paid_at__gte=lower, paid_at__lt=upper)
        .values("section_id")
        .annotate(total=Sum("fee_fen"))
    )
    refunded = (
        Refund.objects.filter(
            order__section__school=school,
            order__section__course__owner_organization=organization,
            status=RefundStatus.SUCCEEDED,
            completed_at__gte=lower,
            completed_at__lt=upper,
        )
        .values("order__section_id")
        .annotate(total=Sum("fee_part_fen"))
    )
    money: dict[int, int] = defaultdict(int)
    for row in paid:
        money[row["section_id"]] += int(row["total"] or 0)
    for row in refunded:
        money[row["order__section_id"]] -= int(row["total"] or 0)
    if money:
        from afterschool.scheduling.models import Section

        for section in Section.objects.filter(pk__in=money.keys()).select_related("course"):
            line_of(section).fees_fen = money[section.pk]

    ordered = sorted(lines.values(), key=lambda line: (line.course, line.section, line.section_id))
    figures = BillFigures(
        lessons_delivered=sum(line.lessons for line in ordered),
        student_lessons=sum(line.students for line in ordered),
        fees_net_fen=sum(line.fees_fen for line in ordered),
        lines=ordered,
    )
    if terms.mode == SettlementMode.PER_LESSON:
        for line in ordered:
            line.amount_fen = terms.rate_fen * line.lessons
        figures.amount_fen = terms.rate_fen * figures.lessons_delivered
    elif terms.mode == SettlementMode.PER_STUDENT_LESSON:
        for line in ordered:
            line.amount_fen = terms.rate_fen * line.students
        figures.amount_fen = terms.rate_fen * figures.student_lessons
    else:
        figures.amount_fen = _allocate_share(ordered, terms.share_permille)
    return figures


# --- who a bill is between -----------------------------------------------------------------------------------


def bill_parties(*, actor: Actor, school_id: int | None, organization_id: int | None) -> tuple[School, Organization]:
    """The school and organization of a bill the actor raises: its own side from its membership, the other side
    from input among the partners it can see (an unknown or invisible one is refused like a missing field)."""
    from afterschool.core.errors import PermissionDenied, ValidationFailed

    errors: dict[str, list[str]] = {}
    school: School | None = None
    organization: Organization | None = None
    if actor.has_role(Role.SCHOOL_ADMIN):
        assert actor.membership is not None
        school = actor.membership.school
    elif actor.has_role(Role.ORG_ADMIN):
        assert actor.membership is not None
        organization = actor.membership.organization
    elif not actor.is_system_admin:
        raise PermissionDenied("只有学校管理员、机构管理员或银行（系统）可以发起结算")
    if school is None:
        school = scoped(School.objects.all(), actor).filter(pk=school_id or 0).first()
        if school is None:
            errors["school_id"] = ["请选择合作学校"]
    if organization is None:
        organization = scoped(Organization.objects.all(), actor).filter(pk=organization_id or 0).first()
        if organization is None:
            errors["organization_id"] = ["请选择合作机构"]
    if errors:
        raise ValidationFailed(errors)
    assert school is not None and organization is not None
    return school, organization


def partner_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """The other side a bill or terms may name: a school's partner organizations, an organization's schools."""
    from afterschool.tenancy.models import Partnership

    partnerships = scoped(Partnership.objects.select_related("school", "organization"), actor)
    if actor.has_role(Role.SCHOOL_ADMIN):
        return sorted({(str(p.organization_id), p.organization.name) for p in partnerships}, key=lambda c: c[1])
    if actor.has_role(*ORG_ROLES):
        return sorted({(str(p.school_id), p.school.name) for p in partnerships}, key=lambda c: c[1])
    return []
