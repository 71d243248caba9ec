"""Teacher dispatch (外派, §5.5.2): an organization sends one of its teachers to a partner school for a period
and some course categories; it may change the categories or the end date, or cancel the dispatch.

Who writes: the organization's admin, and its staff or teachers holding `org.dispatch_manage`; a system admin.
Rules: the teacher is the organization's, active and has passed the background check; the school has an active
partnership with the organization covering the whole period; at least one course category; no overlapping
active dispatch of the same teacher to the same school. The teacher row is locked (SELECT … FOR UPDATE) before
the overlap check, so two simultaneous requests cannot both create overlapping dispatches.

`teacher_may_teach` is the rule scheduling uses: who may teach at a school in a period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from afterschool.accounts.choices import ORG_ROLES, AuditEventType, OrgPermission
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.core.choices import CourseCategory
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.schools.models import Staff
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.choices import OrganizationStatus, PartnershipStatus
from afterschool.tenancy.models import Partnership, School

from ..choices import BackgroundCheck, DispatchStatus
from ..models import Dispatch, OrgTeacher
from ..selectors import dispatch as selectors

MAX_REASON = 200


def may_manage_dispatch(actor: Actor) -> bool:
    return actor.is_system_admin or (
        actor.has_role(*ORG_ROLES) and actor.has_org_permission(OrgPermission.DISPATCH_MANAGE)
    )


def _require_manager(actor: Actor) -> None:
    if not may_manage_dispatch(actor):
        raise PermissionDenied("没有外派管理的权限")


def _categories(raw: Any) -> list[str]:
    values = raw if isinstance(raw, list | tuple) else []
    if any(v not in CourseCategory.values for v in values):
        raise ValidationFailed({"course_categories": ["课程类型不正确"]})
    chosen = [c for c in CourseCategory.values if c in values]
    if not chosen:
        raise ValidationFailed({"course_categories": ["请至少选择一种授课课程类型"]})
    return chosen


def _covering_partnership(*, organization_id: int, school_id: int, starts_on: dt.date, ends_on: dt.date) -> bool:
    return (
        Partnership.objects.filter(
            organization_id=organization_id,
            school_id=school_id,
            status=PartnershipStatus.ACTIVE,
            starts_on__lte=starts_on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=ends_on))
        .exists()
    )


def _check_period(starts_on: Any, ends_on: Any) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = ["请填写开始日期"]
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = ["请填写结束日期"]
    elif isinstance(starts_on, dt.date) and ends_on < starts_on:
        errors["ends_on"] = ["结束日期不能早于开始日期"]
    if errors:
        raise ValidationFailed(errors)


def _check_overlap(*, dispatch: Dispatch) -> None:
    overlapping = Dispatch.objects.filter(
        teacher_id=dispatch.teacher_id,
        school_id=dispatch.school_id,
        status=DispatchStatus.ACTIVE,
        starts_on__lte=dispatch.ends_on,
        ends_on__gte=dispatch.starts_on,
    ).exclude(pk=dispatch.pk)
    other = overlapping.first()
    if other is not None:
        raise ValidationFailed(
            {
                "starts_on": [
                    f"该教师已外派到该学校（{other.starts_on:%Y-%m-%d} 至 {other.ends_on:%Y-%m-%d}），期限不能重叠"
                ]
            }
        )


def _lock_teacher(*, organization_id: int, teacher_id: int) -> OrgTeacher:
    """The teacher of the organization, locked until the transaction ends (serialises overlap checks)."""
    teacher = OrgTeacher.objects.select_for_update().filter(pk=teacher_id, organization_id=organization_id).first()
    if teacher is None:
        raise ValidationFailed({"teacher": ["教师不存在或不属于本机构"]})
    return teacher


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


@transaction.atomic
def dispatch_create(*, actor: Actor, data: dict[str, Any]) -> Dispatch:
    """Dispatch a teacher of the organization to a partner school for a period and some course categories."""
    _require_manager(actor)
    teacher_id = _pk(data.get("teacher"))
    school_id = _pk(data.get("school"))
    if not teacher_id:
        raise ValidationFailed({"teacher": ["请选择教师"]})
    if not school_id:
        raise ValidationFailed({"school": ["请选择学校"]})
    if actor.organization_id is not None:
        organization_id = actor.organization_id
    else:
        owner = OrgTeacher.objects.filter(pk=teacher_id).values_list("organization_id", flat=True).first()
        if owner is None:
            raise ValidationFailed({"teacher": ["教师不存在或不属于本机构"]})
        organization_id = owner
    teacher = _lock_teacher(organization_id=organization_id, teacher_id=teacher_id)
    errors: dict[str, list[str]] = {}
    if teacher.organization.status != OrganizationStatus.ACTIVE:
        raise ValidationFailed({"__all__": ["机构不在入驻状态，不能外派教师"]})
    if not teacher.is_active:
        errors["teacher"] = ["该教师已停用"]
    elif teacher.background_check != BackgroundCheck.PASSED:
        errors["teacher"] = ["该教师背景审查未通过，不能外派"]
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    try:
        _check_period(starts_on, ends_on)
    except ValidationFailed as exc:
        errors.update(exc.detail)
    try:
        categories = _categories(data.get("course_categories"))
    except ValidationFailed as exc:
        errors.update(exc.detail)
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date)
    school = School.objects.filter(pk=school_id).first()
    if school is None or not _covering_partnership(
        organization_id=organization_id, school_id=school_id, starts_on=starts_on, ends_on=ends_on
    ):
        raise ValidationFailed({"school": ["该学校与本机构没有覆盖整个外派期限的有效合作关系"]})
    dispatch = Dispatch(
        organization_id=organization_id,
        teacher=teacher,
        school=school,
        starts_on=starts_on,
        ends_on=ends_on,
        course_categories=categories,
        status=DispatchStatus.ACTIVE,
        created_by=actor.user,
    )
    _check_overlap(dispatch=dispatch)
    dispatch.save()
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=dispatch,
        detail={
            "teacher": teacher.pk,
            "school": school.pk,
            "starts_on": str(starts_on),
            "ends_on": str(ends_on),
            "course_categories": categories,
        },
    )
    return dispatch


@transaction.atomic
def dispatch_update(*, actor: Actor, dispatch: Dispatch, data: dict[str, Any]) -> Dispatch:
    """Change the course categories and/or the end date (still within the partnership) of an active dispatch."""
    _require_manager(actor)
    dispatch = selectors.dispatch_get(actor=actor, dispatch_id=dispatch.pk, manage=True)
    _lock_teacher(organization_id=dispatch.organization_id, teacher_id=dispatch.teacher_id)
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    if dispatch.status != DispatchStatus.ACTIVE:
        raise Conflict("not_active", "外派已取消，不能修改")
    diff: dict[str, Any] = {}
    if "course_categories" in data:
        categories = _categories(data["course_categories"])
        if categories != dispatch.course_categories:
            diff["course_categories"] = [dispatch.course_categories, categories]
            dispatch.course_categories = categories
    if "ends_on" in data:
        ends_on = data["ends_on"]
        _check_period(dispatch.starts_on, ends_on)
        if ends_on != dispatch.ends_on:
            if not _covering_partnership(
                organization_id=dispatch.organization_id,
                school_id=dispatch.school_id,
                starts_on=dispatch.starts_on,
                ends_on=ends_on,
            ):
                raise ValidationFailed({"ends_on": ["结束日期超出了与该学校的合作期限"]})
            diff["ends_on"] = [str(dispatch.ends_on), str(ends_on)]
            dispatch.ends_on = ends_on
            _check_overlap(dispatch=dispatch)
    if diff:
        dispatch.save(update_fields=["course_categories", "ends_on", "updated_at"])
        record_write(actor=actor, event=AuditEventType.UPDATE, obj=dispatch, detail={"changes": diff})
    return dispatch


@transaction.atomic
def dispatch_cancel(*, actor: Actor, dispatch: Dispatch, reason: str) -> Dispatch:
    """Cancel an active dispatch, with a reason; the teacher may no longer teach at the school under it."""
    _require_manager(actor)
    dispatch = selectors.dispatch_get(actor=actor, dispatch_id=dispatch.pk, manage=True)
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写取消原因"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"取消原因最多 {MAX_REASON} 个字"]})
    if dispatch.status != DispatchStatus.ACTIVE:
        raise Conflict("not_active", "外派已取消")
    dispatch.status = DispatchStatus.CANCELLED
    dispatch.cancel_reason = reason
    dispatch.cancelled_at = timezone.now()
    dispatch.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=dispatch, detail={"cancel": reason})
    return dispatch


@transaction.atomic
def dispatch_export(*, actor: Actor, filters: dict[str, Any]) -> bytes:
    labels = dict(CourseCategory.choices)
    rows = (
        [
            d.organization.name,
            d.teacher.name,
            d.school.name,
            d.starts_on,
            d.ends_on,
            "、".join(str(labels.get(c, c)) for c in d.course_categories),
            d.get_status_display(),
            d.cancel_reason,
        ]
        for d in selectors.dispatch_list(actor=actor, filters=filters)
    )
    headers = ["机构", "教师", "外派学校", "开始日期", "结束日期", "授课课程类型", "状态", "取消原因"]
    content = build_xlsx(headers=headers, rows=rows, sheet_title="教师外派")
    detail = {"what": "dispatch", **{k: str(v) for k, v in filters.items() if v not in (None, "")}}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content


# --- the rule scheduling uses ------------------------------------------------------------------


def teacher_may_teach(
    *, school: School, user: User | None, starts_on: dt.date, ends_on: dt.date, category: str | None = None
) -> str | None:
    """None when `user` may teach at `school` for the whole period (and the course category, if given): an active
    staff member of the school, or an active organization teacher with an active dispatch to the school covering
    the period and allowing the category, of an active organization. Otherwise the reason, in Chinese."""
    if user is None:
        return "未指定授课人账号"
    if ends_on < starts_on:
        return "结束日期不能早于开始日期"
    if Staff.objects.filter(school=school, user=user, is_active=True).exists():
        return None
    teachers = OrgTeacher.objects.filter(user=user)
    if not teachers.exists():
        return "该账号既不是本校教职工，也不是机构教师"
    if not teachers.filter(is_active=True).exists():
        return "该机构教师已停用"
    dispatches = Dispatch.objects.filter(
        teacher__in=teachers.filter(is_active=True), school=school, status=DispatchStatus.ACTIVE
    ).select_related("organization")
    if not dispatches.exists():
        return "该教师没有外派到本校"
    covering = list(dispatches.filter(starts_on__lte=starts_on, ends_on__gte=ends_on))
    if not covering:
        return "该教师的外派期限未覆盖该时间段"
    if category is not None:
        covering = [d for d in covering if category in d.course_categories]
        if not covering:
            label = dict(CourseCategory.choices).get(category, category)
            return f"该教师的外派不包括“{label}”类课程"
    if not any(d.organization.status == OrganizationStatus.ACTIVE for d in covering):
        return "该教师所属机构不在入驻状态"
    return None
