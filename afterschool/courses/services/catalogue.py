"""Writes of the course catalogue (§4.3.1, §5.5.1): courses, chapters, files (attachments and chapter resources),
auxiliary materials (辅助材料).

Who writes: a school admin its school's courses; an organization's actors holding OrgPermission.COURSE_EDIT (its
admin always) its organization's; a system admin any (choosing the owner on creation). A course out of the
actor's reach is 404 (through the selectors); one it can read but not write is 403.

A course's content is frozen while a school is deciding on it or has approved it (an offer "submitted" or
"approved"): the owner recalls the submission first. A course with any offer (its review history) is never
deleted.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.choices import CourseCategory, MediaKind
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.media import check_upload
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, School

from ..models import Chapter, Course, CourseFile, Material
from ..selectors import catalogue as selectors

COURSE_FIELDS = ("name", "category", "introduction", "grade_levels")
CHAPTER_FIELDS = ("title", "goals")
MATERIAL_FIELDS = ("name", "introduction", "quantity", "price_fen")

LOCKED_MESSAGE = "课程已提交审核或已通过审核，不能修改；如需修改请先撤回提交"
MAX_PRICE_FEN = 9_999_999  # ¥99,999.99 for one item of material
MAX_QUANTITY = 9_999
MAX_CHAPTERS = 500


# --- guards ----------------------------------------------------------------------------------------


def require_course_writer(actor: Actor, course: Course | None = None) -> None:
    if not selectors.may_write_course(actor, course):
        if course is None:
            raise PermissionDenied("当前角色不能新建课程")
        raise PermissionDenied("只能修改本单位的课程")


def require_editable(actor: Actor, course: Course) -> Course:
    """The course, locked for the rest of the transaction, if the actor may change its content now."""
    require_course_writer(actor, course)
    locked = Course.objects.select_for_update().get(pk=course.pk)
    if selectors.course_is_locked(locked):
        raise Conflict("course_locked", LOCKED_MESSAGE)
    return locked


def _fresh_course(actor: Actor, course: Course) -> Course:
    return selectors.course_get(actor=actor, course_id=course.pk)


# --- values ----------------------------------------------------------------------------------------


def clean_grade_levels(value: Any) -> list[int]:
    if not isinstance(value, list | tuple) or not value:
        raise ValidationFailed({"grade_levels": ["请至少选择一个适用年级"]})
    levels: set[int] = set()
    for item in value:
        try:
            level = int(item)
        except (TypeError, ValueError):
            raise ValidationFailed({"grade_levels": ["适用年级须是 1–12 的整数"]}) from None
        if isinstance(item, bool) or not 1 <= level <= 12 or str(level) != str(item).strip():
            raise ValidationFailed({"grade_levels": ["适用年级须是 1–12 的整数"]})
        levels.add(level)
    return sorted(levels)


def yuan_to_fen(value: Any) -> int:
    """'35.5' / Decimal('35.50') → 3550; at most 2 decimals, never negative, at most MAX_PRICE_FEN."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"price_fen": ["请输入金额（元），最多两位小数"]}) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationFailed({"price_fen": ["请输入金额（元），最多两位小数"]})
    fen = int(amount * 100)
    _check_price(fen)
    return fen


def _check_price(fen: Any) -> None:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise ValidationFailed({"price_fen": ["单价须是整数分"]})
    if fen < 0:
        raise ValidationFailed({"price_fen": ["单价不能为负数"]})
    if fen > MAX_PRICE_FEN:
        raise ValidationFailed({"price_fen": ["单价不能超过 ¥99,999.99"]})


def _check_course(course: Course) -> None:
    if course.category not in CourseCategory.values:
        raise ValidationFailed({"category": ["请选择课程类别"]})
    course.grade_levels = clean_grade_levels(course.grade_levels)
    course.name = (course.name or "").strip()
    if not course.name:
        raise ValidationFailed({"name": ["请填写课程名称"]})


# --- courses ---------------------------------------------------------------------------------------


def _owner_for_create(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    if actor.has_role(Role.SCHOOL_ADMIN):
        return {"owner_school_id": actor.school_id, "owner_organization_id": None}
    if not actor.is_system_admin:
        return {"owner_school_id": None, "owner_organization_id": actor.organization_id}
    school, organization = data.get("owner_school"), data.get("owner_organization")
    if isinstance(school, School) == isinstance(organization, Organization):
        raise ValidationFailed({"owner_school": ["请选择课程所属的学校或机构（二者选其一）"]})
    if isinstance(school, School):
        return {"owner_school_id": school.pk, "owner_organization_id": None}
    assert isinstance(organization, Organization)
    return {"owner_school_id": None, "owner_organization_id": organization.pk}


@transaction.atomic
def course_create(*, actor: Actor, data: dict[str, Any]) -> Course:
    """A new course of the actor's school or organization (a system admin names the owner)."""
    require_course_writer(actor)
    course = Course(created_by=actor.user, **_owner_for_create(actor, data))
    apply_changes(course, {k: v for k, v in data.items() if k in COURSE_FIELDS}, allowed=COURSE_FIELDS)
    _check_course(course)
    validate_and_save(course)
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=course,
        detail={"owner_school": course.owner_school_id, "owner_organization": course.owner_organization_id},
    )
    return course


