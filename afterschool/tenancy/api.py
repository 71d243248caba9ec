"""/api/v1/tenancy/: regions, schools, organizations, 入驻申请 review, partnerships. Thin: parse, call, serialise.

The public 入驻申请 form itself is page-only (/tenancy/apply/): it takes a licence file, needs CSRF and is
rate-limited per client address; there is no anonymous API endpoint for it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound, ValidationFailed

from . import selectors, services
from .models import Organization, Region, School
from .schemas import (
    ApplicationApproveIn,
    ApplicationFilters,
    ApplicationOut,
    ApplicationRejectIn,
    ApprovalOut,
    OrganizationFilters,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    OrganizationStatusChangeOut,
    OrganizationStatusIn,
    PartnershipEndIn,
    PartnershipFilters,
    PartnershipIn,
    PartnershipOut,
    PartnershipPatch,
    RegionFilters,
    RegionOut,
    SchoolFilters,
    SchoolIn,
    SchoolOut,
    SchoolPatch,
)

router = Router(tags=["区域、学校与机构"])


def _region(actor: Any, region_id: int | None) -> Region | None:
    """A region named in a payload must be one the actor can see."""
    if region_id is None:
        return None
    try:
        return selectors.region_get(actor=actor, region_id=region_id)
    except NotFound:
        raise ValidationFailed({"region_id": ["区域不存在"]}) from None


def _with_region(actor: Any, payload: dict[str, Any]) -> dict[str, Any]:
    if "region_id" in payload:
        payload["region"] = _region(actor, payload.pop("region_id"))
    return payload


@router.get("/regions", response={200: Paged[RegionOut], **ERRORS}, summary="区域列表")
def region_list(request: HttpRequest, filters: Query[RegionFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.region_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/regions/{region_id}", response={200: RegionOut, **ERRORS}, summary="区域详情")
def region_detail(request: HttpRequest, region_id: int) -> Any:
    return selectors.region_get(actor=actor_of(request), region_id=region_id)


@router.get("/schools", response={200: Paged[SchoolOut], **ERRORS}, summary="学校列表")
def school_list(request: HttpRequest, filters: Query[SchoolFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.school_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/schools", response={201: SchoolOut, **ERRORS}, summary="新增学校")
def school_create(request: HttpRequest, payload: SchoolIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.school_create(actor=actor, data=_with_region(actor, payload.dict())))


@router.get("/schools/{school_id}", response={200: SchoolOut, **ERRORS}, summary="学校详情")
def school_detail(request: HttpRequest, school_id: int) -> Any:
    return selectors.school_get(actor=actor_of(request), school_id=school_id)


@router.patch("/schools/{school_id}", response={200: SchoolOut, **ERRORS}, summary="修改学校")
def school_update(request: HttpRequest, school_id: int, payload: SchoolPatch) -> Any:
    actor = actor_of(request)
    school = selectors.school_get(actor=actor, school_id=school_id)
    data = _with_region(actor, payload.dict(exclude_unset=True))
    return services.school_update(actor=actor, school=school, data=data)


@router.delete("/schools/{school_id}", response={204: None, **ERRORS}, summary="删除学校")
def school_delete(request: HttpRequest, school_id: int) -> Any:
    actor = actor_of(request)
    services.school_delete(actor=actor, school=selectors.school_get(actor=actor, school_id=school_id))
    return Status(204, None)


@router.get("/organizations", response={200: Paged[OrganizationOut], **ERRORS}, summary="机构列表")
def organization_list(request: HttpRequest, filters: Query[OrganizationFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.organization_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/organizations", response={201: OrganizationOut, **ERRORS}, summary="新增机构")
def organization_create(request: HttpRequest, payload: OrganizationIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.organization_create(actor=actor, data=_with_region(actor, payload.dict())))


@router.get("/organizations/{organization_id}", response={200: OrganizationOut, **ERRORS}, summary="机构详情")
def organization_detail(request: HttpRequest, organization_id: int) -> Any:
    return selectors.organization_get(actor=actor_of(request), organization_id=organization_id)


@router.patch("/organizations/{organization_id}", response={200: OrganizationOut, **ERRORS}, summary="修改机构")
def organization_update(request: HttpRequest, organization_id: int, payload: OrganizationPatch) -> Any:
    actor = actor_of(request)
    organization = selectors.organization_get(actor=actor, organization_id=organization_id)
    data = _with_region(actor, payload.dict(exclude_unset=True))
    return services.organization_update(actor=actor, organization=organization, data=data)


@router.post(
    "/organizations/{organization_id}/status", response={200: OrganizationOut, **ERRORS}, summary="变更机构状态"
)
def organization_status(request: HttpRequest, organization_id: int, payload: OrganizationStatusIn) -> Any:
    actor = actor_of(request)
    organization = selectors.organization_get(actor=actor, organization_id=organization_id)
    return services.organization_set_status(
        actor=actor, organization=organization, status=payload.status, reason=payload.reason
    )


@router.delete("/organizations/{organization_id}", response={204: None, **ERRORS}, summary="删除机构")
def organization_delete(request: HttpRequest, organization_id: int) -> Any:
    actor = actor_of(request)
    organization = selectors.organization_get(actor=actor, organization_id=organization_id)
    services.organization_delete(actor=actor, organization=organization)
    return Status(204, None)


@router.get(
    "/organizations/{organization_id}/status-history",
    response={200: list[OrganizationStatusChangeOut], **ERRORS},
    summary="机构状态变更记录",
)
def organization_status_history(request: HttpRequest, organization_id: int) -> Any:
    return list(selectors.organization_status_history(actor=actor_of(request), organization_id=organization_id))


# --- 入驻申请 review ----------------------------------------------------------------------------------------------


@router.get("/applications", response={200: Paged[ApplicationOut], **ERRORS}, summary="入驻申请列表")
def application_list(request: HttpRequest, filters: Query[ApplicationFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.application_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/applications/{application_id}", response={200: ApplicationOut, **ERRORS}, summary="入驻申请详情")
def application_detail(request: HttpRequest, application_id: int) -> Any:
    return selectors.application_get(actor=actor_of(request), application_id=application_id)


@router.post(
    "/applications/{application_id}/approve",
    response={200: ApprovalOut, **ERRORS},
    summary="通过入驻申请（返回机构和只出现一次的初始密码）",
)
def application_approve(request: HttpRequest, application_id: int, payload: ApplicationApproveIn) -> Any:
    approval = services.application_approve(
        actor=actor_of(request), application_id=application_id, comment=payload.comment
    )
    return {
        "application": approval.application,
        "organization": approval.organization,
        "username": approval.username,
        "initial_password": approval.initial_password,
    }


@router.post("/applications/{application_id}/reject", response={200: ApplicationOut, **ERRORS}, summary="驳回入驻申请")
def application_reject(request: HttpRequest, application_id: int, payload: ApplicationRejectIn) -> Any:
    return services.application_reject(actor=actor_of(request), application_id=application_id, reason=payload.reason)


# --- partnerships -----------------------------------------------------------------------------------------------


@router.get("/partnerships", response={200: Paged[PartnershipOut], **ERRORS}, summary="合作关系列表")
def partnership_list(request: HttpRequest, filters: Query[PartnershipFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.partnership_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/partnerships", response={201: PartnershipOut, **ERRORS}, summary="新建合作关系")
def partnership_create(request: HttpRequest, payload: PartnershipIn) -> Any:
    actor = actor_of(request)
    school_id = payload.school_id or actor.school_id
    if school_id is None:
        raise ValidationFailed({"school_id": ["请指定学校"]})
    partnership = services.partnership_create(
        actor=actor,
        school=School(pk=school_id),
        organization=Organization(pk=payload.organization_id),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, partnership)


@router.get("/partnerships/{partnership_id}", response={200: PartnershipOut, **ERRORS}, summary="合作关系详情")
def partnership_detail(request: HttpRequest, partnership_id: int) -> Any:
    return selectors.partnership_get(actor=actor_of(request), partnership_id=partnership_id)


@router.patch("/partnerships/{partnership_id}", response={200: PartnershipOut, **ERRORS}, summary="修改合作期间")
def partnership_update(request: HttpRequest, partnership_id: int, payload: PartnershipPatch) -> Any:
    actor = actor_of(request)
    partnership = selectors.partnership_get(actor=actor, partnership_id=partnership_id)
    return services.partnership_update(actor=actor, partnership=partnership, data=payload.dict(exclude_unset=True))


@router.post("/partnerships/{partnership_id}/end", response={200: PartnershipOut, **ERRORS}, summary="结束合作")
def partnership_end(request: HttpRequest, partnership_id: int, payload: PartnershipEndIn) -> Any:
    actor = actor_of(request)
    partnership = selectors.partnership_get(actor=actor, partnership_id=partnership_id)
    return services.partnership_end(
        actor=actor, partnership=partnership, reason=payload.reason, ends_on=payload.ends_on
    )
