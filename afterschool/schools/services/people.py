"""Writes of students, guardians and staff, and the audited views of their personal data (GB/T 35273).

Who writes: a school admin for its own school (the school is always its own), a system admin for any school.
The bureau reads only. ID numbers and mobiles are stored sealed (SM4-GCM + HMAC-SM3 index), shown masked, and
revealed only by `*_reveal` to an actor holding the `view_personal_data` permission — every reveal and every
export is audited; audit rows never carry a full ID number or mobile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from afterschool.accounts.choices import AuditEventType, Permission, Role
from afterschool.accounts.services import account_for_mobile, record_write
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.core.masking import mask_id_number, mask_mobile
from afterschool.core.personal import index_of
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import GuardianRelation, StaffRole
from ..models import MOBILE_PURPOSE, Guardian, Staff, Student, StudentGuardian
from ..selectors import people as selectors
from ..validators import birth_date_from_id, normalize_mobile, validate_id_number, validate_mobile

STUDENT_FIELDS = ("student_number", "name", "gender", "birth_date", "grade", "school_class", "is_active")
STAFF_FIELDS = ("employee_number", "name", "subjects", "roles", "is_active")
REVEALABLE = {"student": ("id_number",), "guardian": ("mobile",), "staff": ("mobile",)}


def _require_writer(actor: Actor) -> None:
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise PermissionDenied("只有学校管理员可以维护学生、监护人和教职工信息")


def _school_for_write(actor: Actor, data: dict[str, Any], fallback: School | None = None) -> School:
    """A school admin writes its own school, whatever the input says; a system admin names the school."""
    if actor.has_role(Role.SCHOOL_ADMIN):
        assert actor.membership is not None and actor.membership.school is not None
        return actor.membership.school
    school = data.get("school") or fallback
    if not isinstance(school, School):
        raise ValidationFailed({"school": ["请选择学校"]})
    return school


def _field_error(field: str, exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({field: list(exc.messages)})


def _require_reveal(actor: Actor, kind: str, field: str) -> None:
    if field not in REVEALABLE[kind]:
        raise ValidationFailed({"field": ["不能查看该字段"]})
    if not actor.has_permission(Permission.VIEW_PERSONAL_DATA):
        raise PermissionDenied("没有查看完整个人信息的权限")


# --- students ------------------------------------------------------------------------------------


def _set_student_id_number(student: Student, raw: Any) -> dict[str, Any]:
    """Seal a new ID number (empty clears it); returns the masked change for the audit row."""
    value = str(raw or "").strip().upper()
    old = student.id_number
    if value == old:
        return {}
    if value:
        try:
            validate_id_number(value)
        except ValidationError as exc:
            raise _field_error("id_number", exc) from None
    student.set_id_number(value)
    return {"id_number": [mask_id_number(old), mask_id_number(value)]}


def _check_student(student: Student) -> None:
    errors: dict[str, list[str]] = {}
    school_id = student.school_id
    if student.grade_id and student.grade.school_id != school_id:
        errors["grade"] = ["年级不属于该学校"]
    if student.school_class_id:
        cls = student.school_class
        if cls.school_id != school_id:
            errors["school_class"] = ["班级不属于该学校"]
        elif student.grade_id and cls.grade_id != student.grade_id:
            errors["school_class"] = ["班级不属于所选年级"]
    id_number = student.id_number
    if id_number:
        born = birth_date_from_id(id_number)
        if student.birth_date is None:
            student.birth_date = born
        elif student.birth_date != born:
            errors["birth_date"] = [f"出生日期与身份证号中的出生日期（{born:%Y-%m-%d}）不一致"]
        duplicate = Student.objects.filter(school_id=school_id, id_number_index=student.id_number_index)
        if duplicate.exclude(pk=student.pk).exists():
            errors["id_number"] = ["本校已有该身份证号的学生"]
    number = Student.objects.filter(school_id=school_id, student_number=student.student_number)
    if student.student_number and number.exclude(pk=student.pk).exists():
        errors["student_number"] = ["本校已有该学籍号的学生"]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def student_create(*, actor: Actor, data: dict[str, Any]) -> Student:
    """A school admin enters a student of its school; class within grade within the school; ID checked."""
    _require_writer(actor)
    grade = data.get("grade")
    school = _school_for_write(actor, data, fallback=getattr(grade, "school", None))
    student = Student(school=school)
    apply_changes(student, data, allowed=STUDENT_FIELDS)
    _set_student_id_number(student, data.get("id_number"))
    _check_student(student)
    validate_and_save(student)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=student)
    return student


@transaction.atomic
def student_update(*, actor: Actor, student: Student, data: dict[str, Any]) -> Student:
    _require_writer(actor)
    student = selectors.student_get(actor=actor, student_id=student.pk)
    diff = apply_changes(student, data, allowed=STUDENT_FIELDS)
    if "id_number" in data:
        diff.update(_set_student_id_number(student, data["id_number"]))
    _check_student(student)
    validate_and_save(student)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=student, detail={"changes": diff})
    return student


@transaction.atomic
def student_delete(*, actor: Actor, student: Student) -> None:
    """Removes the student and its guardian links (the guardians stay: they may have other children)."""
    _require_writer(actor)
    student = selectors.student_get(actor=actor, student_id=student.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=student)
    delete_or_refuse(student, what="学生")


@transaction.atomic
def student_reveal(*, actor: Actor, student: Student, field: str) -> str:
    """The full ID number, for an actor with `view_personal_data` who can see the student; audited."""
    student = selectors.student_get(actor=actor, student_id=student.pk)
    _require_reveal(actor, "student", field)
    record_write(actor=actor, event=AuditEventType.VIEW_SENSITIVE, obj=student, detail={"field": field})
    return str(getattr(student, field))


# --- guardians -----------------------------------------------------------------------------------


def _parent_account(*, actor: Actor, guardian: Guardian, mobile: str, school: School) -> str | None:
    """Give the guardian a parent login: reuse the account of the same mobile, else create one.

    Returns the initial password when an account was created (shown once), else None.
    """
    user, initial = account_for_mobile(
        actor=actor, mobile=mobile, display_name=guardian.name, role=Role.PARENT, school=school, user=guardian.user
    )
    if guardian.user_id != user.pk:
        guardian.user = user
        guardian.save(update_fields=["user", "updated_at"])
    return initial


@transaction.atomic
def guardian_add(
    *, actor: Actor, student: Student, name: str, mobile: str, relation: str, is_primary: bool = False
) -> tuple[StudentGuardian, str | None]:
    """Link a guardian to a student. The same mobile is the same Guardian everywhere (reused, never doubled),
    and the guardian gets a parent account. Returns the link and the new account's initial password, if any."""
    _require_writer(actor)
    student = selectors.student_get(actor=actor, student_id=student.pk)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    mobile = normalize_mobile(mobile)
    if not name:
        errors["name"] = ["请填写监护人姓名"]
    try:
        validate_mobile(mobile)
    except ValidationError as exc:
        errors["mobile"] = list(exc.messages)
    if relation not in GuardianRelation.values:
        errors["relation"] = ["请选择与学生的关系"]
    if errors:
        raise ValidationFailed(errors)
    index = index_of(mobile, purpose=MOBILE_PURPOSE)
    guardian = Guardian.objects.select_for_update().filter(mobile_index=index).first()
    created = guardian is None
    if guardian is None:
        guardian = Guardian(name=name)
        guardian.set_mobile(mobile)
        validate_and_save(guardian)
    elif StudentGuardian.objects.filter(student=student, guardian=guardian).exists():
        raise Conflict("already_linked", "该监护人已关联此学生", detail={"mobile": ["该监护人已关联此学生"]})
    initial = _parent_account(actor=actor, guardian=guardian, mobile=mobile, school=student.school)
    first = not StudentGuardian.objects.filter(student=student).exists()
    link = StudentGuardian(student=student, guardian=guardian, relation=relation, is_primary=is_primary or first)
    if link.is_primary:
        StudentGuardian.objects.filter(student=student, is_primary=True).update(is_primary=False)
    validate_and_save(link)
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=link,
        detail={
            "student": student.pk,
            "guardian": guardian.pk,
            "relation": relation,
            "new_guardian": created,
            "new_account": initial is not None,
        },
    )
    return link, initial