@transaction.atomic
def course_update(*, actor: Actor, course: Course, data: dict[str, Any]) -> Course:
    course = _fresh_course(actor, course)
    require_editable(actor, course)
    diff = apply_changes(course, data, allowed=COURSE_FIELDS)
    _check_course(course)
    validate_and_save(course)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=course, detail={"changes": diff})
    return course


@transaction.atomic
def course_delete(*, actor: Actor, course: Course) -> None:
    """Only a course never put before a school; one with offers keeps its review history."""
    course = _fresh_course(actor, course)
    require_course_writer(actor, course)
    Course.objects.select_for_update().filter(pk=course.pk).first()
    if selectors.course_has_offers(course):
        raise Conflict(
            "course_has_offers",
            "课程已提交过审核（有审核记录），不能删除；如不再开设请撤回提交或联系学校撤销",
        )
    stored = [f.file.name for f in CourseFile.objects.filter(course_id=course.pk)]
    record_write(actor=actor, event=AuditEventType.DELETE, obj=course)
    delete_or_refuse(course, what="课程")
    _delete_stored_on_commit(stored)


# --- chapters --------------------------------------------------------------------------------------


def _renumber(course_id: int) -> None:
    """Numbers 1..n in the current order. Ascending, one row at a time, so (course, number) stays unique."""
    for index, chapter in enumerate(Chapter.objects.filter(course_id=course_id).order_by("number", "id"), start=1):
        if chapter.number != index:
            Chapter.objects.filter(pk=chapter.pk).update(number=index)


@transaction.atomic
def chapter_create(*, actor: Actor, course: Course, data: dict[str, Any]) -> Chapter:
    """Appended after the last chapter."""
    course = require_editable(actor, _fresh_course(actor, course))
    count = Chapter.objects.filter(course_id=course.pk).count()
    if count >= MAX_CHAPTERS:
        raise ValidationFailed({"title": [f"一门课程最多 {MAX_CHAPTERS} 个章节"]})
    last = Chapter.objects.filter(course_id=course.pk).aggregate(m=Max("number"))["m"] or 0
    chapter = Chapter(course=course, number=last + 1)
    apply_changes(chapter, data, allowed=CHAPTER_FIELDS)
    chapter.title = (chapter.title or "").strip()
    if not chapter.title:
        raise ValidationFailed({"title": ["请填写章节标题"]})
    validate_and_save(chapter)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=chapter, detail={"course": course.pk})
    return chapter


@transaction.atomic
def chapter_update(*, actor: Actor, chapter: Chapter, data: dict[str, Any]) -> Chapter:
    course = require_editable(actor, _fresh_course(actor, chapter.course))
    chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=chapter.pk)
    diff = apply_changes(chapter, data, allowed=CHAPTER_FIELDS)
    chapter.title = (chapter.title or "").strip()
    if not chapter.title:
        raise ValidationFailed({"title": ["请填写章节标题"]})
    validate_and_save(chapter)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=chapter, detail={"course": course.pk, "changes": diff})
    return chapter


@transaction.atomic
def chapter_delete(*, actor: Actor, chapter: Chapter) -> None:
    """Its resources go with it; the chapters after it move up so numbers stay 1..n."""
    course = require_editable(actor, _fresh_course(actor, chapter.course))
    chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=chapter.pk)
    stored = [f.file.name for f in CourseFile.objects.filter(chapter_id=chapter.pk)]
    record_write(
        actor=actor, event=AuditEventType.DELETE, obj=chapter, detail={"course": course.pk, "number": chapter.number}
    )
    delete_or_refuse(chapter, what="章节")
    _renumber(course.pk)
    _delete_stored_on_commit(stored)


