"""Reads of students, guardians and staff, each scoped to the actor.

Who reads: system admins, the bureau of the school's region, the school's admin; parents see their own
children (and their own guardian record) through the `user` scope. Teachers and organizations see no one here.
An exact search by a full mobile or ID number goes through the keyed index (HMAC-SM3), never the ciphertext.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.core.personal import index_of
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import ID_NUMBER_PURPOSE, MOBILE_PURPOSE, Grade, Guardian, SchoolClass, Staff, Student, StudentGuardian
from ..validators import MOBILE_RE, normalize_mobile

ADMIN_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
CHILD_READERS = (*ADMIN_READERS, Role.PARENT)


def _readable(qs: QuerySet[Any], actor: Actor, roles: tuple[str, ...]) -> QuerySet[Any]:
    # A teacher's school scope would reach the school's students; this area is for administrators only.
    if not actor.is_system_admin and not actor.has_role(*roles):
        return qs.none()
    return scoped(qs, actor)


def mobile_index_for(q: str) -> str | None:
    mobile = normalize_mobile(q)
    return index_of(mobile, purpose=MOBILE_PURPOSE) if MOBILE_RE.fullmatch(mobile) else None


def id_number_index_for(q: str) -> str | None:
    value = q.strip().upper()
    if len(value) == 18 and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X"):
        return index_of(value, purpose=ID_NUMBER_PURPOSE)
    return None


def _flag(value: Any) -> bool | None:
    if value in (True, "1", "true", "True"):
        return True
    if value in (False, "0", "false", "False"):
        return False
    return None


# --- students ------------------------------------------------------------------------------------


def _students(actor: Actor) -> QuerySet[Student]:
    return _readable(Student.objects.select_related("school", "grade", "school_class"), actor, CHILD_READERS)


def student_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Student]:
    """q: name or 学籍号 (part), or a full ID number, or a guardian's full mobile."""
    filters = filters or {}
    qs = _students(actor)
    q = str(filters.get("q") or "").strip()
    if q:
        cond = Q(name__icontains=q) | Q(student_number__icontains=q)
        id_index = id_number_index_for(q)
        if id_index:
            cond |= Q(id_number_index=id_index)
        mobile_index = mobile_index_for(q)
        if mobile_index:
            links = StudentGuardian.objects.filter(guardian__mobile_index=mobile_index).values("student_id")
            cond |= Q(pk__in=links)
        qs = qs.filter(cond)
    for name, lookup in (("grade", "grade_id"), ("school_class", "school_class_id"), ("gender", "gender")):
        if filters.get(name):
            qs = qs.filter(**{lookup: filters[name]})
    active = _flag(filters.get("is_active"))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def student_get(*, actor: Actor, student_id: Any) -> Student:
    return get_scoped_or_404(_students(actor), actor, pk=student_id)


def guardian_links_of(*, actor: Actor, student: Student) -> QuerySet[StudentGuardian]:
    """The guardians of a student the actor can see (the student itself was fetched through scoping)."""
    student = student_get(actor=actor, student_id=student.pk)
    return (
        StudentGuardian.objects.filter(student=student)
        .select_related("guardian", "guardian__user")
        .order_by("-is_primary", "pk")
    )


def guardian_link_get(*, actor: Actor, student: Student, link_id: Any) -> StudentGuardian:
    return get_scoped_or_404(guardian_links_of(actor=actor, student=student), actor, pk=link_id)


# --- guardians -----------------------------------------------------------------------------------


def _guardians(actor: Actor) -> QuerySet[Guardian]:
    return _readable(Guardian.objects.all(), actor, CHILD_READERS)


def guardian_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Guardian]:
    """q: name (part) or the full mobile (keyed index). relation: a relation to a child the actor sees;
    has_account: whether a parent account is linked."""
    filters = filters or {}
    qs = _guardians(actor).select_related("user")
    q = str(filters.get("q") or "").strip()
    if q:
        cond = Q(name__icontains=q)
        mobile_index = mobile_index_for(q)
        if mobile_index:
            cond |= Q(mobile_index=mobile_index)
        qs = qs.filter(cond)
    if filters.get("relation"):
        # Only the links the actor can see count: another school's "father" link does not match here.
        links = _readable(StudentGuardian.objects.filter(relation=filters["relation"]), actor, CHILD_READERS)
        qs = qs.filter(pk__in=links.values("guardian_id"))
    has_account = _flag(filters.get("has_account"))
    if has_account is not None:
        qs = qs.filter(user__isnull=not has_account)
    return qs.order_by("name", "pk")


