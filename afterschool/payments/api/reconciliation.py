"""/api/v1/payments/ — reconciliation: bank statements (system admins: list, detail, import) and reconciliation
items (a school its own, the bureau its region's)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.core.pagination import paginate
from afterschool.payments.models import BankStatement, ReconciliationItem
from afterschool.payments.schemas.reconciliation import (
    ItemFilters,
    ItemOut,
    StatementDetailOut,
    StatementFilters,
    StatementImportIn,
    StatementOut,
)
from afterschool.payments.selectors import reconciliation as selectors
from afterschool.payments.services import reconciliation as services

router = Router(tags=["选课缴费"])


def statement_out(statement: BankStatement, *, content: bool = False) -> dict[str, Any]:
    data = {
        "id": statement.pk, "statement_date": statement.statement_date, "gateway": statement.gateway,
        "line_count": statement.line_count, "bank_total_fen": statement.bank_total_fen,
        "imported_by": str(statement.imported_by) if statement.imported_by else None,
        "created_at": statement.created_at,
        "counts": {k: getattr(statement, f"n_{k}", 0) for k in services.kind_counts_keys()},
    }  # fmt: skip
    if content:
        data["content"] = statement.content
    return data


def item_out(item: ReconciliationItem) -> dict[str, Any]:
    return {
        "id": item.pk, "statement_id": item.statement_id, "statement_date": item.statement.statement_date,
        "kind": item.kind, "kind_label": item.get_kind_display(), "txn_type": item.txn_type,
        "reference": item.reference, "bank_txn_id": item.bank_txn_id, "bank_amount_fen": item.bank_amount_fen,
        "platform_amount_fen": item.platform_amount_fen, "school_id": item.school_id,
        "school_name": item.school.name if item.school else None, "order_id": item.order_id,
        "refund_id": item.refund_id,
    }  # fmt: skip


def _page(queryset: Any, paging: PageParams, out: Any) -> dict[str, Any]:
    result = paginate(queryset, page=paging.page, page_size=paging.page_size)
    return {
        "items": [out(x) for x in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


def _system_admin(request: HttpRequest) -> Any:
    actor = actor_of(request)
    if not actor.is_system_admin:
        raise PermissionDenied("只有系统管理员可以管理银行对账单")
    return actor


@router.get("/statements", response={200: Paged[StatementOut], **ERRORS}, summary="银行对账单列表（系统管理员）")
def statement_list(request: HttpRequest, filters: Query[StatementFilters], paging: Query[PageParams]) -> Any:
    actor = _system_admin(request)
    return _page(selectors.statement_list(actor=actor, filters=filters.dict()), paging, statement_out)


@router.get("/statements/{statement_id}", response={200: StatementDetailOut, **ERRORS}, summary="银行对账单详情")
def statement_detail(request: HttpRequest, statement_id: int) -> Any:
    actor = _system_admin(request)
    return statement_out(selectors.statement_get(actor=actor, statement_id=statement_id), content=True)


@router.post("/statements", response={201: StatementDetailOut, **ERRORS}, summary="导入银行对账单并对账")
def statement_import(request: HttpRequest, file: File[UploadedFile], payload: Form[StatementImportIn]) -> Any:
    actor = _system_admin(request)
    name = (file.name or "").lower()
    if not name.endswith((".csv", ".txt")):
        raise ValidationFailed({"file": ["只能上传 .csv 文件"]}, "只能上传 CSV 格式的对账单（.csv）")
    if (file.size or 0) > services.MAX_STATEMENT_BYTES:
        raise ValidationFailed({"file": ["文件过大（不超过 5 MB）"]}, "对账单文件过大（不超过 5 MB）")
    statement = services.statement_import(actor=actor, content=file.read(), statement_date=payload.statement_date)
    return Status(201, statement_out(selectors.statement_get(actor=actor, statement_id=statement.pk), content=True))


@router.get("/reconciliation/items", response={200: Paged[ItemOut], **ERRORS}, summary="对账结果")
def item_list(request: HttpRequest, filters: Query[ItemFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    if not actor.is_system_admin and not actor.has_role(*selectors.ITEM_READERS):
        raise PermissionDenied("没有权限查看对账结果")
    data = filters.dict()
    if data.get("kind"):
        data["kind"] = str(data["kind"].value if hasattr(data["kind"], "value") else data["kind"])
    return _page(selectors.item_list(actor=actor, filters=data), paging, item_out)