@transaction.atomic
def guardian_remove(*, actor: Actor, link: StudentGuardian) -> None:
    """Unlink a guardian from a student; a student keeps at least one guardian.

    A guardian exists because it guards a student: when its last link goes, the Guardian record (the sealed mobile
    and name) is deleted too, so no school is left holding personal data it can no longer see. A parent account
    stays: the person may still log in, and may be linked again later.
    """
    _require_writer(actor)
    student = selectors.student_get(actor=actor, student_id=link.student_id)
    link = selectors.guardian_link_get(actor=actor, student=student, link_id=link.pk)
    if StudentGuardian.objects.select_for_update().filter(student=student).count() <= 1:
        raise Conflict("last_guardian", "学生至少须保留一位监护人：请先添加其他监护人，再移除这一位")
    record_write(
        actor=actor, event=AuditEventType.DELETE, obj=link, detail={"student": student.pk, "guardian": link.guardian_id}
    )
    was_primary = link.is_primary
    guardian = link.guardian
    link.delete()
    if was_primary:
        rest = StudentGuardian.objects.filter(student=student).order_by("pk").first()
        if rest is not None:
            rest.is_primary = True
            rest.save(update_fields=["is_primary", "updated_at"])
    if not StudentGuardian.objects.filter(guardian=guardian).exists():
        record_write(actor=actor, event=AuditEventType.DELETE, obj=guardian, detail={"reason": "last_link_removed"})
        guardian.delete()