def guardian_get(*, actor: Actor, guardian_id: Any) -> Guardian:
    return get_scoped_or_404(_guardians(actor).select_related("user"), actor, pk=guardian_id)


def guardian_children(*, actor: Actor, guardian: Guardian) -> QuerySet[StudentGuardian]:
    """The guardian's links to the children the actor can see (a school admin: its school's children only)."""
    guardian = guardian_get(actor=actor, guardian_id=guardian.pk)
    links = StudentGuardian.objects.filter(guardian=guardian).select_related(
        "student", "student__school", "student__grade", "student__school_class"
    )
    return _readable(links, actor, CHILD_READERS).order_by("student__school_id", "student__name", "pk")


def guardian_children_by_guardian(*, actor: Actor, guardians: QuerySet[Guardian]) -> dict[int, list[StudentGuardian]]:
    """The visible child links of many guardians in one query (exports), keyed by guardian id."""
    links = StudentGuardian.objects.filter(guardian__in=guardians.values("pk")).select_related("student")
    out: dict[int, list[StudentGuardian]] = {}
    for link in _readable(links, actor, CHILD_READERS).order_by("student__name", "pk"):
        out.setdefault(link.guardian_id, []).append(link)
    return out


def guardian_link_counts(*, actor: Actor, guardian: Guardian) -> dict[str, int]:
    """How many children link to the guardian: those the actor sees, and elsewhere (other schools; only a count)."""
    visible = guardian_children(actor=actor, guardian=guardian).count()
    total = StudentGuardian.objects.filter(guardian_id=guardian.pk).count()
    return {"visible": visible, "elsewhere": total - visible}


# --- staff ---------------------------------------------------------------------------------------


def _staff(actor: Actor) -> QuerySet[Staff]:
    return _readable(Staff.objects.select_related("school", "user"), actor, ADMIN_READERS)


def staff_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Staff]:
    """q: name or 工号 (part), or the full mobile. role: one StaffRole; subject: part of the subjects."""
    filters = filters or {}
    qs = _staff(actor)
    q = str(filters.get("q") or "").strip()
    if q:
        cond = Q(name__icontains=q) | Q(employee_number__icontains=q)
        mobile_index = mobile_index_for(q)
        if mobile_index:
            cond |= Q(mobile_index=mobile_index)
        qs = qs.filter(cond)
    if filters.get("role"):
        # roles is a JSON list of codes; matching the quoted code keeps "teacher" from matching "head_teacher".
        qs = qs.filter(roles__icontains=f'"{filters["role"]}"')
    if filters.get("subject"):
        qs = qs.filter(subjects__icontains=str(filters["subject"]).strip())
    active = _flag(filters.get("is_active"))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def staff_get(*, actor: Actor, staff_id: Any) -> Staff:
    return get_scoped_or_404(_staff(actor), actor, pk=staff_id)


def staff_subjects(*, actor: Actor) -> list[str]:
    """The distinct subjects taught in the actor's scope (for the list filter)."""
    subjects: set[str] = set()
    for value in _staff(actor).values_list("subjects", flat=True):
        subjects.update(s.strip() for s in value.replace(",", "、").replace("，", "、").split("、") if s.strip())
    return sorted(subjects)


def staff_references(*, staff: Staff) -> dict[str, int]:
    """What still points at a staff member (all SET_NULL): shown before deleting it."""
    return {"head_of": staff.head_of.count(), "timetable": staff.timetable.count()}


# --- choices for forms and API payloads ----------------------------------------------------------


def grade_choices(*, actor: Actor) -> QuerySet[Grade]:
    return _readable(Grade.objects.select_related("school"), actor, ADMIN_READERS)


def class_choices(*, actor: Actor) -> QuerySet[SchoolClass]:
    return _readable(SchoolClass.objects.select_related("school", "grade"), actor, ADMIN_READERS)
