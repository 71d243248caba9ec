"""Pages of reconciliation: bank statements (system admins: import, all items) and reconciliation items (a school
its own, the bureau its region's)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context
from afterschool.payments.choices import ReconciliationKind
from afterschool.payments.forms.reconciliation import ItemFilterForm, StatementFilterForm, StatementUploadForm
from afterschool.payments.models import ReconciliationItem
from afterschool.payments.selectors import reconciliation as selectors
from afterschool.payments.services import reconciliation as services
from afterschool.payments.services.supervision import export_audit, fen_to_yuan
from afterschool.tenancy.actor import Actor


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _yuan(fen: int | None) -> str:
    return "" if fen is None else fen_to_yuan(fen)


ITEM_HEADERS = ["对账日期", "学校", "交易类型", "单号", "银行流水号", "银行金额（元）", "平台金额（元）", "结果"]


def _item_row(item: ReconciliationItem) -> list[Any]:
    return [
        item.statement.statement_date.isoformat(), item.school.name if item.school else "",
        "支付" if item.txn_type == "payment" else "退款", item.reference, item.bank_txn_id,
        _yuan(item.bank_amount_fen), _yuan(item.platform_amount_fen), item.get_kind_display(),
    ]  # fmt: skip


def _items_page(
    request: HttpRequest, actor: Actor, filters: dict[str, Any], what: str
) -> HttpResponse | dict[str, Any]:
    queryset = selectors.item_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [_item_row(i) for i in queryset[:50000]]
        export_audit(actor=actor, what=what, rows=len(rows), filters=filters)
        return xlsx_response(filename="对账结果.xlsx", content=build_xlsx(headers=ITEM_HEADERS, rows=rows))
    context = list_context(request, queryset)
    context["kinds"] = ReconciliationKind.choices
    return context


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    """The statements imported (system admins), and the import form (POST, multipart)."""
    actor = _actor(request)
    if not actor.is_system_admin:
        raise DjangoPermissionDenied("只有系统管理员可以管理银行对账单")
    upload = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and upload.is_valid():
        try:
            statement = services.statement_import(
                actor=actor, content=upload.cleaned_data["file"].read(),
                statement_date=upload.cleaned_data.get("statement_date"),
            )  # fmt: skip
        except AppError as exc:
            form_error_from(upload, exc)
        else:
            messages.success(request, f"{statement.statement_date} 对账单已导入并完成对账。")
            return redirect("payments:statement_detail", statement_id=statement.pk)
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    context: dict[str, Any] = {"form": form, "upload": upload}
    context.update(list_context(request, selectors.statement_list(actor=actor, filters=filters)))
    return render(request, "payments/reconciliation/statement_list.html", context, status=422 if upload.errors else 200)


@login_required
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        statement = selectors.statement_get(actor=actor, statement_id=statement_id)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    form = ItemFilterForm(request.GET or None)
    filters = {**(form.cleaned_data if form.is_valid() else {}), "statement": statement.pk}
    result = _items_page(request, actor, filters, "reconciliation_items")
    if isinstance(result, HttpResponse):
        return result
    result.update({"statement": statement, "form": form, "counts": services.kind_counts(statement)})
    return render(request, "payments/reconciliation/statement_detail.html", result)


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Reconciliation items: a school admin its school's, the bureau its region's (filter school/kind/date)."""
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*selectors.ITEM_READERS):
        raise DjangoPermissionDenied("没有权限查看对账结果")
    form = ItemFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    result = _items_page(request, actor, filters, "reconciliation_items")
    if isinstance(result, HttpResponse):
        return result
    show_school = actor.school_id is None
    schools = selectors.schools_for_filter(actor=actor) if show_school else []
    result.update({"form": form, "schools": schools, "show_school": show_school})
    return render(request, "payments/reconciliation/items.html", result)


urlpatterns: list[URLPattern] = [
    path("statements/", statement_list, name="statement_list"),
    path("statements/<int:statement_id>/", statement_detail, name="statement_detail"),
    path("reconciliation/", reconciliation, name="reconciliation"),
]
