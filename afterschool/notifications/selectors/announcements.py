"""Reads of school announcements (学校公告, §5.4.5).

Who reads what: a school admin its school's announcements, a bureau admin those of its region's schools (read
only), a system admin all; anybody else (parents, teachers, organization teachers) only the announcements it
received, i.e. those of which it holds a notification. Anything else answers as missing (404).

Who receives an announcement is computed here with queries (a school has thousands of students): guardians with
an active login of the school's students in school (all, a grade's, a class's), of the students holding an active
place in a section, or the school's teachers (active staff with a teacher login of the school, and organization
teachers with an active, not yet ended dispatch to the school). Each person counts once.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.core import timeutil
from afterschool.core.errors import NotFound, PermissionDenied
from afterschool.courses.choices import DispatchStatus
from afterschool.courses.models import Dispatch
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.scheduling.choices import SectionStatus
from afterschool.scheduling.models import Section
from afterschool.schools.models import Grade, SchoolClass, Staff, Student, StudentGuardian
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_or_404, scoped

from ..choices import Audience, NotificationKind
from ..models import Announcement, Notification

READER_ROLES = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
RELATED = ("school", "author", "grade", "school_class", "school_class__grade", "section")


def may_send(actor: Actor) -> bool:
    """School admins send their school's announcements; a system admin any school's (as a person: an announcement
    has an author)."""
    return actor.user is not None and (actor.is_system_admin or actor.role == Role.SCHOOL_ADMIN)


def reads_school_announcements(actor: Actor) -> bool:
    """School, bureau and system admins read the announcements of their scope; everybody else only its own."""
    return actor.is_system_admin or actor.role in READER_ROLES


# --- recipients ---------------------------------------------------------------------------------------------------


def _guardian_users(students: QuerySet[Student]) -> QuerySet[User]:
    links = StudentGuardian.objects.filter(student__in=students, guardian__user__isnull=False)
    return User.objects.filter(is_active=True, pk__in=links.values("guardian__user_id"))


def _teacher_users(school: School) -> QuerySet[User]:
    staff = Staff.objects.filter(school=school, is_active=True, user__isnull=False).values("user_id")
    logins = RoleMembership.objects.filter(role=Role.TEACHER, school=school, is_active=True).values("user_id")
    dispatched = Dispatch.objects.filter(
        school=school, status=DispatchStatus.ACTIVE, ends_on__gte=timeutil.local_now().date(),
        teacher__is_active=True, teacher__user__isnull=False,
    ).values("teacher__user_id")  # fmt: skip
    return User.objects.filter(is_active=True).filter((Q(pk__in=staff) & Q(pk__in=logins)) | Q(pk__in=dispatched))


def recipient_users(
    *, school: School, audience: str, grade: Grade | None = None, school_class: SchoolClass | None = None,
    section: Section | None = None,
) -> QuerySet[User]:  # fmt: skip
    """The people an announcement to this audience reaches (each once). The target must be the school's."""
    if audience == Audience.TEACHERS:
        return _teacher_users(school)
    students = Student.objects.filter(school=school)
    if audience == Audience.ALL_PARENTS:
        students = students.filter(is_active=True)
    elif audience == Audience.GRADE and grade is not None:
        students = students.filter(is_active=True, grade=grade)
    elif audience == Audience.CLASS and school_class is not None:
        students = students.filter(is_active=True, school_class=school_class)
    elif audience == Audience.SECTION and section is not None:
        students = students.filter(
            enrollments__section=section, enrollments__status=EnrollmentStatus.ACTIVE
        )  # a student placed once; the guardian query de-duplicates anyway
    else:
        return User.objects.none()
    return _guardian_users(students)


# --- what the sender may choose -----------------------------------------------------------------------------------


def announcement_school(*, actor: Actor, school_id: Any = None) -> School:
    """The school the actor sends for: a school admin its own (another school answers as missing), a system admin
    the one it names. Others may not send (403)."""
    if not may_send(actor):
        raise PermissionDenied("只有学校管理员可以发布学校公告")
    if actor.is_system_admin:
        if school_id in (None, ""):
            raise NotFound()
        return get_or_404(School.objects.all(), pk=school_id)
    if school_id not in (None, "") and str(school_id) != str(actor.school_id):
        raise NotFound()
    return get_or_404(School.objects.all(), pk=actor.school_id or 0)


