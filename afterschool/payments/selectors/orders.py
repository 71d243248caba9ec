"""Reads of course selection and orders: a parent's children, the sections a child may take, orders.

`selectable_sections` answers in a fixed number of queries whatever the number of sections: the sections (with
seats taken and "already placed" as subqueries), their slots, lessons, teachers, and the child's other places
with their slots and lessons; clashes are computed in memory with the enrolment app's rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.core.errors import NotFound
from afterschool.enrollment.choices import SEAT_HOLDING, EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import _conflict_between
from afterschool.payments.choices import OrderStatus
from afterschool.payments.models import Order
from afterschool.payments.services.orders import fen_to_yuan, order_expire, window_open_q
from afterschool.scheduling.choices import LessonStatus, SectionMode, SectionStatus
from afterschool.scheduling.models import Lesson, Section, SectionSlot, SectionTeacher
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

WEEKDAYS = "一二三四五六日"
ORDER_READERS = (Role.PARENT, Role.SCHOOL_ADMIN, Role.SYSTEM_ADMIN)


# --- children -----------------------------------------------------------------------------------------------------


def children(*, actor: Actor) -> QuerySet[Student]:
    """A parent's children (the students whose guardian is the actor's user)."""
    if not actor.has_role(Role.PARENT) or actor.user_id is None:
        return Student.objects.none()
    return (
        Student.objects.filter(guardians__user_id=actor.user_id, is_active=True)
        .select_related("school", "grade", "school_class")
        .distinct()
        .order_by("school_id", "grade__level", "name", "pk")
    )


def child_get(*, actor: Actor, student_id: int) -> Student:
    """The student an actor may choose sections for: a parent's own child, a school admin's student (404 else)."""
    if actor.has_role(Role.PARENT):
        return get_scoped_or_404(children(actor=actor), actor, pk=student_id)
    if actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN):
        students = Student.objects.select_related("school", "grade", "school_class")
        return get_scoped_or_404(students, actor, pk=student_id)
    raise NotFound()


# --- selectable sections -----------------------------------------------------------------------------------------


@dataclass
class SectionOption:
    section: Section
    seats_taken: int
    placed: bool
    clashes: list[str] = field(default_factory=list)
    schedule: list[str] = field(default_factory=list)
    teachers: list[str] = field(default_factory=list)

    @property
    def seats_left(self) -> int:
        return max(self.section.max_students - self.seats_taken, 0)

    @property
    def full(self) -> bool:
        return self.seats_left == 0

    @property
    def fee_yuan(self) -> str:
        return fen_to_yuan(self.section.fee_fen)

    @property
    def materials_yuan(self) -> str:
        return fen_to_yuan(self.section.materials_fee_fen)

    @property
    def can_order(self) -> bool:
        return not self.placed and not self.clashes and not self.full

    @property
    def refusal(self) -> str:
        if self.placed:
            return "已报名"
        if self.clashes:
            return "；".join(self.clashes)
        if self.full:
            return "名额已满"
        return ""


def seats_taken_subquery(now: dt.datetime) -> Any:
    """Seats taken of OuterRef section: active places, and unpaid ones whose order is not yet past its deadline."""
    overdue = Order.objects.filter(enrollment=OuterRef("pk"), status=OrderStatus.PENDING, deadline__lte=now)
    taken = (
        Enrollment.objects.filter(section=OuterRef("pk"), status__in=SEAT_HOLDING)
        .exclude(Q(status=EnrollmentStatus.PENDING) & Q(Exists(overdue)))
        .order_by()
        .values("section")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(taken, output_field=IntegerField()), Value(0))


def _lessons_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "lessons",
        queryset=Lesson.objects.filter(status=LessonStatus.SCHEDULED).only(
            "pk", "section_id", "date", "starts_at", "ends_at", "status"
        ),
    )


def _schedule(section: Section) -> list[str]:
    return [
        f"每周{WEEKDAYS[s.weekday - 1]} {s.starts_at:%H:%M}–{s.ends_at:%H:%M}"
        for s in sorted(section.slots.all(), key=lambda s: (s.weekday, s.starts_at))
    ]


def _teachers(section: Section) -> list[str]:
    links = sorted(section.teacher_links.all(), key=lambda t: (not t.is_main, t.pk))
    return [str(link.user) for link in links]


def selectable_sections(*, actor: Actor, student: Student, now: dt.datetime | None = None) -> list[SectionOption]:
    """Open sections of the child's school, window open now, eligible by grade (走班) or class (原班)."""
    child_get(actor=actor, student_id=student.pk)  # the parent's own child, or 404
    now = now or timezone.now()
    placed = Enrollment.objects.filter(section=OuterRef("pk"), student=student, status__in=SEAT_HOLDING)
    eligible = Section.objects.filter(school_id=student.school_id, grades=student.grade_id)
    sections = (
        Section.objects.filter(pk__in=eligible.values("pk"), status=SectionStatus.OPEN)
        .filter(window_open_q(now))
        .filter(Q(mode=SectionMode.WALKING) | Q(mode=SectionMode.CLASS, classes=student.school_class_id))
        .select_related("course", "venue", "registration_window", "term")
        .prefetch_related(
            Prefetch("slots", queryset=SectionSlot.objects.order_by("weekday", "starts_at")),
            _lessons_prefetch(),
            Prefetch("teacher_links", queryset=SectionTeacher.objects.select_related("user")),
        )
        .annotate(seats_taken=seats_taken_subquery(now), already_placed=Exists(placed))
        .distinct()
        .order_by("course__name", "name", "pk")
    )
    if not student.is_active:
        return []
    sections_list = list(sections)
    others = list(
        Section.objects.filter(enrollments__student=student, enrollments__status__in=SEAT_HOLDING)
        .exclude(status__in=(SectionStatus.CANCELLED, SectionStatus.FINISHED))
        .prefetch_related("slots", _lessons_prefetch())
        .distinct()
    )
    options = []
    for section in sections_list:
        clashes = []
        for other in others:
            if other.pk == section.pk:
                continue
            clash = _conflict_between(section, other)
            if clash:
                clashes.append(f"与已选课班“{other.name}”时间冲突：{clash}")
        options.append(
            SectionOption(
                section=section,
                seats_taken=int(section.seats_taken),  # type: ignore[attr-defined]
                placed=bool(section.already_placed),  # type: ignore[attr-defined]
                clashes=clashes,
                schedule=_schedule(section),
                teachers=_teachers(section),
            )
        )
    return options


