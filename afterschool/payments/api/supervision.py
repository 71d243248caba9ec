"""/api/v1/payments/ — fee supervision: the bureau's school-level and student-level payments (personal data masked),
a school's selection statistics and order details."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core.api import ErrorOut, Paged, PageParams, actor_of
from afterschool.core.errors import PermissionDenied
from afterschool.core.masking import mask_name
from afterschool.core.pagination import paginate
from afterschool.payments.models import Order
from afterschool.payments.schemas.supervision import (
    OrderDetailOut,
    SchoolFeesFilters,
    SchoolTotalOut,
    SectionStatsOut,
    StudentPaymentOut,
    SupervisionFilters,
)
from afterschool.payments.selectors import supervision as selectors

router = Router(tags=["选课缴费"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _page(queryset: Any, paging: PageParams, out: Any) -> dict[str, Any]:
    result = paginate(queryset, page=paging.page, page_size=paging.page_size)
    return {
        "items": [out(x) for x in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


def _require(actor: Any, roles: tuple[str, ...], message: str) -> None:
    if not actor.is_system_admin and not actor.has_role(*roles):
        raise PermissionDenied(message)


def school_total_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "school_id": row["school_id"], "school_name": row["school__name"], "orders": row["orders"],
        "amount_fen": row["amount_fen"], "refunded_fen": row["refunded_fen"], "net_fen": row["net_fen"],
    }  # fmt: skip


def _order_common(o: Order) -> dict[str, Any]:
    return {
        "order_id": o.pk, "order_no": o.order_no, "section_id": o.section_id, "section_name": o.section.name,
        "academic_year": o.section.term.academic_year, "amount_fen": o.amount_fen, "materials_fen": o.materials_fen,
        "materials_included": o.materials_included, "paid_at": o.paid_at, "refunded_fen": o.refunded_fen,
        "refunded_at": getattr(o, "refunded_at", None),
    }  # fmt: skip


def student_payment_out(o: Order) -> dict[str, Any]:
    return {
        **_order_common(o), "student_name": mask_name(o.student.name),
        "student_number": selectors.mask_student_number(o.student.student_number),
    }  # fmt: skip


def order_detail_out(o: Order) -> dict[str, Any]:
    return {
        **_order_common(o), "student_id": o.student_id, "student_name": o.student.name,
        "student_number": o.student.student_number, "school_class": str(o.student.school_class),
    }  # fmt: skip


def section_stats_out(s: Any) -> dict[str, Any]:
    return {
        "section_id": s.pk, "name": s.name, "term": str(s.term), "academic_year": s.term.academic_year,
        "seats": s.max_students, "taken": s.taken, "paid": s.paid, "pending": s.pending, "waitlisted": s.waitlisted,
        "revenue_fen": s.revenue_fen, "refunds_fen": s.refunds_fen, "net_fen": s.revenue_fen - s.refunds_fen,
    }  # fmt: skip


@router.get("/supervision/schools", response={200: Paged[SchoolTotalOut], **ERRORS}, summary="缴费监管：学校汇总")
def supervision_schools(request: HttpRequest, filters: Query[SupervisionFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    _require(actor, selectors.BUREAU_READERS, "只有教育局可以查看缴费监管")
    return _page(selectors.school_totals(actor=actor, filters=filters.dict()), paging, school_total_out)


@router.get(
    "/supervision/schools/{school_id}/payments", response={200: Paged[StudentPaymentOut], **ERRORS},
    summary="缴费监管：学生明细（脱敏）",
)  # fmt: skip
def supervision_students(
    request: HttpRequest, school_id: int, filters: Query[SupervisionFilters], paging: Query[PageParams]
) -> Any:
    actor = actor_of(request)
    orders = selectors.student_level(actor=actor, school_id=school_id, filters=filters.dict())
    return _page(orders, paging, student_payment_out)


@router.get("/school-fees/sections", response={200: Paged[SectionStatsOut], **ERRORS}, summary="学校选课统计")
def school_fee_sections(request: HttpRequest, filters: Query[SchoolFeesFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    _require(actor, selectors.SCHOOL_READERS, "只有学校管理员可以查看缴费统计")
    return _page(selectors.section_stats(actor=actor, filters=filters.dict()), paging, section_stats_out)


@router.get("/school-fees/orders", response={200: Paged[OrderDetailOut], **ERRORS}, summary="学校缴费明细")
def school_fee_orders(request: HttpRequest, filters: Query[SchoolFeesFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    _require(actor, selectors.SCHOOL_READERS, "只有学校管理员可以查看缴费统计")
    return _page(selectors.school_orders(actor=actor, filters=filters.dict()), paging, order_detail_out)
