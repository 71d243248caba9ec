"""Pages of course selection (phone-first, for parents) and orders (parents and school admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context, page_error
from afterschool.payments.choices import OrderStatus
from afterschool.payments.forms.orders import CloseForm, ConfirmForm, OrderFilterForm
from afterschool.payments.gateway import bank_origin
from afterschool.payments.models import Order
from afterschool.payments.selectors import orders as selectors
from afterschool.payments.services import orders as services
from afterschool.tenancy.actor import Actor


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _child(actor: Actor, student_id: Any) -> Any:
    try:
        return selectors.child_get(actor=actor, student_id=int(student_id))
    except (NotFound, PermissionDenied, ValueError, TypeError) as exc:
        raise Http404() from exc


@login_required
def selection(request: HttpRequest) -> HttpResponse:
    """A parent's children (switcher) and the sections the chosen child may take, as cards."""
    actor = _actor(request)
    if not actor.has_role(Role.PARENT, Role.SCHOOL_ADMIN) and not actor.is_system_admin:
        raise DjangoPermissionDenied("只有家长可以为孩子选课")
    kids = list(selectors.children(actor=actor))
    wanted = request.GET.get("student")
    student = _child(actor, wanted) if wanted else (kids[0] if kids else None)
    options = selectors.selectable_sections(actor=actor, student=student) if student is not None else []
    return render(request, "payments/orders/selection.html", {"children": kids, "student": student, "options": options})


@login_required
def order_confirm(request: HttpRequest, student_id: int, section_id: int) -> HttpResponse:
    """The confirm page: what is chosen, what it costs, the materials choice; POST creates the order."""
    actor = _actor(request)
    student = _child(actor, student_id)
    try:
        option = selectors.selectable_section_get(actor=actor, student=student, section_id=section_id)
    except NotFound:
        messages.error(request, "该课班当前不能报名（未开放、已截止或不符合年级、班级要求）。")
        return redirect(f"{_selection_url()}?student={student.pk}")
    form = ConfirmForm(request.POST if request.method == "POST" else None, section=option.section)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_create(
                actor=actor, section=option.section, student=student,
                with_materials=bool(form.cleaned_data.get("with_materials")),
            )  # fmt: skip
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise page_error(exc) from None
            form_error_from(form, exc)
        else:
            return redirect("payments:order_detail", order_id=order.pk)
    return render(request, "payments/orders/confirm.html", {"student": student, "option": option, "form": form})


def _selection_url() -> str:
    from django.urls import reverse

    return reverse("payments:selection")


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        order = selectors.order_get(actor=actor, order_id=order_id)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    status, label = selectors.shown_status(order)
    context = {
        "order": order, "status": status, "status_label": label,
        "amount_yuan": services.fen_to_yuan(order.amount_fen), "fee_yuan": services.fen_to_yuan(order.fee_fen),
        "materials_yuan": services.fen_to_yuan(order.materials_fen),
        "deadline_iso": timezone.localtime(order.deadline).isoformat(),
        "can_close": status == OrderStatus.PENDING,
    }  # fmt: skip
    response = render(request, "payments/orders/detail.html", context)
    # The 去支付 form posts here and is redirected to the bank's page: CSP form-action must allow the bank's origin.
    response._csp_update = {"form-action": [bank_origin()]}  # type: ignore[attr-defined]
    return response


@login_required
def order_close(request: HttpRequest, order_id: int) -> HttpResponse:
    """Confirmation page (GET) and the close (POST): the parent gives up, or the school closes it with a reason."""
    actor = _actor(request)
    try:
        order = selectors.order_get(actor=actor, order_id=order_id)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    form = CloseForm(request.POST if request.method == "POST" else None, required=not actor.has_role(Role.PARENT))
    if request.method == "POST" and form.is_valid():
        try:
            services.order_close(actor=actor, order=order, reason=form.cleaned_data["reason"])
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise page_error(exc) from None
            form_error_from(form, exc)
        else:
            messages.success(request, "订单已关闭，名额已释放。")
            return redirect("payments:order_detail", order_id=order.pk)
    return render(request, "payments/orders/close_confirm.html", {"order": order, "form": form})


EXPORT_HEADERS = [
    "订单号", "学生", "学籍号", "班级", "课班", "报名费", "材料费", "应付", "状态", "下单时间", "支付截止",
]  # fmt: skip


def _export_row(order: Order) -> list[Any]:
    return [
        order.order_no, order.student.name, order.student.student_number, str(order.student.school_class),
        order.section.name, services.fen_to_yuan(order.fee_fen), services.fen_to_yuan(order.materials_fen),
        services.fen_to_yuan(order.amount_fen), selectors.shown_status(order)[1],
        timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(order.deadline).strftime("%Y-%m-%d %H:%M"),
    ]  # fmt: skip


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*selectors.ORDER_READERS):
        raise DjangoPermissionDenied("没有权限查看订单")
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.order_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [_export_row(o) for o in queryset[:50000]]
        record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
            detail={"what": "orders", "rows": len(rows), "filters": {k: str(v) for k, v in filters.items() if v}},
        )  # fmt: skip
        return xlsx_response(filename="缴费订单.xlsx", content=build_xlsx(headers=EXPORT_HEADERS, rows=rows))
    context: dict[str, Any] = {"form": form, "is_school": not actor.has_role(Role.PARENT)}
    context.update(list_context(request, queryset))
    items = context["page"].items
    context["rows"] = [(o, *selectors.shown_status(o), services.fen_to_yuan(o.amount_fen)) for o in items]
    return render(request, "payments/orders/list.html", context)


urlpatterns: list[URLPattern] = [
    path("selection/", selection, name="selection"),
    path("selection/<int:student_id>/<int:section_id>/", order_confirm, name="order_confirm"),
    path("orders/", order_list, name="order_list"),
    path("orders/<int:order_id>/", order_detail, name="order_detail"),
    path("orders/<int:order_id>/close/", order_close, name="order_close"),
]
