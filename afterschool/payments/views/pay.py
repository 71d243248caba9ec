"""Pages of paying: the 去支付 button posts here and goes on to the bank; the bank sends the payer back to the
return page and its signed notices to the (public, csrf-exempt) notify endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from afterschool.core.errors import AppError, NotFound
from afterschool.payments.choices import OrderStatus, PaymentStatus
from afterschool.payments.selectors import orders as order_selectors
from afterschool.payments.selectors import pay as selectors
from afterschool.payments.services import pay as services
from afterschool.tenancy.actor import Actor


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@login_required
@require_POST
def pay_start(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        order = order_selectors.order_get(actor=actor, order_id=order_id)
        pay_url = services.payment_start(actor=actor, order=order)
    except NotFound as exc:
        raise Http404() from exc
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("payments:order_detail", order_id=order_id)
    return HttpResponseRedirect(pay_url)


@csrf_exempt
@require_POST
def bank_notify(request: HttpRequest) -> HttpResponse:
    result = services.notice_receive(body=request.body, signature=request.headers.get("X-Signature", ""))
    if result.status == 200:
        return JsonResponse({"result": "success", "outcome": result.outcome})
    return JsonResponse({"result": "fail", "outcome": result.outcome}, status=result.status)


@login_required
@require_GET
def pay_return(request: HttpRequest) -> HttpResponse:
    """Where the bank sends the payer back: the order's status (asking the bank once if still unpaid)."""
    actor = _actor(request)
    try:
        order = selectors.order_by_no(actor=actor, order_no=request.GET.get("order_no", ""))
    except NotFound as exc:
        raise Http404() from exc
    if order.status == OrderStatus.PENDING and order.payments.filter(status=PaymentStatus.PENDING).exists():
        services.payments_query_order(order=order)
        order.refresh_from_db()
    return render(request, "payments/pay/return.html", {"order": order, "paid": order.status == OrderStatus.PAID})


urlpatterns: list[URLPattern] = [
    path("orders/<int:order_id>/pay/", pay_start, name="pay_start"),
    path("pay/return/", pay_return, name="pay_return"),
    path("bank/notify/", bank_notify, name="bank_notify"),
]
