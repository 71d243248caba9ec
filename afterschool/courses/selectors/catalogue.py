"""Reads of the course catalogue (§4.3.1, §5.5.1): courses, chapters, files, materials.

Who reads: system admins; the bureau (courses of its region's schools and organizations and those offered to
them); a school's admin and teachers (its own courses and those offered to it); an organization's actors holding
OrgPermission.COURSE_VIEW (its admin always) its own courses. Everyone else sees nothing: a course out of reach
answers exactly like a missing one (404). The rows themselves come from `scoped()` (Course.scope_rule).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Count, Exists, IntegerField, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from afterschool.accounts.choices import ORG_ROLES, OrgPermission, Role
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import OfferStatus
from ..models import Chapter, Course, CourseFile, CourseOffer, Material

M = TypeVar("M", bound=Model)

GRADE_LABELS: dict[int, str] = {
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "初一",
    8: "初二",
    9: "初三",
    10: "高一",
    11: "高二",
    12: "高三",
}
GRADE_CHOICES: list[tuple[str, str]] = [(str(k), v) for k, v in GRADE_LABELS.items()]

# A course may not change while a school is deciding on it or has approved it.
LOCKING_STATUSES = (OfferStatus.SUBMITTED, OfferStatus.APPROVED)

OWNER_TYPE_CHOICES = [("school", "学校课程"), ("organization", "机构课程")]
REVIEW_STATE_CHOICES = [
    ("draft", "未提交"),
    ("submitted", "待审核"),
    ("approved", "已通过"),
    ("rejected", "已驳回"),
]
_REVIEW_LABELS = dict(REVIEW_STATE_CHOICES)

_DECIDED_OR_PENDING = (OfferStatus.SUBMITTED, OfferStatus.APPROVED, OfferStatus.REJECTED, OfferStatus.WITHDRAWN)
_SCHOOL_READERS = (Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER)


def may_read_courses(actor: Actor) -> bool:
    """The role (and, for an organization, the org permission) that lets the actor read any course at all."""
    if actor.is_system_admin or actor.has_role(*_SCHOOL_READERS):
        return True
    return actor.role in ORG_ROLES and actor.has_org_permission(OrgPermission.COURSE_VIEW)


def readable(queryset: QuerySet[M], actor: Actor) -> QuerySet[M]:
    """`scoped()` for actors that may read courses; nothing for the others."""
    if not may_read_courses(actor):
        return queryset.none()
    return scoped(queryset, actor)


def grade_labels(levels: Any) -> str:
    if not isinstance(levels, list):
        return ""
    return "、".join(GRADE_LABELS.get(level, str(level)) for level in sorted(levels) if isinstance(level, int))


def _offer_exists(actor: Actor, *statuses: str) -> Exists:
    # Only the offers the actor may see count towards what it is shown (a school does not learn about the others).
    return Exists(scoped(CourseOffer.objects.filter(course=OuterRef("pk"), status__in=statuses), actor))


def _with_review_state(queryset: QuerySet[Course], actor: Actor) -> QuerySet[Course]:
    return queryset.annotate(
        has_approved=_offer_exists(actor, OfferStatus.APPROVED),
        has_submitted=_offer_exists(actor, OfferStatus.SUBMITTED),
        has_rejected=_offer_exists(actor, OfferStatus.REJECTED, OfferStatus.WITHDRAWN),
    )


def review_state(course: Course) -> str:
    """approved / submitted / rejected / draft from the annotations of course_list / course_get."""
    if getattr(course, "has_approved", False):
        return "approved"
    if getattr(course, "has_submitted", False):
        return "submitted"
    if getattr(course, "has_rejected", False):
        return "rejected"
    return "draft"


def review_state_label(course: Course) -> str:
    return _REVIEW_LABELS[review_state(course)]


def _base_courses() -> QuerySet[Course]:
    chapter_count = (
        Chapter.objects.filter(course=OuterRef("pk")).order_by().values("course").annotate(n=Count("pk")).values("n")
    )
    return Course.objects.select_related("owner_school", "owner_organization").annotate(
        chapter_count=Coalesce(Subquery(chapter_count, output_field=IntegerField()), 0),
        # The lock counts every school's offer, seen by the actor or not.
        is_locked=Exists(CourseOffer.objects.filter(course=OuterRef("pk"), status__in=LOCKING_STATUSES)),
    )


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def course_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Course]:
    filters = filters or {}
    qs = _with_review_state(readable(_base_courses(), actor), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(introduction__icontains=q))
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    owner_type = filters.get("owner_type")
    if owner_type == "school":
        qs = qs.filter(owner_school__isnull=False)
    elif owner_type == "organization":
        qs = qs.filter(owner_organization__isnull=False)
    grade = _as_int(filters.get("grade"))
    if grade is not None:
        qs = _with_grade(qs, grade)
    state = filters.get("review_state")
    if state == "approved":
        qs = qs.filter(_offer_exists(actor, OfferStatus.APPROVED))
    elif state == "submitted":
        qs = qs.filter(_offer_exists(actor, OfferStatus.SUBMITTED))
    elif state == "rejected":
        qs = qs.filter(_offer_exists(actor, OfferStatus.REJECTED, OfferStatus.WITHDRAWN))
    elif state == "draft":
        qs = qs.filter(~_offer_exists(actor, *_DECIDED_OR_PENDING))
    if filters.get("owner_school"):
        qs = qs.filter(owner_school_id=filters["owner_school"])
    if filters.get("owner_organization"):
        qs = qs.filter(owner_organization_id=filters["owner_organization"])
    return qs.order_by("name", "id")


def _with_grade(qs: QuerySet[Course], grade: int) -> QuerySet[Course]:
    if connection.features.supports_json_field_contains:
        return qs.filter(grade_levels__contains=[grade])
    # SQLite has no JSON containment: pick the ids in Python (a scope holds a few hundred courses at most).
    ids = [pk for pk, levels in qs.values_list("pk", "grade_levels") if isinstance(levels, list) and grade in levels]
    return qs.filter(pk__in=ids)


def course_get(*, actor: Actor, course_id: Any) -> Course:
    return get_scoped_or_404(_with_review_state(readable(_base_courses(), actor), actor), actor, pk=course_id)


def course_is_locked(course: Course) -> bool:
    """Whether any school is deciding on the course or has approved it (all offers count, seen or not)."""
    return CourseOffer.objects.filter(course_id=course.pk, status__in=LOCKING_STATUSES).exists()


def course_has_offers(course: Course) -> bool:
    return CourseOffer.objects.filter(course_id=course.pk).exists()


def may_write_course(actor: Actor, course: Course | None = None) -> bool:
    """Who may write a course (the lock aside): system admins; a school admin its school's; an organization's
    actor holding COURSE_EDIT its organization's. With no course: whether the actor may create one."""
    if actor.is_system_admin:
        return True
    if actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id is not None:
        return course is None or course.owner_school_id == actor.school_id
    if actor.role in ORG_ROLES and actor.organization_id is not None:
        if not actor.has_org_permission(OrgPermission.COURSE_EDIT):
            return False
        return course is None or course.owner_organization_id == actor.organization_id
    return False