@transaction.atomic
def guardian_reveal(*, actor: Actor, guardian: Guardian, field: str = "mobile") -> str:
    guardian = selectors.guardian_get(actor=actor, guardian_id=guardian.pk)
    _require_reveal(actor, "guardian", field)
    record_write(actor=actor, event=AuditEventType.VIEW_SENSITIVE, obj=guardian, detail={"field": field})
    return str(getattr(guardian, field))


GUARDIAN_FIELDS = ("name",)


def _set_guardian_mobile(guardian: Guardian, raw: Any) -> dict[str, Any]:
    """Re-seal a changed mobile; returns the masked change for the audit row.

    The mobile of a guardian with a parent account is that account's login (same person, same number), and the
    accounts app has no service to change it: such a change is refused rather than letting the two drift apart.
    """
    mobile = normalize_mobile(str(raw or ""))
    old = guardian.mobile
    if mobile == old:
        return {}
    try:
        validate_mobile(mobile)
    except ValidationError as exc:
        raise _field_error("mobile", exc) from None
    if guardian.user_id is not None:
        message = "该监护人已开通家长账号，手机号即其登录账号，须由本人在账号中修改，学校不能代改"
        raise Conflict("has_account", message, detail={"mobile": [message]})
    index = index_of(mobile, purpose=MOBILE_PURPOSE)
    if Guardian.objects.filter(mobile_index=index).exclude(pk=guardian.pk).exists():
        message = "该手机号已登记为另一位监护人（同一手机号即同一位监护人），不能重复使用"
        raise Conflict("mobile_taken", message, detail={"mobile": [message]})
    guardian.set_mobile(mobile)
    return {"mobile": [mask_mobile(old), mask_mobile(mobile)]}


@transaction.atomic
def guardian_update(*, actor: Actor, guardian: Guardian, data: dict[str, Any]) -> Guardian:
    """Edit a guardian's name and mobile. Any school admin whose students it guards may edit it (a guardian with
    children in two schools is one person, editable by either school); the mobile stays unique among guardians
    and cannot be changed here once the guardian has a parent account."""
    _require_writer(actor)
    guardian = selectors.guardian_get(actor=actor, guardian_id=guardian.pk)
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    if "name" in data:
        data = {**data, "name": str(data["name"] or "").strip()}
        if not data["name"]:
            raise ValidationFailed({"name": ["请填写监护人姓名"]})
    diff = apply_changes(guardian, data, allowed=GUARDIAN_FIELDS)
    if "mobile" in data:
        diff.update(_set_guardian_mobile(guardian, data["mobile"]))
    validate_and_save(guardian)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=guardian, detail={"changes": diff})
    return guardian


@transaction.atomic
def guardian_delete(*, actor: Actor, guardian: Guardian) -> None:
    """Delete a guardian no student is linked to any more — in any school, not only the actor's."""
    _require_writer(actor)
    guardian = selectors.guardian_get(actor=actor, guardian_id=guardian.pk)
    counts = selectors.guardian_link_counts(actor=actor, guardian=guardian)
    if counts["visible"] or counts["elsewhere"]:
        parts = []
        if counts["visible"]:
            parts.append(f"仍是 {counts['visible']} 名学生的监护人，请先在学生页面移除监护关系")
        if counts["elsewhere"]:
            parts.append("其他学校仍有学生关联此监护人，须由相应学校移除")
        raise Conflict("in_use", f"不能删除该监护人：{'；'.join(parts)}", detail={"referenced_by": ["监护关系"]})
    record_write(actor=actor, event=AuditEventType.DELETE, obj=guardian, detail={"account": guardian.user_id})
    delete_or_refuse(guardian, what="监护人")  # a link added meanwhile is still refused by PROTECT


# --- staff ---------------------------------------------------------------------------------------


