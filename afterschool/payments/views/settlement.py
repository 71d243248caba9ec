"""Pages: settlement — terms (结算约定, list/create/edit), bills (结算单: list, detail with its amount lines and
history and the step buttons of the actor's role, raise)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.crud import Crud, Filter
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context

from ..choices import BillStatus, SettlementMode
from ..forms.settlement import BillRaiseForm, BillStepForm, SettlementTermsForm
from ..selectors import settlement as selectors
from ..services import settlement as services


def yuan(fen: int | None) -> str:
    return f"{Decimal(fen or 0) / 100:.2f}"


def _terms_amount(t: Any) -> str:
    if t.mode == SettlementMode.FEE_SHARE:
        return f"{t.share_permille}‰"
    return f"¥{yuan(t.rate_fen)}"


terms_crud = Crud(
    namespace="payments",
    name="settlement_terms",
    verbose_name="结算约定",
    list_selector=selectors.settlement_terms_list,
    get_selector=selectors.settlement_terms_get,
    id_kwarg="terms_id",
    form_class=SettlementTermsForm,
    columns=[
        ("学校", "school.name"),
        ("机构", "organization.name"),
        ("结算方式", "mode"),
        ("单价 / 分成", _terms_amount),
        ("开始日期", "starts_on"),
        ("结束日期", lambda t: t.ends_on or "长期"),
        ("说明", "note"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("机构", "organization"),
        ("结算方式", "mode"),
        ("单价 / 分成", _terms_amount),
        ("开始日期", "starts_on"),
        ("结束日期", lambda t: t.ends_on or "长期"),
        ("说明", "note"),
    ],
    create_service=services.settlement_terms_create,
    update_service=services.settlement_terms_update,
    delete_service=services.settlement_terms_delete,
    filters=[Filter("mode", "结算方式", list(SettlementMode.choices))],
    read_roles=selectors.READ_ROLES,
    write_roles=(Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN),
    search_placeholder="学校、机构或说明",
)


def _reader(request: HttpRequest) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    if not selectors.may_read(actor):
        raise DjangoPermissionDenied("当前角色不能查看结算单")
    return actor


EXPORT_HEADERS = ["结算单号", "学校", "机构", "结算开始", "结算结束", "结算方式", "已上课次", "人次", "学费净额（元）",
                  "结算金额（元）", "状态", "发起方", "支付时间"]  # fmt: skip


@login_required
def bill_list(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    values = {key: request.GET.get(key, "").strip()[:64] for key in ("q", "status", "organization_id", "school_id")}
    values["period"] = request.GET.get("period", "").strip()[:7]
    if values["status"] not in BillStatus.values:
        values["status"] = ""
    for key in ("organization_id", "school_id"):
        if not values[key].isdigit() or len(values[key]) > 18:
            values[key] = ""
    queryset = selectors.bill_list(actor=actor, filters=values)
    if request.GET.get("export") == "xlsx":
        rows = (
            [
                b.bill_no,
                b.school.name,
                b.organization.name,
                b.period_start,
                b.period_end,
                b.terms.get_mode_display(),
                b.lessons_delivered,
                b.student_lessons,
                yuan(b.fees_net_fen),
                yuan(b.amount_fen),
                b.get_status_display(),
                b.get_raised_by_display(),
                b.paid_at.strftime("%Y-%m-%d %H:%M") if b.paid_at else "",
            ]
            for b in queryset.iterator()
        )
        content = build_xlsx(headers=EXPORT_HEADERS, rows=rows, sheet_title="结算单")
        record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "settlement_bill", **values})
        return xlsx_response(filename="结算单.xlsx", content=content)
    context = list_context(request, queryset)
    context.update(
        {
            "values": values,
            "statuses": BillStatus.choices,
            "partners": selectors.partner_choices(actor=actor),
            "partner_key": "organization_id" if actor.has_role(Role.SCHOOL_ADMIN) else "school_id",
            "rows": [(b, yuan(b.amount_fen)) for b in context["page"].items],
            "can_raise": actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN, Role.ORG_ADMIN),
        }
    )
    return render(request, "payments/settlement/bill_list.html", context)


def _actions(actor: Any, bill: Any) -> list[tuple[str, str, bool]]:
    """(action, label, needs a reason) the actor may take now."""
    school_admin = actor.is_system_admin or (actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id == bill.school_id)
    bureau = actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)
    result = []
    if bill.status == BillStatus.SUBMITTED and school_admin:
        result += [("approve", "学校确认", False), ("reject", "退回", True)]
    if bill.status == BillStatus.SCHOOL_APPROVED and bureau:
        result += [("review", "复核通过", False), ("reject", "退回", True)]
    if bill.status == BillStatus.BUREAU_REVIEWED and school_admin:
        result += [("pay", "登记已支付", False)]
    return result


@login_required
def bill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    try:
        bill = selectors.bill_get(actor=actor, bill_id=pk)
    except NotFound:
        raise Http404 from None
    lines = [{**line, "fees_yuan": yuan(line.get("fees_fen")), "amount_yuan": yuan(line.get("amount_fen"))}
             for line in bill.details or []]  # fmt: skip
    context = {
        "bill": bill,
        "lines": lines,
        "events": [
            {
                "event": e,
                "action": ACTION_LABELS.get(e.action, e.action),
                "from": BillStatus(e.from_status).label if e.from_status in BillStatus.values else "—",
                "to": BillStatus(e.to_status).label if e.to_status in BillStatus.values else e.to_status,
            }
            for e in selectors.bill_events(bill=bill)
        ],
        "fees_yuan": yuan(bill.fees_net_fen),
        "amount_yuan": yuan(bill.amount_fen),
        "rate": _terms_amount(bill.terms),
        "actions": _actions(actor, bill),
        "form": BillStepForm(),
    }
    return render(request, "payments/settlement/bill_detail.html", context)


ACTION_LABELS = {
    "submit": "提交",
    "school_approve": "学校确认",
    "bureau_review": "教育局复核",
    "reject": "退回",
    "pay": "支付",
}

STEPS = {
    "approve": services.bill_approve,
    "review": services.bill_review,
    "pay": services.bill_pay,
}


@login_required
@require_POST
def bill_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = _reader(request)
    try:
        bill = selectors.bill_get(actor=actor, bill_id=pk)
    except NotFound:
        raise Http404 from None
    form = BillStepForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    if not form.is_valid():
        messages.error(request, "意见最多 500 字")
        return redirect("payments:bill_detail", pk=bill.pk)
    try:
        if action == "reject":
            services.bill_reject(actor=actor, bill=bill, reason=comment)
        elif action in STEPS:
            STEPS[action](actor=actor, bill=bill, comment=comment)
        else:
            raise Http404
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    except NotFound:
        raise Http404 from None
    except AppError as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        messages.error(request, "；".join(str(m) for ms in detail.values() for m in ms) or exc.message)
        return redirect("payments:bill_detail", pk=bill.pk)
    messages.success(request, "已处理。")
    return redirect("payments:bill_detail", pk=bill.pk)


@login_required
def bill_raise(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN, Role.ORG_ADMIN):
        raise DjangoPermissionDenied("只有学校管理员、机构管理员可以发起结算")
    form = BillRaiseForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            school, organization = selectors.bill_parties(
                actor=actor,
                school_id=data["school"].pk if data.get("school") else None,
                organization_id=data["organization"].pk if data.get("organization") else None,
            )
            bill = services.bill_raise(
                actor=actor,
                school=school,
                organization=organization,
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"结算单 {bill.bill_no} 已提交。")
            return redirect("payments:bill_detail", pk=bill.pk)
    return render(request, "payments/settlement/bill_raise.html", {"form": form})


urlpatterns: list[URLPattern] = [
    path("settlement/terms/", login_required(terms_crud.list_view), name="settlement_terms"),
    *terms_crud.urls("settlement/terms"),
    path("settlement/bills/", bill_list, name="bill_list"),
    path("settlement/bills/new/", bill_raise, name="bill_raise"),
    path("settlement/bills/<int:pk>/", bill_detail, name="bill_detail"),
    path("settlement/bills/<int:pk>/<slug:action>/", bill_step, name="bill_step"),
]