def sendable_schools(*, actor: Actor) -> QuerySet[School]:
    if not may_send(actor):
        return School.objects.none()
    return scoped(School.objects.all(), actor).order_by("code")


def target_grades(school: School) -> QuerySet[Grade]:
    return Grade.objects.filter(school=school).order_by("level")


def target_classes(school: School) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(school=school).select_related("grade").order_by("grade__level", "name")


def target_sections(school: School) -> QuerySet[Section]:
    """Sections whose students can be told: open, running or finished ones (not drafts, not cancelled)."""
    return (
        Section.objects.filter(school=school)
        .exclude(status__in=(SectionStatus.DRAFT, SectionStatus.CANCELLED))
        .select_related("term")
        .order_by("-term__starts_on", "name", "pk")
    )


# --- reading announcements ----------------------------------------------------------------------------------------


def _received_ids(actor: Actor) -> list[int]:
    if actor.user_id is None:
        return []
    rows = Notification.objects.filter(recipient_id=actor.user_id, kind=NotificationKind.ANNOUNCEMENT)
    ids = {data.get("announcement_id") for data in rows.values_list("data", flat=True) if isinstance(data, dict)}
    return sorted(i for i in ids if isinstance(i, int))


def _base(actor: Actor) -> QuerySet[Announcement]:
    if reads_school_announcements(actor):
        qs = scoped(Announcement.objects.all(), actor)
    else:
        qs = Announcement.objects.filter(pk__in=_received_ids(actor))
    return qs.select_related(*RELATED)


def announcement_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Announcement]:
    """Filters: audience, school (id), date_from, date_to (dates sent, inclusive), q (title)."""
    filters = filters or {}
    qs = _base(actor)
    if filters.get("audience"):
        qs = qs.filter(audience=filters["audience"])
    school = filters.get("school")
    if school:
        qs = qs.filter(school_id=school.pk if isinstance(school, School) else school)
    if filters.get("date_from"):
        qs = qs.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(created_at__date__lte=filters["date_to"])
    q = (filters.get("q") or "").replace("\x00", "").strip()
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.order_by("-created_at", "-pk")


def announcement_get(*, actor: Actor, announcement_id: Any) -> Announcement:
    """One announcement the actor may read, or NotFound exactly as if it did not exist. An admin who is also a
    parent (or a teacher) may open one it received from another school too."""
    try:
        return get_or_404(_base(actor), pk=announcement_id)
    except NotFound:
        if not reads_school_announcements(actor):
            raise
    received = Announcement.objects.filter(pk__in=_received_ids(actor))
    return get_or_404(received.select_related(*RELATED), pk=announcement_id)


def list_schools(*, actor: Actor) -> QuerySet[School]:
    """The schools a reader may filter by (bureau and system admins)."""
    if not reads_school_announcements(actor):
        return School.objects.none()
    return scoped(School.objects.all(), actor).order_by("code")


def audience_text(
    audience: str, *, grade: Grade | None = None, school_class: SchoolClass | None = None,
    section: Section | None = None,
) -> str:  # fmt: skip
    """Who it goes to, in words: 全校家长, 一年级家长, 一年级1班家长, 课班「…」家长, 本校教师."""
    if audience == Audience.GRADE and grade is not None:
        return f"{grade.name}家长"
    if audience == Audience.CLASS and school_class is not None:
        return f"{school_class.grade.name}{school_class.name}家长"
    if audience == Audience.SECTION and section is not None:
        return f"课班「{section.name}」家长"
    return str(dict(Audience.choices).get(audience, audience))


def audience_label(announcement: Announcement) -> str:
    return audience_text(
        announcement.audience, grade=announcement.grade, school_class=announcement.school_class,
        section=announcement.section,
    )  # fmt: skip