def _clean_staff(staff: Staff, data: dict[str, Any]) -> dict[str, Any]:
    """Normalise roles and mobile; returns the masked mobile change for the audit row."""
    errors: dict[str, list[str]] = {}
    diff: dict[str, Any] = {}
    if "roles" in data:
        roles = data["roles"] or []
        if not isinstance(roles, list | tuple) or any(r not in StaffRole.values for r in roles):
            errors["roles"] = ["岗位不正确"]
        else:
            staff.roles = sorted(set(roles))
    if "mobile" in data:
        mobile = normalize_mobile(str(data["mobile"] or ""))
        old = staff.mobile
        if mobile != old:
            if mobile:
                try:
                    validate_mobile(mobile)
                except ValidationError as exc:
                    errors["mobile"] = list(exc.messages)
            if "mobile" not in errors:
                staff.set_mobile(mobile)
                diff["mobile"] = [mask_mobile(old), mask_mobile(mobile)]
    number = Staff.objects.filter(school_id=staff.school_id, employee_number=staff.employee_number)
    if staff.employee_number and number.exclude(pk=staff.pk).exists():
        errors["employee_number"] = ["本校已有该工号"]
    if errors:
        raise ValidationFailed(errors)
    return diff


def _teacher_account(*, actor: Actor, staff: Staff) -> str | None:
    """A staff member with a mobile gets a teacher login in its school (the account of that mobile if any)."""
    mobile = staff.mobile
    if not mobile:
        return None
    user, initial = account_for_mobile(
        actor=actor, mobile=mobile, display_name=staff.name, role=Role.TEACHER, school=staff.school
    )
    staff.user = user
    staff.save(update_fields=["user", "updated_at"])
    return initial


# A staff member's posts grant its teacher login the matching permissions: the post 巡课 is the patrol permission
# (§5.2.3). The membership is read on every request, so a change applies on the next one.
PERMISSIONS_OF_POSTS: dict[str, str] = {StaffRole.PATROL: Permission.PATROL}


def staff_sync_permissions(staff_members: Iterable[Staff]) -> int:
    """Bring the teacher memberships of these staff members in line with their posts (and whether they are still
    in post). Returns how many memberships changed."""
    from afterschool.accounts.models import RoleMembership

    by_key: dict[tuple[int, int | None], Staff] = {
        (s.user_id, s.school_id): s for s in staff_members if s.user_id is not None
    }
    if not by_key:
        return 0
    memberships = RoleMembership.objects.filter(
        role=Role.TEACHER, user_id__in={k[0] for k in by_key}, school_id__in={k[1] for k in by_key}
    )
    changed = []
    for membership in memberships:
        staff = by_key.get((membership.user_id, membership.school_id))
        if staff is None:
            continue
        held = set(membership.permissions or [])
        wanted = {p for post, p in PERMISSIONS_OF_POSTS.items() if staff.is_active and post in (staff.roles or [])}
        new = (held - set(PERMISSIONS_OF_POSTS.values())) | wanted
        if new != held:
            membership.permissions = sorted(new)
            changed.append(membership)
    RoleMembership.objects.bulk_update(changed, ["permissions"])
    return len(changed)


@transaction.atomic
def staff_create(*, actor: Actor, data: dict[str, Any]) -> tuple[Staff, str | None]:
    """Enter a staff member; with a mobile it gets (or is linked to) a teacher account of the school.

    Returns the staff member and the new account's initial password (None when no account was created)."""
    _require_writer(actor)
    staff = Staff(school=_school_for_write(actor, data))
    apply_changes(staff, data, allowed=STAFF_FIELDS)
    _clean_staff(staff, data)
    validate_and_save(staff)
    initial = _teacher_account(actor=actor, staff=staff)
    staff_sync_permissions([staff])
    record_write(actor=actor, event=AuditEventType.CREATE, obj=staff, detail={"account": staff.user_id is not None})
    return staff, initial


@transaction.atomic
def staff_update(*, actor: Actor, staff: Staff, data: dict[str, Any]) -> Staff:
    """Edit a staff member; deactivation (is_active=False) is the normal way to record someone leaving."""
    _require_writer(actor)
    staff = selectors.staff_get(actor=actor, staff_id=staff.pk)
    old_roles = list(staff.roles)
    diff = apply_changes(staff, {k: v for k, v in data.items() if k != "roles"}, allowed=STAFF_FIELDS)
    diff.update(_clean_staff(staff, data))
    if staff.roles != old_roles:
        diff["roles"] = [old_roles, staff.roles]
    validate_and_save(staff)
    staff_sync_permissions([staff])
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=staff, detail={"changes": diff})
    return staff


