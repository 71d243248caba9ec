"""Writes of regions, schools, organizations. Who may write what:

- regions: system admins;
- schools: system admins, and bureau admins inside their region; a school admin edits its own contact data;
- organizations: system admins, and bureau admins inside their region (incl. status); an org admin edits its
  own contact data.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor

from . import selectors
from .choices import OrganizationStatus
from .models import Organization, Partnership, Region, School
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


@transaction.atomic
def organization_set_status(*, actor: Actor, organization: Organization, status: str, reason: str = "") -> Organization:
    """The bureau activates, suspends or records the exit of an organization; the reason is audited."""
    _require(actor, Role.BUREAU_ADMIN)
    organization = selectors.organization_get(actor=actor, organization_id=organization.pk)
    if status not in OrganizationStatus.values:
        raise ValidationFailed({"status": ["状态不正确"]})
    if status in (OrganizationStatus.SUSPENDED, OrganizationStatus.EXITED) and not reason.strip():
        raise ValidationFailed({"reason": ["暂停或退出须填写原因"]})
    old = organization.status
    organization.status = status
    organization.save(update_fields=["status", "updated_at"])
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=organization,
        detail={"changes": {"status": [old, status]}, "reason": reason.strip()[:200]},
    )
    return organization


@transaction.atomic
def organization_delete(*, actor: Actor, organization: Organization) -> None:
    _require(actor, Role.BUREAU_ADMIN)
    organization = selectors.organization_get(actor=actor, organization_id=organization.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=organization)
    delete_or_refuse(organization, what="机构")


@transaction.atomic
def partnership_create(
    *, actor: Actor, school: School, organization: Organization, starts_on: Any, ends_on: Any = None
) -> Partnership:
    """A school starts cooperating with an active organization (its own admin, or the bureau of both)."""
    _require(actor, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
    school = selectors.school_get(actor=actor, school_id=school.pk)
    if actor.has_role(Role.SCHOOL_ADMIN):
        # A school may pick any organization active in its own region; it does not "see" them through scoping yet.
        organization = Organization.objects.filter(pk=organization.pk, region_id=school.region_id).first()  # type: ignore[assignment]
        if organization is None:
            raise ValidationFailed({"organization": ["只能与本区已入驻的机构合作"]})
    else:
        organization = selectors.organization_get(actor=actor, organization_id=organization.pk)
    if organization.status != OrganizationStatus.ACTIVE:
        raise ValidationFailed({"organization": ["该机构当前不是已入驻状态，不能建立合作"]})
    partnership = Partnership(school=school, organization=organization, starts_on=starts_on, ends_on=ends_on)
    validate_and_save(partnership)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=partnership)
    return partnership
