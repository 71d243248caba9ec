"""Reads of chapter materials (章节资料, §5.3.3 "按章节上传"): what a section's teachers upload per chapter of its
course.

Who sees a section's materials: the school (its admins) and the bureau of its region; the organization whose course it
is; the section's teachers (a lesson teacher or a teacher linked to the section); the families of its students (a child
holding a place, or one that held it this term). The section's teachers upload; each deletes what it uploaded. Anything
else reads as missing (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.attendance.selectors.common import TEACHING_ROLES
from afterschool.attendance.selectors.leave import taught_section_ids
from afterschool.core.errors import ValidationFailed
from afterschool.courses.models import Chapter
from afterschool.scheduling.models import Section
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_or_404, scoped

from ..models import ChapterMaterial
from .moments import FAMILY_ROLES, family_student_ids, section_ids_with_family_place, valid_id

READER_ROLES = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.ORG_ADMIN)


def visible_sections(actor: Actor) -> QuerySet[Section]:
    """The sections whose materials the actor may read."""
    if actor.is_system_admin:
        return Section.objects.all()
    if actor.has_role(*READER_ROLES):
        return scoped(Section.objects.all(), actor)
    if actor.role in TEACHING_ROLES:
        return Section.objects.filter(pk__in=taught_section_ids(actor))
    if actor.has_role(*FAMILY_ROLES):
        students = family_student_ids(actor)
        return section_ids_with_family_place(students) if students else Section.objects.none()
    return Section.objects.none()


def section_get(*, actor: Actor, section_id: Any) -> Section:
    """A section whose materials the actor may read; NotFound otherwise."""
    qs = visible_sections(actor).select_related("school", "course", "term")
    return get_or_404(qs, pk=section_id)


def may_upload(actor: Actor, section: Section) -> bool:
    """The section's teachers upload (a lesson teacher of it, or a teacher linked to it)."""
    if actor.role not in TEACHING_ROLES or actor.user_id is None:
        return False
    return taught_section_ids(actor).filter(pk=section.pk).exists()


def may_delete(actor: Actor, material: ChapterMaterial) -> bool:
    return actor.user_id is not None and material.uploaded_by_id == actor.user_id


@dataclass
class ChapterGroup:
    chapter: Chapter
    materials: list[ChapterMaterial] = field(default_factory=list)


def material_groups(*, section: Section) -> list[ChapterGroup]:
    """Every chapter of the section's course, in order, with the section's materials for it."""
    groups = {c.pk: ChapterGroup(c) for c in Chapter.objects.filter(course_id=section.course_id).order_by("number")}
    rows = ChapterMaterial.objects.filter(section=section).select_related("uploaded_by").order_by("created_at", "pk")
    for row in rows:
        if row.chapter_id in groups:
            groups[row.chapter_id].materials.append(row)
    return list(groups.values())


def material_list(
    *, actor: Actor, section: Section, filters: dict[str, Any] | None = None
) -> QuerySet[ChapterMaterial]:
    """The section's materials (of a section the actor may read), by chapter. Filters: chapter, kind, q (title)."""
    filters = filters or {}
    qs = ChapterMaterial.objects.filter(section=section, section__in=visible_sections(actor))
    if filters.get("chapter"):
        qs = qs.filter(chapter_id=filters["chapter"])
    if filters.get("kind"):
        qs = qs.filter(media_kind=filters["kind"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.select_related("chapter", "uploaded_by", "section").order_by("chapter__number", "created_at", "pk")


def material_get(*, actor: Actor, material_id: Any) -> ChapterMaterial:
    qs = ChapterMaterial.objects.filter(section__in=visible_sections(actor)).select_related(
        "chapter", "uploaded_by", "section", "section__school", "section__course"
    )
    return get_or_404(qs, pk=material_id)


def chapter_of(*, section: Section, chapter_id: Any) -> Chapter:
    """A chapter of the section's course, or a field error."""
    wanted = valid_id(chapter_id)
    found = Chapter.objects.filter(course_id=section.course_id, pk=wanted).first() if wanted else None
    if found is None:
        message = "请选择本课程的章节"
        raise ValidationFailed({"chapter": [message]}, message=message, code="chapter_invalid")
    return found


def chapter_choices(*, section: Section) -> list[tuple[int, str]]:
    return [(c.pk, str(c)) for c in Chapter.objects.filter(course_id=section.course_id).order_by("number")]


def section_index(*, actor: Actor) -> QuerySet[Section]:
    """The sections the actor may read materials of, with how many there are (the materials index page)."""
    return (
        visible_sections(actor)
        .select_related("school", "course", "term")
        .annotate(material_count=Count("chapter_materials", distinct=True))
        .filter(Q(material_count__gt=0) | Q(pk__in=_own_sections(actor)))
        .order_by("-term__starts_on", "school__name", "name", "pk")
    )


def _own_sections(actor: Actor) -> Any:
    """A teacher's sections are listed even before anything is uploaded (it uploads from there)."""
    if actor.role in TEACHING_ROLES:
        return taught_section_ids(actor)
    return Section.objects.none().values("pk")
