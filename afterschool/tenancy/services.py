"""Writes of regions, schools, organizations. Who may write what:

- regions: system admins;
- schools: system admins, and bureau admins inside their region; a school admin edits its own contact data;
- organizations: system admins, and bureau admins inside their region (incl. status); an org admin edits its
  own contact data.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.choices import CourseCategory
from afterschool.core.errors import AppError, Conflict, PermissionDenied, ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save, validation_failed_from
from afterschool.tenancy.actor import Actor

from . import selectors
from .choices import ApplicationStatus, OrganizationStatus, PartnershipStatus
from .models import (
    Organization,
    OrganizationApplication,
    OrganizationStatusChange,
    Partnership,
    Region,
    School,
)
from .scoping import forget_region_tree, region_ids_within
from .validators import region_level_of

REGION_FIELDS = ("code", "name", "parent")
SCHOOL_FIELDS = (  # in form order
    "code",
    "name",
    "region",
    "school_type",
    "nature",
    "address",
    "longitude",
    "latitude",
    "contact_phone",
    "is_active",
)
SCHOOL_SELF_FIELDS = {"address", "longitude", "latitude", "contact_phone"}
ORGANIZATION_FIELDS = ("credit_code", "name", "kind", "region", "contact_name", "contact_phone", "address")
ORGANIZATION_SELF_FIELDS = {"contact_name", "contact_phone", "address"}


def _require(actor: Actor, *roles: str) -> None:
    if not actor.is_system_admin and not actor.has_role(*roles):
        raise PermissionDenied()


def _require_region_in_scope(actor: Actor, region: Region | None) -> None:
    if actor.is_system_admin:
        return
    if region is None or actor.region_id is None or region.pk not in region_ids_within(actor.region_id):
        raise PermissionDenied("只能在本辖区内操作")


def _check_region(region: Region) -> None:
    """The level follows from the code; a city hangs under its province, a district under its city (or, in
    a 直辖市 or for a 省直辖县, directly under its province)."""
    parent = region.parent
    code = region.code
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        return  # the field validator reports the code itself
    level = region_level_of(code)
    region.level = level
    allowed_parents = {
        "province": set(),
        "city": {code[:2] + "0000"},
        "district": {code[:4] + "00", code[:2] + "0000"},
    }[level]
    if level == "province" and parent is not None:
        raise ValidationFailed({"parent": ["省级区域没有上级区域"]})
    if level != "province":
        if parent is None:
            raise ValidationFailed({"parent": ["请选择上级区域"]})
        if parent.code not in allowed_parents:
            expected = " 或 ".join(sorted(allowed_parents))
            raise ValidationFailed({"parent": [f"上级区域 {parent.code} 与代码 {code} 不对应，应为 {expected}"]})


@transaction.atomic
def region_create(*, actor: Actor, data: dict[str, Any]) -> Region:
    _require(actor)
    region = Region(level="district")
    apply_changes(region, data, allowed=REGION_FIELDS)
    _check_region(region)
    validate_and_save(region)
    forget_region_tree()
    record_write(actor=actor, event=AuditEventType.CREATE, obj=region)
    return region


@transaction.atomic
def region_update(*, actor: Actor, region: Region, data: dict[str, Any]) -> Region:
    _require(actor)
    diff = apply_changes(region, data, allowed=REGION_FIELDS)
    _check_region(region)
    validate_and_save(region)
    forget_region_tree()
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=region, detail={"changes": diff})
    return region


@transaction.atomic
def region_delete(*, actor: Actor, region: Region) -> None:
    _require(actor)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=region)
    delete_or_refuse(region, what="区域")
    forget_region_tree()


def _check_school(school: School) -> None:
    if school.region_id and len(school.code) == 10 and school.code[2:4] != school.region.code[:2]:
        raise ValidationFailed({"code": [f"学校标识码第 3–4 位应为所在省份代码 {school.region.code[:2]}"]})
    if school.region_id and school.region.level != "district":
        raise ValidationFailed({"region": ["学校须归属到区县级区域"]})


@transaction.atomic
def school_create(*, actor: Actor, data: dict[str, Any]) -> School:
    """System admins anywhere; bureau admins inside their region."""
    _require(actor, Role.BUREAU_ADMIN)
    school = School()
    apply_changes(school, data, allowed=SCHOOL_FIELDS)
    _require_region_in_scope(actor, school.region if school.region_id else None)
    _check_school(school)
    validate_and_save(school)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=school)
    return school


@transaction.atomic
def school_update(*, actor: Actor, school: School, data: dict[str, Any]) -> School:
    """A school admin may change only its own school's contact data; code and region are the bureau's."""
    school = selectors.school_get(actor=actor, school_id=school.pk)
    if actor.has_role(Role.SCHOOL_ADMIN):
        allowed: Collection[str] = SCHOOL_SELF_FIELDS
        forbidden = sorted(set(data) - SCHOOL_SELF_FIELDS)
        changed = [f for f in forbidden if getattr(school, f, None) != data[f]]
        if changed:
            raise PermissionDenied("学校管理员只能修改地址、位置和联系电话")
    else:
        _require(actor, Role.BUREAU_ADMIN)
        allowed = SCHOOL_FIELDS
    diff = apply_changes(school, data, allowed=allowed)
    if "region" in diff:
        _require_region_in_scope(actor, school.region)
    _check_school(school)
    validate_and_save(school)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=school, detail={"changes": diff})
    return school


@transaction.atomic
def school_delete(*, actor: Actor, school: School) -> None:
    _require(actor, Role.BUREAU_ADMIN)
    school = selectors.school_get(actor=actor, school_id=school.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=school)
    delete_or_refuse(school, what="学校")


@transaction.atomic
def organization_create(*, actor: Actor, data: dict[str, Any]) -> Organization:
    _require(actor, Role.BUREAU_ADMIN)
    data = {**data, "credit_code": str(data.get("credit_code", "")).strip().upper()}
    organization = Organization(status=OrganizationStatus.ACTIVE)
    apply_changes(organization, data, allowed=ORGANIZATION_FIELDS)
    _require_region_in_scope(actor, organization.region if organization.region_id else None)
    validate_and_save(organization)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=organization)
    return organization


@transaction.atomic
def organization_update(*, actor: Actor, organization: Organization, data: dict[str, Any]) -> Organization:
    organization = selectors.organization_get(actor=actor, organization_id=organization.pk)
    if "credit_code" in data:
        data = {**data, "credit_code": str(data["credit_code"]).strip().upper()}
    if actor.has_role(Role.ORG_ADMIN):
        changed = [f for f in set(data) - ORGANIZATION_SELF_FIELDS if getattr(organization, f, None) != data[f]]
        if changed:
            raise PermissionDenied("机构管理员只能修改联系人、联系电话和地址")
        allowed: Collection[str] = ORGANIZATION_SELF_FIELDS
    else:
        _require(actor, Role.BUREAU_ADMIN)
        allowed = ORGANIZATION_FIELDS
    diff = apply_changes(organization, data, allowed=allowed)
    if "region" in diff:
        _require_region_in_scope(actor, organization.region)
    validate_and_save(organization)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=organization, detail={"changes": diff})
    return organization


# Status changes the bureau may make by hand. An exited organization comes back only through a new approved
# application (入驻申请), which records its own status change.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    OrganizationStatus.PENDING: {OrganizationStatus.ACTIVE},
    OrganizationStatus.ACTIVE: {OrganizationStatus.SUSPENDED, OrganizationStatus.EXITED},
    OrganizationStatus.SUSPENDED: {OrganizationStatus.ACTIVE, OrganizationStatus.EXITED},
    OrganizationStatus.EXITED: set(),
}
EXIT_END_REASON = "机构退出"


def status_targets(current: str) -> list[str]:
    """The statuses the bureau may move an organization to from `current`, in catalogue order."""
    allowed = STATUS_TRANSITIONS.get(current, set())
    return [value for value in OrganizationStatus.values if value in allowed]


def _record_status_change(*, actor: Actor, organization: Organization, old: str, new: str, reason: str) -> None:
    OrganizationStatusChange.objects.create(
        organization=organization, from_status=old, to_status=new, reason=reason[:500], changed_by=actor.user
    )


@transaction.atomic
def organization_set_status(*, actor: Actor, organization: Organization, status: str, reason: str = "") -> Organization:
    """The bureau activates, suspends or records the exit of an organization; history row + audit.

    Exiting ends every active partnership of the organization (end_reason "机构退出") and the roles its people
    hold there; a returning organization applies again and gets a new admin account.
    """
    _require(actor, Role.BUREAU_ADMIN)
    organization = selectors.organization_get(actor=actor, organization_id=organization.pk)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    reason = (reason or "").strip()
    if status not in OrganizationStatus.values:
        raise ValidationFailed({"status": ["状态不正确"]})
    if status in (OrganizationStatus.SUSPENDED, OrganizationStatus.EXITED) and not reason:
        raise ValidationFailed({"reason": ["暂停或退出须填写原因"]})
    old = organization.status
    if status == old:
        raise ValidationFailed({"status": [f"机构当前已是“{OrganizationStatus(old).label}”"]})
    if status not in STATUS_TRANSITIONS.get(old, set()):
        hint = "已退出的机构须重新提交入驻申请，审核通过后恢复" if old == OrganizationStatus.EXITED else ""
        message = f"不能从“{OrganizationStatus(old).label}”变更为“{OrganizationStatus(status).label}”"
        raise ValidationFailed({"status": [f"{message}。{hint}" if hint else message]})
    organization.status = status
    organization.save(update_fields=["status", "updated_at"])
    _record_status_change(actor=actor, organization=organization, old=old, new=status, reason=reason)
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=organization,
        detail={"changes": {"status": [old, status]}, "reason": reason[:200]},
    )
    if status == OrganizationStatus.EXITED:
        for partnership in Partnership.objects.select_for_update().filter(
            organization=organization, status=PartnershipStatus.ACTIVE
        ):
            _end_partnership(actor=actor, partnership=partnership, reason=EXIT_END_REASON)
        # An organization that has left keeps no way in: its people's roles there end (and their API tokens).
        from afterschool.accounts.models import RoleMembership
        from afterschool.accounts.services import membership_revoke

        for membership in RoleMembership.objects.filter(organization=organization, is_active=True):
            membership_revoke(actor=actor, membership=membership)
    return organization


@transaction.atomic
def organization_delete(*, actor: Actor, organization: Organization) -> None:
    _require(actor, Role.BUREAU_ADMIN)
    organization = selectors.organization_get(actor=actor, organization_id=organization.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=organization)
    delete_or_refuse(organization, what="机构")


# --- partnerships ---------------------------------------------------------------------------------------------
# A school admin manages its own school's partnerships; a system admin any. The bureau reads them (selectors).
PARTNERSHIP_WRITERS = (Role.SCHOOL_ADMIN,)


def _check_partnership_dates(starts_on: Any, ends_on: Any) -> None:
    if not isinstance(starts_on, dt.date):
        raise ValidationFailed({"starts_on": ["请填写开始日期"]})
    if ends_on is not None and not isinstance(ends_on, dt.date):
        raise ValidationFailed({"ends_on": ["结束日期不正确"]})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed({"ends_on": ["结束日期不能早于开始日期"]})


def _check_no_overlap(partnership: Partnership) -> None:
    """No two active partnerships of one school and one organization cover the same day."""
    others = Partnership.objects.filter(
        school_id=partnership.school_id, organization_id=partnership.organization_id, status=PartnershipStatus.ACTIVE
    ).exclude(pk=partnership.pk)
    if partnership.ends_on is not None:
        others = others.filter(starts_on__lte=partnership.ends_on)
    others = others.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=partnership.starts_on))
    clash = others.order_by("starts_on").first()
    if clash is not None:
        until = clash.ends_on.isoformat() if clash.ends_on else "长期"
        raise ValidationFailed(
            {"starts_on": [f"与现有合作（{clash.starts_on.isoformat()} 至 {until}）时间重叠"]},
            message="合作期间与现有合作重叠",
        )


@transaction.atomic
def partnership_create(
    *, actor: Actor, school: School, organization: Organization, starts_on: Any, ends_on: Any = None
) -> Partnership:
    """A school starts cooperating with an active organization of its own region."""
    _require(actor, *PARTNERSHIP_WRITERS)
    school = selectors.school_get(actor=actor, school_id=school.pk)
    if actor.has_role(Role.SCHOOL_ADMIN) and school.pk != actor.school_id:
        raise PermissionDenied("只能管理本校的合作关系")
    # Serialise partnership writes of one school so two overlapping ones cannot slip in side by side.
    School.objects.select_for_update().filter(pk=school.pk).first()
    # A school picks among the organizations active in its region; it does not "see" them through scoping yet.
    found = Organization.objects.filter(pk=organization.pk, region_id=school.region_id).first()
    if found is None:
        raise ValidationFailed({"organization": ["只能与本区已入驻的机构合作"]})
    if found.status != OrganizationStatus.ACTIVE:
        raise ValidationFailed({"organization": ["该机构当前不是已入驻状态，不能建立合作"]})
    _check_partnership_dates(starts_on, ends_on)
    partnership = Partnership(school=school, organization=found, starts_on=starts_on, ends_on=ends_on)
    _check_no_overlap(partnership)
    validate_and_save(partnership)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=partnership)
    return partnership


def _writable_partnership(actor: Actor, partnership: Partnership) -> Partnership:
    _require(actor, *PARTNERSHIP_WRITERS)
    partnership = selectors.partnership_get(actor=actor, partnership_id=partnership.pk)
    if actor.has_role(Role.SCHOOL_ADMIN) and partnership.school_id != actor.school_id:
        raise PermissionDenied("只能管理本校的合作关系")
    School.objects.select_for_update().filter(pk=partnership.school_id).first()
    locked = Partnership.objects.select_for_update().select_related("school", "organization").get(pk=partnership.pk)
    if locked.status != PartnershipStatus.ACTIVE:
        raise Conflict("partnership_ended", "该合作已结束，不能再修改")
    return locked


@transaction.atomic
def partnership_update(*, actor: Actor, partnership: Partnership, data: dict[str, Any]) -> Partnership:
    """Change the dates of an active partnership (the school and organization stay)."""
    partnership = _writable_partnership(actor, partnership)
    diff = apply_changes(partnership, data, allowed=("starts_on", "ends_on"))
    _check_partnership_dates(partnership.starts_on, partnership.ends_on)
    _check_no_overlap(partnership)
    validate_and_save(partnership)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=partnership, detail={"changes": diff})
    return partnership


def _end_partnership(*, actor: Actor, partnership: Partnership, reason: str, ends_on: dt.date | None = None) -> None:
    """Status ended; ends_on today unless it already ended earlier (never before it started)."""
    today = timezone.localdate()
    end = ends_on or today
    if ends_on is None and partnership.ends_on is not None and partnership.ends_on < end:
        end = partnership.ends_on
    end = max(end, partnership.starts_on)
    old = {"status": partnership.status, "ends_on": partnership.ends_on}
    partnership.status = PartnershipStatus.ENDED
    partnership.ends_on = end
    partnership.end_reason = reason[:200]
    partnership.save(update_fields=["status", "ends_on", "end_reason", "updated_at"])
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=partnership,
        detail={
            "changes": {"status": [old["status"], partnership.status], "ends_on": [str(old["ends_on"]), str(end)]},
            "reason": reason[:200],
        },
    )


@transaction.atomic
def partnership_end(
    *, actor: Actor, partnership: Partnership, reason: str, ends_on: dt.date | None = None
) -> Partnership:
    """End a partnership early (or record that it ended): a reason is required."""
    partnership = _writable_partnership(actor, partnership)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写结束合作的原因"]})
    if ends_on is not None and ends_on < partnership.starts_on:
        raise ValidationFailed({"ends_on": ["结束日期不能早于开始日期"]})
    _end_partnership(actor=actor, partnership=partnership, reason=reason, ends_on=ends_on)
    return partnership


# --- organization applications (入驻申请, §5.1.2) -------------------------------------------------------------
APPLICATION_RATE_LIMIT = 5  # submissions per client address …
APPLICATION_RATE_WINDOW = 3600  # … per this many seconds
APPLICATION_LOOKUP_RATE_LIMIT = 30
LICENCE_EXTENSIONS = {"pdf", "jpg", "jpeg", "png"}
LICENCE_MAX_BYTES = 10 * 1024 * 1024
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REVIEWERS = (Role.BUREAU_ADMIN,)


class RateLimited(AppError):
    status = 429

    def __init__(self, message: str) -> None:
        super().__init__("rate_limited", message)


def public_actor(client_ip: str) -> Actor:
    """Who submits the public form: nobody logged in, audited as "<public>" with the client address."""
    return Actor(user=None, membership=None, client_ip=client_ip[:64], via="public")


def _rate_limit(*, key: str, limit: int, window: int, message: str) -> None:
    """A fixed-window counter in the shared cache (Redis in production, so every process sees it)."""
    from django.core.cache import cache

    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited(message)


def application_rate_check(*, client_ip: str) -> None:
    _rate_limit(
        key=f"tenancy:apply:{client_ip or 'unknown'}",
        limit=APPLICATION_RATE_LIMIT,
        window=APPLICATION_RATE_WINDOW,
        message=f"提交过于频繁：同一网络地址每小时最多提交 {APPLICATION_RATE_LIMIT} 次入驻申请，请稍后再试",
    )


def application_lookup_rate_check(*, client_ip: str) -> None:
    _rate_limit(
        key=f"tenancy:apply-lookup:{client_ip or 'unknown'}",
        limit=APPLICATION_LOOKUP_RATE_LIMIT,
        window=APPLICATION_RATE_WINDOW,
        message="查询过于频繁，请稍后再试",
    )


def _new_reference() -> str:
    today = timezone.localdate().strftime("%Y%m%d")
    return "RZ" + today + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def check_licence(upload: Any) -> Any:
    """A business licence is a PDF, JPG or PNG, checked by content (a .docx renamed .pdf is refused)."""
    from afterschool.core.media import check_upload

    if upload is None:
        raise ValidationFailed({"licence": ["请上传营业执照或登记证书"]})
    if getattr(upload, "size", 0) and upload.size > LICENCE_MAX_BYTES:
        raise ValidationFailed({"licence": ["文件不能超过 10 MB"]})
    info = check_upload(upload, kinds={"document", "image"}, field="licence")
    if str(info.extension).lstrip(".").lower() not in LICENCE_EXTENSIONS:
        raise ValidationFailed({"licence": ["营业执照只接受 PDF、JPG 或 PNG 文件"]})
    return info


APPLICATION_FIELDS = (
    "credit_code",
    "name",
    "kind",
    "region",
    "contact_name",
    "contact_phone",
    "contact_email",
    "address",
    "course_categories",
    "teacher_summary",
)


def _check_can_apply(credit_code: str) -> None:
    if OrganizationApplication.objects.filter(credit_code=credit_code, status=ApplicationStatus.SUBMITTED).exists():
        raise ValidationFailed({"credit_code": ["该统一社会信用代码已有待审核的入驻申请，请等待审核结果"]})
    existing = Organization.objects.filter(credit_code=credit_code).first()
    if existing is not None and existing.status in (OrganizationStatus.ACTIVE, OrganizationStatus.SUSPENDED):
        raise ValidationFailed({"credit_code": ["该机构已入驻平台，无需重复申请"]})


@transaction.atomic
def application_submit(*, client_ip: str, data: dict[str, Any], licence: Any) -> OrganizationApplication:
    """The public form (no login): validate, store the licence, give a reference number. Audited as public."""
    data = {k: v for k, v in data.items() if k in APPLICATION_FIELDS}
    data["credit_code"] = str(data.get("credit_code", "")).strip().upper()
    region = data.get("region")
    if not isinstance(region, Region) or region.level != "district":
        raise ValidationFailed({"region": ["请选择区县级区域"]})
    categories = data.get("course_categories") or []
    if not isinstance(categories, list | tuple) or not categories:
        raise ValidationFailed({"course_categories": ["请至少选择一种课程类别"]})
    if any(c not in CourseCategory.values for c in categories):
        raise ValidationFailed({"course_categories": ["课程类别不正确"]})
    data["course_categories"] = [c for c in CourseCategory.values if c in set(categories)]
    _check_can_apply(data["credit_code"])
    check_licence(licence)
    application = OrganizationApplication(status=ApplicationStatus.SUBMITTED)
    for name, value in data.items():
        setattr(application, name, value)
    application.licence = licence
    for _attempt in range(5):
        application.reference = _new_reference()
        if not OrganizationApplication.objects.filter(reference=application.reference).exists():
            break
    try:
        application.full_clean(exclude=["licence", "reference", "status"], validate_constraints=False)
    except DjangoValidationError as exc:
        raise validation_failed_from(exc) from None
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # Two submissions for one credit code at once: the partial unique constraint lets only one in.
        raise ValidationFailed({"credit_code": ["该统一社会信用代码已有待审核的入驻申请，请等待审核结果"]}) from None
    record_write(
        actor=public_actor(client_ip),
        event=AuditEventType.CREATE,
        obj=application,
        detail={"reference": application.reference, "credit_code": application.credit_code},
    )
    return application


def _reviewable(actor: Actor, application_id: Any) -> OrganizationApplication:
    """The application, locked; only while it waits for a decision (a second officer gets a Conflict)."""
    _require(actor, *REVIEWERS)
    application = selectors.application_get(actor=actor, application_id=application_id)
    locked = OrganizationApplication.objects.select_for_update().select_related("region").get(pk=application.pk)
    if locked.status != ApplicationStatus.SUBMITTED:
        raise Conflict("application_decided", f"该申请已处理（{locked.get_status_display()}）")
    return locked


def _org_admin_username(credit_code: str) -> str:
    from afterschool.accounts.models import User

    base = "org" + credit_code[-8:].lower()
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _usable_mobile(phone: str) -> str:
    from afterschool.accounts import selectors as account_selectors

    phone = (phone or "").strip()
    if account_selectors.MOBILE_RE.match(phone) and account_selectors.user_by_mobile(phone) is None:
        return phone
    return ""


@dataclass
class Approval:
    application: OrganizationApplication
    organization: Organization
    username: str
    initial_password: str


@transaction.atomic
def application_approve(*, actor: Actor, application_id: Any, comment: str = "") -> Approval:
    """Approve: create the organization (or reactivate the exited one with this credit code), record the status
    change, and create its org admin account. The initial password is returned once and never stored."""
    from afterschool.accounts.services import user_create

    application = _reviewable(actor, application_id)
    organization = Organization.objects.select_for_update().filter(credit_code=application.credit_code).first()
    copied = {
        "name": application.name,
        "kind": application.kind,
        "region": application.region,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone[:32],
        "address": application.address,
    }
    if organization is None:
        organization = Organization(credit_code=application.credit_code, status=OrganizationStatus.ACTIVE)
        for name, value in copied.items():
            setattr(organization, name, value)
        validate_and_save(organization)
        old = ""
        record_write(actor=actor, event=AuditEventType.CREATE, obj=organization, detail={"via": application.reference})
    elif organization.status in (OrganizationStatus.EXITED, OrganizationStatus.PENDING):
        old = organization.status
        diff = apply_changes(organization, copied, allowed=tuple(copied))
        organization.status = OrganizationStatus.ACTIVE
        validate_and_save(organization)
        record_write(
            actor=actor,
            event=AuditEventType.UPDATE,
            obj=organization,
            detail={"changes": {**diff, "status": [old, OrganizationStatus.ACTIVE]}, "via": application.reference},
        )
    else:
        raise Conflict("organization_exists", "该机构已入驻平台，不能重复通过入驻申请")
    _record_status_change(
        actor=actor,
        organization=organization,
        old=old,
        new=OrganizationStatus.ACTIVE,
        reason=f"入驻申请 {application.reference} 审核通过" + (f"：{comment.strip()}" if comment.strip() else ""),
    )
    user, initial = user_create(
        actor=actor,
        username=_org_admin_username(application.credit_code),
        display_name=f"{application.name[:40]} 管理员",
        mobile=_usable_mobile(application.contact_phone),
        role=Role.ORG_ADMIN,
        organization=organization,
    )
    application.status = ApplicationStatus.APPROVED
    application.reviewed_at = timezone.now()
    application.reviewed_by = actor.user
    application.review_comment = comment.strip()[:500]
    application.organization = organization
    application.save(
        update_fields=["status", "reviewed_at", "reviewed_by", "review_comment", "organization", "updated_at"]
    )
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=application,
        detail={
            "changes": {"status": [ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED]},
            "organization_id": organization.pk,
            "org_admin": user.username,
        },
    )
    return Approval(
        application=application, organization=organization, username=user.username, initial_password=initial
    )


@transaction.atomic
def application_reject(*, actor: Actor, application_id: Any, reason: str) -> OrganizationApplication:
    """Reject with a reason the applicant sees when looking up the application."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["驳回须填写原因"]})
    application = _reviewable(actor, application_id)
    application.status = ApplicationStatus.REJECTED
    application.reviewed_at = timezone.now()
    application.reviewed_by = actor.user
    application.review_comment = reason[:500]
    application.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment", "updated_at"])
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=application,
        detail={
            "changes": {"status": [ApplicationStatus.SUBMITTED, ApplicationStatus.REJECTED]},
            "reason": reason[:200],
        },
    )
    return application
