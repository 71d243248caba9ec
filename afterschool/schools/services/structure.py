"""Writes of grades and classes, and the rule every school-data write shares: who may write, and for which school.

A school admin writes its own school's data (the school always comes from its membership, never from input);
a system admin may write any school's (the school then comes from input). Bureau admins only read.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..models import Grade, SchoolClass, Staff
from ..selectors import structure as selectors

GRADE_FIELDS = ("name", "level")
CLASS_FIELDS = ("grade", "name", "head_teacher")


def require_school_writer(actor: Actor) -> None:
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise PermissionDenied("只有学校管理员可以维护学校基础信息")


def school_for_write(*, actor: Actor, data: dict[str, Any]) -> School:
    """The school a new record belongs to: the admin's own school; for a system admin the one it names."""
    require_school_writer(actor)
    if actor.has_role(Role.SCHOOL_ADMIN):
        assert actor.membership is not None and actor.membership.school is not None
        return actor.membership.school
    school = data.get("school")
    if not isinstance(school, School):
        raise ValidationFailed({"school": ["请选择学校"]})
    return school


def check_staff_of_school(staff: Staff | None, school: School, *, field: str, what: str) -> None:
    if staff is not None and staff.school_id != school.pk:
        raise ValidationFailed({field: [f"{what}须是本校教职工（“{staff.name}”不属于{school.name}）"]})


# --- grades ---------------------------------------------------------------------------------------


def _check_grade(grade: Grade) -> None:
    clash = Grade.objects.filter(school_id=grade.school_id).exclude(pk=grade.pk)
    if clash.filter(level=grade.level).exists():
        raise ValidationFailed({"level": [f"本校已有年级序号为 {grade.level} 的年级"]})
    if clash.filter(name=grade.name).exists():
        raise ValidationFailed({"name": [f"本校已有名为“{grade.name}”的年级"]})


@transaction.atomic
def grade_create(*, actor: Actor, data: dict[str, Any]) -> Grade:
    """School admins add a grade to their school."""
    grade = Grade(school=school_for_write(actor=actor, data=data))
    apply_changes(grade, data, allowed=GRADE_FIELDS)
    _check_grade(grade)
    validate_and_save(grade)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=grade)
    return grade


@transaction.atomic
def grade_update(*, actor: Actor, grade: Grade, data: dict[str, Any]) -> Grade:
    require_school_writer(actor)
    grade = selectors.grade_get(actor=actor, grade_id=grade.pk)
    diff = apply_changes(grade, data, allowed=GRADE_FIELDS)
    _check_grade(grade)
    validate_and_save(grade)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=grade, detail={"changes": diff})
    return grade


@transaction.atomic
def grade_delete(*, actor: Actor, grade: Grade) -> None:
    """Refused while a class or student refers to the grade."""
    require_school_writer(actor)
    grade = selectors.grade_get(actor=actor, grade_id=grade.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=grade)
    delete_or_refuse(grade, what="年级")


# --- classes --------------------------------------------------------------------------------------


def _check_class(school_class: SchoolClass) -> None:
    school = school_class.school
    if school_class.grade_id is None:
        raise ValidationFailed({"grade": ["请选择年级"]})
    if school_class.grade.school_id != school.pk:
        raise ValidationFailed({"grade": ["年级不属于本校"]})
    check_staff_of_school(school_class.head_teacher, school, field="head_teacher", what="班主任")
    clash = SchoolClass.objects.filter(grade_id=school_class.grade_id, name=school_class.name)
    if clash.exclude(pk=school_class.pk).exists():
        raise ValidationFailed({"name": [f"{school_class.grade.name}已有名为“{school_class.name}”的班级"]})


@transaction.atomic
def school_class_create(*, actor: Actor, data: dict[str, Any]) -> SchoolClass:
    """School admins add a class; its grade and head teacher must be of the same school."""
    school_class = SchoolClass(school=school_for_write(actor=actor, data=data))
    apply_changes(school_class, data, allowed=CLASS_FIELDS)
    _check_class(school_class)
    validate_and_save(school_class)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=school_class)
    return school_class


@transaction.atomic
def school_class_update(*, actor: Actor, school_class: SchoolClass, data: dict[str, Any]) -> SchoolClass:
    require_school_writer(actor)
    school_class = selectors.school_class_get(actor=actor, school_class_id=school_class.pk)
    diff = apply_changes(school_class, data, allowed=CLASS_FIELDS)
    _check_class(school_class)
    validate_and_save(school_class)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=school_class, detail={"changes": diff})
    return school_class


@transaction.atomic
def school_class_delete(*, actor: Actor, school_class: SchoolClass) -> None:
    """Refused while students belong to the class; its timetable goes with it."""
    require_school_writer(actor)
    school_class = selectors.school_class_get(actor=actor, school_class_id=school_class.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=school_class)
    delete_or_refuse(school_class, what="班级")
