"""Reads of classroom moments (课堂风采, §5.3.3, §5.4.5) and who may see each one.

Who sees a moment
- Its author (any status) and the admins of its section's school (the reviewers; any status).
- Once approved, also: the section's teachers; the bureau of its region (§5.3.3 同步); the organization whose course
  it is; the families — a guardian with a login, or the student itself — of a child who holds a place in the section,
  or held one this term (a place that ended — withdrawn, removed, moved, section cancelled — in a term not over yet
  shows the moments of lessons up to the day it ended).
- Nobody else: a pending or rejected moment, or another section's, reads exactly like a missing one (404), on pages,
  media and the API alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, DateTimeField, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from afterschool.accounts.choices import Role
from afterschool.attendance.selectors.common import TEACHING_ROLES, guardian_user_ids, may_manage_school, taught_lessons
from afterschool.attendance.selectors.leave import children, lesson_when, school_admin_ids, taught_section_ids
from afterschool.core import timeutil
from afterschool.core.errors import NotFound
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_or_404, scoped

from ..choices import MomentStatus
from ..models import Moment, MomentMedia

__all__ = [
    "children",
    "family_recipient_ids",
    "family_student_ids",
    "held_place",
    "lesson_for_moment",
    "lesson_refusal",
    "lesson_when",
    "may_delete",
    "may_review",
    "media_get",
    "moment_feed",
    "moment_get",
    "moment_list",
    "my_moments",
    "postable_lessons",
    "review_list",
    "school_admin_ids",
    "teacher_name",
    "teacher_name_of",
]

MAX_FILES = 9
MAX_TEXT = 1000
FAMILY_ROLES = (Role.PARENT, Role.STUDENT)
# Places that were held and have ended: their moments stay visible for the rest of the term.
ENDED_PLACES = (
    EnrollmentStatus.WITHDRAWN,
    EnrollmentStatus.REMOVED,
    EnrollmentStatus.MOVED,
    EnrollmentStatus.CANCELLED,
)
MAX_ID = 2**62


# --- families ----------------------------------------------------------------------------------------------------


def family_student_ids(actor: Actor) -> list[int]:
    """The children of a parent (with a login), or the student's own record; none for other roles."""
    if not actor.has_role(*FAMILY_ROLES):
        return []
    return [child.pk for child in children(actor=actor)]


def held_place(student_ids: list[int], *, section_ref: str, lesson_date_ref: str | None) -> Exists:
    """One of the students holds a place in the section (OuterRef `section_ref`), or held one in a term that is not
    over; with `lesson_date_ref`, an ended place counts only for lessons up to the day it ended."""
    today = timeutil.local_now().date()
    ended = Q(status__in=ENDED_PLACES, section__term__ends_on__gte=today)
    if lesson_date_ref is not None:
        ended &= Q(ended_at__isnull=True) | Q(ended_at__date__gte=OuterRef(lesson_date_ref))
    places = Enrollment.objects.filter(student_id__in=student_ids, section_id=OuterRef(section_ref))
    return Exists(places.filter(Q(status=EnrollmentStatus.ACTIVE) | ended))


# --- visibility --------------------------------------------------------------------------------------------------


def visible_moments(actor: Actor, *, student_ids: list[int] | None = None) -> QuerySet[Moment]:
    """Every moment the actor may see (see the module's docstring); `student_ids` narrows a family to some children."""
    qs = Moment.objects.all()
    if actor.is_system_admin:
        pass
    elif actor.has_role(Role.SCHOOL_ADMIN):
        qs = scoped(qs, actor)
    elif actor.has_role(Role.BUREAU_ADMIN, Role.ORG_ADMIN):
        qs = scoped(qs, actor).filter(status=MomentStatus.APPROVED)
    elif actor.role in TEACHING_ROLES and actor.user_id is not None:
        qs = qs.filter(
            Q(author_id=actor.user_id) | Q(status=MomentStatus.APPROVED, section_id__in=taught_section_ids(actor))
        )
    elif actor.has_role(*FAMILY_ROLES):
        mine = family_student_ids(actor)
        wanted = mine if student_ids is None else [pk for pk in student_ids if pk in mine]
        if not wanted:
            return Moment.objects.none()
        qs = qs.filter(held_place(wanted, section_ref="section_id", lesson_date_ref="lesson__date")).filter(
            status=MomentStatus.APPROVED
        )
    else:
        return Moment.objects.none()
    return qs


