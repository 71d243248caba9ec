"""Pages of withdrawal (parents) and refunds (school admins: decide, retry, refund a chosen amount)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context, page_error
from afterschool.payments.choices import RefundStatus
from afterschool.payments.forms.refunds import RefundFilterForm, RejectForm, SchoolRefundForm, WithdrawForm
from afterschool.payments.models import Order, Refund
from afterschool.payments.selectors import refunds as selectors
from afterschool.payments.services import refunds as services
from afterschool.tenancy.actor import Actor


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _order(actor: Actor, order_id: int) -> Order:
    try:
        return selectors.refund_order_get(actor=actor, order_id=order_id)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None


def _refund(actor: Actor, refund_id: int) -> Refund:
    try:
        return selectors.refund_get(actor=actor, refund_id=refund_id)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None


def _is_school(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN)


def _run(request: HttpRequest, form: Form, call: Any) -> Any:
    """Call the service; a refusal is shown on the form (404/403 answer as such). None when refused."""
    try:
        return call()
    except AppError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise page_error(exc) from None
        form_error_from(form, exc)
        return None


@login_required
def refund_withdraw(request: HttpRequest, order_id: int) -> HttpResponse:
    """A parent's withdrawal: the quote first (GET), the request on confirmation (POST)."""
    actor = _actor(request)
    order = _order(actor, order_id)
    if not actor.has_role(Role.PARENT):
        raise DjangoPermissionDenied("只有家长可以申请退课")
    quote = services.refund_quote(order=order)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        refund = _run(request, form, lambda: services.withdrawal_request(actor=actor, order=order, reason=reason))
        if refund is not None:
            messages.success(request, "退课申请已提交，等待学校审核。")
            return redirect("payments:refund_detail", refund_id=refund.pk)
    context = {"order": order, "quote": quote, "form": form, "open_refund": selectors.open_refund(order)}
    return render(request, "payments/refunds/withdraw.html", context)


@login_required
def refund_school_create(request: HttpRequest, order_id: int) -> HttpResponse:
    """The school refunds a chosen amount of an order (confirmation page with the amount and a note)."""
    actor = _actor(request)
    order = _order(actor, order_id)
    if not _is_school(actor):
        raise DjangoPermissionDenied("只有学校管理员可以发起退款")
    quote = services.refund_quote(order=order)
    form = SchoolRefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        amount, note = form.amount_fen, form.cleaned_data["note"]
        refund = _run(
            request,
            form,
            lambda: services.refund_create_by_school(actor=actor, order=order, amount_fen=amount, note=note),
        )
        if refund is not None:
            messages.success(request, f"退款 {refund.refund_no}：{refund.get_status_display()}")
            return redirect("payments:refund_detail", refund_id=refund.pk)
    return render(request, "payments/refunds/school_create.html", {"order": order, "quote": quote, "form": form})


def _detail_context(actor: Actor, refund: Refund) -> dict[str, Any]:
    school = _is_school(actor)
    return {
        "refund": refund, "order": refund.order, "policy": refund.policy or {},
        "amount_yuan": services.fen_to_yuan(refund.amount_fen),
        "fee_yuan": services.fen_to_yuan(refund.fee_part_fen),
        "materials_yuan": services.fen_to_yuan(refund.materials_part_fen),
        "can_decide": school and refund.status == RefundStatus.REQUESTED,
        "can_retry": school and refund.status in (RefundStatus.FAILED, RefundStatus.PROCESSING),
    }  # fmt: skip


@login_required
def refund_detail(request: HttpRequest, refund_id: int) -> HttpResponse:
    actor = _actor(request)
    refund = _refund(actor, refund_id)
    return render(request, "payments/refunds/detail.html", _detail_context(actor, refund))


ACTIONS = {
    "approve": ("同意退款", "同意后将按原支付渠道退回 ¥{amount}，学生随之退课，名额释放。", "btn-primary"),
    "retry": (
        "重新发起退款", "将以同一退款单号 {no} 再次向银行发起退款 ¥{amount}（银行按单号去重，不会重复退款）。",
        "btn-primary",
    ),
}  # fmt: skip


