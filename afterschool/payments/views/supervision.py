"""Pages of fee supervision: the bureau's payments by school and by student (masked), and a school's selection
statistics and order details (with a link to its settlement bills). Every list exports to xlsx (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from afterschool.core.errors import NotFound
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.masking import mask_name
from afterschool.core.views import list_context
from afterschool.payments.forms.supervision import SchoolFeesFilterForm, SupervisionFilterForm
from afterschool.payments.models import Order
from afterschool.payments.selectors import reconciliation as recon_selectors
from afterschool.payments.selectors import supervision as selectors
from afterschool.payments.services.supervision import export_audit, fen_to_yuan
from afterschool.tenancy.actor import Actor

EXPORT_LIMIT = 50000


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _export(actor: Actor, what: str, filename: str, headers: list[str], rows: list[list[Any]], filters: Any) -> Any:
    export_audit(actor=actor, what=what, rows=len(rows), filters=filters)
    return xlsx_response(filename=filename, content=build_xlsx(headers=headers, rows=rows))


SCHOOL_HEADERS = ["学校", "缴费笔数", "缴费金额（元）", "退费金额（元）", "净额（元）"]
STUDENT_HEADERS = [
    "订单号", "学生", "学籍号", "课班", "学年", "金额（元）", "材料费（元）", "含材料", "支付时间", "退费（元）",
    "退费时间",
]  # fmt: skip
ORDER_HEADERS = [
    "订单号", "学生", "学籍号", "班级", "课班", "金额（元）", "材料费（元）", "含材料", "支付时间", "已退费",
    "退费金额（元）", "退费时间",
]  # fmt: skip
SECTION_HEADERS = ["课班", "学期", "名额", "已占", "已缴费", "待缴费", "候补", "收入（元）", "退费（元）", "净额（元）"]


def masked_row(order: Order) -> dict[str, Any]:
    return {
        "order": order, "student": mask_name(order.student.name),
        "student_number": selectors.mask_student_number(order.student.student_number),
        "amount": fen_to_yuan(order.amount_fen), "materials": fen_to_yuan(order.materials_fen),
        "refunded": fen_to_yuan(order.refunded_fen),
    }  # fmt: skip


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    """The bureau: payments per school (orders paid, amount, refunded, net) with filters."""
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*selectors.BUREAU_READERS):
        raise DjangoPermissionDenied("只有教育局可以查看缴费监管")
    form = SupervisionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    totals = selectors.school_totals(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [
            [t["school__name"], t["orders"], fen_to_yuan(t["amount_fen"]), fen_to_yuan(t["refunded_fen"]),
             fen_to_yuan(t["net_fen"])]
            for t in totals[:EXPORT_LIMIT]
        ]  # fmt: skip
        return _export(actor, "fee_supervision_schools", "缴费监管-学校.xlsx", SCHOOL_HEADERS, rows, filters)
    context: dict[str, Any] = {"form": form, "schools": recon_selectors.schools_for_filter(actor=actor)}
    context.update(list_context(request, totals))
    context["rows"] = [
        {**t, "amount": fen_to_yuan(t["amount_fen"]), "refunded": fen_to_yuan(t["refunded_fen"]),
         "net": fen_to_yuan(t["net_fen"])}
        for t in context["page"].items
    ]  # fmt: skip
    return render(request, "payments/supervision/schools.html", context)


@login_required
def supervision_school(request: HttpRequest, school_id: int) -> HttpResponse:
    """The bureau's drill-down: one school's paid orders per student (names and 学籍号 masked)."""
    actor = _actor(request)
    form = SupervisionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    try:
        orders = selectors.student_level(actor=actor, school_id=school_id, filters=filters)
    except NotFound:
        raise Http404() from None
    from afterschool.tenancy.models import School

    school = School.objects.get(pk=school_id)
    if request.GET.get("export") == "xlsx":
        rows = []
        for o in orders[:EXPORT_LIMIT]:
            m = masked_row(o)
            rows.append([
                o.order_no, m["student"], m["student_number"], o.section.name, str(o.section.term.academic_year),
                fen_to_yuan(o.amount_fen), fen_to_yuan(o.materials_fen), "是" if o.materials_included else "否",
                _when(o.paid_at), fen_to_yuan(o.refunded_fen), _when(o.refunded_at),  # type: ignore[attr-defined]
            ])  # fmt: skip
        filters = {**filters, "school": school_id}
        return _export(
            actor, "fee_supervision_students", f"缴费监管-{school.name}.xlsx", STUDENT_HEADERS, rows, filters
        )
    context: dict[str, Any] = {"form": form, "school": school}
    context.update(list_context(request, orders))
    context["rows"] = [masked_row(o) for o in context["page"].items]
    return render(request, "payments/supervision/students.html", context)


@login_required
def school_fees(request: HttpRequest) -> HttpResponse:
    """The school: selection statistics per section (tab "sections") and paid order details (tab "orders")."""
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*selectors.SCHOOL_READERS):
        raise DjangoPermissionDenied("只有学校管理员可以查看缴费统计")
    tab = "orders" if request.GET.get("tab") == "orders" else "sections"
    form = SchoolFeesFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    context: dict[str, Any] = {"form": form, "tab": tab}
    if tab == "sections":
        stats = selectors.section_stats(actor=actor, filters=filters)
        if request.GET.get("export") == "xlsx":
            rows = [
                [s.name, str(s.term), s.max_students, s.taken, s.paid, s.pending, s.waitlisted,  # type: ignore[attr-defined]
                 fen_to_yuan(s.revenue_fen), fen_to_yuan(s.refunds_fen),  # type: ignore[attr-defined]
                 fen_to_yuan(s.revenue_fen - s.refunds_fen)]  # type: ignore[attr-defined]
                for s in stats[:EXPORT_LIMIT]
            ]  # fmt: skip
            return _export(actor, "school_fee_sections", "选课统计.xlsx", SECTION_HEADERS, rows, filters)
        context.update(list_context(request, stats))
        context["rows"] = [
            {"section": s, "revenue": fen_to_yuan(s.revenue_fen), "refunds": fen_to_yuan(s.refunds_fen),  # type: ignore[attr-defined]
             "net": fen_to_yuan(s.revenue_fen - s.refunds_fen)}  # type: ignore[attr-defined]
            for s in context["page"].items
        ]  # fmt: skip
    else:
        orders = selectors.school_orders(actor=actor, filters=filters)
        if request.GET.get("export") == "xlsx":
            rows = [
                [o.order_no, o.student.name, o.student.student_number, str(o.student.school_class), o.section.name,
                 fen_to_yuan(o.amount_fen), fen_to_yuan(o.materials_fen), "是" if o.materials_included else "否",
                 _when(o.paid_at), "是" if o.refunded_fen else "否", fen_to_yuan(o.refunded_fen),
                 _when(o.refunded_at)]  # type: ignore[attr-defined]
                for o in orders[:EXPORT_LIMIT]
            ]  # fmt: skip
            return _export(actor, "school_fee_orders", "缴费明细.xlsx", ORDER_HEADERS, rows, filters)
        context.update(list_context(request, orders))
        context["rows"] = [
            {"order": o, "amount": fen_to_yuan(o.amount_fen), "refunded": fen_to_yuan(o.refunded_fen)}
            for o in context["page"].items
        ]
    return render(request, "payments/supervision/school_fees.html", context)


urlpatterns: list[URLPattern] = [
    path("supervision/", supervision, name="supervision"),
    path("supervision/schools/<int:school_id>/", supervision_school, name="supervision_school"),
    path("school-fees/", school_fees, name="school_fees"),
]
