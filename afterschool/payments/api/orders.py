"""/api/v1/payments/ — course selection (the sections a child may take) and orders."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.payments.models import Order
from afterschool.payments.schemas.orders import (
    OrderCloseIn,
    OrderFilters,
    OrderIn,
    OrderOut,
    SectionOptionOut,
    SelectableQuery,
)
from afterschool.payments.selectors import orders as selectors
from afterschool.payments.selectors.orders import SectionOption
from afterschool.payments.services import orders as services

router = Router(tags=["选课缴费"])


def option_out(option: SectionOption) -> dict[str, Any]:
    s = option.section
    return {
        "section_id": s.pk, "name": s.name, "course": str(s.course), "mode": s.mode,
        "fee_fen": s.fee_fen, "fee_yuan": option.fee_yuan, "materials_fee_fen": s.materials_fee_fen,
        "materials_yuan": option.materials_yuan, "materials_included": s.materials_included,
        "max_students": s.max_students, "seats_taken": option.seats_taken, "seats_left": option.seats_left,
        "schedule": option.schedule, "teachers": option.teachers, "venue": str(s.venue) if s.venue else None,
        "starts_on": s.starts_on, "ends_on": s.ends_on,
        "window_closes_at": s.registration_window.closes_at if s.registration_window else None,
        "placed": option.placed, "clashes": option.clashes, "can_order": option.can_order,
    }  # fmt: skip


def order_out(order: Order) -> dict[str, Any]:
    status, label = selectors.shown_status(order)
    return {
        "id": order.pk, "order_no": order.order_no, "section_id": order.section_id, "section_name": order.section.name,
        "student_id": order.student_id, "student_name": order.student.name, "fee_fen": order.fee_fen,
        "materials_fen": order.materials_fen, "amount_fen": order.amount_fen,
        "materials_included": order.materials_included, "status": status, "status_label": label,
        "deadline": order.deadline, "paid_at": order.paid_at, "closed_at": order.closed_at,
        "close_reason": order.close_reason, "created_at": order.created_at,
    }  # fmt: skip


@router.get("/selectable", response={200: list[SectionOptionOut], **ERRORS}, summary="孩子可报名的课班")
def selectable(request: HttpRequest, query: Query[SelectableQuery]) -> Any:
    actor = actor_of(request)
    student = selectors.child_get(actor=actor, student_id=query.student_id)
    return [option_out(o) for o in selectors.selectable_sections(actor=actor, student=student)]


@router.post("/orders", response={201: OrderOut, **ERRORS}, summary="报名：占位并生成待支付订单")
def order_create(request: HttpRequest, payload: OrderIn) -> Any:
    actor = actor_of(request)
    student = selectors.child_get(actor=actor, student_id=payload.student_id)
    section = selectors.section_for_child(student=student, section_id=payload.section_id)
    order = services.order_create(actor=actor, section=section, student=student, with_materials=payload.with_materials)
    return Status(201, order_out(order))


@router.get("/orders", response={200: Paged[OrderOut], **ERRORS}, summary="订单列表")
def order_list(request: HttpRequest, filters: Query[OrderFilters], paging: Query[PageParams]) -> Any:
    result = paginate(
        selectors.order_list(actor=actor_of(request), filters=filters.dict()), page=paging.page,
        page_size=paging.page_size,
    )  # fmt: skip
    return {
        "items": [order_out(o) for o in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.get("/orders/{order_id}", response={200: OrderOut, **ERRORS}, summary="订单详情")
def order_detail(request: HttpRequest, order_id: int) -> Any:
    return order_out(selectors.order_get(actor=actor_of(request), order_id=order_id))


@router.post("/orders/{order_id}/close", response={200: OrderOut, **ERRORS}, summary="关闭未支付订单（放弃报名）")
def order_close(request: HttpRequest, order_id: int, payload: OrderCloseIn) -> Any:
    actor = actor_of(request)
    order = selectors.order_get(actor=actor, order_id=order_id)
    services.order_close(actor=actor, order=order, reason=payload.reason)
    return order_out(selectors.order_get(actor=actor, order_id=order_id))
