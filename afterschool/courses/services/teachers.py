"""Writes of organization teachers (§5.1.2 师资管理), their certificates and their login accounts.

Who writes: the organization's admin, and its staff or teachers holding `org.teacher_edit`; a system admin for
any organization. The bureau and schools read only. Mobile and ID number are sealed (SM4-GCM + HMAC-SM3 index),
shown masked, revealed only by `teacher_reveal` (permission `view_personal_data`, never to a school) and every
reveal, write and export is audited with masked values only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Permission, Role
from afterschool.accounts.services import account_for_mobile, record_write
from afterschool.core.choices import MediaKind
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.core.masking import mask_id_number, mask_mobile
from afterschool.core.services import apply_changes, validate_and_save
from afterschool.schools.services.people import export_audit_filters
from afterschool.schools.validators import normalize_mobile, validate_id_number, validate_mobile
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization

from ..choices import BackgroundCheck
from ..models import OrgTeacher, TeacherCertificate
from ..selectors import teachers as selectors

TEACHER_FIELDS = ("name", "certificate_number", "subjects", "background_check", "background_checked_on", "is_active")
CERTIFICATE_EXTENSIONS = {"pdf": "PDF", "jpg": "JPG", "png": "PNG"}
REVEALABLE = ("mobile", "id_number")


def _require_editor(actor: Actor) -> None:
    if not selectors.may_edit_teachers(actor):
        raise PermissionDenied("没有维护机构教师的权限")


def _organization_for_write(actor: Actor, data: dict[str, Any]) -> Organization:
    """An organization writes its own teachers, whatever the input says; a system admin names the organization."""
    if actor.organization_id is not None:
        assert actor.membership is not None and actor.membership.organization is not None
        return actor.membership.organization
    organization = data.get("organization")
    if not isinstance(organization, Organization):
        raise ValidationFailed({"organization": ["请选择机构"]})
    return organization


def _clean_personal(teacher: OrgTeacher, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate and seal mobile and ID number; returns their masked changes for the audit row."""
    errors: dict[str, list[str]] = {}
    diff: dict[str, Any] = {}
    if creating or "mobile" in data:
        mobile = normalize_mobile(str(data.get("mobile") or ""))
        try:
            validate_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = ["请填写手机号"] if not mobile else list(exc.messages)
        else:
            old = teacher.mobile
            if mobile != old:
                teacher.set_mobile(mobile)
                diff["mobile"] = [mask_mobile(old), mask_mobile(mobile)]
    if creating or "id_number" in data:
        id_number = str(data.get("id_number") or "").strip().upper()
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            errors["id_number"] = ["请填写身份证号"] if not id_number else list(exc.messages)
        else:
            old = teacher.id_number
            if id_number != old:
                teacher.set_id_number(id_number)
                diff["id_number"] = [mask_id_number(old), mask_id_number(id_number)]
    if "id_number" not in errors and teacher.id_number_index:
        same = OrgTeacher.objects.filter(
            organization_id=teacher.organization_id, id_number_index=teacher.id_number_index
        )
        if same.exclude(pk=teacher.pk).exists():
            errors["id_number"] = ["本机构已有该身份证号的教师"]
    if errors:
        raise ValidationFailed(errors)
    return diff


def _check_teacher(teacher: OrgTeacher) -> None:
    errors: dict[str, list[str]] = {}
    number = (teacher.certificate_number or "").strip()
    teacher.certificate_number = number
    if number and not number.isalnum():
        errors["certificate_number"] = ["教师资格证编号只能包含字母和数字"]
    if teacher.background_check not in BackgroundCheck.values:
        errors["background_check"] = ["背景审查状态不正确"]
    elif teacher.background_check != BackgroundCheck.PENDING and teacher.background_checked_on is None:
        errors["background_checked_on"] = ["请填写审查日期"]
    if teacher.background_checked_on is not None and teacher.background_checked_on > timezone.localdate():
        errors["background_checked_on"] = ["审查日期不能晚于今天"]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def teacher_create(*, actor: Actor, data: dict[str, Any]) -> tuple[OrgTeacher, str | None]:
    """Enter a teacher of the actor's organization; with `create_account` it also gets an org_teacher login
    (or the existing account of that mobile is linked). Returns the teacher and the new initial password, if any."""
    _require_editor(actor)
    teacher = OrgTeacher(organization=_organization_for_write(actor, data))
    apply_changes(teacher, data, allowed=TEACHER_FIELDS)
    _clean_personal(teacher, data, creating=True)
    _check_teacher(teacher)
    validate_and_save(teacher, exclude=["mobile_index", "id_number_index"])
    initial = _teacher_account(actor=actor, teacher=teacher) if data.get("create_account") else None
    record_write(actor=actor, event=AuditEventType.CREATE, obj=teacher, detail={"account": teacher.user_id is not None})
    return teacher, initial


@transaction.atomic
def teacher_update(*, actor: Actor, teacher: OrgTeacher, data: dict[str, Any]) -> OrgTeacher:
    """Edit a teacher; deactivation (is_active=False) is how a teacher who leaves is recorded."""
    _require_editor(actor)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher.pk)
    diff = apply_changes(teacher, data, allowed=TEACHER_FIELDS)
    diff.update(_clean_personal(teacher, data, creating=False))
    _check_teacher(teacher)
    validate_and_save(teacher, exclude=["mobile_index", "id_number_index"])
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=teacher, detail={"changes": diff})
    return teacher