@transaction.atomic
def staff_delete(*, actor: Actor, staff: Staff) -> None:
    """Delete a staff member; classes and timetable cells that name it keep their row with no teacher."""
    _require_writer(actor)
    staff = selectors.staff_get(actor=actor, staff_id=staff.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=staff, detail=selectors.staff_references(staff=staff))
    delete_or_refuse(staff, what="教职工")


@transaction.atomic
def staff_reveal(*, actor: Actor, staff: Staff, field: str = "mobile") -> str:
    staff = selectors.staff_get(actor=actor, staff_id=staff.pk)
    _require_reveal(actor, "staff", field)
    record_write(actor=actor, event=AuditEventType.VIEW_SENSITIVE, obj=staff, detail={"field": field})
    return str(getattr(staff, field))


# --- exports -------------------------------------------------------------------------------------


def export_audit_filters(filters: dict[str, Any]) -> dict[str, str]:
    """The filters of an export for its audit row; a searched full mobile or ID number is stored masked."""
    out: dict[str, str] = {}
    for key, value in filters.items():
        if value in (None, ""):
            continue
        text = str(value)
        if key == "q":
            if selectors.mobile_index_for(text):
                text = mask_mobile(normalize_mobile(text))
            elif selectors.id_number_index_for(text):
                text = mask_id_number(text.strip().upper())
        out[key] = text
    return out


def _require_export(actor: Actor, unmasked: bool) -> None:
    if unmasked and not actor.has_permission(Permission.VIEW_PERSONAL_DATA):
        raise PermissionDenied("没有导出完整个人信息的权限")


@transaction.atomic
def student_export(*, actor: Actor, filters: dict[str, Any], unmasked: bool = False) -> bytes:
    """xlsx of the students the actor sees; personal data masked unless `unmasked` (permission needed). Audited."""
    _require_export(actor, unmasked)
    queryset = selectors.student_list(actor=actor, filters=filters).prefetch_related("guardian_links__guardian")

    def rows() -> Any:
        for s in queryset:
            guardians = "；".join(
                f"{link.guardian.name}（{link.get_relation_display()}）"
                f"{link.guardian.mobile if unmasked else link.guardian.mobile_masked}"
                for link in s.guardian_links.all()
            )
            yield [
                s.student_number,
                s.name,
                s.get_gender_display(),
                s.birth_date,
                s.grade.name,
                s.school_class.name,
                s.id_number if unmasked else s.id_number_masked,
                guardians,
                "在读" if s.is_active else "已离校",
            ]

    headers = ["学籍号", "姓名", "性别", "出生日期", "年级", "班级", "身份证号", "监护人", "状态"]
    content = build_xlsx(headers=headers, rows=rows(), sheet_title="学生")
    detail = {"what": "student", "unmasked": unmasked, **export_audit_filters(filters)}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content


@transaction.atomic
def staff_export(*, actor: Actor, filters: dict[str, Any], unmasked: bool = False) -> bytes:
    _require_export(actor, unmasked)
    labels = dict(StaffRole.choices)
    rows = (
        [
            s.employee_number,
            s.name,
            s.mobile if unmasked else s.mobile_masked,
            s.subjects,
            "、".join(str(labels.get(r, r)) for r in s.roles),
            "在职" if s.is_active else "离职",
        ]
        for s in selectors.staff_list(actor=actor, filters=filters)
    )
    headers = ["工号", "姓名", "手机号", "任教学科", "岗位", "状态"]
    content = build_xlsx(headers=headers, rows=rows, sheet_title="教职工")
    detail = {"what": "staff", "unmasked": unmasked, **export_audit_filters(filters)}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content


@transaction.atomic
def guardian_export(*, actor: Actor, filters: dict[str, Any], unmasked: bool = False) -> bytes:
    """xlsx of the guardians the actor sees, with the children the actor sees; mobiles masked unless `unmasked`."""
    _require_export(actor, unmasked)
    queryset = selectors.guardian_list(actor=actor, filters=filters)
    children_of = selectors.guardian_children_by_guardian(actor=actor, guardians=queryset)

    def rows() -> Any:
        for g in queryset:
            links = children_of.get(g.pk, [])
            children = "；".join(f"{link.student.name}（{link.get_relation_display()}）" for link in links)
            yield [g.name, g.mobile if unmasked else g.mobile_masked, children, "已开通" if g.user_id else "未开通"]

    headers = ["姓名", "手机号", "子女（关系）", "家长账号"]
    content = build_xlsx(headers=headers, rows=rows(), sheet_title="监护人")
    detail = {"what": "guardian", "unmasked": unmasked, **export_audit_filters(filters)}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content