def _with_related(qs: QuerySet[Moment]) -> QuerySet[Moment]:
    return qs.select_related(
        "section", "section__school", "section__course", "lesson", "lesson__chapter", "author", "reviewed_by"
    ).prefetch_related("media")


def moment_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Moment]:
    """The moments the actor sees, newest first. Filters: school, section, status, date (of the lesson), q (text,
    course, section or teacher), student (a family's child)."""
    filters = filters or {}
    student = valid_id(filters.get("student")) if filters.get("student") else None
    qs = visible_moments(actor, student_ids=[student or 0] if filters.get("student") else None)
    if filters.get("school"):
        qs = qs.filter(section__school_id=filters["school"])
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("date"):
        qs = qs.filter(lesson__date=filters["date"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(text__icontains=q) | Q(section__name__icontains=q) | Q(section__course__name__icontains=q)
            | Q(author__display_name__icontains=q) | Q(author__username__icontains=q)
        )  # fmt: skip
    return _with_related(qs).order_by("-created_at", "-pk")


def moment_get(*, actor: Actor, moment_id: Any) -> Moment:
    """One moment the actor may see; NotFound exactly as for a moment that does not exist."""
    return get_or_404(_with_related(visible_moments(actor)), pk=moment_id)


def media_get(*, actor: Actor, moment_id: Any, media_id: Any) -> MomentMedia:
    """A photo or video of a moment the actor may see (same rule as the moment)."""
    moment = moment_get(actor=actor, moment_id=moment_id)
    return get_or_404(MomentMedia.objects.filter(moment=moment).select_related("moment"), pk=media_id)


def moment_feed(*, actor: Actor, student_id: Any = None) -> QuerySet[Moment]:
    """课堂风采 of a family: the approved moments of its children's sections (or one child's), newest first; the
    child must be the actor's own (NotFound otherwise)."""
    if not actor.has_role(*FAMILY_ROLES):
        return Moment.objects.none()
    students: list[int] | None = None
    if student_id not in (None, ""):
        try:
            wanted = int(student_id)
        except (TypeError, ValueError):
            raise NotFound() from None
        if wanted not in family_student_ids(actor):
            raise NotFound()
        students = [wanted]
    return _with_related(visible_moments(actor, student_ids=students)).order_by("-created_at", "-pk")


def review_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Moment]:
    """风采审核: the school's moments, the pending ones first (oldest waiting first), then the rest newest first."""
    if not may_manage_school(actor):
        return Moment.objects.none()
    qs = moment_list(actor=actor, filters=filters)
    waiting = Case(When(status=MomentStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
    pending_age = Case(When(status=MomentStatus.PENDING, then="created_at"), default=None, output_field=DateTimeField())
    return qs.annotate(waiting=waiting, pending_age=pending_age).order_by(
        "waiting", "pending_age", "-created_at", "-pk"
    )


def my_moments(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Moment]:
    """A teacher's own moments, newest first (filter: status)."""
    if actor.user_id is None:
        return Moment.objects.none()
    qs = Moment.objects.filter(author_id=actor.user_id)
    status = (filters or {}).get("status")
    if status:
        qs = qs.filter(status=status)
    return _with_related(qs).order_by("-created_at", "-pk")


# --- rights on one moment --------------------------------------------------------------------------------------


def may_review(actor: Actor, moment: Moment) -> bool:
    """The admins of the section's school (and system admins) review."""
    if actor.is_system_admin:
        return True
    return (
        actor.has_role(Role.SCHOOL_ADMIN)
        and actor.school_id is not None
        and moment.section.school_id == actor.school_id
    )


def may_delete(actor: Actor, moment: Moment) -> bool:
    """The author, while the moment is pending or rejected."""
    return (
        actor.user_id is not None
        and moment.author_id == actor.user_id
        and moment.status in (MomentStatus.PENDING, MomentStatus.REJECTED)
    )


# --- posting -----------------------------------------------------------------------------------------------------


def lesson_for_moment(*, actor: Actor, lesson_id: Any) -> Lesson:
    """A lesson the actor teaches (404 otherwise; the service checks it is not cancelled and has begun)."""
    qs = taught_lessons(actor).select_related("section", "section__school", "section__course", "chapter")
    return get_or_404(qs, pk=lesson_id)


def lesson_refusal(lesson: Lesson) -> tuple[str, str] | None:
    """Why no moment can be posted for the lesson now (code, message), or None: it is cancelled, or its day has not
    come (a lesson may be summed up from its day on, during or after it)."""
    when = lesson_when(lesson)
    if lesson.status == LessonStatus.CANCELLED:
        return "lesson_cancelled", f"{when} 的课已停课，不能发布课堂风采"
    if lesson.date > timeutil.local_now().date():
        return "lesson_not_started", f"{when} 的课还没到，上课当天或课后才能发布课堂风采"
    return None


def postable_lessons(*, actor: Actor, days: int = 7) -> list[Lesson]:
    """The actor's lessons of today and the last `days` days that are not cancelled, latest first (for the teacher's
    page: one tap to post a moment for one of them)."""
    today = timeutil.local_now().date()
    qs = (
        taught_lessons(actor)
        .filter(date__lte=today, date__gte=today - dt.timedelta(days=days))
        .exclude(status=LessonStatus.CANCELLED)
        .select_related("section", "section__course", "chapter")
        .order_by("-date", "-starts_at", "-pk")
    )
    return list(qs[:30])


def family_recipient_ids(section: Section) -> set[int]:
    """Who hears of an approved moment: the guardians with a login of the students holding an active place in the
    section, and those students' own logins."""
    students = list(
        Student.objects.filter(
            enrollments__section=section, enrollments__status=EnrollmentStatus.ACTIVE
        ).distinct().values_list("pk", "user_id")
    )  # fmt: skip
    ids = {user_id for _, user_id in students if user_id is not None}
    for guardians in guardian_user_ids([pk for pk, _ in students]).values():
        ids.update(guardians)
    return ids


# --- choices for filters ------------------------------------------------------------------------------------------


def section_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """The sections of the moments the actor sees (for the section filter)."""
    rows = (
        visible_moments(actor)
        .order_by()
        .values_list("section_id", "section__name", "section__course__name")
        .distinct()[:300]
    )
    return sorted(((str(pk), f"{name}（{course}）") for pk, name, course in rows), key=lambda c: c[1])


def school_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """The schools a bureau (or system admin) may filter by."""
    if not (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN, Role.ORG_ADMIN)):
        return []
    ids = visible_moments(actor).order_by().values("section__school_id")
    schools = scoped(School.objects.all(), actor) if not actor.is_system_admin else School.objects.all()
    return [(str(pk), name) for pk, name in schools.filter(pk__in=ids).order_by("name").values_list("pk", "name")[:500]]


def teacher_name(moment: Moment) -> str:
    """The author's name as families see it (never its login, which may be a phone number)."""
    return teacher_name_of(moment.author)


def teacher_name_of(user: Any) -> str:
    return (getattr(user, "display_name", "") or "").strip() or "任课教师"


def moment_when(moment: Moment) -> str:
    """ "11月10日 16:45": when it was posted, in the school's time."""
    from django.utils import timezone

    posted = timezone.localtime(moment.created_at)
    return f"{posted.month}月{posted.day}日 {posted:%H:%M}"


def lesson_label(moment: Moment) -> str:
    return lesson_when(moment.lesson)


def section_ids_with_family_place(student_ids: list[int]) -> QuerySet[Section]:
    """The sections where one of the students holds (or held, this term) a place."""
    return Section.objects.filter(held_place(student_ids, section_ref="pk", lesson_date_ref=None))


def valid_id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < MAX_ID else None