@transaction.atomic
def teacher_delete(*, actor: Actor, teacher: OrgTeacher) -> None:
    """Delete a teacher entered by mistake; one with dispatches (even cancelled) is deactivated instead."""
    _require_editor(actor)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher.pk)
    if teacher.dispatches.exists():
        raise Conflict("in_use", "该教师已有外派记录，不能删除；请改为停用", detail={"referenced_by": ["教师外派"]})
    record_write(actor=actor, event=AuditEventType.DELETE, obj=teacher)
    files = [c.file for c in teacher.certificates.all()]
    teacher.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def _teacher_account(*, actor: Actor, teacher: OrgTeacher) -> str | None:
    """An org_teacher login by mobile; an existing account of that mobile is linked instead of duplicated."""
    user, initial = account_for_mobile(
        actor=actor,
        mobile=teacher.mobile,
        display_name=teacher.name,
        role=Role.ORG_TEACHER,
        organization=teacher.organization,
    )
    teacher.user = user
    teacher.save(update_fields=["user", "updated_at"])
    return initial


@transaction.atomic
def teacher_account_create(*, actor: Actor, teacher: OrgTeacher) -> str | None:
    """Give an existing teacher its login (or link the account of its mobile). Returns a new initial password."""
    _require_editor(actor)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher.pk)
    if teacher.user_id is not None:
        raise Conflict("has_account", "该教师已有登录账号")
    initial = _teacher_account(actor=actor, teacher=teacher)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=teacher, detail={"account": teacher.user_id})
    return initial


@transaction.atomic
def teacher_reveal(*, actor: Actor, teacher: OrgTeacher, field: str) -> str:
    """The full mobile or ID number, for an organization or bureau actor with `view_personal_data`; audited."""
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher.pk)
    if field not in REVEALABLE:
        raise ValidationFailed({"field": ["不能查看该字段"]})
    if not selectors.sees_personal_data(actor) or not actor.has_permission(Permission.VIEW_PERSONAL_DATA):
        raise PermissionDenied("没有查看完整个人信息的权限")
    record_write(actor=actor, event=AuditEventType.VIEW_SENSITIVE, obj=teacher, detail={"field": field})
    return str(getattr(teacher, field))


EXPORT_HEADERS = [
    "机构", "姓名", "手机号", "身份证号", "教师资格证编号", "证书文件数", "任教科目", "背景审查", "审查日期", "状态",
]  # fmt: skip


@transaction.atomic
def teacher_export(*, actor: Actor, filters: dict[str, Any]) -> bytes:
    """xlsx of the teachers the actor sees, personal data always masked. Audited."""
    from django.db.models import Count

    queryset = selectors.teacher_list(actor=actor, filters=filters).annotate(certificate_count=Count("certificates"))
    rows = (
        [
            t.organization.name,
            t.name,
            t.mobile_masked,
            t.id_number_masked,
            t.certificate_number,
            t.certificate_count,  # type: ignore[attr-defined]
            t.subjects,
            t.get_background_check_display(),
            t.background_checked_on,
            "在职" if t.is_active else "已停用",
        ]
        for t in queryset
    )
    content = build_xlsx(headers=EXPORT_HEADERS, rows=rows, sheet_title="机构教师")
    record_write(
        actor=actor,
        event=AuditEventType.EXPORT,
        obj=None,
        detail={"what": "org_teacher", **export_audit_filters(filters)},
    )
    return content


@transaction.atomic
def teacher_summary_export(*, actor: Actor, filters: dict[str, Any]) -> bytes:
    rows = (
        [
            o.name,
            o.teacher_count,  # type: ignore[attr-defined]
            o.with_certificate_number,  # type: ignore[attr-defined]
            o.with_certificate_files,  # type: ignore[attr-defined]
            o.check_passed,  # type: ignore[attr-defined]
            o.check_pending,  # type: ignore[attr-defined]
            o.check_failed,  # type: ignore[attr-defined]
        ]
        for o in selectors.teacher_summary(actor=actor, filters=filters)
    )
    headers = ["机构", "在职教师", "有资格证编号", "有证书文件", "背景审查通过", "待审查", "未通过"]
    content = build_xlsx(headers=headers, rows=rows, sheet_title="机构师资汇总")
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "teacher_summary", **filters})
    return content


# --- certificates --------------------------------------------------------------------------------


@transaction.atomic
def certificate_upload(*, actor: Actor, teacher: OrgTeacher, name: str, upload: Any) -> TeacherCertificate:
    """Attach a certificate file (PDF, JPG or PNG, checked by content) to a teacher of the actor's organization."""
    from afterschool.core.media import check_upload

    _require_editor(actor)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": ["请填写证书名称"]})
    if len(name) > 64:
        raise ValidationFailed({"name": ["证书名称最多 64 个字"]})
    info = check_upload(upload, kinds={MediaKind.DOCUMENT, MediaKind.IMAGE}, field="file")
    if info.extension not in CERTIFICATE_EXTENSIONS:
        raise ValidationFailed({"file": ["证书文件只能是 PDF、JPG 或 PNG"]})
    certificate = TeacherCertificate(
        teacher=teacher, name=name, media_kind=info.kind, content_type=info.content_type, size=info.size
    )
    certificate.file.save(f"{uuid.uuid4().hex}.{info.extension}", upload, save=False)
    certificate.save()
    record_write(actor=actor, event=AuditEventType.CREATE, obj=certificate, detail={"teacher": teacher.pk})
    return certificate


@transaction.atomic
def certificate_delete(*, actor: Actor, certificate: TeacherCertificate) -> None:
    _require_editor(actor)
    certificate = selectors.certificate_get(actor=actor, certificate_id=certificate.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=certificate, detail={"teacher": certificate.teacher_id})
    file = certificate.file
    certificate.delete()
    transaction.on_commit(lambda: file.delete(save=False))