# --- chapters, files, materials -------------------------------------------------------------------


def chapter_list(*, actor: Actor, course: Course) -> QuerySet[Chapter]:
    return readable(Chapter.objects.filter(course_id=course.pk), actor).order_by("number")


def chapter_get(*, actor: Actor, course: Course, chapter_id: Any) -> Chapter:
    return get_scoped_or_404(
        readable(Chapter.objects.select_related("course"), actor), actor, pk=chapter_id, course_id=course.pk
    )


def chapters_with_resources(*, actor: Actor, course: Course) -> list[Chapter]:
    chapters = list(chapter_list(actor=actor, course=course))
    by_chapter: dict[int, list[CourseFile]] = {}
    for f in file_list(actor=actor, course=course).filter(chapter__isnull=False):
        by_chapter.setdefault(f.chapter_id or 0, []).append(f)
    for chapter in chapters:
        chapter.resource_list = by_chapter.get(chapter.pk, [])  # type: ignore[attr-defined]
    return chapters


def file_list(*, actor: Actor, course: Course, filters: dict[str, Any] | None = None) -> QuerySet[CourseFile]:
    filters = filters or {}
    qs = readable(CourseFile.objects.filter(course_id=course.pk).select_related("chapter"), actor)
    if filters.get("chapter"):
        qs = qs.filter(chapter_id=filters["chapter"])
    if filters.get("attachments_only"):
        qs = qs.filter(chapter__isnull=True)
    return qs.order_by("chapter__number", "id")


def file_get(*, actor: Actor, course: Course, file_id: Any) -> CourseFile:
    return get_scoped_or_404(
        readable(CourseFile.objects.select_related("course", "chapter"), actor),
        actor,
        pk=file_id,
        course_id=course.pk,
    )


def material_list(*, actor: Actor, course: Course) -> QuerySet[Material]:
    return readable(Material.objects.filter(course_id=course.pk), actor).order_by("id")


def material_get(*, actor: Actor, course: Course, material_id: Any) -> Material:
    return get_scoped_or_404(
        readable(Material.objects.select_related("course"), actor), actor, pk=material_id, course_id=course.pk
    )


def file_download_name(course_file: CourseFile) -> str:
    """The display name, with the stored (content-derived) extension when the name lacks it."""
    extension = course_file.file.name.rsplit(".", 1)[-1] if "." in course_file.file.name else ""
    if extension and not course_file.name.lower().endswith(f".{extension}"):
        return f"{course_file.name}.{extension}"
    return course_file.name