@transaction.atomic
def chapter_move(*, actor: Actor, chapter: Chapter, direction: str) -> Chapter:
    """Swap with the chapter before ("up") or after ("down"); the first cannot go up nor the last down."""
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": ["方向须是 up 或 down"]})
    course = require_editable(actor, _fresh_course(actor, chapter.course))
    _renumber(course.pk)
    chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=chapter.pk)
    target = chapter.number - 1 if direction == "up" else chapter.number + 1
    neighbour = Chapter.objects.filter(course_id=course.pk, number=target).first()
    if neighbour is None:
        raise Conflict("chapter_at_edge", "已是第一章，不能上移" if direction == "up" else "已是最后一章，不能下移")
    old = chapter.number
    # Park the chapter on 0 (never a real number) so the swap never holds two rows on one number.
    Chapter.objects.filter(pk=chapter.pk).update(number=0)
    Chapter.objects.filter(pk=neighbour.pk).update(number=old)
    Chapter.objects.filter(pk=chapter.pk).update(number=target)
    chapter.number = target
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=chapter,
        detail={"course": course.pk, "changes": {"number": [old, target]}},
    )
    return chapter


# --- files -----------------------------------------------------------------------------------------

ALL_KINDS = frozenset(MediaKind.values)


@transaction.atomic
def course_file_upload(
    *, actor: Actor, course: Course, upload: UploadedFile, name: str = "", chapter: Chapter | None = None
) -> CourseFile:
    """An attachment of the course, or with a chapter a resource of that chapter. Checked by content (JY/T 0650
    formats) and by the size limit of its media kind (settings.MEDIA_SIZE_LIMITS)."""
    course = require_editable(actor, _fresh_course(actor, course))
    if chapter is not None:
        chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=chapter.pk)
    info = check_upload(upload, kinds=ALL_KINDS, field="file")
    display = (name or "").strip() or (upload.name or "").rsplit("/", 1)[-1]
    row = CourseFile(
        course=course,
        chapter=chapter,
        name=display[:128],
        media_kind=info.kind,
        content_type=info.content_type,
        size=info.size,
        uploaded_by=actor.user,
    )
    upload.seek(0)
    # The stored name is ours, never the client's (no path tricks, no misleading extension).
    row.file.save(f"{uuid.uuid4().hex}.{info.extension}", upload, save=False)
    try:
        validate_and_save(row)
    except Exception:
        row.file.delete(save=False)
        raise
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=row,
        detail={"course": course.pk, "chapter": chapter.pk if chapter else None, "kind": row.media_kind},
    )
    return row


@transaction.atomic
def course_file_delete(*, actor: Actor, course_file: CourseFile) -> None:
    course = require_editable(actor, _fresh_course(actor, course_file.course))
    course_file = selectors.file_get(actor=actor, course=course, file_id=course_file.pk)
    stored = [course_file.file.name]
    record_write(actor=actor, event=AuditEventType.DELETE, obj=course_file, detail={"course": course.pk})
    course_file.delete()
    _delete_stored_on_commit(stored)


def _delete_stored_on_commit(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def _delete() -> None:
        for stored in names:
            if stored:
                default_storage.delete(stored)

    transaction.on_commit(_delete)


# --- materials -------------------------------------------------------------------------------------


def _check_material(material: Material) -> None:
    material.name = (material.name or "").strip()
    if not material.name:
        raise ValidationFailed({"name": ["请填写材料名称"]})
    if not isinstance(material.quantity, int) or isinstance(material.quantity, bool):
        raise ValidationFailed({"quantity": ["数量须是整数"]})
    if not 1 <= material.quantity <= MAX_QUANTITY:
        raise ValidationFailed({"quantity": [f"数量须在 1–{MAX_QUANTITY} 之间"]})
    _check_price(material.price_fen)


@transaction.atomic
def material_create(*, actor: Actor, course: Course, data: dict[str, Any]) -> Material:
    course = require_editable(actor, _fresh_course(actor, course))
    material = Material(course=course)
    apply_changes(material, data, allowed=MATERIAL_FIELDS)
    _check_material(material)
    validate_and_save(material)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=material, detail={"course": course.pk})
    return material


@transaction.atomic
def material_update(*, actor: Actor, material: Material, data: dict[str, Any]) -> Material:
    course = require_editable(actor, _fresh_course(actor, material.course))
    material = selectors.material_get(actor=actor, course=course, material_id=material.pk)
    diff = apply_changes(material, data, allowed=MATERIAL_FIELDS)
    _check_material(material)
    validate_and_save(material)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=material, detail={"course": course.pk, "changes": diff})
    return material


@transaction.atomic
def material_delete(*, actor: Actor, material: Material) -> None:
    course = require_editable(actor, _fresh_course(actor, material.course))
    material = selectors.material_get(actor=actor, course=course, material_id=material.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=material, detail={"course": course.pk})
    delete_or_refuse(material, what="辅助材料")