def selectable_section_get(*, actor: Actor, student: Student, section_id: int) -> SectionOption:
    for option in selectable_sections(actor=actor, student=student):
        if option.section.pk == section_id:
            return option
    raise NotFound("该课班不在可报名范围内（未开放报名、报名已截止或不符合年级、班级要求）")


# --- orders -------------------------------------------------------------------------------------------------------


def _orders_base(actor: Actor) -> QuerySet[Order]:
    if not actor.is_system_admin and not actor.has_role(*ORDER_READERS):
        return Order.objects.none()
    return scoped(Order.objects.all(), actor).select_related(
        "section", "section__course", "student", "student__school_class", "school", "payer"
    )


def order_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """Parents: their children's orders. School admins: the school's. Filters: section, student, status (an unpaid
    order past its deadline counts as closed), date_from/date_to (created, local dates), q (student name/number,
    order number)."""
    filters = filters or {}
    qs = _orders_base(actor)
    now = timezone.now()
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    if filters.get("student"):
        qs = qs.filter(student_id=filters["student"])
    status = filters.get("status")
    if status == OrderStatus.PENDING:
        qs = qs.filter(status=OrderStatus.PENDING, deadline__gt=now)
    elif status == OrderStatus.CLOSED:
        qs = qs.filter(Q(status=OrderStatus.CLOSED) | Q(status=OrderStatus.PENDING, deadline__lte=now))
    elif status:
        qs = qs.filter(status=status)
    if filters.get("date_from"):
        qs = qs.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(created_at__date__lte=filters["date_to"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(student__name__icontains=q) | Q(student__student_number=q) | Q(order_no=q))
    return qs.order_by("-created_at", "-pk")


def order_get(*, actor: Actor, order_id: int) -> Order:
    """One order; an unpaid one past its deadline is closed now (the task may not have run yet)."""
    order = get_scoped_or_404(_orders_base(actor), actor, pk=order_id)
    if order.status == OrderStatus.PENDING and order.deadline <= timezone.now():
        order_expire(order_id=order.pk)
        order = get_scoped_or_404(_orders_base(actor), actor, pk=order_id)
    return order


def shown_status(order: Order, now: dt.datetime | None = None) -> tuple[str, str]:
    """(value, label) as the parent should see it: an unpaid order past its deadline is closed."""
    now = now or timezone.now()
    if order.status == OrderStatus.PENDING and order.deadline <= now:
        return OrderStatus.CLOSED.value, OrderStatus.CLOSED.label
    return order.status, order.get_status_display()


def section_for_child(*, student: Student, section_id: int) -> Section:
    """A section of the child's school (the service then checks status, window, eligibility and seats)."""
    section = Section.objects.filter(school_id=student.school_id, pk=section_id).first() if section_id < 2**62 else None
    if section is None:
        raise NotFound()
    return section