def _action(request: HttpRequest, refund_id: int, action: str) -> HttpResponse:
    actor = _actor(request)
    refund = _refund(actor, refund_id)
    if not _is_school(actor):
        raise DjangoPermissionDenied("只有学校管理员可以处理退款")
    form = Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        service = services.refund_approve if action == "approve" else services.refund_retry
        done = _run(request, form, lambda: service(actor=actor, refund=refund))
        if done is not None:
            messages.success(request, f"退款 {done.refund_no}：{done.get_status_display()}")
            return redirect("payments:refund_detail", refund_id=refund.pk)
    title, text, css = ACTIONS[action]
    context = {
        **_detail_context(actor, refund), "form": form, "title": title, "css": css,
        "text": text.format(amount=services.fen_to_yuan(refund.amount_fen), no=refund.refund_no),
    }  # fmt: skip
    return render(request, "payments/refunds/confirm.html", context)


@login_required
def refund_approve(request: HttpRequest, refund_id: int) -> HttpResponse:
    return _action(request, refund_id, "approve")


@login_required
def refund_retry(request: HttpRequest, refund_id: int) -> HttpResponse:
    return _action(request, refund_id, "retry")


@login_required
def refund_reject(request: HttpRequest, refund_id: int) -> HttpResponse:
    actor = _actor(request)
    refund = _refund(actor, refund_id)
    if not _is_school(actor):
        raise DjangoPermissionDenied("只有学校管理员可以处理退款")
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        done = _run(request, form, lambda: services.refund_reject(actor=actor, refund=refund, reason=reason))
        if done is not None:
            messages.success(request, "已驳回退款申请。")
            return redirect("payments:refund_detail", refund_id=refund.pk)
    return render(request, "payments/refunds/reject.html", {**_detail_context(actor, refund), "form": form})


EXPORT_HEADERS = [
    "退款单号", "订单号", "学生", "学籍号", "课班", "原因", "退报名费", "退材料费", "退款金额", "状态", "申请时间",
    "完成时间", "银行退款流水号", "驳回原因",
]  # fmt: skip


def _export_row(r: Refund) -> list[Any]:
    return [
        r.refund_no, r.order.order_no, r.order.student.name, r.order.student.student_number, r.order.section.name,
        r.get_reason_display(), services.fen_to_yuan(r.fee_part_fen), services.fen_to_yuan(r.materials_part_fen),
        services.fen_to_yuan(r.amount_fen), r.get_status_display(),
        timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(r.completed_at).strftime("%Y-%m-%d %H:%M") if r.completed_at else "",
        r.bank_refund_id, r.reject_reason,
    ]  # fmt: skip


@login_required
def refund_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*selectors.REFUND_READERS):
        raise DjangoPermissionDenied("没有权限查看退款")
    form = RefundFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.refund_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [_export_row(r) for r in queryset[:50000]]
        record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
            detail={"what": "refunds", "rows": len(rows), "filters": {k: str(v) for k, v in filters.items() if v}},
        )  # fmt: skip
        return xlsx_response(filename="退款记录.xlsx", content=build_xlsx(headers=EXPORT_HEADERS, rows=rows))
    context: dict[str, Any] = {"form": form, "is_school": not actor.has_role(Role.PARENT)}
    context.update(list_context(request, queryset))
    context["rows"] = [(r, services.fen_to_yuan(r.amount_fen)) for r in context["page"].items]
    return render(request, "payments/refunds/list.html", context)


urlpatterns: list[URLPattern] = [
    path("refunds/", refund_list, name="refund_list"),
    path("refunds/<int:refund_id>/", refund_detail, name="refund_detail"),
    path("refunds/<int:refund_id>/approve/", refund_approve, name="refund_approve"),
    path("refunds/<int:refund_id>/reject/", refund_reject, name="refund_reject"),
    path("refunds/<int:refund_id>/retry/", refund_retry, name="refund_retry"),
    path("orders/<int:order_id>/withdraw/", refund_withdraw, name="refund_withdraw"),
    path("orders/<int:order_id>/refund/", refund_school_create, name="refund_school_create"),
]
