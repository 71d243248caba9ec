"""/api/v1/payments/ — settlement: terms (结算约定) and bills (结算单)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor

from ..schemas.settlement import (
    BillCommentIn,
    BillDetailOut,
    BillFilters,
    BillOut,
    BillRaiseIn,
    BillRejectIn,
    TermsFilters,
    TermsIn,
    TermsOut,
    TermsPatch,
)
from ..selectors import settlement as selectors
from ..services import settlement as services

router = Router(tags=["选课缴费"])


def _terms_payload(actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    school_id = payload.pop("school_id", None)
    if actor.is_system_admin and school_id is not None:
        try:
            payload["school"] = tenancy_selectors.school_get(actor=actor, school_id=school_id)
        except NotFound:
            raise ValidationFailed({"school_id": ["学校不存在"]}) from None
    if "organization_id" in payload:
        try:
            payload["organization"] = tenancy_selectors.organization_get(
                actor=actor, organization_id=payload.pop("organization_id")
            )
        except NotFound:
            raise ValidationFailed({"organization_id": ["机构不存在"]}) from None
    return payload


@router.get("/settlement/terms", response={200: Paged[TermsOut], **ERRORS}, summary="结算约定列表")
def terms_list(request: HttpRequest, filters: Query[TermsFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.settlement_terms_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/settlement/terms", response={201: TermsOut, **ERRORS}, summary="新增结算约定")
def terms_create(request: HttpRequest, payload: TermsIn) -> Any:
    actor = actor_of(request)
    services.require_terms_writer(actor)
    data = _terms_payload(actor, payload.dict())
    return Status(201, services.settlement_terms_create(actor=actor, data=data))


@router.get("/settlement/terms/{terms_id}", response={200: TermsOut, **ERRORS}, summary="结算约定详情")
def terms_detail(request: HttpRequest, terms_id: int) -> Any:
    return selectors.settlement_terms_get(actor=actor_of(request), terms_id=terms_id)


@router.patch("/settlement/terms/{terms_id}", response={200: TermsOut, **ERRORS}, summary="修改结算约定")
def terms_update(request: HttpRequest, terms_id: int, payload: TermsPatch) -> Any:
    actor = actor_of(request)
    terms = selectors.settlement_terms_get(actor=actor, terms_id=terms_id)
    return services.settlement_terms_update(actor=actor, settlement_terms=terms, data=payload.dict(exclude_unset=True))


@router.delete("/settlement/terms/{terms_id}", response={204: None, **ERRORS}, summary="删除结算约定")
def terms_delete(request: HttpRequest, terms_id: int) -> Any:
    actor = actor_of(request)
    terms = selectors.settlement_terms_get(actor=actor, terms_id=terms_id)
    services.settlement_terms_delete(actor=actor, settlement_terms=terms)
    return Status(204, None)


@router.get("/settlement/bills", response={200: Paged[BillOut], **ERRORS}, summary="结算单列表")
def bill_list(request: HttpRequest, filters: Query[BillFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.bill_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/settlement/bills", response={201: BillDetailOut, **ERRORS}, summary="发起结算")
def bill_raise(request: HttpRequest, payload: BillRaiseIn) -> Any:
    actor = actor_of(request)
    school, organization = selectors.bill_parties(
        actor=actor, school_id=payload.school_id, organization_id=payload.organization_id
    )
    bill = services.bill_raise(
        actor=actor,
        school=school,
        organization=organization,
        period_start=payload.period_start,
        period_end=payload.period_end,
    )
    return Status(201, selectors.bill_get(actor=actor, bill_id=bill.pk))


@router.get("/settlement/bills/{bill_id}", response={200: BillDetailOut, **ERRORS}, summary="结算单详情")
def bill_detail(request: HttpRequest, bill_id: int) -> Any:
    return selectors.bill_get(actor=actor_of(request), bill_id=bill_id)


@router.post("/settlement/bills/{bill_id}/approve", response={200: BillDetailOut, **ERRORS}, summary="学校确认结算单")
def bill_approve(request: HttpRequest, bill_id: int, payload: BillCommentIn) -> Any:
    actor = actor_of(request)
    bill = selectors.bill_get(actor=actor, bill_id=bill_id)
    return services.bill_approve(actor=actor, bill=bill, comment=payload.comment)


@router.post("/settlement/bills/{bill_id}/reject", response={200: BillDetailOut, **ERRORS}, summary="退回结算单")
def bill_reject(request: HttpRequest, bill_id: int, payload: BillRejectIn) -> Any:
    actor = actor_of(request)
    bill = selectors.bill_get(actor=actor, bill_id=bill_id)
    return services.bill_reject(actor=actor, bill=bill, reason=payload.reason)


@router.post("/settlement/bills/{bill_id}/review", response={200: BillDetailOut, **ERRORS}, summary="教育局复核结算单")
def bill_review(request: HttpRequest, bill_id: int, payload: BillCommentIn) -> Any:
    actor = actor_of(request)
    bill = selectors.bill_get(actor=actor, bill_id=bill_id)
    return services.bill_review(actor=actor, bill=bill, comment=payload.comment)


@router.post("/settlement/bills/{bill_id}/pay", response={200: BillDetailOut, **ERRORS}, summary="登记结算单已支付")
def bill_pay(request: HttpRequest, bill_id: int, payload: BillCommentIn) -> Any:
    actor = actor_of(request)
    bill = selectors.bill_get(actor=actor, bill_id=bill_id)
    return services.bill_pay(actor=actor, bill=bill, comment=payload.comment)
